import { Context } from '@temporalio/activity';
import type { KeyRange, ObjectSchema } from '../src/model/types';
import { copyChunk as copyChunkEngine, type ChunkInput, type ChunkProgress, type ChunkResult } from '../src/engine/copy-chunk';
import { planMigration as planMigrationEngine, type MigrationPlan } from '../src/engine/plan';
import {
  planTargetScan as planTargetScanEngine,
  planValidation as planValidationEngine,
  scanRange as scanRangeEngine,
  type ScanInput,
  type ScanProgress,
  type ValidationPlan,
} from '../src/engine/validate';
import type { JobSpec } from '../src/job/job-spec';
import type { ScanResult } from '../src/validation/digest';
import type { DiffSummary, RepairSummary } from '../src/validation/diff-types';
import { narrowDiffs as narrowDiffsEngine, sampleDiffs as sampleDiffsEngine, type NarrowInput, type SampleInput } from '../src/engine/diff';
import { repairDiffs as repairDiffsEngine, type RepairInput } from '../src/engine/repair';
import type { StreamHooks } from '../src/engine/side-rows';
import { adapt } from './failures';
import { advanceWatermark as advanceWatermarkStore, withControlDb, type Advance } from '../src/incremental/watermark-store';
import { openControlDb } from '../src/control/db';
import { createNotifyActivities } from './notify';
import { createSavedJobActivities } from './saved-jobs';
import { lazyControlDb } from '../src/control/lazy';

/**
 * Thin adapters from Temporal to the engine: heartbeats carry the cursor and counts after every batch,
 * a retried attempt resumes from the last heartbeat, and cancellation (delivered on heartbeat) stops
 * the loop after the batch in hand.
 */

export async function planMigration(spec: JobSpec): Promise<MigrationPlan> {
  return adapt(() => planMigrationEngine(spec));
}

export async function copyChunk(input: ChunkInput): Promise<ChunkResult> {
  const ctx = Context.current();
  const resumeFrom = ctx.info.heartbeatDetails as ChunkProgress | undefined;
  if (resumeFrom)
    ctx.log.info('resuming chunk from heartbeat', {
      partition: input.partition.id,
      rows: resumeFrom.rows,
      cursor: resumeFrom.cursor,
      attempt: ctx.info.attempt,
    });
  return adapt(() =>
    copyChunkEngine(input, {
      resumeFrom,
      onBatch: (p) => ctx.heartbeat(p),
      stopRequested: () => ctx.cancellationSignal.aborted,
    }),
  );
}

/** Compare-and-set of an incremental job's watermark in the control store, after the target wrote the run's rows. */
export async function advanceWatermark(a: Advance): Promise<'advanced' | 'already'> {
  return adapt(() => withControlDb((db) => advanceWatermarkStore(db, a)));
}

export async function planTargetScan(spec: JobSpec, sourceSchema: ObjectSchema): Promise<KeyRange[]> {
  return adapt(() => planTargetScanEngine(spec, sourceSchema));
}

export async function planValidation(spec: JobSpec, sourceSchema: ObjectSchema): Promise<ValidationPlan> {
  return adapt(() => planValidationEngine(spec, sourceSchema));
}

export async function scanRange(input: ScanInput): Promise<ScanResult> {
  const ctx = Context.current();
  return adapt(() =>
    scanRangeEngine(
      input,
      (p: ScanProgress) => ctx.heartbeat(p),
      () => ctx.cancellationSignal.aborted,
    ),
  );
}

/** Narrowing, sampling and repair restart from scratch when retried (they write a whole file, or upsert): heartbeats only keep them alive. */
function streamHooks(): StreamHooks {
  const ctx = Context.current();
  return { onProgress: (p) => ctx.heartbeat(p), stopRequested: () => ctx.cancellationSignal.aborted };
}

export async function narrowDiffs(input: NarrowInput): Promise<DiffSummary> {
  return adapt(() => narrowDiffsEngine(input, streamHooks()));
}

export async function sampleDiffs(input: SampleInput): Promise<DiffSummary> {
  return adapt(() => sampleDiffsEngine(input, streamHooks()));
}

export async function repairDiffs(input: RepairInput): Promise<RepairSummary> {
  return adapt(() => repairDiffsEngine(input, streamHooks()));
}

// Activities built from their dependencies (samples-typescript's createActivities style).
export const { notify } = createNotifyActivities();
export const { loadSavedJob } = createSavedJobActivities({ controlDb: lazyControlDb(() => openControlDb()) });
export { planJob, applyForeignKeys } from './job';
