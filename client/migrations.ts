import { createHash, randomUUID } from 'node:crypto';
import {
  isGrpcServiceError,
  ServiceError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionDescription,
  type WorkflowExecutionInfo,
  type WorkflowExecutionStatusName,
} from '@temporalio/client';
import { executionInfoFromRaw } from '@temporalio/client/lib/helpers';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { loadConfig } from '../src/config';
import { lastTlsProblem } from '../temporal/tls-diagnosis';
import { JOB_NAME_PATTERN, JOB_NAME_RULE, MIGRATION_ID_PATTERN, MIGRATION_ID_RULE } from '../src/names';
import type { JobSpec } from '../src/job/job-spec';
import { JOB_WORKFLOW, MIGRATION_WORKFLOW, SA, pauseSignal, progressQuery, resumeSignal } from '../workflows/definitions';
import type { JobReport } from '../workflows/job-types';
import { isJobProgress, isJobReport, withLiveChildren } from './job-view';
import type { MigrationProgress, MigrationReport } from '../workflows/types';
import { ClientError, ConflictError, InvalidRequestError, NotFoundError, UnavailableError } from './errors';
import { parseSpecOrThrow, specHash, specSummary, type ConnectorRoles } from './spec';

/**
 * The one place that knows how a migration maps onto Temporal: workflow ids, search attributes, the memo,
 * signals, the progress query and visibility queries. The API and the CLI are both thin over this.
 */

/** What a migration's status can be: the workflow's own phase while it runs, the execution's outcome once closed. */
export const MIGRATION_STATUSES = [
  'Queued',
  'Preparing',
  'Copying',
  'Paused',
  'Validating',
  'Completed',
  'Failed',
  'Canceled',
  'Terminated',
  'TimedOut',
] as const;
export type MigrationStatus = (typeof MIGRATION_STATUSES)[number];

/** Set at start, before a worker has touched the workflow; the workflow's first step overwrites it. */
const QUEUED: MigrationStatus = 'Queued';

/** Ids travel in URLs and shells: keep them to characters that need no quoting. */
export { MIGRATION_ID_PATTERN, MIGRATION_ID_RULE } from '../src/names';

export interface StartOptions {
  taskQueue: string;
  /** Client-chosen workflow id (or an Idempotency-Key): starting twice with it starts one workflow. */
  id?: string;
  /** Role capabilities to check against (tests inject; default: the connector registry). */
  connectors?: readonly ConnectorRoles[];
}

export interface StartResult {
  id: string;
  runId: string;
  /** false when the id already named a migration of the same spec, which is returned instead of a new one. */
  created: boolean;
  summary: string;
  spec: JobSpec;
}

interface MigrationMemo {
  specHash?: string;
  /** The one-line summary again: unlike staticSummary, the memo survives continue-as-new. */
  label?: string;
  summary?: MigrationOutcome;
}

/** The small summary the workflow writes to its memo when it completes or is canceled. */
export interface MigrationOutcome {
  status: string;
  rows: number;
  quarantined: number;
  rowsPerSecond: number;
  validation: string | null;
  partitions: number;
}

/** Turns transport failures into UnavailableError; everything else passes through. */
/** A TLS failure our own handshake found (temporal/tls-diagnosis.ts): gRPC reports only a deadline. */
function tlsHint(): string {
  const why = lastTlsProblem();
  return why ? ` (${why})` : '';
}

export function unavailableOr(err: unknown): unknown {
  const grpc = err instanceof ServiceError ? err.cause : err;
  if (isGrpcServiceError(grpc)) {
    // 14 UNAVAILABLE, 4 DEADLINE_EXCEEDED, 1 CANCELLED (deadline via withDeadline)
    if ([1, 4, 14].includes(grpc.code)) return new UnavailableError(`Temporal is not reachable: ${grpc.details || grpc.message}${tlsHint()}`);
  }
  if (err instanceof Error && /deadline|ECONNREFUSED|UNAVAILABLE|Failed to connect/i.test(err.message) && !(err instanceof ClientError)) {
    return new UnavailableError(`Temporal is not reachable: ${err.message}${/TLS handshake/.test(err.message) ? '' : tlsHint()}`);
  }
  return err;
}

/** Deadline for one Temporal call (describe, start, signal, list): without it a dead frontend retries for ~20 s. */
async function rpc<T>(client: Client, fn: () => Promise<T>): Promise<T> {
  try {
    return await client.withDeadline(Date.now() + loadConfig().DATAMIGRATO_RPC_TIMEOUT_MS, fn);
  } catch (err) {
    throw unavailableOr(err);
  }
}

function checkId(id: string, what: string): void {
  if (!MIGRATION_ID_PATTERN.test(id))
    throw new InvalidRequestError([{ path: what, message: `invalid migration id "${id.slice(0, 64)}": ${MIGRATION_ID_RULE}` }], 'invalid id');
}

/**
 * Starts a migration. The spec is validated (schema + connector roles) first, so an invalid spec never
 * starts a workflow. With a client id the start is idempotent: the id is rejected for reuse by Temporal
 * (REJECT_DUPLICATE while closed, FAIL while running), and that rejection returns the existing migration
 * — if it was started with the same spec; a different spec under the same id is a conflict.
 */
export async function startMigration(client: Client, input: unknown, opts: StartOptions): Promise<StartResult> {
  const spec = parseSpecOrThrow(input, { connectors: opts.connectors });
  if (opts.id !== undefined) checkId(opts.id, 'id');
  const id = opts.id ?? `migration-${spec.name}-${randomUUID()}`;
  const hash = specHash(spec);
  const summary = specSummary(spec);
  try {
    const handle = await rpc(client, () =>
      client.workflow.start(MIGRATION_WORKFLOW, {
        taskQueue: opts.taskQueue,
        workflowId: id,
        args: [{ spec }],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        workflowIdConflictPolicy: 'FAIL',
        typedSearchAttributes: [
          { key: SA.job, value: spec.name },
          { key: SA.source, value: spec.source.type },
          { key: SA.target, value: spec.target.type },
          { key: SA.status, value: QUEUED },
        ],
        memo: { specHash: hash, label: summary },
        staticSummary: summary,
      }),
    );
    return { id, runId: handle.firstExecutionRunId, created: true, summary, spec };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const desc = await describeOrNotFound(client, id);
    if (desc.type !== MIGRATION_WORKFLOW) throw new ConflictError(`id "${id}" is already used by a workflow of type ${desc.type}`);
    const memo = (desc.memo ?? {}) as MigrationMemo;
    const sameSpec = memo.specHash ? memo.specHash === hash : desc.typedSearchAttributes.get(SA.job) === spec.name;
    if (!sameSpec) throw new ConflictError(`id "${id}" already names a migration started with a different spec; use another id`);
    return { id, runId: firstRunId(desc), created: false, summary, spec };
  }
}

const firstRunId = (desc: WorkflowExecutionDescription) => desc.raw.workflowExecutionInfo?.firstRunId || desc.runId;

async function describeOrNotFound(client: Client, id: string): Promise<WorkflowExecutionDescription> {
  try {
    return await rpc(client, () => client.workflow.getHandle(id).describe());
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new NotFoundError(id);
    throw err;
  }
}

/** The workflow `id` names, of any type: an id no migration can have, or an unknown one, is NotFoundError. */
export async function describeWorkflow(client: Client, id: string): Promise<WorkflowExecutionDescription> {
  checkIdOrNotFound(id);
  return describeOrNotFound(client, id);
}

async function describeMigration(client: Client, id: string): Promise<WorkflowExecutionDescription> {
  const desc = await describeWorkflow(client, id);
  // A many-object job's parent answers the same signals, query and cancel (workflows/job.ts).
  if (desc.type !== MIGRATION_WORKFLOW && desc.type !== JOB_WORKFLOW) throw new NotFoundError(id);
  return desc;
}

/** An id no migration can have is simply not found (no need to ask Temporal). */
function checkIdOrNotFound(id: string) {
  if (!MIGRATION_ID_PATTERN.test(id)) throw new NotFoundError(id);
}

export function statusOf(info: Pick<WorkflowExecutionInfo, 'status' | 'typedSearchAttributes'>): MigrationStatus {
  switch (info.status.name) {
    case 'COMPLETED':
      // A job whose objects did not all complete ends its run normally (its report names them) with status Failed.
      return info.typedSearchAttributes.get(SA.status) === 'Failed' ? 'Failed' : 'Completed';
    case 'FAILED':
      return 'Failed';
    case 'CANCELLED':
      return 'Canceled';
    case 'TERMINATED':
      return 'Terminated';
    case 'TIMED_OUT':
      return 'TimedOut';
    default: {
      const s = info.typedSearchAttributes.get(SA.status);
      return (MIGRATION_STATUSES as readonly string[]).includes(s ?? '') ? (s as MigrationStatus) : QUEUED;
    }
  }
}

export interface MigrationSummary {
  id: string;
  runId: string;
  status: MigrationStatus;
  executionStatus: WorkflowExecutionStatusName;
  job: string | null;
  source: string | null;
  target: string | null;
  rows: number | null;
  taskQueue: string;
  startTime: string;
  closeTime: string | null;
  outcome: MigrationOutcome | null;
}

export interface MigrationView extends MigrationSummary {
  summary: string | null;
  closed: boolean;
  /** Live numbers from the workflow's `progress` query; null when no worker answered in time. */
  progress: MigrationProgress | null;
  progressError: string | null;
  /** The full report once completed. */
  report: MigrationReport | null;
  /** A many-object job's report once it ended (then `report` is null): one entry per object, the failed ones named. */
  jobReport: JobReport | null;
  failure: { type: string | null; message: string } | null;
}

function summarize(info: Omit<WorkflowExecutionInfo, 'raw'>): MigrationSummary {
  const sa = info.typedSearchAttributes;
  const rows = sa.get(SA.rows);
  return {
    id: info.workflowId,
    runId: info.runId,
    status: statusOf(info),
    executionStatus: info.status.name,
    job: sa.get(SA.job) ?? null,
    source: sa.get(SA.source) ?? null,
    target: sa.get(SA.target) ?? null,
    rows: rows === undefined ? null : Number(rows),
    taskQueue: info.taskQueue,
    startTime: info.startTime.toISOString(),
    closeTime: info.closeTime?.toISOString() ?? null,
    outcome: ((info.memo ?? {}) as MigrationMemo).summary ?? null,
  };
}

export interface GetOptions {
  /** How long to wait for a worker to answer the progress query (and for the result of a closed run). */
  queryTimeoutMs?: number;
}

/** Status from describe, live progress from the query, and the report (or failure) once the run closed. */
export async function getMigration(client: Client, id: string, opts: GetOptions = {}): Promise<MigrationView> {
  const desc = await describeMigration(client, id);
  const base = summarize(desc);
  const closed = desc.status.name !== 'RUNNING';
  const timeout = opts.queryTimeoutMs ?? 5_000;
  const handle = client.workflow.getHandle(id, desc.runId, { followRuns: false });

  let progress: MigrationProgress | null = null;
  let progressError: string | null = null;
  try {
    progress = await client.withDeadline(Date.now() + timeout, () => handle.query(progressQuery));
    if (isJobProgress(progress) && !closed) progress = await withLiveChildren(client, progress, timeout);
  } catch (err) {
    progressError = errorText(unavailableOr(err));
  }

  let report: MigrationReport | null = null;
  let jobReport: JobReport | null = null;
  let failure: MigrationView['failure'] = null;
  if (closed) {
    try {
      const result = await client.withDeadline(Date.now() + timeout, () => handle.result() as Promise<MigrationReport | JobReport>);
      if (isJobReport(result)) jobReport = result;
      else report = result;
    } catch (err) {
      if (err instanceof WorkflowFailedError) {
        const cause = err.cause as (Error & { type?: string }) | undefined;
        failure = { type: cause?.type ?? cause?.name ?? null, message: cause?.message ?? err.message };
      } else {
        failure = { type: null, message: errorText(unavailableOr(err)) };
      }
    }
  }
  const label = (await desc.staticSummary().catch(() => undefined)) ?? ((desc.memo ?? {}) as MigrationMemo).label ?? null;
  return { ...base, summary: label, closed, progress, progressError, report, jobReport, failure };
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

export interface ListOptions {
  status?: string;
  name?: string;
  pageSize?: number;
  pageToken?: string;
}

export interface MigrationList {
  items: MigrationSummary[];
  nextPageToken: string | null;
  query: string;
}

/** Lower-case API status → visibility clause. Closed outcomes come from ExecutionStatus, live phases from our attribute. */
export function statusClause(status: string): string {
  const s = MIGRATION_STATUSES.find((x) => x.toLowerCase() === status.toLowerCase());
  if (status.toLowerCase() === 'running') return `ExecutionStatus = 'Running'`;
  if (!s)
    throw new InvalidRequestError(
      [{ path: 'status', message: `unknown status "${status}"; one of: running, ${MIGRATION_STATUSES.map((x) => x.toLowerCase()).join(', ')}` }],
      'invalid filter',
    );
  switch (s) {
    case 'Completed':
      return `ExecutionStatus = 'Completed'`;
    case 'Failed':
      return `ExecutionStatus = 'Failed'`;
    case 'Canceled':
      return `ExecutionStatus = 'Canceled'`;
    case 'Terminated':
      return `ExecutionStatus = 'Terminated'`;
    case 'TimedOut':
      return `ExecutionStatus = 'TimedOut'`;
    default:
      return `ExecutionStatus = 'Running' AND ${SA.status.name} = '${s}'`;
  }
}

export function visibilityQuery(opts: Pick<ListOptions, 'status' | 'name'>): string {
  // Single-object runs and many-object jobs (whose objects are listed too: each is a migration of its own).
  const parts = [`WorkflowType IN ('${MIGRATION_WORKFLOW}', '${JOB_WORKFLOW}')`];
  if (opts.name !== undefined && opts.name !== '') {
    // The name is validated against the job-name rule, so it can be quoted without escaping.
    if (!JOB_NAME_PATTERN.test(opts.name)) throw new InvalidRequestError([{ path: 'name', message: `a job name: ${JOB_NAME_RULE}` }], 'invalid filter');
    parts.push(`${SA.job.name} = '${opts.name}'`);
  }
  if (opts.status !== undefined && opts.status !== '') parts.push(statusClause(opts.status));
  return parts.join(' AND ');
}

/**
 * Temporal's page tokens are opaque bytes, and the server answers a corrupt one with an internal error after
 * retries. Ours wrap them with a checksum bound to the query: a garbled token, or one from another filter,
 * is a 400 here instead of a slow 5xx there.
 */
const tokenCheck = (raw: Buffer, query: string) => createHash('sha256').update(query).update('\0').update(raw).digest('base64url').slice(0, 12);

export function encodePageToken(raw: Buffer, query: string): string {
  return `${tokenCheck(raw, query)}.${raw.toString('base64url')}`;
}

export function decodePageToken(token: string, query: string): Buffer {
  const [check, data, ...rest] = token.split('.');
  const raw = data !== undefined && rest.length === 0 ? Buffer.from(data, 'base64url') : Buffer.alloc(0);
  if (!raw.length) throw new InvalidRequestError([{ path: 'pageToken', message: 'not a page token returned by this API' }], 'invalid filter');
  if (check !== tokenCheck(raw, query)) {
    throw new InvalidRequestError(
      [{ path: 'pageToken', message: 'this page token is corrupt or belongs to a different filter (status/name)' }],
      'invalid filter',
    );
  }
  return raw;
}

/** One page of migrations from Temporal visibility, newest first; pass nextPageToken back for the next page. */
export async function listMigrations(client: Client, opts: ListOptions = {}): Promise<MigrationList> {
  const query = visibilityQuery(opts);
  const pageSize = opts.pageSize ?? 20;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) {
    throw new InvalidRequestError([{ path: 'pageSize', message: 'an integer from 1 to 1000' }], 'invalid filter');
  }
  const token = opts.pageToken ? decodePageToken(opts.pageToken, query) : undefined;
  const res = await rpc(client, () =>
    client.workflowService.listWorkflowExecutions({ namespace: client.options.namespace, query, pageSize, nextPageToken: token }),
  );
  const decode = (raw: (typeof res.executions)[number]) => executionInfoFromRaw(raw, client.options.loadedDataConverter, raw, client.options.namespace);
  // A memo this process cannot decode (another deployment's payload codec) must not fail the whole page:
  // the item is listed without it.
  const items = await Promise.all(res.executions.map(async (raw) => summarize(await decode(raw).catch(() => decode({ ...raw, memo: null })))));
  const next = res.nextPageToken && res.nextPageToken.length ? encodePageToken(Buffer.from(res.nextPageToken), query) : null;
  return { items, nextPageToken: next, query };
}

export type ControlAction = 'pause' | 'resume' | 'cancel';

export interface ControlResult {
  id: string;
  runId: string;
  action: ControlAction;
  /** Status when the request was sent; signals and cancellation take effect asynchronously. */
  status: MigrationStatus;
}

/** pause / resume are signals (the same as `temporal workflow signal --name pause`); cancel is a cancellation request. */
export async function controlMigration(client: Client, id: string, action: ControlAction): Promise<ControlResult> {
  const desc = await describeMigration(client, id);
  const status = statusOf(desc);
  if (desc.status.name !== 'RUNNING') throw new ConflictError(`migration "${id}" is ${status.toLowerCase()}; cannot ${action} it`);
  const handle = client.workflow.getHandle(id, desc.runId, { followRuns: false });
  try {
    await rpc(client, async () => {
      if (action === 'pause') await handle.signal(pauseSignal);
      else if (action === 'resume') await handle.signal(resumeSignal);
      else await handle.cancel();
    });
  } catch (err) {
    // Closed (or continued as new) between describe and the request.
    if (err instanceof WorkflowNotFoundError) throw new ConflictError(`migration "${id}" is no longer running; cannot ${action} it`);
    throw err;
  }
  return { id, runId: desc.runId, action, status };
}

export const pauseMigration = (client: Client, id: string) => controlMigration(client, id, 'pause');
export const resumeMigration = (client: Client, id: string) => controlMigration(client, id, 'resume');
export const cancelMigration = (client: Client, id: string) => controlMigration(client, id, 'cancel');

/** Temporal answers and the namespace exists. */
export async function temporalHealth(client: Client, timeoutMs = 3_000): Promise<{ ok: true; namespace: string } | { ok: false; error: string }> {
  try {
    await client.withDeadline(Date.now() + timeoutMs, () => client.workflowService.describeNamespace({ namespace: client.options.namespace }));
    return { ok: true, namespace: client.options.namespace };
  } catch (err) {
    return { ok: false, error: errorText(unavailableOr(err)) };
  }
}

/** The Web UI page of a migration. */
export const uiLink = (uiUrl: string, namespace: string, id: string) =>
  `${uiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(id)}`;
