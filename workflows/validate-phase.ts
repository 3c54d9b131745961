import * as wf from '@temporalio/workflow';
import type * as activities from '../activities';
import { mapLimited } from '../src/concurrency';
import { validationModeOf } from '../src/job/options';
import type { JobSpec } from '../src/job/job-spec';
import type { KeyRange, ObjectSchema } from '../src/model/types';
import { compareCounts, compareScans, sumScans } from '../src/validation/digest';
import { diffRefOf, type DiffSummary } from '../src/validation/diff-types';
import type { RepairReport, Validation } from './types';

/**
 * Version marker of validation modes, narrowing and repair. Histories recorded before them never call
 * these activities; the marker makes a run that started on older code and validates on newer code keep
 * the older command sequence.
 */
export const DIFF_PATCH = 'validation-diff-repair';

export interface ValidateActivities {
  planTargetScan: typeof activities.planTargetScan;
  scanRange: typeof activities.scanRange;
  narrowDiffs: typeof activities.narrowDiffs;
  sampleDiffs: typeof activities.sampleDiffs;
}

export interface RepairActivities extends ValidateActivities {
  repairDiffs: typeof activities.repairDiffs;
}

/** What validation reads: the source schema and copy partitions of the run (or of a fresh plan, for a repair run). */
export interface ValidateScope {
  sourceSchema: ObjectSchema;
  sourceRanges: KeyRange[];
}

export interface ValidateOptions {
  /** Names the diff list: `<workflow id>/<label>.jsonl`. */
  label: string;
  /** Narrow a mismatch to keys whatever the mode (repair needs the keys). */
  narrow?: boolean;
}

/**
 * Counts and checksums both sides range by range (the source by its copy partitions, the target by its
 * own partitioning), at most `parallelism` scans per side at once, and compares the bucketed digests.
 * Mode `counts` counts only; `sample` counts, then compares sampleSize random keys field by field; `full`
 * (or `narrow`) turns a mismatch into the list of differing keys, stored by the activity beside the workers.
 */
export async function validateCopy(spec: JobSpec, scope: ValidateScope, acts: ValidateActivities, opts: ValidateOptions): Promise<Validation> {
  const { sourceSchema, sourceRanges } = scope;
  const mode = validationModeOf(spec);
  const countOnly = (mode === 'counts' || mode === 'sample') && wf.patched(DIFF_PATCH);
  const targetRanges = await acts.planTargetScan(spec, sourceSchema);
  const scanAll = (side: 'source' | 'target', ranges: KeyRange[]) =>
    mapLimited(ranges, spec.parallelism, (range) => acts.scanRange({ spec, side, sourceSchema, range, ...(countOnly ? { countOnly } : {}) }));
  const [src, tgt] = await Promise.all([scanAll('source', sourceRanges), scanAll('target', targetRanges)]);
  const summary = (countOnly ? compareCounts : compareScans)(sumScans(src), sumScans(tgt));
  if (mode === 'checksums' && !opts.narrow) return summary;

  const ref = diffRefOf(wf.workflowInfo().workflowId, opts.label);
  const base = { spec, sourceSchema, sourceRanges, targetRanges, ref };
  if (countOnly && mode === 'sample') {
    const diff = await acts.sampleDiffs(base);
    return { ...summary, mode, diff, status: summary.status === 'match' && diff.missing + diff.different === 0 ? 'match' : 'mismatch' };
  }
  if (summary.status === 'mismatch' && (mode === 'full' || opts.narrow) && wf.patched(DIFF_PATCH)) {
    const diff = await acts.narrowDiffs({ ...base, mismatched: summary.mismatchedBuckets });
    return { ...summary, mode, diff };
  }
  return { ...summary, mode };
}

/**
 * Re-copies the listed missing and different keys (and with repair.deleteExtra deletes the extra ones),
 * then validates again with narrowing, so the report lists what is still different.
 */
export async function repairAndRevalidate(
  spec: JobSpec,
  scope: ValidateScope,
  diff: DiffSummary,
  acts: RepairActivities,
  label: string,
): Promise<RepairReport> {
  const targetRanges = await acts.planTargetScan(spec, scope.sourceSchema);
  const repaired = await acts.repairDiffs({
    spec,
    sourceSchema: scope.sourceSchema,
    sourceRanges: scope.sourceRanges,
    targetRanges,
    ref: diff.ref,
    runId: wf.workflowInfo().runId,
  });
  const validation = await validateCopy(spec, scope, acts, { label: `${label}-validate`, narrow: true });
  return { ...repaired, validation };
}
