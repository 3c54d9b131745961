import * as wf from '@temporalio/workflow';
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import type * as activities from '../activities';
import type { JobSpec } from '../src/job/job-spec';
import { emptyDigest } from '../src/validation/digest';
import { CopyPhase } from './copy-phase';
import { SA, pauseSignal, progressQuery, resumeSignal } from './definitions';
import { buildReport, progressOf, statusOf, summaryOf, totalRows } from './report';
import type { MigrationInput, MigrationReport, MigrationState, Phase } from './types';
import { repairAndRevalidate, validateCopy } from './validate-phase';
import { repairOptionsOf } from '../src/job/options';
import { NON_RETRYABLE_KINDS as NON_RETRYABLE } from '../src/errors';
import { advanceWatermarkAfterCopy } from './incremental';
import { notifyOutcome, outcomeOfReport } from './notify';

const retry = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes: NON_RETRYABLE } as const;

const control = wf.proxyActivities<typeof activities>({
  startToCloseTimeout: '10m',
  retry: { ...retry, maximumAttempts: 10 },
});

/** The copy and scan activities: heartbeated, cancelled cooperatively (WAIT_CANCELLATION_COMPLETED). */
function dataActivities(spec: JobSpec) {
  const copyChunk = wf.proxyActivities<typeof activities>({
    // A chunk is bounded by maxSeconds; the rest is slack for a slow last batch.
    startToCloseTimeout: `${spec.chunk.maxSeconds * 4 + 300}s`,
    // A dead worker is noticed within this; the retry resumes from the last heartbeat.
    heartbeatTimeout: '20s',
    cancellationType: wf.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { ...retry, maximumAttempts: 50 },
  }).copyChunk;
  return { copyChunk, ...scanActivities() };
}

/** Scans, narrowing, sampling and repair stream whole objects: long timeouts, kept alive by heartbeats. */
export function scanActivities() {
  const { scanRange, narrowDiffs, sampleDiffs, repairDiffs } = wf.proxyActivities<typeof activities>({
    startToCloseTimeout: '2h',
    heartbeatTimeout: '60s',
    cancellationType: wf.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { ...retry, maximumAttempts: 10 },
  });
  return { scanRange, narrowDiffs, sampleDiffs, repairDiffs, planTargetScan: control.planTargetScan, planValidation: control.planValidation };
}

const initialState = (): MigrationState => ({
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
});

/**
 * One migration: prepare → copy partitions in bounded chunks with bounded parallelism → validate → report.
 * Deterministic orchestration only; rows stay inside activities, only ranges, cursors, counts and
 * digests pass through here.
 */
export async function migrationWorkflow(input: MigrationInput): Promise<MigrationReport> {
  const { spec } = input;
  const st: MigrationState = input.state ?? initialState();
  const publish = statusPublisher(st);
  const setPhase = (phase: Phase) => {
    st.phase = phase;
    publish();
  };
  installHandlers(spec, st, publish);
  const { copyChunk, ...scans } = dataActivities(spec);
  const copy = new CopyPhase(spec, st, copyChunk);

  try {
    // Set here too, not only by our client, so a run started with `temporal workflow start` is findable.
    if (!input.state)
      wf.upsertSearchAttributes([
        { key: SA.job, value: spec.name },
        { key: SA.source, value: spec.source.type },
        { key: SA.target, value: spec.target.type },
      ]);
    publish();
    if (!st.plan) await prepare(spec, st);
    if (st.phase === 'preparing' || st.phase === 'copying') {
      setPhase('copying');
      st.copyStartedAt ??= Date.now();
      if (!(await copy.run())) {
        st.continuedAsNew++;
        await wf.condition(wf.allHandlersFinished);
        return await wf.continueAsNew<typeof migrationWorkflow>({ spec, state: st });
      }
      st.copyMs = Date.now() - st.copyStartedAt;
      await advanceWatermarkAfterCopy(spec, st, control.advanceWatermark, wf.workflowInfo().workflowId);
    }
    if (st.phase === 'copying' || st.phase === 'validating') {
      setPhase('validating');
      const t0 = Date.now();
      const repair = repairOptionsOf(spec);
      const scope = { sourceSchema: st.plan!.sourceSchema, sourceRanges: st.partitions.map((p) => p.range) };
      st.validation = spec.validate.enabled ? await validateCopy(spec, scope, scans, { label: 'validate', narrow: repair.enabled }) : { status: 'skipped' };
      if (repair.enabled && st.validation.status === 'mismatch' && 'diff' in st.validation && st.validation.diff)
        st.repair = await repairAndRevalidate(spec, scope, st.validation.diff, scans, 'repair');
      st.validateMs = Date.now() - t0;
    }
    setPhase('completed');
    const report = buildReport(spec, st, 'completed', Date.now());
    wf.upsertMemo({ summary: summaryOf(report) });
    const notifications = await notifyOutcome(spec, outcomeOfReport(report, 'completed'));
    return notifications.length ? { ...report, notifications } : report;
  } catch (err) {
    if (err instanceof wf.ContinueAsNew) throw err;
    if (wf.isCancellation(err)) {
      await wf.CancellationScope.nonCancellable(() => recordCancellation(spec, st, copy, setPhase));
      throw err;
    }
    const failedWhile = st.phase;
    setPhase('failed');
    const failure = asFailure(err, failedWhile);
    // Webhooks first, then the failure: a delivery that fails is logged and the run fails as it would have.
    await notifyOutcome(
      spec,
      outcomeOfReport(buildReport(spec, st, 'completed', Date.now()), 'failed', { type: failure.type ?? 'MigrationFailed', message: failure.message }),
    );
    throw failure;
  }
}

/** Search attributes follow the state, upserted only when the status changes (each upsert is an event). */
function statusPublisher(st: MigrationState): () => void {
  let published = '';
  return () => {
    const status = statusOf(st);
    if (status === published) return;
    published = status;
    wf.upsertSearchAttributes([
      { key: SA.status, value: status },
      { key: SA.rows, value: totalRows(st) },
    ]);
  };
}

function installHandlers(spec: JobSpec, st: MigrationState, publish: () => void): void {
  wf.setHandler(pauseSignal, () => {
    st.paused = true;
    publish();
  });
  wf.setHandler(resumeSignal, () => {
    st.paused = false;
    publish();
  });
  wf.setHandler(progressQuery, () => progressOf(spec, st, Date.now()));
}

async function prepare(spec: JobSpec, st: MigrationState): Promise<void> {
  const plan = await control.planMigration(spec);
  st.plan = { sourceSchema: plan.sourceSchema, targetSchema: plan.targetSchema, targetObject: plan.targetObject };
  if (plan.incremental) st.plan.incremental = plan.incremental;
  st.partitions = plan.partitions.map((range) => ({
    range,
    state: 'pending',
    cursor: null,
    rows: 0,
    quarantined: 0,
    droppedFields: 0,
    digest: emptyDigest(),
    chunks: 0,
    resumes: 0,
    copyMs: 0,
  }));
  st.prepareMs = Date.now() - st.startedAt;
}

/** WAIT_CANCELLATION_COMPLETED: each chunk stops after its batch in hand and reports its rows. */
async function recordCancellation(spec: JobSpec, st: MigrationState, copy: CopyPhase, setPhase: (p: Phase) => void): Promise<void> {
  await Promise.allSettled(copy.inFlight.values());
  if (st.copyStartedAt !== null && st.phase === 'copying') st.copyMs = Date.now() - st.copyStartedAt;
  setPhase('canceled');
  const report = buildReport(spec, st, 'canceled', Date.now());
  wf.upsertMemo({ summary: summaryOf(report) });
  wf.log.info('migration canceled', { rows: totalRows(st) });
  await notifyOutcome(spec, outcomeOfReport(report, 'canceled'));
}

function asFailure(err: unknown, phase: Phase): ApplicationFailure {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  const type = cause instanceof ApplicationFailure && cause.type ? cause.type : 'MigrationFailed';
  const message = (cause as Error | undefined)?.message ?? String(err);
  return ApplicationFailure.create({ type, message: `migration failed while ${phase}: ${message}`, nonRetryable: true, cause: err as Error });
}
