import type { FieldSchema } from './types';

/**
 * A `json` field whose value is an object of known shape carries that shape in `fields`: a document
 * store's describe() fills it from sampled documents, `flatten` turns it into columns, `unflatten`
 * builds it back, and a document-store target uses it to restore typed leaves (dates, int64, ObjectIds).
 */
export type NestedFieldSchema = FieldSchema;

export const childrenOf = (f: FieldSchema): NestedFieldSchema[] | undefined => {
  const c = f.fields;
  return f.type === 'json' && Array.isArray(c) && c.length > 0 ? c : undefined;
};

/** A field with its nested shape removed: what a field becomes once its value is no longer an object of that shape. */
export function withoutChildren<T extends FieldSchema>(f: T): T {
  const { fields: _drop, ...rest } = f as T & { fields?: unknown };
  return rest as T;
}
