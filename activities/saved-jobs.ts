import { parseJobSpec } from '../src/job/job-spec';
import { isMultiObjectInput, parseMultiJobSpec, type AnyJobSpec as JobSpec } from '../src/job/multi-spec';
import type { ControlDb } from '../src/control/db';
import { loadJob } from '../src/control/saved-jobs';
import { configError } from '../src/errors';
import { adapt } from './failures';

export interface SavedJobDeps {
  /** Opened on first use and kept for the process: workers without scheduled jobs never need the control store. */
  controlDb: () => Promise<ControlDb>;
}

export interface LoadedJob {
  name: string;
  version: number;
  spec: JobSpec;
}

/** `loadSavedJob`: the latest saved version of a job, re-validated with this worker's schema. */
export function createSavedJobActivities(deps: SavedJobDeps) {
  return {
    async loadSavedJob(name: string): Promise<LoadedJob> {
      return adapt(async () => {
        const job = await loadJob(await deps.controlDb(), name);
        if (!job) throw configError(`no saved job named "${name}" (was it deleted? the schedule still refers to it)`);
        // Saved by an older or newer API: parse again so the child gets this worker's defaults, or a clear error.
        const parsed = isMultiObjectInput(job.spec) ? parseMultiJobSpec(job.spec) : parseJobSpec(job.spec);
        if (!parsed.ok)
          throw configError(`saved job "${name}" v${job.version} is no longer valid: ${parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
        return { name, version: job.version, spec: parsed.spec };
      });
    },
  };
}
