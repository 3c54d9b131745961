import type { FieldSchema, KeyRange, KeyValue, Value } from '../../model/types';
import { toKeyValue } from '../../model/keys';
import { codecOf, toSqlLiteral, type Codec } from './types';

export const q = (ident: string) => `\`${ident.replace(/`/g, '``')}\``;

/** Where a keyset read stopped: the last key value (one key column) or the last key tuple (composite key). */
export type KeyCursor = KeyValue | KeyValue[];

/** The endpoint's `key` as a list (a single column may be written as a string). */
export const keyList = (key: string | string[] | undefined): string[] | undefined => (key === undefined ? undefined : typeof key === 'string' ? [key] : key);

/** A key value as it travels (JSON): bytes as hex, int64 and decimals as text, booleans as 0/1. */
export function keyValueOf(v: Value | undefined, codec: Codec): KeyValue {
  if (Buffer.isBuffer(v)) return v.toString('hex');
  if (typeof v === 'boolean') return v ? 1 : 0;
  return codec === 'int32' ? Number(v) : toKeyValue(v);
}

/** A travelled key value back to a value the literal encoder takes. */
function valueOfKey(kv: KeyValue, codec: Codec): Value {
  if (codec === 'bytes') return Buffer.from(String(kv), 'hex');
  if (codec === 'boolean' || codec === 'bitBoolean') return Number(kv) !== 0;
  return kv;
}

export type Escape = (v: string | Buffer) => string;

export const keyLiteral = (field: FieldSchema, kv: KeyValue, escape: Escape) => {
  const codec = codecOf(field);
  return toSqlLiteral(valueOfKey(kv, codec), codec, escape);
};

/**
 * "After this tuple" as MariaDB's range optimizer can use it. A row-value comparison `(a, b) > (x, y)` is
 * answered by a full index scan (EXPLAIN: type=index, possible_keys NULL, on MariaDB 10.11), so it is
 * expanded to `a >= x AND (a > x OR (a = x AND b > y))` (EXPLAIN: type=range on PRIMARY).
 */
export function afterTuple(keyFields: FieldSchema[], cursor: KeyValue[], escape: Escape): string {
  const cols = keyFields.map((f) => q(f.name));
  const lits = keyFields.map((f, i) => keyLiteral(f, cursor[i]!, escape));
  if (keyFields.length === 1) return `${cols[0]} > ${lits[0]}`;
  const alternatives = keyFields.map((_, i) => [...cols.slice(0, i).map((c, j) => `${c} = ${lits[j]}`), `${cols[i]} > ${lits[i]}`].join(' AND '));
  return `${cols[0]} >= ${lits[0]} AND (${alternatives.map((a) => `(${a})`).join(' OR ')})`;
}

/**
 * One keyset page: rows of the range (on the leading key column: lower exclusive, upper inclusive) after
 * the cursor, in key order. Values are inlined as escaped literals (the text protocol; no prepared statements).
 */
export function pageQuery(
  table: string,
  cols: string,
  keyFields: FieldSchema[],
  range: KeyRange,
  cursor: KeyCursor | null,
  limit: number,
  escape: Escape,
): string {
  const lead = keyFields[0]!;
  const where: string[] = [];
  if (cursor !== null) {
    const values = Array.isArray(cursor) ? cursor : [cursor];
    if (values.length !== keyFields.length) throw new Error(`cursor has ${values.length} key value(s), the key has ${keyFields.length} column(s)`);
    where.push(afterTuple(keyFields, values, escape));
  }
  if (range.lower !== null) where.push(`${q(lead.name)} > ${keyLiteral(lead, range.lower, escape)}`);
  if (range.upper !== null) where.push(`${q(lead.name)} <= ${keyLiteral(lead, range.upper, escape)}`);
  const order = keyFields.map((f) => q(f.name)).join(', ');
  return `SELECT ${cols} FROM ${table}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order} LIMIT ${limit}`;
}
