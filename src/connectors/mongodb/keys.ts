import type { Document } from 'mongodb';
import { schemaError } from '../../errors';
import { keyFieldsOf } from '../../model/keys';
import type { FieldSchema, ObjectSchema } from '../../model/types';
import { KEY_TYPES } from './bson';

/**
 * Where a schema's key lives in the documents.
 *
 * One key field: a target stores it in _id (the only field MongoDB indexes uniquely by default), so a
 * key renamed to `id` upstream still reads back from _id; a source keyed on another field (endpoint
 * `key`) keeps its own _id as an ordinary field.
 *
 * A composite key: the key fields are ordinary fields (pages sort and compare on them), and a target
 * also stores the tuple as an `_id` document `{ k1: v1, k2: v2 }` in key order, so upserts by _id stay
 * the fast path and a duplicate tuple is a duplicate _id.
 */
export interface KeyLayout {
  /** The key fields, in key order. */
  fields: FieldSchema[];
  /** The document path each key field is read, sorted and compared at, in key order. */
  paths: string[];
  /** _id holds the key (its value or the tuple document) and is not itself a field of the schema. */
  idHoldsKey: boolean;
}

export const hasIdField = (schema: ObjectSchema) => schema.fields.some((f) => f.name === '_id');

export function keyLayoutOf(schema: ObjectSchema): KeyLayout {
  const fields = keyFieldsOf(schema);
  for (const f of fields)
    if (!KEY_TYPES.has(f.type)) throw schemaError(`key field ${f.name} is ${f.type}; a key field must be one of ${[...KEY_TYPES].join(', ')}`, 'mongodb');
  const idField = hasIdField(schema);
  if (fields.length > 1) return { fields, paths: fields.map((f) => f.name), idHoldsKey: !idField };
  const name = fields[0]!.name;
  const path = name === '_id' || idField ? name : '_id';
  return { fields, paths: [path], idHoldsKey: path === '_id' && name !== '_id' };
}

/** The document path a field of the schema is read from: the single key field renamed from _id reads _id. */
export function pathOfField(layout: KeyLayout, name: string): string {
  return layout.fields.length === 1 && layout.fields[0]!.name === name ? layout.paths[0]! : name;
}

/**
 * Documents strictly after a key tuple in key order, for keyset paging with the sort `{k1: 1, k2: 1, …}`:
 * `$or: [{k1: {$gt: c1}}, {k1: c1, k2: {$gt: c2}}, …]`. Values are BSON values already.
 */
export function keysetCondition(paths: readonly string[], after: readonly unknown[]): Document {
  if (paths.length !== after.length || paths.length === 0) throw new Error(`a cursor of ${after.length} values for a key of ${paths.length} fields`);
  const branches = paths.map((path, i) => {
    const branch: Document = {};
    for (let j = 0; j < i; j++) branch[paths[j]!] = after[j];
    branch[path] = { $gt: after[i] };
    return branch;
  });
  return branches.length === 1 ? branches[0]! : { $or: branches };
}

/**
 * The query of one range read: the range on the leading key field (lower exclusive, upper inclusive, so
 * one leading value never spans two ranges) and, when resuming, the keyset after the cursor tuple. For a
 * one-field key the cursor simply replaces the lower bound. Null = no condition.
 */
export function rangeReadCondition(paths: readonly string[], lower: unknown | null, upper: unknown | null, after: readonly unknown[] | null): Document | null {
  const lead: Document = {};
  const start = after ? (paths.length === 1 ? after[0] : null) : lower;
  if (start !== null && start !== undefined) lead.$gt = start;
  if (upper !== null && upper !== undefined) lead.$lte = upper;
  const parts: Document[] = [];
  if (Object.keys(lead).length) parts.push({ [paths[0]!]: lead });
  if (after && paths.length > 1) parts.push(keysetCondition(paths, after));
  if (parts.length === 0) return null;
  return parts.length === 1 ? parts[0]! : { $and: parts };
}

/** The sort of key order: `{k1: 1, k2: 1}`. */
export const keySort = (paths: readonly string[]): Record<string, 1> => Object.fromEntries(paths.map((p) => [p, 1 as const]));

/** The names of a document's fields outside `known` (document paths the schema reads), in document order. */
export function unknownFieldNames(doc: Document, known: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const k of Object.keys(doc)) if (!known.has(k) && doc[k] !== undefined) out.push(k);
  return out;
}

/**
 * Whether an _id value is the tuple document a composite-key target wrote: exactly the key fields, in key
 * order. describe() leaves such an _id out of the fields, as read() leaves it out of the row.
 */
export function isKeyTupleShape(idField: FieldSchema | undefined, key: readonly string[]): boolean {
  const children = (idField as { fields?: FieldSchema[] } | undefined)?.fields;
  return key.length > 1 && idField?.type === 'json' && !!children && children.map((c) => c.name).join('\0') === key.join('\0');
}

/**
 * The composite key of a collection a composite-key target wrote, read from its `_id` documents: their
 * fields (≥ 2), when each is also a top-level field. Lets describe() without `key` (a validation scan of
 * such a target, a migration back from it) find the key where it was stored. Null otherwise.
 */
export function keyOfIdTuple(fields: readonly FieldSchema[]): string[] | null {
  const children = (fields.find((f) => f.name === '_id') as { fields?: FieldSchema[] } | undefined)?.fields;
  if (!children || children.length < 2) return null;
  const names = children.map((c) => c.name);
  return names.every((n) => fields.some((f) => f.name === n)) ? names : null;
}
