import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { FieldSchema, FieldType, JsonValue, ObjectSchema, Row, Value } from '../../model/types';
import {
  describeValue,
  isPlainObject,
  parseDecimal,
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
 * Neutral values ↔ DynamoDB attribute values, as data-driven as the store allows. Pure (type-only SDK
 * import), so the mapping is unit-tested without a server.
 *   write: string-like types (timestamps, dates, uuids, ObjectIds too) → S, int32/int64/float64/decimal → N
 *   (exact decimal text), boolean → BOOL, bytes → B, json → M/L/S/N/BOOL/NULL recursively ({ $base64 } → B),
 *   a json array whose field says nativeType SS/NS/BS → that set. Null → attribute left out.
 *   read: N is decimal text until the declared field type says otherwise (int64 → bigint, …); inside json,
 *   N becomes a JS number only when that number is exact, else it stays text.
 */

export type Item = Record<string, AttributeValue>;
export const NATIVE_OF = 'dynamodb';
export const SET_TYPES = new Set(['SS', 'NS', 'BS']);

/** DynamoDB numbers: at most 38 significant digits, magnitude 1E-130 ≤ |n| < 1E+126. */
export function toNumberText(v: unknown): string {
  const text = toDecimalText(typeof v === 'number' && !Number.isFinite(v) ? fail(`${v} is not storable in DynamoDB`) : v);
  const p = parseDecimal(text)!;
  const significant = p.unscaled.replace(/^0+/, '').replace(/0+$/, '');
  if (significant === '') return '0';
  if (significant.length > 38)
    throw new Error(`${text.length > 50 ? `${text.slice(0, 50)}…` : text} has ${significant.length} significant digits; DynamoDB numbers keep at most 38`);
  const exponent = p.unscaled.replace(/^0+/, '').length - p.scale - 1; // position of the leading digit
  if (exponent >= 126 || exponent < -130) throw new Error(`${describeValue(v)} is outside DynamoDB's number range (1E-130 .. 9.9E+125)`);
  return text;
}

const fail = (message: string): never => {
  throw new Error(message);
};

/** The attribute value of a JSON value (a field of type json, or a nested value). */
export function jsonToAttr(v: unknown, shape?: FieldSchema): AttributeValue {
  if (v === null || v === undefined) return { NULL: true };
  if (shape?.nativeOf === NATIVE_OF && SET_TYPES.has(shape.nativeType ?? '') && Array.isArray(v) && v.length > 0) return setOf(shape.nativeType!, v);
  if (typeof v === 'string') return { S: v };
  if (typeof v === 'boolean') return { BOOL: v };
  if (typeof v === 'number' || typeof v === 'bigint') return { N: toNumberText(v) };
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return { B: Buffer.from(v) };
  if (Array.isArray(v)) return { L: v.map((x) => jsonToAttr(x)) };
  if (isPlainObject(v)) {
    if (typeof v.$base64 === 'string' && Object.keys(v).length === 1) return { B: toBytes(v) };
    const children = new Map((shape?.fields ?? []).map((f) => [f.name, f]));
    const M: Item = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) M[k] = jsonToAttr(x, children.get(k));
    return { M };
  }
  throw new Error(`not a JSON value: ${describeValue(v)}`);
}

function setOf(type: string, values: unknown[]): AttributeValue {
  const unique = <T>(xs: T[], key: (x: T) => string) => [...new Map(xs.map((x) => [key(x), x])).values()];
  switch (type) {
    case 'SS':
      return {
        SS: unique(
          values.map((x) => (typeof x === 'string' ? x : fail(`a string set holds ${describeValue(x)}`))),
          (x) => x,
        ),
      };
    case 'NS':
      return { NS: unique(values.map(toNumberText), (x) => plainDecimal(x)!) };
    default:
      return {
        BS: unique(
          values.map((x) => toBytes(x)),
          (x) => x.toString('base64'),
        ),
      };
  }
}

/** How each neutral type is written: null/undefined values are left out by the caller. */
const WRITERS: Record<FieldType, (v: Value, f: FieldSchema) => AttributeValue> = {
  string: (v) => ({ S: typeof v === 'string' ? v : fail(`not a string: ${describeValue(v)}`) }),
  int32: (v) => ({ N: String(toInt32(v)) }),
  int64: (v) => ({ N: toInt64(v).toString() }),
  float64: (v) => ({ N: toNumberText(toFloat64(v)) }),
  decimal: (v) => ({ N: toNumberText(v) }),
  boolean: (v) => ({ BOOL: toBoolean(v) }),
  timestamptz: (v) => ({ S: toTimestamptzText(v) }),
  timestamp: (v) => ({ S: toTimestampText(v) }),
  date: (v) => ({ S: toDateText(v) }),
  uuid: (v) => ({ S: toUuidText(v) }),
  objectid: (v) => ({ S: toObjectIdText(v) }),
  bytes: (v) => ({ B: toBytes(v) }),
  json: (v, f) => jsonToAttr(v, f),
};

/** The attribute value of one field's value, or undefined for null (DynamoDB items leave absent attributes out). */
export function toAttr(v: Value | undefined, f: FieldSchema): AttributeValue | undefined {
  if (v === null || v === undefined) return undefined;
  return WRITERS[f.type](v, f);
}

/** Decimal text → a JS number when the number is exactly that value (1.5, 42), else the text itself. */
function exactNumber(text: string): number | string {
  const n = Number(text);
  return Number.isFinite(n) && plainDecimal(String(n)) === plainDecimal(text) ? n : (plainDecimal(text) ?? text);
}

/** An attribute value as JSON: maps → objects, lists and sets → arrays, binary → { $base64 }. */
export function attrToJson(a: AttributeValue): JsonValue {
  if (a.S !== undefined) return a.S;
  if (a.N !== undefined) return exactNumber(a.N);
  if (a.BOOL !== undefined) return a.BOOL;
  if (a.NULL !== undefined) return null;
  if (a.B !== undefined) return { $base64: Buffer.from(a.B).toString('base64') };
  if (a.M !== undefined) return Object.fromEntries(Object.entries(a.M).map(([k, x]) => [k, attrToJson(x)]));
  if (a.L !== undefined) return a.L.map(attrToJson);
  if (a.SS !== undefined) return [...a.SS];
  if (a.NS !== undefined) return a.NS.map(exactNumber);
  if (a.BS !== undefined) return a.BS.map((b) => ({ $base64: Buffer.from(b).toString('base64') }));
  throw new Error(`unknown attribute value ${Object.keys(a).join(',')}`);
}

/** The attribute's type letter (S, N, B, BOOL, NULL, M, L, SS, NS, BS). */
export const attrType = (a: AttributeValue): string => Object.keys(a).find((k) => (a as unknown as Record<string, unknown>)[k] !== undefined) ?? '?';

const expect = (a: AttributeValue, type: string, f: FieldSchema) =>
  attrType(a) === type ? a : fail(`${f.name}: a ${attrType(a)} attribute where the schema says ${f.type} (${type})`);

/** How each declared type is read back: the attribute's own type must match, then the value is brought to the neutral form. */
const READERS: Record<FieldType, (a: AttributeValue, f: FieldSchema) => Value> = {
  string: (a, f) => expect(a, 'S', f).S!,
  int32: (a, f) => toInt32(expect(a, 'N', f).N!),
  int64: (a, f) => toInt64(plainDecimal(expect(a, 'N', f).N!) ?? ''),
  float64: (a, f) => toFloat64(expect(a, 'N', f).N!),
  decimal: (a, f) => plainDecimal(expect(a, 'N', f).N!) ?? fail(`${f.name}: not a number: ${a.N}`),
  boolean: (a, f) => expect(a, 'BOOL', f).BOOL!,
  timestamptz: (a, f) => toTimestamptzText(expect(a, 'S', f).S!),
  timestamp: (a, f) => toTimestampText(expect(a, 'S', f).S!),
  date: (a, f) => toDateText(expect(a, 'S', f).S!),
  uuid: (a, f) => toUuidText(expect(a, 'S', f).S!),
  objectid: (a, f) => toObjectIdText(expect(a, 'S', f).S!),
  bytes: (a, f) => Buffer.from(expect(a, 'B', f).B!),
  json: (a) => attrToJson(a),
};

/** One field's neutral value from its attribute (absent or NULL → null); throws when the attribute does not fit the type. */
export function fromAttr(a: AttributeValue | undefined, f: FieldSchema): Value {
  if (a === undefined || a.NULL !== undefined) return null;
  try {
    return READERS[f.type](a, f);
  } catch (err) {
    const m = (err as Error).message;
    throw new Error(m.startsWith(`${f.name}:`) ? m : `${f.name}: ${m}`);
  }
}

/** The key attributes an item is addressed by. */
export const keyTypeOf = (t: FieldType): 'S' | 'N' | 'B' =>
  t === 'int32' || t === 'int64' || t === 'float64' || t === 'decimal'
    ? 'N'
    : t === 'bytes'
      ? 'B'
      : t === 'json' || t === 'boolean'
        ? fail(`a ${t} field cannot be a DynamoDB key attribute (S, N or B only)`)
        : 'S';

/**
 * The item a row is written as. The unknown-field carrier (`_extra`, under onUnknownField: json) spreads
 * back into top-level attributes, as the source item had them; a name the schema also has is refused.
 */
export function itemOf(schema: ObjectSchema, row: Row, tableKey: readonly string[]): Item {
  const item: Item = {};
  const extra = schema.unknownFields?.policy === 'json' ? schema.unknownFields.field : null;
  for (const f of schema.fields) {
    if (f.name === extra && isPlainObject(row[f.name])) continue;
    let a: AttributeValue | undefined;
    try {
      a = toAttr(row[f.name], f);
    } catch (err) {
      throw new Error(`${f.name}: ${(err as Error).message}`);
    }
    if (a !== undefined) item[f.name] = a;
  }
  if (extra && isPlainObject(row[extra])) {
    const taken = new Set(schema.fields.map((f) => f.name));
    const clashes = Object.keys(row[extra] as object).filter((k) => taken.has(k));
    if (clashes.length) throw new Error(`${extra} holds ${clashes.join(', ')}, which the schema also has as field(s): cannot spread it into the item`);
    for (const [k, v] of Object.entries(row[extra] as Record<string, unknown>)) if (v !== undefined) item[k] = jsonToAttr(v);
  }
  for (const k of tableKey) {
    const a = item[k];
    if (!a) throw new Error(`key attribute ${k} is null`);
    if (!['S', 'N', 'B'].includes(attrType(a))) throw new Error(`key attribute ${k} is a ${attrType(a)}; DynamoDB keys are S, N or B`);
    if ((a.S ?? '') === '' && a.S !== undefined) throw new Error(`key attribute ${k} is an empty string`);
  }
  return item;
}

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

/** Bytes of a number as DynamoDB counts them: about one byte per two significant digits, plus one. */
function numberBytes(text: string): number {
  const p = parseDecimal(text);
  const digits = p ? p.unscaled.replace(/^0+/, '').replace(/0+$/, '').length || 1 : text.length;
  return Math.ceil(digits / 2) + 1;
}

/** An attribute value's size as DynamoDB counts it (documented item-size rules). */
export function valueBytes(a: AttributeValue): number {
  if (a.S !== undefined) return utf8(a.S);
  if (a.N !== undefined) return numberBytes(a.N);
  if (a.B !== undefined) return a.B.length;
  if (a.BOOL !== undefined || a.NULL !== undefined) return 1;
  if (a.SS !== undefined) return a.SS.reduce((n, s) => n + utf8(s), 0);
  if (a.NS !== undefined) return a.NS.reduce((n, s) => n + numberBytes(s), 0);
  if (a.BS !== undefined) return a.BS.reduce((n, b) => n + b.length, 0);
  // Maps and lists: 3 bytes of overhead, 1 byte per element, plus names (maps) and values.
  if (a.L !== undefined) return 3 + a.L.reduce((n, x) => n + 1 + valueBytes(x), 0);
  if (a.M !== undefined) return 3 + Object.entries(a.M).reduce((n, [k, x]) => n + 1 + utf8(k) + valueBytes(x), 0);
  return 0;
}

/** The item's size as DynamoDB counts it against the 400 KB limit: attribute names plus values. */
export const itemBytes = (item: Item): number => Object.entries(item).reduce((n, [k, a]) => n + utf8(k) + valueBytes(a), 0);

/** A key (LastEvaluatedKey) as JSON for a cursor: binary as base64 text. */
export function keyToCursor(key: Item): { [k: string]: JsonValue } {
  const out: { [k: string]: JsonValue } = {};
  for (const [k, a] of Object.entries(key))
    out[k] = a.B !== undefined ? { B: Buffer.from(a.B).toString('base64') } : a.N !== undefined ? { N: a.N } : { S: a.S ?? '' };
  return out;
}

export function cursorToKey(cursor: unknown): Item {
  if (!isPlainObject(cursor)) throw new Error(`not a DynamoDB cursor: ${describeValue(cursor)}`);
  const out: Item = {};
  for (const [k, v] of Object.entries(cursor)) {
    const a = v as { S?: string; N?: string; B?: string };
    out[k] =
      typeof a.B === 'string'
        ? { B: Buffer.from(a.B, 'base64') }
        : typeof a.N === 'string'
          ? { N: a.N }
          : typeof a.S === 'string'
            ? { S: a.S }
            : fail(`bad cursor attribute ${k}`);
  }
  return out;
}

/** The key part of an item (what ExclusiveStartKey takes). */
export const keyOfItem = (item: Item, tableKey: readonly string[]): Item => Object.fromEntries(tableKey.map((k) => [k, item[k]!]));
