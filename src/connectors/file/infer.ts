import type { FieldSchema, FieldType } from '../../model/types';
import { isPlainObject } from '../../model/values';

/**
 * Fields from sampled records, one record at a time (constant memory per field). JSON values:
 *   string → string, true/false → boolean, an integer → int32 (int64 past 2^31), other numbers → float64,
 *   object → json with its shape in `fields` (so flatten can make columns), array → json.
 * CSV cells are text, so their text decides: integers (without leading zeros, which are codes, not numbers)
 * → int32/int64, decimals → float64, true/false → boolean, anything else → string. An unquoted empty cell is null.
 * Mixed kinds widen (int32+int64 → int64, integers+float64 → float64); any other mix → json (JSON sources)
 * or string (CSV). Integral key fields are int64 (ids outgrow samples).
 */

type Kind = 'string' | 'boolean' | 'int32' | 'int64' | 'float64' | 'object' | 'array';

const MAX_NESTED_KEYS = 100;
const MAX_NESTED_DEPTH = 8;
const INT32 = 2 ** 31;

interface Shape {
  present: number;
  nulls: number;
  kinds: Set<Kind>;
  objects: number;
  children: Map<string, Shape> | null;
}

const newShape = (): Shape => ({ present: 0, nulls: 0, kinds: new Set(), objects: 0, children: new Map() });

const intKind = (n: number): Kind => (Math.abs(n) < INT32 ? 'int32' : 'int64');

function jsonKind(v: unknown): Kind {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number') return Number.isInteger(v) ? intKind(v) : 'float64';
  return Array.isArray(v) ? 'array' : 'object';
}

function csvKind(v: string): Kind {
  if (/^-?(0|[1-9]\d{0,17})$/.test(v)) return intKind(Number(v));
  if (/^-?\d+\.\d+([eE][-+]?\d+)?$/.test(v) && Number.isFinite(Number(v))) return 'float64';
  if (v === 'true' || v === 'false') return 'boolean';
  return 'string';
}

function observe(shape: Shape, v: unknown, depth: number, text: boolean): void {
  if (v === undefined) return;
  shape.present++;
  if (v === null) {
    shape.nulls++;
    return;
  }
  const kind = text ? csvKind(v as string) : jsonKind(v);
  shape.kinds.add(kind);
  if (kind !== 'object') return;
  shape.objects++;
  if (!shape.children) return;
  if (depth >= MAX_NESTED_DEPTH) {
    shape.children = null;
    return;
  }
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    let child = shape.children.get(k);
    if (!child) {
      if (shape.children.size >= MAX_NESTED_KEYS) {
        shape.children = null; // a map keyed by data, not a record
        return;
      }
      shape.children.set(k, (child = newShape()));
    }
    observe(child, x, depth + 1, false);
  }
}

const SINGLE: Record<Kind, FieldType> = {
  string: 'string',
  boolean: 'boolean',
  int32: 'int32',
  int64: 'int64',
  float64: 'float64',
  object: 'json',
  array: 'json',
};
const NUMERIC: Kind[] = ['int32', 'int64', 'float64'];

function typeOf(kinds: Set<Kind>, text: boolean): FieldType {
  if (kinds.size === 0) return text ? 'string' : 'json'; // only nulls seen
  if (kinds.size === 1) return SINGLE[[...kinds][0]!];
  if ([...kinds].every((k) => NUMERIC.includes(k))) return kinds.has('float64') ? 'float64' : 'int64';
  return text ? 'string' : 'json';
}

function toField(name: string, shape: Shape, parentCount: number, text: boolean): FieldSchema {
  const field: FieldSchema = {
    name,
    type: typeOf(shape.kinds, text),
    nullable: shape.nulls > 0 || shape.present < parentCount,
    nativeType: [...shape.kinds].join('|') || 'null',
    nativeOf: 'file',
  };
  if (shape.kinds.size === 1 && shape.kinds.has('object') && shape.children && shape.children.size > 0)
    field.fields = [...shape.children].map(([k, s]) => toField(k, s, shape.objects, false));
  return field;
}

/** Streaming inference over records; `text` for CSV (every cell a string or null). */
export class RecordInference {
  private readonly root = newShape();
  private count = 0;

  constructor(private readonly text: boolean) {}

  add(record: Record<string, unknown>): void {
    this.count++;
    this.root.present++;
    for (const [k, v] of Object.entries(record)) {
      let s = this.root.children!.get(k);
      if (!s) this.root.children!.set(k, (s = newShape()));
      observe(s, v, 1, this.text);
    }
  }

  get records(): number {
    return this.count;
  }

  /** Key fields first (in key order), then in order of first appearance. */
  fields(key: readonly string[]): FieldSchema[] {
    const fields = [...this.root.children!].map(([k, s]) => toField(k, s, this.count, this.text));
    const keyed = key.map((k) => fields.find((f) => f.name === k)).filter((f): f is FieldSchema => !!f);
    for (const f of keyed) {
      if (f.type === 'int32') f.type = 'int64';
      f.nullable = false;
    }
    return [...keyed, ...fields.filter((f) => !key.includes(f.name))];
  }
}

export const isRecord = isPlainObject;
