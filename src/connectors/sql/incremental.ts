/**
 * The incremental page query shared by the SQL connectors; each passes its own quoting, literals and
 * "key tuple after" expression (PostgreSQL row values, MariaDB's range-friendly expansion).
 */
import { configError } from '../../errors';
import { startOf, type IncrementalWindow, type Watermark } from '../../incremental/window';
import { keyTupleOf, toKeyValue } from '../../model/keys';
import type { Cursor, FieldSchema, KeyValue, Row } from '../../model/types';

export interface SqlTerms {
  /** The quoted cursor column. */
  cursor: string;
  /** The quoted key columns, in key order. */
  key: string[];
  /** A cursor value rendered for the statement (a bind placeholder or an escaped literal). */
  cursorValue(v: KeyValue): string;
  /** `key tuple > values`, rendered. */
  keyAfter(values: KeyValue[]): string;
  /** How this dialect sorts NULLs first ascending (PostgreSQL sorts them last unless told). */
  nullsFirst: string;
}

/**
 * Rows of the window after its start in (cursor, key) order. The start is the run's own position or the
 * watermark; the upper bound always applies, so rows committed after the run began wait for the next run.
 */
export function incrementalWhere(window: IncrementalWindow, position: Cursor | null, t: SqlTerms): string {
  const start: Watermark | null = startOf(window, position);
  const upper = window.upTo === null ? 'FALSE' : `${t.cursor} <= ${t.cursorValue(window.upTo)}`;
  if (start === null) return window.includeNulls ? `(${t.cursor} IS NULL OR ${upper})` : upper;
  if (start.key.length !== t.key.length) throw new Error(`watermark has ${start.key.length} key value(s), the key has ${t.key.length} column(s)`);
  if (start.cursor === null) return window.includeNulls ? `((${t.cursor} IS NULL AND ${t.keyAfter(start.key)}) OR ${upper})` : upper;
  const v = t.cursorValue(start.cursor);
  // `c >= v` first: an index on (cursor, key) answers it as a range scan; the OR alone would not be.
  return `${t.cursor} >= ${v} AND (${t.cursor} > ${v} OR (${t.cursor} = ${v} AND ${t.keyAfter(start.key)})) AND ${upper}`;
}

export function incrementalPageQuery(from: string, cols: string, window: IncrementalWindow, position: Cursor | null, limit: number, t: SqlTerms): string {
  const order = [`${t.cursor}${t.nullsFirst}`, ...t.key].join(', ');
  return `SELECT ${cols} FROM ${from} WHERE ${incrementalWhere(window, position, t)} ORDER BY ${order} LIMIT ${limit}`;
}

/** How a run's upper bound is taken for a cursor type: the clock (minus the lag) for times, the maximum for integers. */
export type BoundKind = 'timestamptz' | 'timestamp' | 'max';

export function boundKindOf(field: FieldSchema | undefined, cursorField: string, connector: string): BoundKind {
  if (!field) throw configError(`incremental.cursorField: "${cursorField}" is not a field of the source`, connector);
  if (field.type === 'timestamptz' || field.type === 'timestamp') return field.type;
  if (field.type === 'int32' || field.type === 'int64') return 'max';
  throw configError(
    `incremental.cursorField: "${cursorField}" is ${field.type}; a cursor must be a timestamp, timestamptz, or integer field that every write advances`,
    connector,
  );
}

/** The watermark a batch ends at: its last row's (cursor, key). */
export const watermarkOfRow = (row: Row, cursorField: string, key: readonly string[]): Watermark => {
  const c = row[cursorField];
  return { cursor: c === null || c === undefined ? null : toKeyValue(c), key: keyTupleOf(row, key) };
};
