import { Binary, Decimal128, Double, Int32, Long, ObjectId } from 'mongodb';
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
export const MAX_NESTED_KEYS = 100;
export const MAX_NESTED_DEPTH = 8;

interface Shape {
  present: number;
  nulls: number;
  kinds: Set<Kind>;
  objects: number;
  children: Map<string, Shape> | null;
}

const newShape = (): Shape => ({ present: 0, nulls: 0, kinds: new Set(), objects: 0, children: new Map() });

function kindOf(v: unknown): Kind {
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

function observe(shape: Shape, v: unknown, depth: number): void {
  if (v === undefined) return;
  shape.present++;
  if (v === null) {
    shape.nulls++;
    return;
  }
  const kind = kindOf(v);
  shape.kinds.add(kind);
  if (kind !== 'object') return;
  shape.objects++;
  if (!shape.children) return;
  if (depth >= MAX_NESTED_DEPTH) {
    shape.children = null;
    return;
  }
  for (const k in v as Record<string, unknown>) {
    let child = shape.children.get(k);
    if (!child) {
      if (shape.children.size >= MAX_NESTED_KEYS) {
        shape.children = null; // a map, not a record
        return;
      }
      shape.children.set(k, (child = newShape()));
    }
    observe(child, (v as Record<string, unknown>)[k], depth + 1);
  }
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

function typeOf(kinds: Set<Kind>): FieldType {
  if (kinds.size === 0) return 'json'; // only nulls seen: json accepts whatever unsampled documents hold
  if (kinds.size === 1) return SINGLE[[...kinds][0]!] ?? 'json';
  if ([...kinds].every((k) => NUMERIC.includes(k))) {
    if (kinds.has('decimal') || (kinds.has('int64') && kinds.has('float64'))) return 'decimal';
    return kinds.has('float64') ? 'float64' : 'int64';
  }
  return 'json';
}

function toField(name: string, shape: Shape, parentCount: number): NestedFieldSchema {
  const type = typeOf(shape.kinds);
  const field: NestedFieldSchema = {
    name,
    type: shape.kinds.size === 1 && shape.kinds.has('object') ? 'json' : type,
    nullable: shape.nulls > 0 || shape.present < parentCount,
    nativeType: [...shape.kinds].map((k) => NATIVE[k]).join('|') || 'null',
    nativeOf: 'mongodb',
  };
  if (shape.kinds.size === 1 && shape.kinds.has('object') && shape.children && shape.children.size > 0)
    field.fields = [...shape.children].map(([k, s]) => toField(k, s, shape.objects));
  return field;
}

/**
 * Fields of raw documents seen one at a time, so a full scan (`sampleSize: "all"`) infers in constant
 * memory per field rather than holding the collection.
 */
export class FieldInference {
  private readonly root = newShape();
  private count = 0;

  add(doc: Record<string, unknown>): void {
    this.count++;
    observe(this.root, doc, 0);
  }

  get documents(): number {
    return this.count;
  }

  /** In order of first appearance with `_id` first. */
  fields(): NestedFieldSchema[] {
    const fields = [...(this.root.children ?? new Map<string, Shape>())].map(([k, s]) => toField(k, s, this.count));
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
