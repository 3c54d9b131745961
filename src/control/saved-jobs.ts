import type { AnyJobSpec as JobSpec } from '../job/multi-spec';
import { ensureTables, type ControlDb } from './db';

/**
 * Saved job definitions: a name → versions of a validated spec (secret references only — the spec
 * parser refuses literal credentials before anything is stored). Each save that changes the spec adds a
 * version; saving the same spec again (same hash of the parsed spec) adds nothing.
 */

const DDL = [
  `CREATE TABLE IF NOT EXISTS $schema.saved_job (
     name text PRIMARY KEY,
     latest_version integer NOT NULL,
     created_at timestamptz NOT NULL DEFAULT now(),
     updated_at timestamptz NOT NULL DEFAULT now())`,
  `CREATE TABLE IF NOT EXISTS $schema.saved_job_version (
     name text NOT NULL REFERENCES $schema.saved_job(name) ON DELETE CASCADE,
     version integer NOT NULL,
     spec jsonb NOT NULL,
     spec_hash text NOT NULL,
     created_at timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (name, version))`,
];

export interface SavedJobVersion {
  name: string;
  version: number;
  specHash: string;
  createdAt: string;
}

export interface SavedJob extends SavedJobVersion {
  spec: JobSpec;
}

export interface SavedJobSummary {
  name: string;
  latestVersion: number;
  createdAt: string;
  updatedAt: string;
}

const ready = (db: ControlDb) => ensureTables(db, 'saved_job', DDL);
const iso = (v: unknown) => new Date(v as string).toISOString();

type VersionRow = { name: string; version: number; spec_hash: string; created_at: Date; spec?: JobSpec };
const toVersion = (r: VersionRow): SavedJobVersion => ({ name: r.name, version: r.version, specHash: r.spec_hash, createdAt: iso(r.created_at) });

/**
 * Stores `spec` under `name`. The job row is locked (FOR UPDATE after an upsert) so two concurrent saves
 * of one name get versions n+1 and n+2, never both n+1.
 */
export async function saveJob(db: ControlDb, name: string, spec: JobSpec, hash: string): Promise<{ version: number; created: boolean }> {
  await ready(db);
  return db.transaction(async (q) => {
    await q(`INSERT INTO $schema.saved_job (name, latest_version) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING`, [name]);
    const [job] = await q<{ latest_version: number }>(`SELECT latest_version FROM $schema.saved_job WHERE name = $1 FOR UPDATE`, [name]);
    const latest = job!.latest_version;
    if (latest > 0) {
      const [row] = await q<{ spec_hash: string }>(`SELECT spec_hash FROM $schema.saved_job_version WHERE name = $1 AND version = $2`, [name, latest]);
      if (row?.spec_hash === hash) return { version: latest, created: false };
    }
    const version = latest + 1;
    await q(`INSERT INTO $schema.saved_job_version (name, version, spec, spec_hash) VALUES ($1, $2, $3, $4)`, [name, version, JSON.stringify(spec), hash]);
    await q(`UPDATE $schema.saved_job SET latest_version = $2, updated_at = now() WHERE name = $1`, [name, version]);
    return { version, created: true };
  });
}

/** The latest version, or the one asked for; null when the job (or that version) does not exist. */
export async function loadJob(db: ControlDb, name: string, version?: number): Promise<SavedJob | null> {
  await ready(db);
  const rows = await db.query<VersionRow>(
    version === undefined
      ? `SELECT v.* FROM $schema.saved_job j JOIN $schema.saved_job_version v ON v.name = j.name AND v.version = j.latest_version WHERE j.name = $1`
      : `SELECT * FROM $schema.saved_job_version WHERE name = $1 AND version = $2`,
    version === undefined ? [name] : [name, version],
  );
  const r = rows[0];
  return r ? { ...toVersion(r), spec: r.spec! } : null;
}

export async function listJobs(db: ControlDb): Promise<SavedJobSummary[]> {
  await ready(db);
  const rows = await db.query<{ name: string; latest_version: number; created_at: Date; updated_at: Date }>(
    `SELECT * FROM $schema.saved_job WHERE latest_version > 0 ORDER BY name`,
  );
  return rows.map((r) => ({ name: r.name, latestVersion: r.latest_version, createdAt: iso(r.created_at), updatedAt: iso(r.updated_at) }));
}

/** Newest first; empty when the job does not exist. */
export async function listVersions(db: ControlDb, name: string): Promise<SavedJobVersion[]> {
  await ready(db);
  const rows = await db.query<VersionRow>(`SELECT name, version, spec_hash, created_at FROM $schema.saved_job_version WHERE name = $1 ORDER BY version DESC`, [
    name,
  ]);
  return rows.map(toVersion);
}

/** Deletes the job and all its versions; false when there was none. */
export async function deleteJob(db: ControlDb, name: string): Promise<boolean> {
  await ready(db);
  const rows = await db.query(`DELETE FROM $schema.saved_job WHERE name = $1 RETURNING name`, [name]);
  return rows.length > 0;
}
