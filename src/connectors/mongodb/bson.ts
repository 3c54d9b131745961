import { toDeclaredType } from '../../model/declared-type';
import { BSON, Binary, Decimal128, Double, Int32, Long, ObjectId, UUID } from 'mongodb';
import type { FieldSchema, JsonValue, KeyValue, Value } from '../../model/types';
import { coerce, toText } from '../../model/coerce';
import { childrenOf } from '../../model/nested';
import {
  isPlainObject,
  plainDecimal,
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

/**
 * BSON ⇄ neutral values. Reads use the driver options in READ_OPTIONS (Int32/Double → number,
 * Long → bigint); every other BSON type is converted here, so rows carry plain neutral values only.
 */
export const READ_OPTIONS = { useBigInt64: true, promoteValues: true, promoteBuffers: false } as const;

const isUuidBinary = (b: Binary) => b.sub_type === Binary.SUBTYPE_UUID && b.position === 16;

const binaryBytes = (b: Binary) => Buffer.from(b.buffer.buffer, b.buffer.byteOffset, b.position);

/** A scalar BSON value as its neutral value; documents and arrays as plain JSON. */
export function bsonToNeutral(v: unknown): Value {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'string':
    case 'boolean':
    case 'number':
    case 'bigint':
      return v;
    case 'object':
      break;
    default:
      return String(v);
  }
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (v instanceof ObjectId) return v.toHexString();
  // Wrapper classes appear only when values were not promoted (e.g. inference samples): unwrap them too.
  if (v instanceof Long) return v.toBigInt();
  if (v instanceof Int32 || v instanceof Double) return v.valueOf();
  if (v instanceof Decimal128) return plainDecimal(v.toString()) ?? v.toString(); // NaN / Infinity keep their spelling
  if (v instanceof Binary) return isUuidBinary(v) ? v.toUUID().toString() : binaryBytes(v);
  if (Array.isArray(v) || isPlainObject(v)) return bsonToJson(v);
  // Timestamp, RegExp, Code, MinKey, DBRef…: their relaxed Extended JSON, which keeps them recognisable.
  return BSON.EJSON.serialize(v, { relaxed: true }) as JsonValue;
}

/**
 * A BSON value as plain JSON, for json fields: nested BSON types take their neutral spelling
 * (ObjectId → hex, Date → ISO, Decimal128 → text, Long → decimal text, Binary → { $base64 }, UUID → text).
 */
export function bsonToJson(v: unknown): JsonValue {
  if (Array.isArray(v)) return v.map(bsonToJson);
  if (isPlainObject(v)) {
    const out: Record<string, JsonValue> = {};
    for (const k in v) if (v[k] !== undefined) out[k] = bsonToJson(v[k]);
    return out;
  }
  const n = bsonToNeutral(v);
  if (typeof n === 'bigint') return n.toString();
  if (Buffer.isBuffer(n)) return { $base64: n.toString('base64') };
  if (typeof n === 'number' && !Number.isFinite(n)) return String(n);
  return n as JsonValue;
}

/**
 * A field's value as read → the neutral value of its declared type. Values of another type than the
 * sample suggested pass through in their own neutral form: the target accepts or rejects them.
 */
export function readField(v: unknown, f: FieldSchema): Value {
  if (v === null || v === undefined) return null;
  if (f.type === 'json') return bsonToJson(v);
  return toDeclaredType(bsonToNeutral(v), v, f.type);
}

export interface WriteOptions {
  decimalAs: 'decimal128' | 'string' | 'double';
}

/** A neutral value → the BSON value stored for its declared type; throws (record rejected) when it does not convert. */
export function toBson(v: Value | undefined, f: FieldSchema, opts: WriteOptions): unknown {
  if (v === null || v === undefined) return undefined;
  switch (f.type) {
    case 'objectid':
      return ObjectId.createFromHexString(toObjectIdText(v));
    case 'int32':
      return new Int32(toInt32(v));
    case 'int64':
      return Long.fromBigInt(toInt64(v));
    case 'float64':
      return new Double(toFloat64(v));
    case 'decimal': {
      const text = toDecimalText(v);
      if (opts.decimalAs === 'string') return text;
      if (opts.decimalAs === 'double') return new Double(Number(text));
      return Decimal128.fromString(text);
    }
    case 'boolean':
      return toBoolean(v);
    case 'timestamptz':
      return new Date(toTimestamptzText(v)); // BSON dates hold milliseconds: microseconds are cut here
    case 'timestamp':
      return new Date(`${toTimestampText(v)}Z`);
    case 'date':
      return new Date(`${toDateText(v)}T00:00:00Z`);
    case 'uuid':
      return new UUID(toUuidText(v));
    case 'bytes':
      return new Binary(toBytes(v));
    case 'string':
      return typeof v === 'string' ? v : toText(v);
    case 'json':
      return jsonToBson(v, childrenOf(f), opts);
  }
}

/** A json value → BSON: plain JSON as is, except leaves of a described shape, which get their BSON type back. */
function jsonToBson(v: Value, children: FieldSchema[] | undefined, opts: WriteOptions): unknown {
  if (!children || !isPlainObject(v)) return v;
  const byName = new Map(children.map((c) => [c.name, c]));
  const out: Record<string, unknown> = {};
  for (const k in v) {
    const child = byName.get(k);
    const leaf = v[k] as Value;
    if (!child) out[k] = leaf;
    else {
      // Nested leaves use JSON spellings (int64 as text, bytes as { $base64 }): bring them to neutral first.
      const b = toBson(child.type === 'json' ? leaf : coerce(leaf, child.type), child, opts);
      if (b !== undefined) out[k] = b;
    }
  }
  return out;
}

/** Key types the connector can page, partition and upsert by. */
export const KEY_TYPES = new Set(['objectid', 'string', 'int32', 'int64', 'float64', 'decimal', 'uuid', 'timestamptz']);

/** A key as it travels through Temporal (JSON) → the BSON value to compare with. */
export function keyToBson(k: KeyValue, f: FieldSchema, opts: WriteOptions): unknown {
  if (f.type === 'int32' || f.type === 'float64') return Number(k);
  return toBson(k, f, opts);
}

/** A neutral key value → its JSON-safe form for cursors and bounds. */
export function keyValueOf(v: Value): KeyValue {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number' || typeof v === 'string') return v;
  throw new Error(`unsupported key value ${String(v)}`);
}
