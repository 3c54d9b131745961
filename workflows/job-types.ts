import { workflowTypeOf } from '../src/job/kind';

/** Workflow type names for saved jobs; no workflow code here, so clients import it freely. */
export const SCHEDULED_JOB_WORKFLOW = 'scheduledJobWorkflow';

/** The workflow type that runs a spec: the many-object parent or the single-object migration (src/job/kind.ts). */
export const workflowTypeForSpec = (spec: unknown): string => workflowTypeOf(spec);
import type { ForeignKeyOutcome } from '../src/engine/foreign-keys';
import type { MultiJobSpec } from '../src/job/multi-spec';
import type { MigrationProgress } from './types';
import type { NotifyDelivery } from '../src/notify/payload';

/** A many-object job's parent workflow: its input, state, progress and report. Names and counts only, never rows. */

export interface JobInput {
  spec: MultiJobSpec;
  /** A retry: only these objects (source names) run; the others are reported as done by `retryOf`. */
  only?: string[];
  /** The job this run retries (its failed objects), for the report and the Web UI. */
  retryOf?: string;
}

export type ObjectStatus = 'pending' | 'running' | 'completed' | 'failed' | 'canceled' | 'skipped';

export interface ObjectState {
  /** The source object as reports name it: the object's identity in the job and in a retry. */
  name: string;
  target: string;
  /** The child migration's workflow id (its own progress, report, diff and repair). */
  workflowId: string;
  status: ObjectStatus;
  rows: number;
  quarantined: number;
  /** The child's final validation status (after its repair if one ran); null until it completed. */
  validation: string | null;
  sourceCount: number | null;
  targetCount: number | null;
  /** Why it failed, was canceled or skipped. */
  error?: string;
  ms: number;
}

export interface JobState {
  phase: 'preparing' | 'copying' | 'completed' | 'canceled';
  paused: boolean;
  startedAt: number;
  objects: ObjectState[];
  foreignKeys: ForeignKeyOutcome[] | null;
}

export interface ObjectProgress {
  name: string;
  target: string;
  workflowId: string;
  status: ObjectStatus;
  rows: number;
  estimatedRows: number | null;
  error?: string;
}

/**
 * The parent's `progress` answer. It has the single migration's shape (one "partition" per object) so every
 * progress view and the watch bars work unchanged; the parent knows finished objects' rows, and the client adds
 * running children's live rows by querying them (a workflow cannot query another).
 */
export interface JobProgress extends MigrationProgress {
  kind: 'job';
  objects: ObjectProgress[];
}

export interface JobReport {
  kind: 'job';
  job: string;
  /** failed: at least one object failed, was canceled, or validated as a mismatch (they are listed in `failed`). */
  status: 'completed' | 'failed' | 'canceled';
  source: { type: string; object: null };
  target: { type: string; object: null };
  rows: number;
  quarantined: number;
  rowsPerSecond: number;
  objects: ObjectState[];
  /** Source names of the objects a retry re-runs. */
  failed: string[];
  foreignKeys: ForeignKeyOutcome[] | null;
  retryOf?: string;
  timings: { startedAt: string; totalMs: number };
  /** Webhook deliveries of the job's outcome (spec `notify`), when it has any. */
  notifications?: NotifyDelivery[];
}
