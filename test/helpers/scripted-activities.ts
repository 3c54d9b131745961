import { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import type * as real from '../../activities';
import type { ChunkInput, ChunkProgress, ChunkResult } from '../../src/engine/copy-chunk';
import type { MigrationPlan } from '../../src/engine/plan';
import type { ScanInput } from '../../src/engine/validate';
import type { NarrowInput, SampleInput } from '../../src/engine/diff';
import type { RepairInput } from '../../src/engine/repair';
import type { DiffSummary, RepairSummary } from '../../src/validation/diff-types';
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
  /**
   * The target scan shows one row more in these partitions' buckets (an extra row) until a repair ran;
   * `repairFixes: false` keeps it after the repair (the extra row was not deleted).
   */
  tamperedTarget?: { partitions: number[]; repairFixes: boolean };
  /** What sampleDiffs reports as different. */
  sampleDifferent?: number;
  /** The digest kind planValidation names (validation pushdown); store scans see the same data as row scans. */
  storeDigest?: string;
}

/** What the fakes saw and reported for one workflow id (across its continue-as-new runs). */
export interface Recording {
  calls: ChunkCall[];
  inFlight: number;
  maxInFlight: number;
  /** Rows carried by CancelledFailure details, per stopped call. */
  stoppedRows: number[];
  scans: { side: ScanInput['side']; range: KeyRange; countOnly?: boolean; storeDigest?: boolean }[];
  plans: number;
  narrows: Pick<NarrowInput, 'ref' | 'mismatched'>[];
  samples: Pick<SampleInput, 'ref'>[];
  repairs: Pick<RepairInput, 'ref' | 'runId'>[];
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

/** A partition's scan with one row more (an extra target row in its bucket). */
function withExtraRow(id: number, p: PartitionScript): ScanResult {
  const scan = partitionScan(id, p);
  const extra = { count: 1, sum: sumToHex(0x5bd1e995n * BigInt(id + 1)) };
  scan.buckets[id % VALIDATION_BUCKETS] = mergeDigests(scan.buckets[id % VALIDATION_BUCKETS]!, extra);
  return { total: mergeDigests(scan.total, extra), buckets: scan.buckets };
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
    const rec: Recording = { calls: [], inFlight: 0, maxInFlight: 0, stoppedRows: [], scans: [], plans: 0, narrows: [], samples: [], repairs: [] };
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

  /** The activities the workflows proxy, with the real signatures. */
  activities(): Pick<
    typeof real,
    'planMigration' | 'copyChunk' | 'planTargetScan' | 'planValidation' | 'scanRange' | 'narrowDiffs' | 'sampleDiffs' | 'repairDiffs'
  > {
    return {
      planMigration: async (spec) => this.planMigration(spec),
      copyChunk: async (input) => this.copyChunk(input),
      planTargetScan: async () => [{ id: 0, lower: null, upper: null }],
      planValidation: async () => ({ targetRanges: [{ id: 0, lower: null, upper: null }], storeDigest: this.current().scenario.storeDigest ?? null }),
      scanRange: async (input) => this.scanRange(input),
      narrowDiffs: async (input) => this.narrowDiffs(input),
      sampleDiffs: async (input) => this.sampleDiffs(input),
      repairDiffs: async (input) => this.repairDiffs(input),
    };
  }

  /** Narrowing finds one extra key per differing bucket (what tamperedTarget put there). */
  private narrowDiffs(input: NarrowInput): DiffSummary {
    const { rec } = this.current();
    rec.narrows.push({ ref: input.ref, mismatched: input.mismatched });
    const n = input.mismatched.length;
    return { ref: input.ref, scope: 'full', missing: 0, extra: n, different: 0, listed: n, limitHit: false, keysCompared: n, passes: 1 };
  }

  private sampleDiffs(input: SampleInput): DiffSummary {
    const { scenario, rec } = this.current();
    rec.samples.push({ ref: input.ref });
    const different = scenario.sampleDifferent ?? 0;
    const size = input.spec.validate.sampleSize;
    return { ref: input.ref, scope: 'sample', missing: 0, extra: 0, different, listed: different, limitHit: false, keysCompared: size, passes: 1 };
  }

  private repairDiffs(input: RepairInput): RepairSummary {
    const { scenario, rec } = this.current();
    rec.repairs.push({ ref: input.ref, runId: input.runId });
    const extra = scenario.tamperedTarget?.partitions.length ?? 0;
    const fixes = scenario.tamperedTarget?.repairFixes ?? true;
    return { rewritten: 0, notInSource: 0, deleted: fixes ? extra : 0, extraNotDeleted: fixes ? 0 : extra, quarantined: 0 };
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
    rec.scans.push({
      side: input.side,
      range: input.range,
      ...(input.countOnly ? { countOnly: true } : {}),
      ...(input.storeDigest ? { storeDigest: true } : {}),
    });
    // A store digest has no buckets; a count-only scan no sums.
    const counted = (r: ScanResult): ScanResult =>
      input.countOnly
        ? { total: { ...emptyDigest(), count: r.total.count }, buckets: r.buckets.map(emptyDigest) }
        : input.storeDigest
          ? { total: r.total, buckets: [] }
          : r;
    if (input.side === 'source') return counted(partitionScan(input.range.id, scenario.partitions[input.range.id]!));
    // The target holds exactly what the source has (one range over everything), but for tampered partitions.
    const t = scenario.tamperedTarget;
    const tampered = t && (rec.repairs.length === 0 || !t.repairFixes) ? t.partitions : [];
    return counted(sumScans(scenario.partitions.map((p, id) => (tampered.includes(id) ? withExtraRow(id, p) : partitionScan(id, p)))));
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
