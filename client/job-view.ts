import type { Client } from '@temporalio/client';
import { progressQuery } from '../workflows/definitions';
import type { JobProgress, JobReport } from '../workflows/job-types';
import type { MigrationProgress } from '../workflows/types';

/** A job's live view: the parent knows its finished objects; the running children are asked for their own rows. */

/** Adds each running child's live rows (its own `progress` query) to the parent's view; a silent child keeps its last count. */
export async function withLiveChildren(client: Client, p: JobProgress, timeoutMs: number): Promise<JobProgress> {
  const live = await Promise.all(
    p.objects.map(async (o) => {
      if (o.status !== 'running') return null;
      try {
        return await client.withDeadline(Date.now() + timeoutMs, () => client.workflow.getHandle(o.workflowId).query(progressQuery));
      } catch {
        return null;
      }
    }),
  );
  const objects = p.objects.map((o, i) => (live[i] ? { ...o, rows: live[i]!.rows, estimatedRows: live[i]!.estimatedRows } : o));
  const partitions = p.partitions.map((part, i) => (live[i] ? liveRow(part, live[i]!) : part));
  const rows = objects.reduce((n, o) => n + o.rows, 0);
  return { ...p, objects, partitions, rows, quarantined: live.reduce((n, l, i) => n + (l ? l.quarantined : p.partitions[i]!.quarantined), 0) };
}

const liveRow = (part: MigrationProgress['partitions'][number], l: MigrationProgress) => ({
  ...part,
  rows: l.rows,
  estimatedRows: l.estimatedRows,
  quarantined: l.quarantined,
  rowsPerSecond: l.rowsPerSecond,
  etaSeconds: l.etaSeconds,
});

export const isJobProgress = (p: MigrationProgress | null): p is JobProgress => (p as JobProgress | null)?.kind === 'job';
export const isJobReport = (r: unknown): r is JobReport => (r as JobReport | null)?.kind === 'job';
