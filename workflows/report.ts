import type { JobSpec } from '../src/job/job-spec';
import { emptyDigest, mergeDigests, type Digest } from '../src/validation/digest';
import type { MigrationProgress, MigrationReport, MigrationState } from './types';

/** Pure views of a run's state: progress (query), report (result), memo summary, search-attribute status. */

export const totalRows = (st: MigrationState) => st.partitions.reduce((n, p) => n + p.rows, 0);
const totalQuarantined = (st: MigrationState) => st.partitions.reduce((n, p) => n + p.quarantined, 0);
const totalFiltered = (st: MigrationState) => st.partitions.reduce((n, p) => n + (p.filtered ?? 0), 0);

export function statusOf(st: MigrationState): string {
  if (st.phase === 'copying' && st.paused) return 'Paused';
  return st.phase[0]!.toUpperCase() + st.phase.slice(1);
}

const eta = (est: number | null | undefined, done: number, rate: number) => (est != null && rate > 0 ? Math.max(0, (est - done) / rate) : null);

export function progressOf(spec: JobSpec, st: MigrationState, now: number): MigrationProgress {
  const rows = totalRows(st);
  const estimates = st.partitions.map((p) => p.range.estimatedRows);
  const estimatedRows = estimates.length && estimates.every((e) => e !== undefined) ? estimates.reduce((a, b) => a! + b!, 0)! : null;
  const elapsed = st.copyStartedAt ? ((st.phase === 'copying' ? now : st.copyStartedAt + st.copyMs) - st.copyStartedAt) / 1000 : 0;
  const rate = elapsed > 0 ? rows / elapsed : 0;
  return {
    job: spec.name,
    phase: st.phase === 'copying' && st.paused ? 'paused' : st.phase,
    paused: st.paused,
    rows,
    estimatedRows,
    quarantined: totalQuarantined(st),
    filtered: totalFiltered(st),
    rowsPerSecond: Math.round(rate),
    // Estimates count source rows, so rows left out by a filter count as done.
    etaSeconds: st.phase === 'copying' ? eta(estimatedRows, rows + totalFiltered(st), rate) : st.phase === 'preparing' ? null : 0,
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

/**
 * The checksum of what the copy wrote, or null where the copy computed none: passthrough, and copies whose
 * validation runs in the stores (their chunks digest nothing, so a partition's digest counts fewer rows than it wrote).
 */
function copyDigestOf(spec: JobSpec, st: MigrationState): Digest | null {
  if (spec.passthrough || st.partitions.some((p) => p.digest.count !== p.rows)) return null;
  return st.partitions.reduce((d, p) => mergeDigests(d, p.digest), emptyDigest());
}

export function buildReport(spec: JobSpec, st: MigrationState, status: MigrationReport['status'], now: number): MigrationReport {
  const rows = totalRows(st);
  const copySeconds = (st.copyMs || (st.copyStartedAt ? now - st.copyStartedAt : 0)) / 1000;
  return {
    job: spec.name,
    status,
    source: { type: spec.source.type, object: st.plan?.sourceSchema.object ?? null },
    target: { type: spec.target.type, object: st.plan?.targetObject ?? null },
    rows,
    quarantined: totalQuarantined(st),
    droppedFields: st.partitions.reduce((n, p) => n + (p.droppedFields ?? 0), 0),
    filtered: totalFiltered(st),
    rowsPerSecond: copySeconds > 0 ? Math.round(rows / copySeconds) : 0,
    copyDigest: copyDigestOf(spec, st),
    partitions: st.partitions.map((p) => ({
      id: p.range.id,
      lower: p.range.lower,
      upper: p.range.upper,
      rows: p.rows,
      quarantined: p.quarantined,
      chunks: p.chunks,
      resumes: p.resumes,
      digest: p.digest,
      done: p.state === 'done',
    })),
    validation: st.validation,
    ...(st.repair ? { repair: st.repair } : {}),
    ...(st.watermark ? { incremental: st.watermark } : {}),
    timings: {
      startedAt: new Date(st.startedAt).toISOString(),
      prepareMs: st.prepareMs,
      copyMs: st.copyMs,
      validateMs: st.validateMs,
      totalMs: now - st.startedAt,
    },
    continuedAsNew: st.continuedAsNew,
  };
}

/** The memo holds a summary only: the memo is visible in list views and must stay small. */
export const summaryOf = (r: MigrationReport) => ({
  status: r.status,
  rows: r.rows,
  quarantined: r.quarantined,
  rowsPerSecond: r.rowsPerSecond,
  validation: (r.repair?.validation ?? r.validation)?.status ?? null,
  partitions: r.partitions.length,
});
