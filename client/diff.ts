import { randomUUID } from 'node:crypto';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import type { JobSpec } from '../src/job/job-spec';
import { readDiffs } from '../src/validation/diff-store';
import type { DiffEntry, DiffSummary } from '../src/validation/diff-types';
import { MIGRATION_WORKFLOW, REPAIR_WORKFLOW } from '../workflows/definitions';
import type { MigrationReport, RepairWorkflowInput, RepairWorkflowReport, Validation } from '../workflows/types';
import { ConflictError, NotFoundError } from './errors';
import { describeWorkflow, unavailableOr } from './migrations';

/**
 * Diff lists and repair. The workflow result holds the list's counts and reference; the list itself is a
 * file in DATAMIGRATO_DIFF_DIR, which this process must share with the workers (same machine or a shared
 * volume), as the dry run shares their secrets.
 */

export interface DiffItem {
  kind: DiffEntry['kind'];
  key: DiffEntry['key'];
  fields?: string[];
}

export interface DiffPage {
  id: string;
  /** Which validation the list comes from: the migration's own, or the one after its repair. */
  from: 'validation' | 'repair';
  status: Validation['status'];
  diff: DiffSummary;
  items: DiffItem[];
  nextOffset: number | null;
}

interface Closed {
  type: string;
  result: MigrationReport | RepairWorkflowReport;
}

async function closedResult(client: Client, id: string): Promise<Closed> {
  const desc = await describeWorkflow(client, id);
  const handle = client.workflow.getHandle(id);
  if (desc.type !== MIGRATION_WORKFLOW && desc.type !== REPAIR_WORKFLOW) throw new NotFoundError(id);
  if (desc.status.name === 'RUNNING') throw new ConflictError(`migration "${id}" is still running: its diff list exists once validation is done`);
  try {
    return { type: desc.type, result: await handle.result() };
  } catch (err) {
    if (err instanceof WorkflowFailedError)
      throw new ConflictError(`migration "${id}" did not complete (${err.cause?.message ?? err.message}): it has no diff list`);
    throw unavailableOr(err);
  }
}

/** The latest validation with a diff list: after the repair if one ran, else the migration's own. */
function latestDiff(id: string, c: Closed): { from: DiffPage['from']; validation: Validation } {
  const r = c.result as Partial<MigrationReport> & Partial<RepairWorkflowReport>;
  const validation = r.repair?.validation ?? (r.validation && r.validation.status !== 'skipped' ? r.validation : null);
  if (!validation) throw new ConflictError(`migration "${id}" ran without validation: it has no diff list`);
  if (!validation.diff)
    throw new ConflictError(
      validation.status === 'match'
        ? `migration "${id}" validated as a match: there are no differences to list`
        : `migration "${id}" validated with mode ${validation.mode ?? 'checksums'}, which names buckets, not keys: run with validate.mode full (or repair) for a diff list`,
    );
  return { from: r.repair ? 'repair' : 'validation', validation };
}

export async function getDiff(client: Client, id: string, opts: { offset?: number; limit?: number } = {}): Promise<DiffPage> {
  const { from, validation } = latestDiff(id, await closedResult(client, id));
  const diff = validation.diff!;
  const offset = Math.max(0, opts.offset ?? 0);
  const limit = Math.max(1, Math.min(opts.limit ?? 1000, 10_000));
  const items: DiffItem[] = [];
  let i = 0;
  for await (const e of readDiffs(diff.ref)) {
    if (i++ < offset) continue;
    if (items.length === limit) break;
    items.push({ kind: e.kind, key: e.key, ...(e.fields ? { fields: e.fields } : {}) });
  }
  const more = offset + items.length < diff.listed;
  return { id, from, status: validation.status, diff, items, nextOffset: more ? offset + items.length : null };
}

/** The spec a migration was started with: the first event's input (secret references only, never values). */
async function startedSpec(client: Client, id: string): Promise<JobSpec> {
  const history = await client.workflow.getHandle(id).fetchHistory();
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload) throw new ConflictError(`migration "${id}" has no recorded input`);
  return client.options.loadedDataConverter.payloadConverter.fromPayload<{ spec: JobSpec }>(payload).spec;
}

export interface RepairStart {
  id: string;
  runId: string;
  of: string;
  diff: DiffSummary;
}

/**
 * Starts a repair of a completed migration's latest diff list: its own workflow (`<id>-repair-<n>`), which
 * re-copies the listed missing and different keys, deletes the extra ones when asked, and validates again.
 */
export async function repairMigration(client: Client, id: string, opts: { taskQueue: string; deleteExtra?: boolean }): Promise<RepairStart> {
  const closed = await closedResult(client, id);
  const { validation } = latestDiff(id, closed);
  const diff = validation.diff!;
  if (validation.status === 'match' || diff.missing + diff.extra + diff.different === 0)
    throw new ConflictError(`migration "${id}" has nothing to repair: its last validation matched`);
  const original = closed.type === REPAIR_WORKFLOW ? (closed.result as RepairWorkflowReport).of : id;
  const spec = await startedSpec(client, id);
  const input: RepairWorkflowInput = { spec: { ...spec, repair: { enabled: true, deleteExtra: opts.deleteExtra ?? false } }, of: original, diff };
  const repairId = `${original}-repair-${randomUUID().slice(0, 8)}`;
  try {
    const handle = await client.workflow.start(REPAIR_WORKFLOW, { taskQueue: opts.taskQueue, workflowId: repairId, args: [input] });
    return { id: repairId, runId: handle.firstExecutionRunId, of: original, diff };
  } catch (err) {
    throw unavailableOr(err);
  }
}

/** Waits for a repair workflow and returns its report. */
export async function repairResult(client: Client, repairId: string): Promise<RepairWorkflowReport> {
  return client.workflow.getHandle(repairId).result();
}
