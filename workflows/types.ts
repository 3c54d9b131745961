import type { Cursor, KeyRange, ObjectSchema } from '../src/model/types';
import type { JobSpec } from '../src/job/job-spec';
import type { Digest, ValidationSummary } from '../src/validation/digest';
import type { DiffSummary, RepairSummary } from '../src/validation/diff-types';
import type { ValidationMode } from '../src/job/options';
import type { IncrementalPlan, Watermark } from '../src/incremental/window';
import type { KeyValue } from '../src/model/types';

/** mode incremental: where the run started and where it left the watermark. */
export interface WatermarkReport {
  from: Watermark | null;
  to: Watermark | null;
  /** The run's upper cursor bound (source clock minus lag, or the greatest integer cursor). */
  upTo: KeyValue | null;
  /** Source rows with a NULL cursor at the run's start. */
  nullRows: number;
  /** unchanged: the window held no rows; already: a retried advance found it done. */
  outcome: 'advanced' | 'already' | 'unchanged';
  /** Target rows deleted because the source marked them (incremental.softDelete). */
  deleted?: number;
}
import type { NotifyDelivery } from '../src/notify/payload';

/** A validation's outcome: the bucketed comparison, and (modes full and sample) the counts and reference of the diff list. */
export interface Validation extends ValidationSummary {
  /** Absent in runs recorded before modes existed (checksums). */
  mode?: ValidationMode;
  diff?: DiffSummary;
  /**
   * Validation pushdown, when both stores checksummed their rows themselves: the digest kind and its outcome.
   * On a match the digests above are the stores' own; on a mismatch they are the canonical re-check's.
   */
  pushdown?: { kind: string; status: 'match' | 'mismatch' };
}

/** What a repair did, and the validation that followed it. */
export interface RepairReport extends RepairSummary {
  validation: Validation;
}

export type Phase = 'preparing' | 'copying' | 'paused' | 'validating' | 'completed' | 'failed' | 'canceled';

export interface PartitionState {
  range: KeyRange;
  state: 'pending' | 'copying' | 'done';
  cursor: Cursor | null;
  rows: number;
  quarantined: number;
  /** Field values left out under `onUnknownField: drop` (absent in state recorded before it existed). */
  droppedFields?: number;
  /** Rows a `filter` step left out (absent when none were). */
  filtered?: number;
  /** Target rows deleted by incremental.softDelete (absent when none were). */
  deleted?: number;
  digest: Digest;
  chunks: number;
  /** Chunks that resumed from a heartbeat after their worker died or their attempt failed. */
  resumes: number;
  copyMs: number;
}

/** Everything a run carries across continue-as-new. Counts, cursors and digests only: never rows. */
export interface MigrationState {
  phase: Phase;
  paused: boolean;
  startedAt: number;
  prepareMs: number;
  copyStartedAt: number | null;
  copyMs: number;
  validateMs: number;
  /** targetObject is absent in runs planned before it existed. */
  plan: { sourceSchema: ObjectSchema; targetSchema: ObjectSchema; targetObject?: string; incremental?: IncrementalPlan } | null;
  partitions: PartitionState[];
  validation: Validation | { status: 'skipped' } | null;
  /** Set when `repair` ran after a mismatch (absent in runs recorded before repair existed). */
  repair?: RepairReport;
  continuedAsNew: number;
  /** mode incremental: set once the watermark was advanced (or found unchanged) after the copy. */
  watermark?: WatermarkReport;
}

export interface MigrationInput {
  spec: JobSpec;
  /** Set only by continue-as-new. */
  state?: MigrationState;
}

export interface PartitionProgress {
  id: number;
  state: PartitionState['state'];
  rows: number;
  estimatedRows: number | null;
  quarantined: number;
  rowsPerSecond: number;
  etaSeconds: number | null;
}

export interface MigrationProgress {
  job: string;
  phase: Phase;
  paused: boolean;
  rows: number;
  estimatedRows: number | null;
  quarantined: number;
  /** Source rows a `filter` step left out so far. */
  filtered: number;
  rowsPerSecond: number;
  etaSeconds: number | null;
  partitions: PartitionProgress[];
}

export interface MigrationReport {
  job: string;
  status: 'completed' | 'canceled';
  source: { type: string; object: string | null };
  target: { type: string; object: string | null };
  rows: number;
  quarantined: number;
  /** Field values that did not travel because onUnknownField is drop. */
  droppedFields: number;
  /** Source rows a `filter` step left out: read, not written, not expected by validation. */
  filtered: number;
  rowsPerSecond: number;
  /**
   * Digest of every row written during the copy (post-transform), merged over partitions; null with
   * `passthrough`, whose rows are never parsed (partition digests then stay empty).
   */
  copyDigest: Digest | null;
  partitions: {
    id: number;
    lower: KeyRange['lower'];
    upper: KeyRange['upper'];
    rows: number;
    quarantined: number;
    chunks: number;
    resumes: number;
    digest: Digest;
    done: boolean;
  }[];
  validation: MigrationState['validation'];
  /** Present when repair ran: what it re-copied and deleted, and the validation after it. */
  repair?: RepairReport;
  /** mode incremental: the watermark before and after this run. */
  incremental?: WatermarkReport;
  timings: { startedAt: string; prepareMs: number; copyMs: number; validateMs: number; totalMs: number };
  continuedAsNew: number;
  /** Present when the spec has webhooks for this outcome: what each delivery did (a failed one does not change the outcome). */
  notifications?: NotifyDelivery[];
}

export type { JobSpec };

export interface RepairWorkflowInput {
  spec: JobSpec;
  /** The migration whose diff list is repaired. */
  of: string;
  diff: DiffSummary;
}

export interface RepairWorkflowReport {
  job: string;
  of: string;
  repair: RepairReport;
}
