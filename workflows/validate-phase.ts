import type * as activities from '../activities';
import type { JobSpec } from '../src/job/job-spec';
import type { KeyRange } from '../src/model/types';
import { compareScans, sumScans, type ValidationSummary } from '../src/validation/digest';
import type { MigrationState } from './types';

interface ValidateActivities {
  planTargetScan: typeof activities.planTargetScan;
  scanRange: typeof activities.scanRange;
}

/**
 * Counts and checksums both sides range by range (the source by its copy partitions, the target by its
 * own partitioning), at most `parallelism` scans per side at once, and compares the bucketed digests.
 */
export async function validateCopy(spec: JobSpec, st: MigrationState, acts: ValidateActivities): Promise<ValidationSummary> {
  const sourceSchema = st.plan!.sourceSchema;
  const targetRanges = await acts.planTargetScan(spec, sourceSchema);
  const scanAll = (side: 'source' | 'target', ranges: KeyRange[]) =>
    boundedAll(
      ranges.map((range) => () => acts.scanRange({ spec, side, sourceSchema, range })),
      spec.parallelism,
    );
  const [src, tgt] = await Promise.all([
    scanAll(
      'source',
      st.partitions.map((p) => p.range),
    ),
    scanAll('target', targetRanges),
  ]);
  return compareScans(sumScans(src), sumScans(tgt));
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
