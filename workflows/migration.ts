import * as wf from '@temporalio/workflow';
import { ActivityFailure, ApplicationFailure, CancelledFailure } from '@temporalio/workflow';
import type * as activities from '../activities';
import type { ChunkProgress } from '../src/engine/copy-chunk';
import type { JobSpec } from '../src/spec/job-spec';
import { compareScans, emptyDigest, mergeDigests, sumScans, type ScanResult } from '../src/validation/digest';
import { SA, pauseSignal, progressQuery, resumeSignal } from './definitions';
import type { MigrationInput, MigrationProgress, MigrationReport, MigrationState, PartitionState, Phase } from './types';
import { NON_RETRYABLE_KINDS as NON_RETRYABLE } from '../src/errors';

const retry = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes: NON_RETRYABLE } as const;

const control = wf.proxyActivities<typeof activities>({
  startToCloseTimeout: '10m',
  retry: { ...retry, maximumAttempts: 10 },
});

/**
 * One migration: prepare → copy partitions in bounded chunks with bounded parallelism → validate → report.
 * Deterministic orchestration only; rows stay inside activities, only ranges, cursors, counts and
 * digests pass through here.
 */
export async function migrationWorkflow(input: MigrationInput): Promise<MigrationReport> {
  const { spec } = input;
  const st: MigrationState = input.state ?? {
    phase: 'preparing',
    paused: false,
    startedAt: Date.now(),
    prepareMs: 0,
    copyStartedAt: null,
    copyMs: 0,
    validateMs: 0,
    plan: null,
    partitions: [],
    validation: null,
    continuedAsNew: 0,
  };
  const inFlight = new Map<number, Promise<void>>();

  let published = '';
  const publish = () => {
    const status = statusOf(st);
    if (status === published) return;
    published = status;
    wf.upsertSearchAttributes([
      { key: SA.status, value: status },
      { key: SA.rows, value: totalRows(st) },
    ]);
  };
  const setPhase = (phase: Phase) => {
    st.phase = phase;
    publish();
  };

  wf.setHandler(pauseSignal, () => {
    st.paused = true;
    publish();
  });
  wf.setHandler(resumeSignal, () => {
    st.paused = false;
    publish();
  });
  wf.setHandler(progressQuery, () => progressOf(spec, st));

  const copyChunk = wf.proxyActivities<typeof activities>({
    // A chunk is bounded by maxSeconds; the rest is slack for a slow last batch.
    startToCloseTimeout: `${spec.chunk.maxSeconds * 4 + 300}s`,
    // A dead worker is noticed within this; the retry resumes from the last heartbeat.
    heartbeatTimeout: '20s',
    cancellationType: wf.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { ...retry, maximumAttempts: 50 },
  }).copyChunk;
  const scan = wf.proxyActivities<typeof activities>({
    startToCloseTimeout: '2h',
    heartbeatTimeout: '60s',
    cancellationType: wf.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { ...retry, maximumAttempts: 10 },
  }).scanRange;

  const runChunk = async (p: PartitionState): Promise<void> => {
    p.state = 'copying';
    try {
      const r = await copyChunk({ spec, sourceSchema: st.plan!.sourceSchema, partition: p.range, cursor: p.cursor, runId: wf.workflowInfo().workflowId });
      absorb(p, r);
      p.chunks++;
      if (r.resumedFrom) p.resumes++;
      p.copyMs += r.elapsedMs;
      p.state = r.done ? 'done' : 'pending';
    } catch (err) {
      // A cancelled chunk reports how far it got, so the partial report counts every row written.
      const stopped = err instanceof ActivityFailure && err.cause instanceof CancelledFailure ? (err.cause.details[0] as ChunkProgress | undefined) : undefined;
      if (stopped) absorb(p, stopped);
      p.state = 'pending';
      throw err;
    } finally {
      inFlight.delete(p.range.id);
    }
  };

  /** Returns false when the run should continue as new before finishing. */
  const copyPartitions = async (): Promise<boolean> => {
    for (;;) {
      const rollOver = wf.workflowInfo().continueAsNewSuggested;
      if (!st.paused && !rollOver) {
        for (const p of st.partitions) {
          if (inFlight.size >= spec.parallelism) break;
          if (p.state === 'pending' && !inFlight.has(p.range.id)) inFlight.set(p.range.id, runChunk(p));
        }
      }
      if (inFlight.size === 0) {
        if (st.partitions.every((p) => p.state === 'done')) return true;
        if (rollOver) return false;
        await wf.condition(() => !st.paused);
        continue;
      }
      await Promise.race(inFlight.values());
    }
  };

  try {
    if (!input.state) {
      // Set here too, not only by our client, so a run started with `temporal workflow start` is findable.
      wf.upsertSearchAttributes([
        { key: SA.job, value: spec.name },
        { key: SA.source, value: spec.source.type },
        { key: SA.target, value: spec.target.type },
      ]);
    }
    publish();
    if (!st.plan) {
      const plan = await control.planMigration(spec);
      st.plan = { sourceSchema: plan.sourceSchema, targetSchema: plan.targetSchema };
      st.partitions = plan.partitions.map((range) => ({
        range, state: 'pending', cursor: null, rows: 0, quarantined: 0, digest: emptyDigest(), chunks: 0, resumes: 0, copyMs: 0,
      }));
      st.prepareMs = Date.now() - st.startedAt;
    }
    if (st.phase === 'preparing' || st.phase === 'copying') {
      setPhase('copying');
      st.copyStartedAt ??= Date.now();
      if (!(await copyPartitions())) {
        st.continuedAsNew++;
        await wf.condition(wf.allHandlersFinished);
        return await wf.continueAsNew<typeof migrationWorkflow>({ spec, state: st });
      }
      st.copyMs = Date.now() - st.copyStartedAt;
    }
    if (st.phase === 'copying' || st.phase === 'validating') {
      setPhase('validating');
      const t0 = Date.now();
      st.validation = spec.validate.enabled ? await validate(st, scan) : { status: 'skipped' };
      st.validateMs = Date.now() - t0;
    }
    setPhase('completed');
    const report = buildReport(spec, st, 'completed');
    wf.upsertMemo({ summary: summaryOf(report) });
    return report;
  } catch (err) {
    if (err instanceof wf.ContinueAsNew) throw err;
    if (wf.isCancellation(err)) {
      await wf.CancellationScope.nonCancellable(async () => {
        // WAIT_CANCELLATION_COMPLETED: each chunk stops after its batch in hand and reports its rows.
        await Promise.allSettled(inFlight.values());
        if (st.copyStartedAt !== null && st.phase === 'copying') st.copyMs = Date.now() - st.copyStartedAt;
        setPhase('canceled');
        wf.upsertMemo({ summary: summaryOf(buildReport(spec, st, 'canceled')) });
        wf.log.info('migration canceled', { rows: totalRows(st) });
      });
      throw err;
    }
    const failedWhile = st.phase;
    setPhase('failed');
    throw asFailure(err, failedWhile);
  }

  async function validate(state: MigrationState, scanRange: typeof activities.scanRange) {
    const sourceSchema = state.plan!.sourceSchema;
    const targetRanges = await control.planTargetScan(spec, sourceSchema);
    const scanAll = (side: 'source' | 'target', ranges: MigrationState['partitions'][number]['range'][]) =>
      boundedAll(
        ranges.map((range) => () => scanRange({ spec, side, sourceSchema, range })),
        spec.parallelism,
      );
    const [src, tgt] = await Promise.all([scanAll('source', state.partitions.map((p) => p.range)), scanAll('target', targetRanges)]);
    return compareScans(sumScans(src), sumScans(tgt));
  }
}

function absorb(p: PartitionState, r: ChunkProgress) {
  p.cursor = r.cursor;
  p.rows += r.rows;
  p.quarantined += r.quarantined;
  p.digest = mergeDigests(p.digest, r.digest);
}

/** Runs thunks with at most `limit` at once, preserving result order. */
async function boundedAll<T>(thunks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(thunks.length);
  let next = 0;
  const lane = async () => {
    while (next < thunks.length) {
      const i = next++;
      results[i] = await thunks[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, thunks.length) }, lane));
  return results;
}

const totalRows = (st: MigrationState) => st.partitions.reduce((n, p) => n + p.rows, 0);

function statusOf(st: MigrationState): string {
  if (st.phase === 'copying' && st.paused) return 'Paused';
  return st.phase[0]!.toUpperCase() + st.phase.slice(1);
}

function progressOf(spec: JobSpec, st: MigrationState): MigrationProgress {
  const now = Date.now();
  const rows = totalRows(st);
  const estimates = st.partitions.map((p) => p.range.estimatedRows);
  const estimatedRows = estimates.length && estimates.every((e) => e !== undefined) ? estimates.reduce((a, b) => a! + b!, 0)! : null;
  const elapsed = st.copyStartedAt ? ((st.phase === 'copying' ? now : st.copyStartedAt + st.copyMs) - st.copyStartedAt) / 1000 : 0;
  const rate = elapsed > 0 ? rows / elapsed : 0;
  const eta = (est: number | null | undefined, done: number, r: number) => (est != null && r > 0 ? Math.max(0, (est - done) / r) : null);
  return {
    job: spec.name,
    phase: st.phase === 'copying' && st.paused ? 'paused' : st.phase,
    paused: st.paused,
    rows,
    estimatedRows,
    quarantined: st.partitions.reduce((n, p) => n + p.quarantined, 0),
    rowsPerSecond: Math.round(rate),
    etaSeconds: st.phase === 'copying' ? eta(estimatedRows, rows, rate) : st.phase === 'preparing' ? null : 0,
    partitions: st.partitions.map((p) => {
      const r = p.copyMs > 0 ? p.rows / (p.copyMs / 1000) : 0;
      return {
        id: p.range.id,
        state: p.state,
        rows: p.rows,
        estimatedRows: p.range.estimatedRows ?? null,
        quarantined: p.quarantined,
        rowsPerSecond: Math.round(r),
        etaSeconds: p.state === 'done' ? 0 : eta(p.range.estimatedRows, p.rows, r),
      };
    }),
  };
}

function buildReport(spec: JobSpec, st: MigrationState, status: MigrationReport['status']): MigrationReport {
  const rows = totalRows(st);
  const copySeconds = (st.copyMs || (st.copyStartedAt ? Date.now() - st.copyStartedAt : 0)) / 1000;
  return {
    job: spec.name,
    status,
    source: { type: spec.source.type, object: st.plan?.sourceSchema.object ?? null },
    target: { type: spec.target.type, object: objectName(spec.target as { table?: string; collection?: string }) },
    rows,
    quarantined: st.partitions.reduce((n, p) => n + p.quarantined, 0),
    rowsPerSecond: copySeconds > 0 ? Math.round(rows / copySeconds) : 0,
    copyDigest: spec.passthrough ? null : st.partitions.reduce((d, p) => mergeDigests(d, p.digest), emptyDigest()),
    partitions: st.partitions.map((p) => ({
      id: p.range.id, lower: p.range.lower, upper: p.range.upper, rows: p.rows, quarantined: p.quarantined,
      chunks: p.chunks, resumes: p.resumes, digest: p.digest, done: p.state === 'done',
    })),
    validation: st.validation,
    timings: {
      startedAt: new Date(st.startedAt).toISOString(),
      prepareMs: st.prepareMs,
      copyMs: st.copyMs,
      validateMs: st.validateMs,
      totalMs: Date.now() - st.startedAt,
    },
    continuedAsNew: st.continuedAsNew,
  };
}

const objectName = (e: { table?: string; collection?: string }) => e.table ?? e.collection ?? null;

/** The memo holds a summary only: the memo is visible in list views and must stay small. */
const summaryOf = (r: MigrationReport) => ({
  status: r.status, rows: r.rows, quarantined: r.quarantined, rowsPerSecond: r.rowsPerSecond,
  validation: r.validation?.status ?? null, partitions: r.partitions.length,
});

function asFailure(err: unknown, phase: Phase): ApplicationFailure {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  const type = cause instanceof ApplicationFailure && cause.type ? cause.type : 'MigrationFailed';
  const message = (cause as Error | undefined)?.message ?? String(err);
  return ApplicationFailure.create({ type, message: `migration failed while ${phase}: ${message}`, nonRetryable: true, cause: err as Error });
}

export type { ScanResult };
