import { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import type * as real from '../../activities';
import type { ChunkInput, ChunkProgress, ChunkResult } from '../../src/engine/copy-chunk';
import type { MigrationPlan } from '../../src/engine/plan';
import type { ScanInput } from '../../src/engine/validate';
import type { JobSpec } from '../../src/job/job-spec';
import type { KeyRange, ObjectSchema } from '../../src/model/types';
import { emptyDigest, mergeDigests, sumScans, sumToHex, VALIDATION_BUCKETS, type Digest, type ScanResult } from '../../src/validation/digest';

/**
 * Fake activities for testing the migration workflow's orchestration alone: every answer is computed
 * from a scripted in-memory scenario (no database). Scenarios are registered per workflow id, so one
 * worker serves every test of a file and each run gets its own script and call log.
 */

/** One partition: the rows each successive chunk copies (its length is the number of chunks). */
export interface PartitionScript {
  chunkRows: number[];
  /** droppedFields reported by each chunk; absent entries report no droppedFields at all. */
  chunkDroppedFields?: (number | undefined)[];
}

export interface ChunkCall {
  partition: number;
  /** Index of the chunk within its partition (the cursor the workflow passed). */
  chunk: number;
  attempt: number;
  startedAt: number;
  /** When the workflow scheduled the activity (server time; same machine). */
  scheduledAt: number;
}

export interface Scenario {
  partitions: PartitionScript[];
  /** How long each copyChunk call takes. */
  chunkMs?: number;
  /** Return an error to make a call fail (thrown after chunkMs). */
  failChunk?: (call: ChunkCall) => Error | undefined;
  /**
   * Chunks never finish on their own: they copy `rows` every `everyMs`, heartbeat the progress and, once
   * cancelled, stop the way activities/failures.ts maps StoppedError: CancelledFailure with details [progress].
   */
  streamUntilCancelled?: { rows: number; everyMs: number };
}

/** What the fakes saw and reported for one workflow id (across its continue-as-new runs). */
export interface Recording {
  calls: ChunkCall[];
  inFlight: number;
  maxInFlight: number;
  /** Rows carried by CancelledFailure details, per stopped call. */
  stoppedRows: number[];
  scans: { side: ScanInput['side']; range: KeyRange }[];
  plans: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A deterministic, distinct digest per (partition, chunk): what a real chunk's RowDigester would produce. */
export function chunkDigest(partition: number, chunk: number, rows: number): Digest {
  if (rows === 0) return emptyDigest();
  const sum = 0x9e3779b97f4a7c15n * BigInt(partition * 1_000 + chunk + 1) + BigInt(rows);
  return { count: rows, sum: sumToHex(sum) };
}

export const partitionDigest = (id: number, p: PartitionScript): Digest =>
  p.chunkRows.reduce((d, rows, chunk) => mergeDigests(d, chunkDigest(id, chunk, rows)), emptyDigest());

export const scenarioDigest = (s: Scenario): Digest => s.partitions.reduce((d, p, id) => mergeDigests(d, partitionDigest(id, p)), emptyDigest());

export const scenarioRows = (s: Scenario) => s.partitions.reduce((n, p) => n + p.chunkRows.reduce((a, b) => a + b, 0), 0);

/** The source side of a partition, all in one key-hash bucket (partition id mod the bucket count). */
function partitionScan(id: number, p: PartitionScript): ScanResult {
  const buckets = Array.from({ length: VALIDATION_BUCKETS }, emptyDigest);
  const total = partitionDigest(id, p);
  buckets[id % VALIDATION_BUCKETS] = total;
  return { total, buckets };
}

const sourceSchema: ObjectSchema = {
  object: 'scripted.src',
  key: ['id'],
  fields: [
    { name: 'id', type: 'int64', nullable: false },
    { name: 'name', type: 'string', nullable: true },
  ],
};

export class ScriptedActivities {
  private readonly scenarios = new Map<string, Scenario>();
  private readonly recordings = new Map<string, Recording>();

  /** Registers the script a workflow id runs; returns its (live) recording. */
  script(workflowId: string, scenario: Scenario): Recording {
    const rec: Recording = { calls: [], inFlight: 0, maxInFlight: 0, stoppedRows: [], scans: [], plans: 0 };
    this.scenarios.set(workflowId, scenario);
    this.recordings.set(workflowId, rec);
    return rec;
  }

  private current(): { scenario: Scenario; rec: Recording } {
    const id = Context.current().info.workflowExecution?.workflowId ?? '(none)';
    const scenario = this.scenarios.get(id);
    const rec = this.recordings.get(id);
    if (!scenario || !rec) throw new Error(`no scenario scripted for workflow ${id}`);
    return { scenario, rec };
  }

  /** The four activities the workflow proxies, with the real signatures. */
  activities(): Pick<typeof real, 'planMigration' | 'copyChunk' | 'planTargetScan' | 'scanRange'> {
    return {
      planMigration: async (spec) => this.planMigration(spec),
      copyChunk: async (input) => this.copyChunk(input),
      planTargetScan: async () => [{ id: 0, lower: null, upper: null }],
      scanRange: async (input) => this.scanRange(input),
    };
  }

  private planMigration(spec: JobSpec): MigrationPlan {
    const { scenario, rec } = this.current();
    rec.plans++;
    const partitions: KeyRange[] = scenario.partitions.map((p, id) => ({
      id,
      lower: id * 1_000_000,
      upper: (id + 1) * 1_000_000,
      estimatedRows: p.chunkRows.reduce((a, b) => a + b, 0),
    }));
    return { sourceSchema, targetSchema: sourceSchema, partitions, targetObject: `scripted.${spec.name}` };
  }

  private async copyChunk(input: ChunkInput): Promise<ChunkResult> {
    const { scenario, rec } = this.current();
    const info = Context.current().info;
    const call: ChunkCall = {
      partition: input.partition.id,
      chunk: typeof input.cursor === 'number' ? input.cursor : 0,
      attempt: info.attempt,
      startedAt: Date.now(),
      scheduledAt: info.scheduledTimestampMs,
    };
    rec.calls.push(call);
    rec.inFlight++;
    rec.maxInFlight = Math.max(rec.maxInFlight, rec.inFlight);
    try {
      if (scenario.streamUntilCancelled) return await this.streamUntilCancelled(input, scenario.streamUntilCancelled, rec);
      await sleep(scenario.chunkMs ?? 0);
      const failure = scenario.failChunk?.(call);
      if (failure) throw failure;
      return scriptedChunk(scenario.partitions[call.partition]!, call);
    } finally {
      rec.inFlight--;
    }
  }

  private async streamUntilCancelled(input: ChunkInput, stream: { rows: number; everyMs: number }, rec: Recording): Promise<ChunkResult> {
    const ctx = Context.current();
    const progress: ChunkProgress = { cursor: input.cursor, rows: 0, quarantined: 0, batches: 0, digest: emptyDigest() };
    for (;;) {
      await sleep(stream.everyMs);
      progress.batches++;
      progress.rows += stream.rows;
      progress.cursor = progress.batches;
      progress.digest = mergeDigests(progress.digest, chunkDigest(input.partition.id, progress.batches, stream.rows));
      ctx.heartbeat(progress);
      if (ctx.cancellationSignal.aborted) {
        rec.stoppedRows.push(progress.rows);
        throw new CancelledFailure('stopped on cancellation', [progress]);
      }
    }
  }

  private scanRange(input: ScanInput): ScanResult {
    const { scenario, rec } = this.current();
    rec.scans.push({ side: input.side, range: input.range });
    // The target holds exactly what the source has: one range over everything.
    if (input.side === 'target') return sumScans(scenario.partitions.map((p, id) => partitionScan(id, p)));
    return partitionScan(input.range.id, scenario.partitions[input.range.id]!);
  }
}

function scriptedChunk(p: PartitionScript, call: ChunkCall): ChunkResult {
  const rows = p.chunkRows[call.chunk];
  if (rows === undefined) throw new Error(`partition ${call.partition} has no chunk ${call.chunk}: the workflow asked past done`);
  const dropped = p.chunkDroppedFields?.[call.chunk];
  return {
    cursor: call.chunk + 1,
    rows,
    quarantined: 0,
    batches: 1,
    digest: chunkDigest(call.partition, call.chunk, rows),
    ...(dropped === undefined ? {} : { droppedFields: dropped }),
    done: call.chunk + 1 === p.chunkRows.length,
    resumedFrom: null,
    elapsedMs: Date.now() - call.startedAt,
  };
}
