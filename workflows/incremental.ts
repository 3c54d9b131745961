import type * as activities from '../activities';
import type { JobSpec } from '../src/job/job-spec';
import { isWatermark } from '../src/incremental/window';
import type { MigrationState } from './types';

type Advance = typeof activities.advanceWatermark;

/**
 * After the copy of an incremental run, before validation: the target has written every row of the window, so
 * the watermark moves to the last (cursor, key) read. A run that read nothing leaves it where it was.
 * Runs of other modes (and every history recorded before this existed) schedule nothing here.
 */
export async function advanceWatermarkAfterCopy(spec: JobSpec, st: MigrationState, advance: Advance, runId: string): Promise<void> {
  const inc = st.plan?.incremental;
  if (spec.mode !== 'incremental' || !inc || st.watermark) return;
  const last = st.partitions[0]?.cursor ?? null;
  const rows = st.partitions.reduce((n, p) => n + p.rows, 0);
  const deleted = st.partitions.reduce((n, p) => n + (p.deleted ?? 0), 0);
  const extra = deleted ? { deleted } : {};
  if (!isWatermark(last)) {
    st.watermark = { from: inc.previous, to: inc.previous, upTo: inc.window.upTo, nullRows: inc.nullRows, outcome: 'unchanged', ...extra };
    return;
  }
  const outcome = await advance({ id: inc.id, previous: inc.previous, next: last, upTo: inc.window.upTo, runId, rows });
  st.watermark = { from: inc.previous, to: last, upTo: inc.window.upTo, nullRows: inc.nullRows, outcome, ...extra };
}
