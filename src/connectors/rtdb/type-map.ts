import type { FieldSchema, FieldType, JsonValue, Value } from '../../model/types';
import {
  describeValue,
  isPlainObject,
  toBoolean,
  toBytes,
  toDateText,
  toDecimalText,
  toFloat64,
  toInt32,
  toInt64,
  toObjectIdText,
  toTimestampText,
  toTimestamptzText,
  toUuidText,
} from '../../model/values';
import { INVALID_KEY } from './keys';

/**
 * Neutral values ⇄ what RTDB holds (JSON only: strings, finite doubles, booleans, objects; no null, no
 * empty containers, arrays as integer-keyed objects). Tables as data, pure, unit-tested without a server:
 *   int64 → number while |n| ≤ 2^53, else decimal text; decimal → text; float64 → number, NaN/±Infinity → text;
 *   timestamps and dates → ISO text or epoch ms (datesAs); bytes → base64; uuid/objectid → text;
 *   json → itself when RTDB gives it back unchanged, else its JSON text wrapped as { __datamigrato_json: text }.
 * Readers accept either spelling a writer may have used (number or text), so data written by other tools reads too.
 */

export type DatesAs = 'iso' | 'epochMs';
export const JSON_WRAPPER = '__datamigrato_json';

const fail = (m: string): never => {
  throw new Error(m);
};

const SAFE = 2 ** 53;

/** True when RTDB stores `v` and gives back an equal value (see the rules above). */
export function keepsExactly(v: unknown): boolean {
  if (v === null || v === undefined) return false;
  if (typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v) && !Object.is(v, -0);
  if (Array.isArray(v)) return v.length > 0 && v.every(keepsExactly);
  if (isPlainObject(v)) {
    const keys = Object.keys(v);
    // Integer-like keys make the SDK turn the object into an array on read.
    if (keys.length === 0 || keys.every((k) => /^\d+$/.test(k))) return false;
    return keys.every((k) => k !== JSON_WRAPPER && k !== '' && !INVALID_KEY.test(k) && keepsExactly(v[k]));
  }
  return false;
}

/** A json field's value as stored: itself, or wrapped JSON text. */
export function jsonToRtdb(v: unknown): JsonValue {
  if (keepsExactly(v)) return v as JsonValue;
  return {
    [JSON_WRAPPER]: JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : Buffer.isBuffer(x) ? { $base64: x.toString('base64') } : x)),
  };
}

/** A stored value as a json field's value: wrapped JSON text unwrapped. */
export function jsonFromRtdb(v: unknown): JsonValue {
  if (isPlainObject(v) && Object.keys(v).length === 1 && typeof v[JSON_WRAPPER] === 'string') return JSON.parse(v[JSON_WRAPPER]) as JsonValue;
  return v as JsonValue;
}

const epochOf = (iso: string) => {
  const ms = Date.parse(/Z$|[+-]\d{2}:?\d{2}$/.test(iso) ? iso : `${iso}Z`);
  return Number.isNaN(ms) ? fail(`not a time: ${describeValue(iso)}`) : ms;
};

const float = (n: number): JsonValue => (Number.isFinite(n) ? (Object.is(n, -0) ? 0 : n) : String(n));

type Writer = (v: Value, dates: DatesAs) => JsonValue;
const WRITERS: Record<FieldType, Writer> = {
  string: (v) => (typeof v === 'string' ? v : fail(`not a string: ${describeValue(v)}`)),
  int32: (v) => toInt32(v),
  int64: (v) => {
    const b = toInt64(v);
    return b >= -SAFE && b <= SAFE ? Number(b) : b.toString();
  },
  float64: (v) => float(toFloat64(v)),
  decimal: (v) => toDecimalText(v),
  boolean: (v) => toBoolean(v),
  timestamptz: (v, d) => (d === 'epochMs' ? epochOf(toTimestamptzText(v)) : toTimestamptzText(v)),
  timestamp: (v, d) => (d === 'epochMs' ? epochOf(toTimestampText(v)) : toTimestampText(v)),
  date: (v, d) => (d === 'epochMs' ? epochOf(toDateText(v)) : toDateText(v)),
  uuid: (v) => toUuidText(v),
  objectid: (v) => toObjectIdText(v),
  bytes: (v) => toBytes(v).toString('base64'),
  json: (v) => jsonToRtdb(v),
};

/** One field's value as stored, or undefined for null (RTDB has no null: the field is left out). */
export function toRtdb(v: Value | undefined, f: FieldSchema, dates: DatesAs): JsonValue | undefined {
  if (v === null || v === undefined) return undefined;
  try {
    return WRITERS[f.type](v, dates);
  } catch (err) {
    throw new Error(`${f.name}: ${(err as Error).message}`);
  }
}

const iso = (ms: number) => new Date(ms).toISOString();
const text = (v: unknown, what: string) => (typeof v === 'string' ? v : fail(`a ${typeof v} where the schema says ${what}`));
const whenNumber = (v: unknown, fn: (n: number) => Value, other: (x: unknown) => Value): Value => (typeof v === 'number' ? fn(v) : other(v));

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const READERS: Record<FieldType, (v: unknown) => Value> = {
  string: (v) => text(v, 'string'),
  int32: (v) => toInt32(v),
  int64: (v) => toInt64(v),
  float64: (v) => toFloat64(v),
  decimal: (v) => toDecimalText(v),
  boolean: (v) => (typeof v === 'boolean' ? v : fail(`a ${typeof v} where the schema says boolean`)),
  timestamptz: (v) => whenNumber(v, iso, toTimestamptzText),
  timestamp: (v) => whenNumber(v, (n) => iso(n).replace(/Z$/, ''), toTimestampText),
  date: (v) => whenNumber(v, (n) => iso(n).slice(0, 10), toDateText),
  uuid: (v) => toUuidText(v),
  objectid: (v) => toObjectIdText(v),
  bytes: (v) => {
    const s = text(v, 'bytes (base64)');
    return BASE64.test(s) && s.length % 4 === 0 ? Buffer.from(s, 'base64') : fail(`not base64: ${describeValue(s)}`);
  },
  json: (v) => jsonFromRtdb(v),
};

/** One field's neutral value from what RTDB holds (absent → null); throws, naming the field, when it does not fit. */
export function fromRtdb(v: unknown, f: FieldSchema): Value {
  if (v === null || v === undefined) return null;
  try {
    return READERS[f.type](v);
  } catch (err) {
    throw new Error(`${f.name}: ${(err as Error).message}`);
  }
}
