import * as wf from '@temporalio/workflow';
import { ActivityFailure, CancelledFailure } from '@temporalio/workflow';
import type * as activities from '../activities';
import type { ChunkProgress } from '../src/engine/copy-chunk';
import type { JobSpec } from '../src/job/job-spec';
import { mergeDigests } from '../src/validation/digest';
import type { MigrationState, PartitionState } from './types';

type CopyChunk = typeof activities.copyChunk;

/**
 * The copy loop: keeps up to `parallelism` chunks in flight, one per pending partition, until every
 * partition is done. Pause stops scheduling new chunks (those in flight finish); a continue-as-new
 * suggestion drains the chunks in flight and returns false so the run can roll over.
 */
export class CopyPhase {
  readonly inFlight = new Map<number, Promise<void>>();
  /**
   * The first chunk failure (retries exhausted, non-retryable, or cancelled). Kept here rather than rejected
   * through Promise.race: when another chunk completes in the same activation the race settles with that
   * success, and a rejection left in the race would go unobserved while the failed partition, back to
   * pending, was scheduled again (a RecordError chunk re-run).
   */
  private failure: unknown = null;

  constructor(
    private readonly spec: JobSpec,
    private readonly st: MigrationState,
    private readonly copyChunk: CopyChunk,
  ) {}

  /** Returns false when the run should continue as new before finishing. */
  async run(): Promise<boolean> {
    for (;;) {
      if (this.failure) throw this.failure;
      const rollOver = wf.workflowInfo().continueAsNewSuggested;
      if (!this.st.paused && !rollOver) this.schedule();
      if (this.inFlight.size === 0) {
        if (this.st.partitions.every((p) => p.state === 'done')) return true;
        if (rollOver) return false;
        await wf.condition(() => !this.st.paused);
        continue;
      }
      await Promise.race(this.inFlight.values());
      if (this.failure) throw this.failure;
    }
  }

  private schedule(): void {
    for (const p of this.st.partitions) {
      if (this.inFlight.size >= this.spec.parallelism) break;
      if (p.state === 'pending' && !this.inFlight.has(p.range.id)) this.inFlight.set(p.range.id, this.runChunk(p));
    }
  }

  private async runChunk(p: PartitionState): Promise<void> {
    p.state = 'copying';
    try {
      const r = await this.copyChunk({
        spec: this.spec,
        sourceSchema: this.st.plan!.sourceSchema,
        partition: p.range,
        cursor: p.cursor,
        runId: wf.workflowInfo().workflowId,
        ...(this.st.plan!.incremental ? { incremental: this.st.plan!.incremental.window } : {}),
      });
      absorb(p, r);
      p.chunks++;
      if (r.resumedFrom) p.resumes++;
      p.copyMs += r.elapsedMs;
      p.state = r.done ? 'done' : 'pending';
    } catch (err) {
      // A cancelled chunk reports how far it got, so the partial report counts every row written.
      const stopped = err instanceof ActivityFailure && err.cause instanceof CancelledFailure ? (err.cause.details[0] as ChunkProgress | undefined) : undefined;
      // Only progress our own activity reported: a cancellation raised before the chunk began carries other details,
      // and absorbing them made the row count NaN, which the search attribute refuses (the task then failed forever).
      if (stopped && typeof stopped.rows === 'number') absorb(p, stopped);
      p.state = 'pending';
      this.failure ??= err;
    } finally {
      this.inFlight.delete(p.range.id);
    }
  }
}

function absorb(p: PartitionState, r: ChunkProgress) {
  p.cursor = r.cursor;
  p.rows += r.rows;
  p.quarantined += r.quarantined;
  p.droppedFields = (p.droppedFields ?? 0) + (r.droppedFields ?? 0);
  if (r.filtered) p.filtered = (p.filtered ?? 0) + r.filtered;
  if (r.deleted) p.deleted = (p.deleted ?? 0) + r.deleted;
  p.digest = mergeDigests(p.digest, r.digest);
}
