/**
 * Watermarks in the control store: one row per (job, source object, target object), because a schedule runs
 * the same named job again and again and each run must start where the last one that wrote stopped. They live
 * outside Temporal's history so they outlive workflow retention and a reset is one statement.
 */
import { DatamigratoError } from '../errors';
import { ensureTables, openControlDb, type ControlDb } from '../control/db';
import { lazyControlDb } from '../control/lazy';
import type { KeyValue } from '../model/types';
import type { Watermark, WatermarkId } from './window';

const DDL = [
  `CREATE TABLE IF NOT EXISTS $schema.watermark_incremental (
     job text NOT NULL, source_object text NOT NULL, target_object text NOT NULL,
     watermark jsonb NOT NULL, up_to jsonb, run_id text NOT NULL, rows bigint NOT NULL,
     updated_at timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (job, source_object, target_object))`,
];

export interface StoredWatermark extends WatermarkId {
  watermark: Watermark;
  /** The bound of the run that set it. */
  upTo: KeyValue | null;
  runId: string;
  /** Rows that run wrote. */
  rows: number;
  updatedAt: string;
}

interface DbRow {
  job: string;
  source_object: string;
  target_object: string;
  watermark: Watermark;
  up_to: KeyValue | null;
  run_id: string;
  rows: string;
  updated_at: Date;
}

const fromDb = (r: DbRow): StoredWatermark => ({
  job: r.job,
  source: r.source_object,
  target: r.target_object,
  watermark: r.watermark,
  upTo: r.up_to,
  runId: r.run_id,
  rows: Number(r.rows),
  updatedAt: r.updated_at.toISOString(),
});

const ready = (db: ControlDb) => ensureTables(db, 'watermarks', DDL);
const ID_WHERE = 'job = $1 AND source_object = $2 AND target_object = $3';
const idParams = (id: WatermarkId) => [id.job, id.source, id.target];

export async function readWatermark(db: ControlDb, id: WatermarkId): Promise<StoredWatermark | null> {
  await ready(db);
  const rows = await db.query<DbRow>(`SELECT * FROM $schema.watermark_incremental WHERE ${ID_WHERE}`, idParams(id));
  return rows[0] ? fromDb(rows[0]) : null;
}

export interface Advance {
  id: WatermarkId;
  /** The watermark the run started from: the advance happens only if it is still the stored one. */
  previous: Watermark | null;
  next: Watermark;
  upTo: KeyValue | null;
  runId: string;
  rows: number;
}

/**
 * Compare-and-set in one statement: another run that advanced the same watermark meanwhile makes this one
 * fail (its rows are written and idempotent, but its start no longer matches). A retry of the same run
 * that already advanced succeeds.
 */
export async function advanceWatermark(db: ControlDb, a: Advance): Promise<'advanced' | 'already'> {
  await ready(db);
  const values = [...idParams(a.id), JSON.stringify(a.next), JSON.stringify(a.upTo), a.runId, a.rows];
  const changed = a.previous
    ? await db.query(
        `UPDATE $schema.watermark_incremental SET watermark = $4::jsonb, up_to = $5::jsonb, run_id = $6, rows = $7, updated_at = now()
          WHERE ${ID_WHERE} AND watermark = $8::jsonb RETURNING 1`,
        [...values, JSON.stringify(a.previous)],
      )
    : await db.query(
        `INSERT INTO $schema.watermark_incremental (job, source_object, target_object, watermark, up_to, run_id, rows)
         VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6, $7) ON CONFLICT DO NOTHING RETURNING 1`,
        values,
      );
  if (changed.length) return 'advanced';
  const now = await readWatermark(db, a.id);
  if (now && now.runId === a.runId && sameWatermark(now.watermark, a.next)) return 'already';
  throw new DatamigratoError(
    'ConfigError',
    `watermark of job ${a.id.job} (${a.id.source} → ${a.id.target}) changed while this run copied (now ${now ? `set by run ${now.runId}` : 'reset'}); ` +
      'the rows are written, but the watermark was not advanced — run the job again',
  );
}

/** jsonb reorders object keys, so tuples are compared field by field. */
const sameWatermark = (a: Watermark, b: Watermark) => a.cursor === b.cursor && JSON.stringify(a.key) === JSON.stringify(b.key);

export async function listWatermarks(db: ControlDb, job: string): Promise<StoredWatermark[]> {
  await ready(db);
  const rows = await db.query<DbRow>(`SELECT * FROM $schema.watermark_incremental WHERE job = $1 ORDER BY source_object, target_object`, [job]);
  return rows.map(fromDb);
}

/** Forgets a job's watermarks: its next run copies everything again. Returns how many were removed. */
export async function resetWatermarks(db: ControlDb, job: string): Promise<number> {
  await ready(db);
  return (await db.query(`DELETE FROM $schema.watermark_incremental WHERE job = $1 RETURNING 1`, [job])).length;
}

const sharedControlDb = lazyControlDb(() => openControlDb());

/** Runs one operation on the process's control-store pool (opened, and its schema ensured, on first use). */
export async function withControlDb<T>(fn: (db: ControlDb) => Promise<T>): Promise<T> {
  return fn(await sharedControlDb());
}
