/**
 * The incremental read's query for MongoDB: the same (cursor, key) semantics as the SQL connectors'
 * (src/connectors/sql/incremental.ts). A NULL or missing cursor field matches `{c: null}` and sorts first.
 */
import type { Document } from 'mongodb';
import { startOf, type IncrementalWindow } from '../../incremental/window';
import type { Cursor, KeyValue } from '../../model/types';
import { keysetCondition } from './keys';

export interface MongoTerms {
  /** Document path of the cursor field. */
  cursor: string;
  /** Document paths of the key fields, in key order. */
  key: readonly string[];
  /** A travelled cursor value → its BSON value (a Date for timestamptz). */
  cursorValue(v: KeyValue): unknown;
  /** Travelled key values → BSON values, in key order. */
  keyValues(values: KeyValue[]): unknown[];
}

export function incrementalCondition(window: IncrementalWindow, position: Cursor | null, t: MongoTerms): Document {
  const start = startOf(window, position);
  // $lte compares within one BSON type only, so it never matches NULL or missing cursors.
  const upper: Document = window.upTo === null ? { _id: { $exists: false } } : { [t.cursor]: { $lte: t.cursorValue(window.upTo) } };
  const isNull = { [t.cursor]: null };
  if (start === null) return window.includeNulls ? { $or: [isNull, upper] } : upper;
  if (start.key.length !== t.key.length) throw new Error(`watermark has ${start.key.length} key value(s), the key has ${t.key.length} field(s)`);
  const afterKey = keysetCondition(t.key, t.keyValues(start.key));
  if (start.cursor === null) return window.includeNulls ? { $or: [{ $and: [isNull, afterKey] }, upper] } : upper;
  const v = t.cursorValue(start.cursor);
  return { $and: [{ $or: [{ [t.cursor]: { $gt: v } }, { $and: [{ [t.cursor]: v }, afterKey] }] }, upper] };
}
