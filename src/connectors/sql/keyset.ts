/** Keyset pagination SQL shared by the SQL connectors that quote identifiers with double quotes (PostgreSQL, SQLite). */
import { keyTupleOf, toKeyValue } from '../../model/keys';
import type { KeyRange, KeyValue, Row } from '../../model/types';

export const q = (ident: string) => `"${ident.replace(/"/g, '""')}"`;

/** Where a keyset read stopped: the last key value (one key column) or the last key tuple (composite key). */
export type KeyCursor = KeyValue | KeyValue[];

/** The endpoint's `key` as a list (a single column may be written as a string). */
export const keyList = (key: string | string[] | undefined): string[] | undefined => (key === undefined ? undefined : typeof key === 'string' ? [key] : key);

export const cursorOf = (row: Row, key: readonly string[]): KeyCursor => (key.length === 1 ? toKeyValue(row[key[0]!]) : keyTupleOf(row, key));

/**
 * One keyset page: rows of the range (on the leading key column: lower exclusive, upper inclusive) after
 * the cursor, in key order. A composite cursor compares as a row value, `(a, b) > ($1, $2)`, which
 * PostgreSQL answers from the primary key's index. `param` renders a value (a bind placeholder or a literal).
 */
export function pageQuery(
  table: string,
  cols: string,
  key: readonly string[],
  range: KeyRange,
  cursor: KeyCursor | null,
  limit: number,
  param: (v: KeyValue) => string,
): string {
  const lead = q(key[0]!);
  const where: string[] = [];
  if (cursor !== null) {
    const values = Array.isArray(cursor) ? cursor : [cursor];
    if (values.length !== key.length) throw new Error(`cursor has ${values.length} key value(s), the key has ${key.length} column(s)`);
    where.push(key.length === 1 ? `${lead} > ${param(values[0]!)}` : `(${key.map(q).join(', ')}) > (${values.map(param).join(', ')})`);
  }
  // The range's lower bound still applies after a cursor: a cursor never moves below it, so it only helps the planner.
  where.push(...rangeConditions(key, range, param));
  const order = key.map(q).join(', ');
  return `SELECT ${cols} FROM ${table}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order} LIMIT ${limit}`;
}

/** A range's bounds on the leading key column (lower exclusive, upper inclusive) as SQL conditions. */
export function rangeConditions(key: readonly string[], range: KeyRange, param: (v: KeyValue) => string): string[] {
  const lead = q(key[0]!);
  const where: string[] = [];
  if (range.lower !== null) where.push(`${lead} > ${param(range.lower)}`);
  if (range.upper !== null) where.push(`${lead} <= ${param(range.upper)}`);
  return where;
}
