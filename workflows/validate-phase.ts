import * as wf from '@temporalio/workflow';
import type * as activities from '../activities';
import { mapLimited } from '../src/concurrency';
import { validationModeOf } from '../src/job/options';
import type { JobSpec } from '../src/job/job-spec';
import type { KeyRange, ObjectSchema } from '../src/model/types';
import type { ScanInput } from '../src/engine/validate';
import { compareCounts, compareScans, sumScans } from '../src/validation/digest';
import { diffRefOf, type DiffSummary } from '../src/validation/diff-types';
import type { RepairReport, Validation } from './types';

/**
 * Version marker of validation modes, narrowing and repair. Histories recorded before them never call
 * these activities; the marker makes a run that started on older code and validates on newer code keep
 * the older command sequence.
 */
export const DIFF_PATCH = 'validation-diff-repair';

/** Version marker of validation pushdown: runs recorded before it plan with planTargetScan and read rows. */
export const PUSHDOWN_PATCH = 'validation-pushdown';

export interface ValidateActivities {
  planTargetScan: typeof activities.planTargetScan;
  planValidation: typeof activities.planValidation;
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
 * own partitioning), at most `parallelism` scans per side at once, and compares the bucketed digests —
 * first in the stores themselves when both can (validation pushdown), canonically when they cannot or differ.
 * Mode `counts` counts only; `sample` counts, then compares sampleSize random keys field by field; `full`
 * (or `narrow`) turns a mismatch into the list of differing keys, stored by the activity beside the workers.
 */
export async function validateCopy(spec: JobSpec, scope: ValidateScope, acts: ValidateActivities, opts: ValidateOptions): Promise<Validation> {
  const { sourceSchema, sourceRanges } = scope;
  const mode = validationModeOf(spec);
  const countOnly = (mode === 'counts' || mode === 'sample') && wf.patched(DIFF_PATCH);
  // Only a same-kind pair may push down: other runs keep the command sequence of before (and no marker).
  const mayPushDown = !countOnly && spec.validate.pushdown !== false && spec.source.type === spec.target.type;
  const { targetRanges, storeDigest } =
    mayPushDown && wf.patched(PUSHDOWN_PATCH)
      ? await acts.planValidation(spec, sourceSchema)
      : { targetRanges: await acts.planTargetScan(spec, sourceSchema), storeDigest: null };
  const scanAll = (side: 'source' | 'target', ranges: KeyRange[], extra: Partial<ScanInput>) =>
    mapLimited(ranges, spec.parallelism, (range) => acts.scanRange({ spec, side, sourceSchema, range, ...extra }));
  const scanBoth = async (extra: Partial<ScanInput>) => {
    const [src, tgt] = await Promise.all([scanAll('source', sourceRanges, extra), scanAll('target', targetRanges, extra)]);
    return [sumScans(src), sumScans(tgt)] as const;
  };

  // Pushdown: both stores checksum their rows themselves. A match ends validation; a mismatch (a real
  // difference, or values the stores print differently) is checked again canonically, which also lists keys.
  let pushdown: Validation['pushdown'];
  if (storeDigest) {
    const pushed = compareScans(...(await scanBoth({ storeDigest: true })));
    pushdown = { kind: storeDigest, status: pushed.status };
    if (pushed.status === 'match') return { ...pushed, mode, pushdown };
  }
  const summary = (countOnly ? compareCounts : compareScans)(...(await scanBoth(countOnly ? { countOnly } : {})));
  const withPushdown = <T extends object>(v: T) => (pushdown ? { ...v, pushdown } : v);
  if (mode === 'checksums' && !opts.narrow) return withPushdown(summary);

  const ref = diffRefOf(wf.workflowInfo().workflowId, opts.label);
  const base = { spec, sourceSchema, sourceRanges, targetRanges, ref };
  if (countOnly && mode === 'sample') {
    const diff = await acts.sampleDiffs(base);
    return { ...summary, mode, diff, status: summary.status === 'match' && diff.missing + diff.different === 0 ? 'match' : 'mismatch' };
  }
  if (summary.status === 'mismatch' && (mode === 'full' || opts.narrow) && wf.patched(DIFF_PATCH)) {
    const diff = await acts.narrowDiffs({ ...base, mismatched: summary.mismatchedBuckets });
    return withPushdown({ ...summary, mode, diff });
  }
  return withPushdown({ ...summary, mode });
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
