import type { MultiJobSpec } from '../src/job/multi-spec';
import type { JobProgress, JobReport, JobState, ObjectState } from './job-types';
import type { MigrationReport, PartitionProgress } from './types';

/** Pure views of a job's state: progress (query), report (result), memo summary, search-attribute status. */

export const jobRows = (st: JobState) => st.objects.reduce((n, o) => n + o.rows, 0);

/** Objects a retry re-runs: anything that did not end completed with a matching (or skipped) validation. */
export const needsRetry = (o: ObjectState) =>
  o.status === 'failed' || o.status === 'canceled' || o.status === 'pending' || o.status === 'running' || o.validation === 'mismatch';

export function jobStatusOf(st: JobState): string {
  if (st.phase === 'copying' && st.paused) return 'Paused';
  if (st.phase === 'completed' && st.objects.some(needsRetry)) return 'Failed';
  return st.phase[0]!.toUpperCase() + st.phase.slice(1);
}

const partitionState = (o: ObjectState): PartitionProgress['state'] => (o.status === 'running' ? 'copying' : o.status === 'pending' ? 'pending' : 'done');

export function jobProgressOf(spec: MultiJobSpec, st: JobState, now: number): JobProgress {
  const rows = jobRows(st);
  const seconds = (now - st.startedAt) / 1000;
  return {
    kind: 'job',
    job: spec.name,
    phase: st.phase === 'copying' && st.paused ? 'paused' : st.phase,
    paused: st.paused,
    rows,
    estimatedRows: null,
    quarantined: st.objects.reduce((n, o) => n + o.quarantined, 0),
    filtered: 0,
    rowsPerSecond: seconds > 0 ? Math.round(rows / seconds) : 0,
    etaSeconds: null,
    partitions: st.objects.map((o, id) => ({
      id,
      state: partitionState(o),
      rows: o.rows,
      estimatedRows: o.sourceCount,
      quarantined: o.quarantined,
      rowsPerSecond: o.ms > 0 ? Math.round(o.rows / (o.ms / 1000)) : 0,
      etaSeconds: o.status === 'running' ? null : 0,
    })),
    objects: st.objects.map((o) => ({
      name: o.name,
      target: o.target,
      workflowId: o.workflowId,
      status: o.status,
      rows: o.rows,
      estimatedRows: o.sourceCount,
      ...(o.error ? { error: o.error } : {}),
    })),
  };
}

/** What the parent keeps of a child's report: counts and the final validation, not its partitions. */
export function absorbChildReport(o: ObjectState, r: MigrationReport): void {
  const v = r.repair?.validation ?? r.validation;
  o.status = 'completed';
  o.rows = r.rows;
  o.quarantined = r.quarantined;
  o.validation = v?.status ?? null;
  o.sourceCount = v && 'source' in v ? v.source.count : null;
  o.targetCount = v && 'target' in v ? v.target.count : null;
}

export function buildJobReport(spec: MultiJobSpec, st: JobState, retryOf: string | undefined, now: number): JobReport {
  const rows = jobRows(st);
  const failed = st.objects.filter(needsRetry).map((o) => o.name);
  const seconds = (now - st.startedAt) / 1000;
  return {
    kind: 'job',
    job: spec.name,
    status: st.phase === 'canceled' ? 'canceled' : failed.length ? 'failed' : 'completed',
    source: { type: spec.source.type, object: null },
    target: { type: spec.target.type, object: null },
    rows,
    quarantined: st.objects.reduce((n, o) => n + o.quarantined, 0),
    rowsPerSecond: seconds > 0 ? Math.round(rows / seconds) : 0,
    objects: st.objects,
    failed,
    foreignKeys: st.foreignKeys,
    ...(retryOf ? { retryOf } : {}),
    timings: { startedAt: new Date(st.startedAt).toISOString(), totalMs: now - st.startedAt },
  };
}

/** The memo summary: the single migration's fields (list views read them) plus the object counts. */
export const jobSummaryOf = (r: JobReport) => ({
  status: r.status,
  rows: r.rows,
  quarantined: r.quarantined,
  rowsPerSecond: r.rowsPerSecond,
  validation: r.objects.some((o) => o.validation === 'mismatch')
    ? 'mismatch'
    : r.objects.every((o) => o.status === 'skipped' || o.validation === 'match')
      ? 'match'
      : null,
  partitions: r.objects.length,
  objects: r.objects.length,
  failed: r.failed.length,
});
