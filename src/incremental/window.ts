/**
 * The incremental read's vocabulary, free of zod and drivers so workflows, the engine and connectors share it.
 * A watermark is a (cursor, key) tuple, not a cursor value alone: many rows may share one cursor value
 * (a bulk update stamps 10,000 rows with the same updated_at), and a batch boundary can fall among them.
 * Reading `cursor > v OR (cursor = v AND key > k)` in (cursor, key) order neither repeats nor skips them.
 */
import type { Cursor, KeyValue } from '../model/types';

/** The last (cursor, key) tuple read; `cursor` is null while a first run is still among the NULL-cursor rows. */
export type Watermark = { cursor: KeyValue | null; key: KeyValue[] };

export interface IncrementalWindow {
  cursorField: string;
  /** Start strictly after this tuple (the stored watermark); null = from the first row. */
  after: Watermark | null;
  /**
   * Inclusive upper bound on the cursor, fixed at the run's start from the source's clock (minus the lag) or
   * the greatest integer cursor; null when the source has no non-NULL cursor (nothing above NULLs to read).
   */
  upTo: KeyValue | null;
  /** Read the rows whose cursor is NULL too (they sort first). */
  includeNulls: boolean;
}

/** Which watermark a run reads and advances: a named job runs again and again between the same two objects. */
export interface WatermarkId {
  job: string;
  /** `<type>:<object>` of each end. */
  source: string;
  target: string;
}

/** What planning fixed for an incremental run; carried in the workflow's state (no rows, no secrets). */
export interface IncrementalPlan {
  id: WatermarkId;
  /** The stored watermark at the run's start (the advance compares against it). */
  previous: Watermark | null;
  window: IncrementalWindow;
  /** Source rows with a NULL cursor at planning time (what nullCursor decided about). */
  nullRows: number;
}

export function isWatermark(c: Cursor | null | undefined): c is Watermark {
  return typeof c === 'object' && c !== null && !Array.isArray(c) && Array.isArray((c as { key?: unknown }).key) && 'cursor' in c;
}

/** Where a read resumes: inside the run its own position, else the stored watermark. */
export const startOf = (window: IncrementalWindow, position: Cursor | null): Watermark | null => (isWatermark(position) ? position : window.after);
