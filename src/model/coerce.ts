import { toJsonSafe } from './json-safe';
import type { FieldType, JsonValue, Value } from './types';
import {
  describeValue,
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
} from './values';

/**
 * An ObjectId as a UUID: its 12 bytes followed by 4 zero bytes. Not an RFC 4122 version, but every
 * uuid column accepts it, it sorts like the ObjectId (time first) and `cast` back to objectid restores it.
 */
export function objectIdToUuid(hex: string): string {
  const h = `${toObjectIdText(hex)}00000000`;
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function uuidToObjectId(uuid: string): string {
  const hex = toUuidText(uuid).replace(/-/g, '');
  if (!hex.endsWith('00000000')) throw new Error(`uuid ${uuid} does not hold an ObjectId (its last 4 bytes are not zero)`);
  return hex.slice(0, 24);
}

/** Text form of any neutral value: what `cast … to string` and `jsonEncode` store. */
export function toText(v: Value): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Buffer.isBuffer(v)) return v.toString('base64');
  if (v instanceof Date) return toTimestamptzText(v);
  return JSON.stringify(toJsonSafe(v));
}

/**
 * Converts a value to the neutral representation of `to`. `from` is the declared type when known:
 * it decides the few conversions that are not plain coercions (string → json parses text, objectid ⇄ uuid,
 * timestamptz → timestamp drops the zone). Throws on a value that does not convert: the row is rejected.
 */
export function coerce(v: Value | undefined, to: FieldType, from?: FieldType): Value {
  if (v === null || v === undefined) return null;
  if (from === 'objectid' && to === 'uuid') return objectIdToUuid(v as string);
  if (from === 'uuid' && to === 'objectid') return uuidToObjectId(v as string);
  if (from === 'timestamptz' && to === 'timestamp') return toTimestamptzText(v).replace(/Z$/, '');
  if (from === 'timestamp' && to === 'timestamptz' && typeof v === 'string') return toTimestamptzText(`${toTimestampText(v)}Z`);
  switch (to) {
    case 'string':
      return toText(v);
    case 'int32':
      return toInt32(v);
    case 'int64':
      return toInt64(v);
    case 'float64':
      return toFloat64(v);
    case 'decimal':
      return toDecimalText(v);
    case 'boolean':
      return toBoolean(v);
    case 'timestamptz':
      return toTimestamptzText(v);
    case 'timestamp':
      return toTimestampText(v);
    case 'date':
      return toDateText(v);
    case 'uuid':
      return toUuidText(v);
    case 'objectid':
      return toObjectIdText(v);
    case 'bytes':
      return toBytes(v);
    case 'json':
      if (from === 'string' && typeof v === 'string') {
        try {
          return JSON.parse(v) as JsonValue;
        } catch {
          throw new Error(`not JSON text: ${describeValue(v)}`);
        }
      }
      return toJsonSafe(v);
  }
}

const NUMERIC = new Set<FieldType>(['int32', 'int64', 'float64', 'decimal']);
const TEMPORAL = new Set<FieldType>(['timestamptz', 'timestamp', 'date']);

/** Conversions `cast` accepts at compile time; the values themselves are still checked row by row. */
export function castAllowed(from: FieldType, to: FieldType): boolean {
  if (from === to || to === 'string' || from === 'string') return true;
  if (NUMERIC.has(from) && NUMERIC.has(to)) return true;
  if (TEMPORAL.has(from) && TEMPORAL.has(to)) return !(from === 'date' && to !== 'date');
  return (from === 'objectid' && to === 'uuid') || (from === 'uuid' && to === 'objectid') || to === 'json';
}
