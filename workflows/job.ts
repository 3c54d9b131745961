import * as wf from '@temporalio/workflow';
import type * as activities from '../activities';
import { NON_RETRYABLE_KINDS as NON_RETRYABLE } from '../src/errors';
import type { JobObjectPlan } from '../src/engine/plan-job';
import type { MultiJobSpec } from '../src/job/multi-spec';
import { SA, pauseSignal, progressQuery, resumeSignal } from './definitions';
import { absorbChildReport, buildJobReport, jobProgressOf, jobRows, jobStatusOf, jobSummaryOf } from './job-report';
import type { JobInput, JobReport, JobState, ObjectState } from './job-types';
import { migrationWorkflow } from './migration';
import { notifyOutcome, outcomeOfJobReport } from './notify';

/**
 * A many-object job: plan (list the source once, fix each object's spec) → one child `migrationWorkflow` per
 * object, at most `maxParallelObjects` at once → foreign keys after the data → a report naming every object.
 * Children are ordinary migrations (their own progress, report, diff and repair). Pause and resume are forwarded
 * to the running children; cancelling the parent cancels them and waits for their partial reports.
 */

const control = wf.proxyActivities<typeof activities>({
  startToCloseTimeout: '30m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes: NON_RETRYABLE, maximumAttempts: 10 },
});

const newObject = (o: JobObjectPlan, workflowId: string): ObjectState => ({
  name: o.name,
  target: o.target,
  workflowId,
  status: 'pending',
  rows: 0,
  quarantined: 0,
  validation: null,
  sourceCount: null,
  targetCount: null,
  ms: 0,
});

/** Child ids: the parent's id, the object's position and name, within the migration-id rule (≤ 200 characters). */
const childId = (parent: string, i: number, name: string) => `${parent}.${i}-${name.replace(/[^A-Za-z0-9._-]+/g, '_')}`.slice(0, 200);

export async function jobWorkflow(input: JobInput): Promise<JobReport> {
  const { spec } = input;
  const st: JobState = { phase: 'preparing', paused: false, startedAt: Date.now(), objects: [], foreignKeys: null };
  const running = new Map<number, wf.ChildWorkflowHandle<typeof migrationWorkflow>>();
  const publish = statusPublisher(st);
  installHandlers(spec, st, running, publish);
  wf.upsertSearchAttributes([
    { key: SA.job, value: spec.name },
    { key: SA.source, value: spec.source.type },
    { key: SA.target, value: spec.target.type },
  ]);
  publish();
  const finished: Promise<void>[] = [];
  try {
    const plan = await control.planJob(spec);
    const parentId = wf.workflowInfo().workflowId;
    st.objects = plan.objects.map((o, i) => newObject(o, childId(parentId, i, o.name)));
    markOutsideRetry(st, input, plan.objects);
    st.phase = 'copying';
    publish();
    await runChildren(spec, st, plan.objects, running, finished, publish);
    if (plan.foreignKeys) st.foreignKeys = await addForeignKeys(st, plan.objects, input);
    st.phase = 'completed';
    const report = finish(spec, st, input, publish);
    const notifications = await notifyOutcome(spec, outcomeOfJobReport(report, report.status === 'completed' ? 'completed' : 'failed'));
    return notifications.length ? { ...report, notifications } : report;
  } catch (err) {
    if (!wf.isCancellation(err)) {
      const failure = asJobFailure(err, st.phase);
      const partial = buildJobReport(spec, st, input.retryOf, Date.now());
      await notifyOutcome(spec, outcomeOfJobReport(partial, 'failed', { type: failure.type ?? 'JobFailed', message: failure.message }));
      throw failure;
    }
    await wf.CancellationScope.nonCancellable(async () => {
      await Promise.allSettled(finished);
      for (const o of st.objects) if (o.status === 'pending') Object.assign(o, { status: 'canceled', error: 'the job was canceled before it started' });
      st.phase = 'canceled';
      const report = finish(spec, st, input, publish);
      await notifyOutcome(spec, outcomeOfJobReport(report, 'canceled'));
    });
    throw err;
  }
}

function asJobFailure(err: unknown, phase: string): wf.ApplicationFailure {
  const cause = err instanceof wf.ActivityFailure ? err.cause : err;
  const type = cause instanceof wf.ApplicationFailure && cause.type ? cause.type : 'JobFailed';
  const message = (cause as Error | undefined)?.message ?? String(err);
  return wf.ApplicationFailure.create({ type, message: `job failed while ${phase}: ${message}`, nonRetryable: true, cause: err as Error });
}

function finish(spec: MultiJobSpec, st: JobState, input: JobInput, publish: () => void): JobReport {
  publish();
  const report = buildJobReport(spec, st, input.retryOf, Date.now());
  wf.upsertMemo({ summary: jobSummaryOf(report), ...(input.retryOf ? { retryOf: input.retryOf } : {}) });
  return report;
}

/** A retry runs only the named objects; the others were completed by the original run. */
function markOutsideRetry(st: JobState, input: JobInput, plan: JobObjectPlan[]): void {
  if (!input.only) return;
  const only = new Set(input.only);
  st.objects.forEach((o, i) => {
    if (!only.has(plan[i]!.name)) Object.assign(o, { status: 'skipped', error: `completed by ${input.retryOf ?? 'the original run'}` });
  });
  // Reported, not dropped: appended after the plan's objects, so plan indices still line up with st.objects.
  for (const name of only)
    if (!plan.some((p) => p.name === name))
      st.objects.push({
        ...newObject({ name, target: '?' } as JobObjectPlan, ''),
        status: 'failed',
        error: 'no longer listed by the source (or named in the spec)',
      });
}

/**
 * Starts children as slots free up, in plan order. failFast cancels the scope holding them all at the first
 * failure; each child then stops after its batches in hand (WAIT_CANCELLATION_COMPLETED) and is reported canceled.
 */
async function runChildren(
  spec: MultiJobSpec,
  st: JobState,
  plan: JobObjectPlan[],
  running: Map<number, wf.ChildWorkflowHandle<typeof migrationWorkflow>>,
  finished: Promise<void>[],
  publish: () => void,
): Promise<void> {
  let failedFast = false;
  const scope = new wf.CancellationScope();
  const loop = scope.run(async () => {
    for (let i = 0; i < plan.length; i++) {
      const o = st.objects[i]!;
      if (o.status !== 'pending') continue;
      await wf.condition(() => running.size < spec.maxParallelObjects && !st.paused);
      const t0 = Date.now();
      o.status = 'running';
      publish();
      const handle = await wf.startChild(migrationWorkflow, {
        workflowId: o.workflowId,
        args: [{ spec: plan[i]!.spec }],
        cancellationType: wf.ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
        parentClosePolicy: wf.ParentClosePolicy.REQUEST_CANCEL,
      });
      running.set(i, handle);
      const done = handle.result().then(
        (r) => absorbChildReport(o, r),
        (err: unknown) => {
          const canceled = wf.isCancellation(err) || failedFast;
          Object.assign(o, { status: canceled ? 'canceled' : 'failed', error: failureText(err) || (canceled ? 'canceled' : 'failed') });
          if (!canceled && spec.failFast) {
            failedFast = true;
            scope.cancel();
          }
        },
      );
      finished.push(
        done.finally(() => {
          o.ms = Date.now() - t0;
          running.delete(i);
          publish();
        }),
      );
    }
  });
  try {
    await loop;
  } catch (err) {
    if (!failedFast || !wf.isCancellation(err)) throw err;
  }
  await Promise.all(finished);
  // The job itself was canceled: its children have stopped (each reported canceled), now the job ends Canceled.
  if (wf.CancellationScope.current().consideredCancelled && !failedFast) throw new wf.CancelledFailure('job canceled');
  if (failedFast)
    for (const o of st.objects) if (o.status === 'pending') Object.assign(o, { status: 'canceled', error: 'not started: failFast after a failed object' });
}

/** The innermost message of a child's failure (the child already says which phase and which record). */
function failureText(err: unknown): string {
  let e = err as { cause?: unknown; message?: string } | undefined;
  while (e?.cause) e = e.cause as typeof e;
  return String(e?.message ?? err).slice(0, 2000);
}

/** Foreign keys among the completed objects (and, in a retry, those the original run completed). */
async function addForeignKeys(st: JobState, plan: JobObjectPlan[], input: JobInput) {
  const done = plan.filter((_, i) => ['completed', 'skipped'].includes(st.objects[i]!.status));
  if (!done.length) return [];
  const fresh = plan.filter((_, i) => st.objects[i]!.status === 'completed').map((p) => p.name);
  return control.applyForeignKeys({ done: done.map((p) => ({ name: p.name, spec: p.spec })), ...(input.only ? { ownersOrReferenced: fresh } : {}) });
}

function statusPublisher(st: JobState): () => void {
  let published = '';
  return () => {
    const status = jobStatusOf(st);
    const key = `${status}:${jobRows(st)}`;
    if (key === published) return;
    published = key;
    wf.upsertSearchAttributes([
      { key: SA.status, value: status },
      { key: SA.rows, value: jobRows(st) },
    ]);
  };
}

/** Signals are forwarded to the running children; new children wait while the job is paused. */
function installHandlers(spec: MultiJobSpec, st: JobState, running: Map<number, wf.ChildWorkflowHandle<typeof migrationWorkflow>>, publish: () => void): void {
  const forward = (signal: typeof pauseSignal | typeof resumeSignal) => {
    for (const h of running.values()) h.signal(signal).catch((err: unknown) => wf.log.info('signal not delivered to a closing child', { err: String(err) }));
  };
  wf.setHandler(pauseSignal, () => {
    st.paused = true;
    forward(pauseSignal);
    publish();
  });
  wf.setHandler(resumeSignal, () => {
    st.paused = false;
    forward(resumeSignal);
    publish();
  });
  wf.setHandler(progressQuery, () => jobProgressOf(spec, st, Date.now()));
}
