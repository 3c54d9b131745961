import { Binary, Decimal128, Double, Int32, Long, ObjectId } from 'mongodb';
import { ShapeInference, type ValueKinds } from '../../model/infer';
import type { FieldType } from '../../model/types';
import type { NestedFieldSchema } from '../../model/nested';
import { isPlainObject } from '../../model/values';

/**
 * Field and type inference from sampled documents (read with promoteValues: false, so Int32, Double
 * and Long stay distinguishable). The mapping:
 *   ObjectId → objectid, string → string, bool → boolean, Int32 → int32, Long → int64, Double → float64,
 *   Decimal128 → decimal, Date → timestamptz, Binary → bytes (subtype 4 → uuid),
 *   sub-document → json with its shape in `fields` (recursively), array → json, other BSON types → json.
 * Mixed types: numbers widen (int32+int64 → int64, int32+float64 → float64, anything with decimal or
 * int64+float64 → decimal); any other mix → json, which carries every value exactly.
 */

type Kind = 'objectid' | 'string' | 'boolean' | 'int32' | 'int64' | 'float64' | 'decimal' | 'date' | 'bytes' | 'uuid' | 'object' | 'array' | 'other';

/** Sub-documents with more distinct keys than this are maps (keyed by ids, dates…), not records: kept as json. */
export { MAX_NESTED_KEYS } from '../../model/infer';

function kindOf(v: unknown): Kind | null {
  if (v === null) return null;
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'boolean';
    case 'number':
      return Number.isInteger(v) && Math.abs(v as number) < 2 ** 31 ? 'int32' : 'float64';
    case 'bigint':
      return 'int64';
  }
  if (v instanceof ObjectId) return 'objectid';
  if (v instanceof Int32) return 'int32';
  if (v instanceof Long) return 'int64';
  if (v instanceof Double) return 'float64';
  if (v instanceof Decimal128) return 'decimal';
  if (v instanceof Date) return 'date';
  if (v instanceof Binary) return v.sub_type === Binary.SUBTYPE_UUID && v.position === 16 ? 'uuid' : 'bytes';
  if (Array.isArray(v)) return 'array';
  if (isPlainObject(v)) return 'object';
  return 'other';
}

const NUMERIC: Kind[] = ['int32', 'int64', 'float64', 'decimal'];
const SINGLE: Partial<Record<Kind, FieldType>> = {
  objectid: 'objectid',
  string: 'string',
  boolean: 'boolean',
  int32: 'int32',
  int64: 'int64',
  float64: 'float64',
  decimal: 'decimal',
  date: 'timestamptz',
  bytes: 'bytes',
  uuid: 'uuid',
  array: 'json',
  other: 'json',
};
const NATIVE: Record<Kind, string> = {
  objectid: 'objectId',
  string: 'string',
  boolean: 'bool',
  int32: 'int',
  int64: 'long',
  float64: 'double',
  decimal: 'decimal',
  date: 'date',
  bytes: 'binData',
  uuid: 'uuid',
  object: 'object',
  array: 'array',
  other: 'other',
};

function typeOf(kinds: ReadonlySet<Kind>): FieldType {
  if (kinds.size === 0) return 'json'; // only nulls seen: json accepts whatever unsampled documents hold
  if (kinds.size === 1) return SINGLE[[...kinds][0]!] ?? 'json';
  if ([...kinds].every((k) => NUMERIC.includes(k))) {
    if (kinds.has('decimal') || (kinds.has('int64') && kinds.has('float64'))) return 'decimal';
    return kinds.has('float64') ? 'float64' : 'int64';
  }
  return 'json';
}

const MONGO_KINDS: ValueKinds<Kind> = {
  kindOf,
  record: 'object',
  entries: (v) => Object.entries(v as Record<string, unknown>),
  native: (_v, kind) => NATIVE[kind],
  typeOf,
  noNative: 'null',
  nativeOf: 'mongodb',
};

/**
 * Fields of raw documents seen one at a time, so a full scan (`sampleSize: "all"`) infers in constant
 * memory per field rather than holding the collection.
 */
export class FieldInference {
  private readonly inference = new ShapeInference(MONGO_KINDS);

  add(doc: Record<string, unknown>): void {
    this.inference.add(doc);
  }

  get documents(): number {
    return this.inference.records;
  }

  /** In order of first appearance with `_id` first. */
  fields(): NestedFieldSchema[] {
    const fields = this.inference.fields();
    const id = fields.findIndex((f) => f.name === '_id');
    if (id > 0) fields.unshift(...fields.splice(id, 1));
    return fields;
  }
}

/** Fields of a sample of raw documents, in order of first appearance with `_id` first. */
export function inferFields(docs: readonly Record<string, unknown>[]): NestedFieldSchema[] {
  const inference = new FieldInference();
  for (const d of docs) inference.add(d);
  return inference.fields();
}
