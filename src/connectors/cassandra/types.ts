import { toDeclaredType } from '../../model/declared-type';
import { types } from 'cassandra-driver';
import { toJsonSafe } from '../../model/json-safe';
import type { FieldSchema, FieldType, JsonValue, Value } from '../../model/types';
import { toText } from '../../model/coerce';
import {
  formatDecimal,
  isPlainObject,
  parseDecimal,
  toBoolean,
  toBytes,
  toDateText,
  toDecimalText,
  toFloat64,
  toInt32,
  toInt64,
  toTimestampText,
  toTimestamptzText,
  toUuidText,
} from '../../model/values';

/**
 * CQL ⇄ neutral types.
 *   read:  ascii/text/varchar → string; tinyint/smallint/int → int32; bigint/counter → int64; varint → decimal;
 *          float/double → float64; decimal → decimal; boolean; timestamp → timestamptz; date → date;
 *          time/duration/inet → string; uuid/timeuuid → uuid; blob → bytes; collections, tuples, UDTs, vectors → json.
 *   write: string → text; int32 → int; int64 → bigint; float64 → double; decimal → decimal; boolean;
 *          timestamptz and timestamp → timestamp (milliseconds: finer fractions are cut); date → date; uuid → uuid;
 *          json → text (JSON); bytes → blob; objectid → text (24 hex).
 */

const SCALAR: Record<string, FieldType> = {
  ascii: 'string',
  text: 'string',
  varchar: 'string',
  tinyint: 'int32',
  smallint: 'int32',
  int: 'int32',
  bigint: 'int64',
  counter: 'int64',
  varint: 'decimal',
  float: 'float64',
  double: 'float64',
  decimal: 'decimal',
  boolean: 'boolean',
  timestamp: 'timestamptz',
  date: 'date',
  time: 'string',
  duration: 'string',
  inet: 'string',
  uuid: 'uuid',
  timeuuid: 'uuid',
  blob: 'bytes',
};

/** The outer type name of a CQL type expression: "frozen<list<int>>" → "list". */
export const baseCqlType = (cql: string): string => {
  const t = cql.trim().toLowerCase();
  const inner = /^frozen<(.*)>$/.exec(t);
  return (inner ? inner[1]! : t).replace(/<.*$/, '').trim();
};

export const neutralTypeOfCql = (cql: string): FieldType => SCALAR[baseCqlType(cql)] ?? 'json';

const NEUTRAL_TO_CQL: Record<FieldType, string> = {
  string: 'text',
  int32: 'int',
  int64: 'bigint',
  float64: 'double',
  decimal: 'decimal',
  boolean: 'boolean',
  timestamptz: 'timestamp',
  timestamp: 'timestamp',
  date: 'date',
  uuid: 'uuid',
  json: 'text',
  bytes: 'blob',
  objectid: 'text',
};

/** Built-in names only: a type naming a UDT of the source keyspace cannot be recreated elsewhere. */
const BUILTIN = new Set([...Object.keys(SCALAR), 'list', 'set', 'map', 'frozen', 'tuple']);

/** Column type for a field when creating a table; a Cassandra source's own type wins when it is built-in. */
export function cqlColumnType(f: FieldSchema): string {
  if (f.nativeOf === 'cassandra' && f.nativeType) {
    const names: string[] = f.nativeType.toLowerCase().match(/[a-z_]\w*/g) ?? [];
    if (names.every((n) => BUILTIN.has(n)) && !names.includes('counter')) return f.nativeType;
  }
  return NEUTRAL_TO_CQL[f.type];
}

/** Driver value classes whose toString() is their CQL literal text. */
const isDriverType = (v: object): boolean =>
  v instanceof types.Uuid ||
  v instanceof types.LocalDate ||
  v instanceof types.LocalTime ||
  v instanceof types.InetAddress ||
  v instanceof types.Duration ||
  v instanceof types.Integer;

/** BigDecimal text from its unscaled value and scale: the driver's toString mishandles negative scales ("15."). */
export function bigDecimalText(d: types.BigDecimal): string {
  const raw = d as unknown as { _intVal?: types.Integer; _scale?: number };
  if (raw._intVal === undefined || raw._scale === undefined) return toDecimalText(d.toString());
  const text = raw._intVal.toString();
  const negative = text.startsWith('-');
  let unscaled = negative ? text.slice(1) : text;
  let scale = raw._scale;
  if (scale < 0) {
    unscaled += '0'.repeat(-scale);
    scale = 0;
  }
  return formatDecimal({ negative: negative && /[1-9]/.test(unscaled), unscaled, scale });
}

/** A driver value with no schema context → neutral (collections become plain JSON). */
function driverToNeutral(v: unknown): Value {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'object') return v as Value;
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (v instanceof types.BigDecimal) return bigDecimalText(v);
  if (v instanceof types.Long) return BigInt(v.toString());
  if (isDriverType(v)) return String(v);
  if (v instanceof types.Tuple) return cqlToJson(v.values());
  return cqlToJson(v);
}

/** Collections, tuples and UDT values as plain JSON (bigints as text, bytes as { $base64 }, like toJsonSafe). */
export function cqlToJson(v: unknown): JsonValue {
  if (Array.isArray(v)) return v.map(cqlToJson);
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(driverToNeutral(k)), cqlToJson(x)]));
  if (v instanceof Set) return [...v].map(cqlToJson);
  if (isPlainObject(v)) {
    const out: Record<string, JsonValue> = {};
    for (const [k, x] of Object.entries(v)) out[k] = cqlToJson(x);
    return out;
  }
  return toJsonSafe(driverToNeutral(v));
}

/** A column value as read → the neutral value of the field's declared type. */
export function readCql(v: unknown, f: FieldSchema): Value {
  if (v === null || v === undefined) return null;
  if (f.type === 'json') {
    // json stored by this connector is JSON text; a collection read from a foreign table is converted.
    if (typeof v === 'string') {
      try {
        return JSON.parse(v) as JsonValue;
      } catch {
        return v;
      }
    }
    return cqlToJson(v);
  }
  return toDeclaredType(driverToNeutral(v), v, f.type);
}

export function toBigDecimal(v: unknown): types.BigDecimal {
  const p = parseDecimal(toDecimalText(v))!;
  const unscaled = types.Integer.fromString(`${p.negative ? '-' : ''}${p.unscaled}`);
  return new types.BigDecimal(unscaled as unknown as number, p.scale);
}

/**
 * A neutral value → what the driver binds for a column of the given CQL type (the column's real type,
 * so a pre-existing table with other types than we would have chosen still gets the right encoding).
 * Throws on values that do not convert: the record is rejected.
 */
export function toCql(v: Value | undefined, cqlType: string, declared: FieldType): unknown {
  if (v === null || v === undefined) return null;
  const base = baseCqlType(cqlType);
  switch (base) {
    case 'ascii':
    case 'text':
    case 'varchar':
      return declared === 'json' ? JSON.stringify(toJsonSafe(v)) : toText(v);
    case 'tinyint':
    case 'smallint':
    case 'int':
      return toInt32(v);
    case 'bigint':
    case 'counter':
      return toInt64(v);
    case 'varint': {
      const d = toDecimalText(v);
      if (d.includes('.')) throw new Error(`not an integer: ${d}`);
      return BigInt(d);
    }
    case 'float':
    case 'double':
      return toFloat64(v);
    case 'decimal':
      return toBigDecimal(v);
    case 'boolean':
      return toBoolean(v);
    case 'timestamp':
      if (declared === 'timestamp') return new Date(`${toTimestampText(v)}Z`);
      if (declared === 'date') return new Date(`${toDateText(v)}T00:00:00Z`);
      return new Date(toTimestamptzText(v));
    case 'date':
      return types.LocalDate.fromString(toDateText(v));
    case 'time':
      return types.LocalTime.fromString(String(v));
    case 'uuid':
      return types.Uuid.fromString(toUuidText(v));
    case 'timeuuid':
      return types.TimeUuid.fromString(toUuidText(v));
    case 'blob':
      return toBytes(v);
    case 'inet':
      return types.InetAddress.fromString(String(v));
    case 'duration':
      return types.Duration.fromString(String(v));
    default:
      // Collections and the like: JSON text is parsed; arrays and objects go to the driver as they are.
      if (typeof v === 'string' && declared !== 'string') {
        try {
          return JSON.parse(v);
        } catch {
          return v;
        }
      }
      return v;
  }
}
