import type { Client } from '@temporalio/client';
import type { ControlDb } from '../src/control/db';
import { deleteJob, listJobs, listVersions, loadJob, saveJob, type SavedJob, type SavedJobSummary, type SavedJobVersion } from '../src/control/saved-jobs';
import { openControlDb } from '../src/control/db';
import type { AnyJobSpec as JobSpec } from '../src/job/multi-spec';
import { startAny, validateAnySpec } from './jobs';
import { JOB_NAME_PATTERN, JOB_NAME_RULE } from '../src/names';
import { ControlStoreUnavailableError, SavedJobNotFoundError } from './control-errors';
import { InvalidRequestError, InvalidSpecError } from './errors';
import type { StartResult } from './migrations';
import { specHash, type ConnectorRoles } from './spec';

/**
 * Saved job definitions over the control store — what `PUT /jobs/:name` and `datamigrato job save` do.
 * They live in PostgreSQL, not in Temporal or one API's memory, so every API instance, the CLI and the
 * workers (a schedule loads the job at run time) see the same versions, and they outlive any workflow.
 */

export type { SavedJob, SavedJobSummary, SavedJobVersion };

/** Opens the control store, turning a missing DATAMIGRATO_CONTROL_URL or a dead server into a 503. */
export async function openControlStore(env: NodeJS.ProcessEnv = process.env): Promise<ControlDb> {
  try {
    return await openControlDb(env);
  } catch (err) {
    throw new ControlStoreUnavailableError(`control store unavailable: ${(err as Error).message.replace(/postgres(ql)?:\/\/[^\s]+/gi, '<url>')}`);
  }
}

export function checkJobName(name: string, path = 'name'): void {
  if (!JOB_NAME_PATTERN.test(name)) throw new InvalidRequestError([{ path, message: `a job name: ${JOB_NAME_RULE}` }], 'invalid job name');
}

/** The spec to store under `name`: its own `name` may be left out (it is filled in) but must not differ. */
export function specForJob(name: string, input: unknown, connectors?: readonly ConnectorRoles[]): JobSpec {
  checkJobName(name);
  let body = input;
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const given = (body as { name?: unknown }).name;
    if (given === undefined) body = { ...body, name };
    else if (given !== name) throw new InvalidSpecError([{ path: 'name', message: `must be "${name}" (the job's name in the URL) or left out` }]);
  }
  const checked = validateAnySpec(body, { connectors });
  if (!checked.ok) throw new InvalidSpecError(checked.issues);
  return checked.spec;
}

export interface SaveResult {
  name: string;
  version: number;
  /** false when the spec equals the latest version (no new version). */
  created: boolean;
  specHash: string;
}

export async function saveJobDefinition(db: ControlDb, name: string, input: unknown, connectors?: readonly ConnectorRoles[]): Promise<SaveResult> {
  const spec = specForJob(name, input, connectors);
  const hash = specHash(spec);
  const r = await saveJob(db, name, spec, hash);
  return { name, ...r, specHash: hash };
}

export async function getJobDefinition(db: ControlDb, name: string, version?: number): Promise<SavedJob> {
  checkJobName(name);
  const job = await loadJob(db, name, version);
  if (!job) throw new SavedJobNotFoundError(name, version);
  return job;
}

export const listJobDefinitions = (db: ControlDb): Promise<SavedJobSummary[]> => listJobs(db);

export async function listJobVersions(db: ControlDb, name: string): Promise<SavedJobVersion[]> {
  checkJobName(name);
  const versions = await listVersions(db, name);
  if (!versions.length) throw new SavedJobNotFoundError(name);
  return versions;
}

export async function deleteJobDefinition(db: ControlDb, name: string): Promise<void> {
  checkJobName(name);
  if (!(await deleteJob(db, name))) throw new SavedJobNotFoundError(name);
}

/** Starts the latest version as a migration, exactly like POST /migrations with that spec. */
export async function runSavedJob(
  db: ControlDb,
  client: Client,
  name: string,
  opts: { taskQueue: string; id?: string; connectors?: readonly ConnectorRoles[] },
): Promise<StartResult & { version: number }> {
  const job = await getJobDefinition(db, name);
  const checked = validateAnySpec(job.spec, { connectors: opts.connectors });
  if (!checked.ok) throw new InvalidSpecError(checked.issues);
  const started = await startAny(client, checked, opts);
  return { ...started, version: job.version };
}
