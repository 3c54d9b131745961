import { randomUUID } from 'node:crypto';
import { confinementIssues, secretPolicy } from '../src/secrets/confine';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { listConnectors } from '../src/connectors/registry';
import type { JobSpec, SpecIssue } from '../src/job/job-spec';
import { workflowTypeOf } from '../src/job/kind';
import { MultiJobSpecSchema, type MultiJobSpec } from '../src/job/multi-spec';
import { JOB_WORKFLOW, SA } from '../workflows/definitions';
import type { JobInput, JobReport } from '../workflows/job-types';
import { ConflictError } from './errors';
import { describeWorkflow, startMigration, unavailableOr, type StartOptions, type StartResult } from './migrations';
import { specHash, specIssues, validateSpec, type ConnectorRoles } from './spec';

/**
 * Many-object jobs on the client side: validating either kind of spec, starting the workflow type the spec
 * needs, the live view of a job (its running children's progress added), and retrying a job's failed objects.
 */

export { workflowTypeOf } from '../src/job/kind';
export { isJobProgress, isJobReport, withLiveChildren } from './job-view';

export type AnySpecCheck = { ok: true; kind: 'single'; spec: JobSpec } | { ok: true; kind: 'job'; spec: MultiJobSpec } | { ok: false; issues: SpecIssue[] };

/** Schema + roles for either kind: a spec with `objects` or `include` is a many-object job, else a single migration. */
export function validateAnySpec(input: unknown, opts: { prefix?: string; connectors?: readonly ConnectorRoles[] } = {}): AnySpecCheck {
  if (workflowTypeOf(input) !== JOB_WORKFLOW) {
    const r = validateSpec(input, opts);
    return r.ok ? { ok: true, kind: 'single', spec: r.spec } : r;
  }
  const res = MultiJobSpecSchema.safeParse(input);
  if (!res.success) return { ok: false, issues: specIssues(res.error, opts.prefix) };
  const connectors = opts.connectors ?? listConnectors();
  const issues: SpecIssue[] = [];
  for (const side of ['source', 'target'] as const) {
    const c = connectors.find((x) => x.type === res.data[side].type);
    if (c && !c.capabilities[side])
      issues.push({ path: `${opts.prefix ? `${opts.prefix}.` : ''}${side}.type`, message: `connector "${c.type}" cannot be a ${side}` });
  }
  if (issues.length) return { ok: false, issues };
  // The same fence as a single spec (src/secrets/confine.ts): the API refuses what the worker would.
  const fenced = confinementIssues(res.data, secretPolicy());
  if (fenced.length) return { ok: false, issues: fenced.map((i) => ({ ...i, path: `${opts.prefix ? `${opts.prefix}.` : ''}${i.path}` })) };
  return { ok: true, kind: 'job', spec: res.data };
}

const jobSummary = (spec: MultiJobSpec) => {
  const what = spec.objects ? `${spec.objects.length} objects` : `${spec.include!.join(', ')}${spec.exclude.length ? ` minus ${spec.exclude.join(', ')}` : ''}`;
  return `${spec.source.type} ${what} → ${spec.target.type}`;
};

/** Starts the workflow a validated spec needs; a job start is idempotent by id like a migration's. */
export async function startAny(client: Client, checked: Extract<AnySpecCheck, { ok: true }>, opts: StartOptions): Promise<StartResult> {
  if (checked.kind === 'single') return startMigration(client, checked.spec, opts);
  return startJob(client, { spec: checked.spec }, opts);
}

async function startJob(client: Client, input: JobInput, opts: StartOptions): Promise<StartResult> {
  const { spec } = input;
  const id = opts.id ?? `job-${spec.name}-${randomUUID()}`;
  const hash = specHash(spec as unknown as JobSpec);
  const summary = `${jobSummary(spec)}${input.retryOf ? ` (retry of ${input.retryOf}: ${input.only?.length ?? 0} objects)` : ''}`;
  try {
    const handle = await client.workflow.start(JOB_WORKFLOW, {
      taskQueue: opts.taskQueue,
      workflowId: id,
      args: [input],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      workflowIdConflictPolicy: 'FAIL',
      typedSearchAttributes: [
        { key: SA.job, value: spec.name },
        { key: SA.source, value: spec.source.type },
        { key: SA.target, value: spec.target.type },
        { key: SA.status, value: 'Queued' },
      ],
      memo: { specHash: hash, label: summary, ...(input.retryOf ? { retryOf: input.retryOf } : {}) },
      staticSummary: summary,
    });
    return { id, runId: handle.firstExecutionRunId, created: true, summary, spec: spec as unknown as JobSpec };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw unavailableOr(err);
    const desc = await client.workflow.getHandle(id).describe();
    if (desc.type !== JOB_WORKFLOW || (desc.memo as { specHash?: string } | undefined)?.specHash !== hash)
      throw new ConflictError(`id "${id}" already names a workflow started with a different spec; use another id`);
    return { id, runId: desc.runId, created: false, summary, spec: spec as unknown as JobSpec };
  }
}

export interface RetryStart extends StartResult {
  of: string;
  objects: string[];
}

/** The input a job was started with (specs hold secret references only). */
async function startedJobInput(client: Client, id: string): Promise<JobInput> {
  const history = await client.workflow.getHandle(id).fetchHistory();
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload) throw new ConflictError(`job "${id}" has no recorded input`);
  return client.options.loadedDataConverter.payloadConverter.fromPayload<JobInput>(payload);
}

/**
 * Re-runs only the objects a closed job did not complete (failed, canceled, never started, or validated as a
 * mismatch): a new `jobWorkflow` restricted to those names, linked to the original (`retryOf`, `<id>-retry-<n>`).
 */
export async function retryJob(client: Client, id: string, opts: { taskQueue: string; id?: string }): Promise<RetryStart> {
  const desc = await describeWorkflow(client, id);
  const handle = client.workflow.getHandle(id);
  if (desc.type !== JOB_WORKFLOW)
    throw new ConflictError(`"${id}" is a single-object migration: retry re-runs the failed objects of a many-object job; start the spec again`);
  if (desc.status.name === 'RUNNING') throw new ConflictError(`job "${id}" is still running: retry it once it has ended`);
  let report: JobReport;
  try {
    report = await handle.result();
  } catch (err) {
    if (err instanceof WorkflowFailedError)
      throw new ConflictError(`job "${id}" failed before running its objects (${err.cause?.message ?? err.message}): start it again`);
    throw unavailableOr(err);
  }
  if (!report.failed.length) throw new ConflictError(`job "${id}" has no failed objects to retry`);
  const original = await startedJobInput(client, id);
  const root = original.retryOf ?? id;
  const started = await startJob(
    client,
    { spec: original.spec, only: report.failed, retryOf: id },
    {
      taskQueue: opts.taskQueue,
      id: opts.id ?? `${root}-retry-${randomUUID().slice(0, 8)}`,
    },
  );
  return { ...started, of: id, objects: report.failed };
}
