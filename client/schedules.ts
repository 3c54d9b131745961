import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  isGrpcServiceError,
  type Client,
  type ScheduleDescription,
  type ScheduleHandle,
  type ScheduleOverlapPolicy,
} from '@temporalio/client';
import { z } from 'zod';
import type { ControlDb } from '../src/control/db';
import { JOB_NAME_PATTERN, JOB_NAME_RULE } from '../src/names';
import { SA } from '../workflows/definitions';
import { SCHEDULED_JOB_WORKFLOW } from '../workflows/job-types';
import { ScheduleNotFound } from './control-errors';
import { ConflictError, InvalidRequestError } from './errors';
import { getJobDefinition } from './saved-jobs';
import { specIssues } from './spec';

/**
 * Schedules are Temporal Schedules (the client's ScheduleClient), so they show on the Web UI's Schedules page
 * and in `temporal schedule describe`, and Temporal — not this process — fires them. Each one's action starts
 * `scheduledJobWorkflow({ job })`, which loads the saved job's latest version when it runs.
 */

export const OVERLAP_POLICIES = ['skip', 'buffer_one', 'buffer_all', 'cancel_other', 'terminate_other', 'allow_all'] as const;
const DURATION = /^[1-9]\d*(ms|s|m|h|d)$/;

function validTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export const ScheduleRequestSchema = z
  .object({
    id: z.string().regex(JOB_NAME_PATTERN, JOB_NAME_RULE).describe('schedule id (as in `temporal schedule describe --schedule-id`)'),
    job: z.string().regex(JOB_NAME_PATTERN, JOB_NAME_RULE).describe('name of a saved job; each run uses its latest version'),
    cron: z.string().min(1).max(200).optional().describe('cron expression, e.g. "*/5 * * * *" or "@hourly"'),
    every: z.string().regex(DURATION, 'a duration like 30s, 5m, 1h or 1d').optional().describe('interval instead of cron'),
    timezone: z.string().refine(validTimezone, 'an IANA time zone such as Europe/Berlin or UTC').default('UTC'),
    overlap: z.enum(OVERLAP_POLICIES).default('skip').describe('what happens when a run is due while the previous one still runs'),
    paused: z.boolean().default(false),
    note: z.string().max(500).optional(),
  })
  .strict()
  .refine((r) => (r.cron ? 1 : 0) + (r.every ? 1 : 0) === 1, { path: ['cron'], message: 'give exactly one of cron or every' });
export type ScheduleRequest = z.output<typeof ScheduleRequestSchema>;

/** What the schedule was created with, kept in its memo (the server stores cron as calendar specs). */
interface ScheduleMemo {
  job: string;
  cron?: string;
  every?: string;
}

export interface ScheduleView {
  id: string;
  job: string | null;
  cron: string | null;
  every: string | null;
  timezone: string | null;
  overlap: string | null;
  paused: boolean;
  note: string | null;
  numActionsTaken: number;
  numActionsSkippedOverlap: number;
  recentActions: { scheduledAt: string; takenAt: string; workflowId: string }[];
  runningActions: string[];
  nextActionTimes: string[];
  createdAt: string;
}

export const scheduleUiLink = (uiUrl: string, namespace: string, id: string) =>
  `${uiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/schedules/${encodeURIComponent(id)}`;

export function parseScheduleRequest(input: unknown): ScheduleRequest {
  const r = ScheduleRequestSchema.safeParse(input);
  if (!r.success) throw new InvalidRequestError(specIssues(r.error), 'invalid schedule');
  return r.data;
}

/** Creates the schedule once its saved job exists (a schedule of nothing would fail every run). */
export async function createSchedule(client: Client, db: ControlDb, input: unknown, opts: { taskQueue: string }): Promise<ScheduleView> {
  const req = parseScheduleRequest(input);
  await getJobDefinition(db, req.job).catch((err) => {
    throw err?.code === 'not_found'
      ? new InvalidRequestError([{ path: 'job', message: `no saved job named "${req.job}"; save it first (PUT /jobs/${req.job})` }])
      : err;
  });
  const memo: ScheduleMemo = { job: req.job, ...(req.cron ? { cron: req.cron } : { every: req.every }) };
  try {
    await client.schedule.create({
      scheduleId: req.id,
      spec: { ...(req.cron ? { cronExpressions: [req.cron] } : { intervals: [{ every: req.every as `${number}s` }] }), timezone: req.timezone },
      action: {
        type: 'startWorkflow',
        workflowType: SCHEDULED_JOB_WORKFLOW,
        args: [{ job: req.job }],
        taskQueue: opts.taskQueue,
        // Temporal appends the scheduled time: runs are "<id>-<time>", their migrations "<id>-<time>.run".
        workflowId: req.id,
        typedSearchAttributes: [{ key: SA.job, value: req.job }],
      },
      policies: { overlap: req.overlap.toUpperCase() as ScheduleOverlapPolicy, catchupWindow: '1m' },
      state: { paused: req.paused, note: req.note },
      memo: memo as unknown as Record<string, unknown>,
    });
  } catch (err) {
    if (err instanceof ScheduleAlreadyRunning) throw new ConflictError(`a schedule with id "${req.id}" already exists`);
    // The server parses cron; the SDK turns its INVALID_ARGUMENT into a TypeError (a raw gRPC error on older SDKs).
    const invalid = err instanceof TypeError ? err.message : isGrpcServiceError(err) && err.code === 3 ? err.details : undefined;
    if (invalid !== undefined) throw new InvalidRequestError([{ path: req.cron ? 'cron' : 'every', message: invalid }], 'invalid schedule');
    throw err;
  }
  return describeSchedule(client, req.id);
}

function handleOf(client: Client, id: string): ScheduleHandle {
  if (!JOB_NAME_PATTERN.test(id)) throw new ScheduleNotFound(id);
  return client.schedule.getHandle(id);
}

/** Maps the SDK's not-found to ours; only schedules whose action is scheduledJobWorkflow are ours. */
async function ours<T>(id: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) throw new ScheduleNotFound(id);
    throw err;
  }
}

function view(id: string, d: ScheduleDescription): ScheduleView {
  const memo = (d.memo ?? {}) as Partial<ScheduleMemo>;
  return {
    id,
    job: memo.job ?? null,
    cron: memo.cron ?? null,
    every: memo.every ?? null,
    timezone: d.spec.timezone ?? null,
    overlap: d.policies.overlap?.toLowerCase() ?? null,
    paused: d.state.paused,
    note: d.state.note ?? null,
    numActionsTaken: d.info.numActionsTaken,
    numActionsSkippedOverlap: d.info.numActionsSkippedOverlap,
    recentActions: d.info.recentActions.map((a) => ({
      scheduledAt: a.scheduledAt.toISOString(),
      takenAt: a.takenAt.toISOString(),
      workflowId: a.action.type === 'startWorkflow' ? a.action.workflow.workflowId : '',
    })),
    runningActions: d.info.runningActions.map((a) => a.workflow.workflowId),
    nextActionTimes: d.info.nextActionTimes.map((t) => t.toISOString()),
    createdAt: d.info.createdAt.toISOString(),
  };
}

export async function describeSchedule(client: Client, id: string): Promise<ScheduleView> {
  const h = handleOf(client, id);
  const d = await ours(id, () => h.describe());
  if (d.action.type !== 'startWorkflow' || d.action.workflowType !== SCHEDULED_JOB_WORKFLOW) throw new ScheduleNotFound(id);
  return view(id, d);
}

export interface ScheduleListItem {
  id: string;
  job: string | null;
  paused: boolean;
  nextActionTimes: string[];
  recentActions: number;
}

/** Every schedule of saved jobs in the namespace (visibility is eventually consistent: a new one may lag a second). */
export async function listSchedules(client: Client, opts: { job?: string } = {}): Promise<ScheduleListItem[]> {
  const items: ScheduleListItem[] = [];
  for await (const s of client.schedule.list()) {
    if (s.action?.type !== 'startWorkflow' || s.action.workflowType !== SCHEDULED_JOB_WORKFLOW) continue;
    const job = ((s.memo ?? {}) as Partial<ScheduleMemo>).job ?? null;
    if (opts.job !== undefined && job !== opts.job) continue;
    items.push({
      id: s.scheduleId,
      job,
      paused: s.state.paused,
      nextActionTimes: s.info.nextActionTimes.map((t) => t.toISOString()),
      recentActions: s.info.recentActions.length,
    });
  }
  return items.sort((a, b) => a.id.localeCompare(b.id));
}

export type ScheduleAction = 'pause' | 'unpause' | 'trigger' | 'delete';

/** pause / unpause (with a note), trigger (now, overlap ALLOW_ALL unless given), delete. */
export async function controlSchedule(client: Client, id: string, action: ScheduleAction, opts: { note?: string; overlap?: string } = {}): Promise<void> {
  await describeSchedule(client, id); // 404 for ids that are not ours
  const h = handleOf(client, id);
  await ours(id, async () => {
    if (action === 'pause') await h.pause(opts.note ?? 'paused by datamigrato');
    else if (action === 'unpause') await h.unpause(opts.note ?? 'resumed by datamigrato');
    else if (action === 'trigger') await h.trigger(overlapOf(opts.overlap, 'allow_all'));
    else await h.delete();
  });
}

function overlapOf(v: string | undefined, fallback: (typeof OVERLAP_POLICIES)[number]): ScheduleOverlapPolicy {
  const p = v ?? fallback;
  if (!(OVERLAP_POLICIES as readonly string[]).includes(p))
    throw new InvalidRequestError([{ path: 'overlap', message: `one of ${OVERLAP_POLICIES.join(', ')}` }], 'invalid request');
  return p.toUpperCase() as ScheduleOverlapPolicy;
}

export const BackfillRequestSchema = z
  .object({
    start: z.iso.datetime({ offset: true }).describe('start of the time range (ISO 8601)'),
    end: z.iso.datetime({ offset: true }).describe('end of the time range'),
    overlap: z.enum(OVERLAP_POLICIES).default('allow_all').describe('overlap policy for the backfilled runs'),
  })
  .strict()
  .refine((b) => Date.parse(b.end) > Date.parse(b.start), { path: ['end'], message: 'must be after start' });

/** Runs the actions the schedule would have taken in [start, end) — e.g. after an outage. */
export async function backfillSchedule(client: Client, id: string, input: unknown): Promise<void> {
  const r = BackfillRequestSchema.safeParse(input);
  if (!r.success) throw new InvalidRequestError(specIssues(r.error), 'invalid backfill');
  await describeSchedule(client, id);
  const h = handleOf(client, id);
  await ours(id, () => h.backfill({ start: new Date(r.data.start), end: new Date(r.data.end), overlap: overlapOf(r.data.overlap, 'allow_all') }));
}
