import { toJsonSafe } from './json-safe';
import type { FieldSchema, KeyValue, ObjectSchema, Row, Value } from './types';

/** The key's fields, in key order. Throws when the schema names a key field it does not have. */
export function keyFieldsOf(schema: ObjectSchema): FieldSchema[] {
  return schema.key.map((name) => {
    const f = schema.fields.find((x) => x.name === name);
    if (!f) throw new Error(`key field "${name}" is not a field of ${schema.object}`);
    return f;
  });
}

/** A key value as it travels through Temporal: int64 as decimal text, ObjectIds as hex, others as they are. */
export function toKeyValue(v: Value | undefined): KeyValue {
  if (typeof v === 'number' || typeof v === 'string') return v;
  if (typeof v === 'bigint') return v.toString();
  const safe = toJsonSafe(v);
  return typeof safe === 'string' || typeof safe === 'number' ? safe : JSON.stringify(safe);
}

/** The row's key tuple, in key order. */
export const keyTupleOf = (row: Row, key: readonly string[]): KeyValue[] => key.map((k) => toKeyValue(row[k]));

/**
 * The key as text for dead letters, error messages and reports: the plain value for a one-field key,
 * a JSON array for a composite key; null when the key is missing.
 */
export function keyText(row: Row, key: readonly string[]): string | null {
  const values = key.map((k) => row[k]);
  if (values.every((v) => v === null || v === undefined)) return null;
  if (key.length === 1) {
    const v = values[0]!;
    return typeof v === 'object' && !Buffer.isBuffer(v) ? JSON.stringify(toJsonSafe(v)) : Buffer.isBuffer(v) ? v.toString('base64') : String(v);
  }
  return JSON.stringify(values.map((v) => toJsonSafe(v ?? null)));
}

/** `a, b` for messages. */
export const keyLabel = (key: readonly string[]) => key.join(', ');
