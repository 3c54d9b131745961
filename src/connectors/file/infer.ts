import { ShapeInference, keysFirst, type ValueKinds } from '../../model/infer';
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

const INT32 = 2 ** 31;

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

function typeOf(kinds: ReadonlySet<Kind>, text: boolean): FieldType {
  if (kinds.size === 0) return text ? 'string' : 'json'; // only nulls seen
  if (kinds.size === 1) return SINGLE[[...kinds][0]!];
  if ([...kinds].every((k) => NUMERIC.includes(k))) return kinds.has('float64') ? 'float64' : 'int64';
  return text ? 'string' : 'json';
}

const kindsOf = (text: boolean): ValueKinds<Kind> => ({
  // CSV cells are text or null (never objects); JSON values are typed.
  kindOf: (v) => (v === null ? null : text ? csvKind(v as string) : jsonKind(v)),
  record: 'object',
  entries: (v) => Object.entries(v as Record<string, unknown>),
  typeOf: (kinds) => typeOf(kinds, text),
  noNative: 'null',
  nativeOf: 'file',
});

/** Streaming inference over records; `text` for CSV (every cell a string or null). */
export class RecordInference {
  private readonly inference: ShapeInference<Kind>;

  constructor(text: boolean) {
    this.inference = new ShapeInference(kindsOf(text));
  }

  add(record: Record<string, unknown>): void {
    this.inference.add(record);
  }

  get records(): number {
    return this.inference.records;
  }

  /** Key fields first (in key order, int64 when integral, never nullable), then in order of first appearance. */
  fields(key: readonly string[]): FieldSchema[] {
    const fields = keysFirst(this.inference.fields(), key);
    for (const f of fields) if (key.includes(f.name)) f.nullable = false;
    return fields;
  }
}

export const isRecord = isPlainObject;
