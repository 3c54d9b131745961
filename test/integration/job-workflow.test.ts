import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import * as activities from '../../activities';
import { retryJob } from '../../client/jobs';
import { dropMemoryObject, dropMemoryStore, seedMemoryObject } from '../../src/connectors/memory/store';
import { parseMultiJobSpec, type MultiJobSpecInput } from '../../src/job/multi-spec';
import type { ObjectSchema, Row } from '../../src/model/types';
import { JOB_WORKFLOW, SA, pauseSignal, progressQuery, resumeSignal } from '../../workflows/definitions';
import type { JobProgress, JobReport } from '../../workflows/job-types';
import type { MigrationProgress } from '../../workflows/types';
import { uniqueSuffix } from '../helpers/env';
import { historyJson, waitFor } from '../helpers/temporal';

/**
 * The parent workflow of a many-object job on a local, ephemeral Temporal server (the stack's CLI binary, as
 * workflow-mocked.test.ts), with the real activities over the memory connector: the orchestration (bounded
 * concurrency, failures that do not stop the others, failFast, retry of the failed objects only, pause/resume/cancel
 * reaching the children) without a database.
 */

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
const taskQueue = `jobwf-${uniqueSuffix()}`;
const src = `jw-src-${uniqueSuffix()}`;
const dst = `jw-dst-${uniqueSuffix()}`;
const ROW_MARK = 'row-value-never-in-history';

const schema = (object: string, key = ['id']): ObjectSchema => ({
  object,
  key,
  fields: [
    { name: 'id', type: 'int32', nullable: false },
    { name: 'v', type: 'string', nullable: false },
  ],
});
const rows = (n: number): Row[] => Array.from({ length: n }, (_, i) => ({ id: i + 1, v: `${ROW_MARK}-${i}` }));

beforeAll(async () => {
  const bin = process.env.DATAMIGRATO_TEMPORAL_BIN;
  if (!bin) throw new Error('DATAMIGRATO_TEMPORAL_BIN is not set: eval "$(bash scripts/stack.sh env)" first');
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Already installed by an earlier test file in this jest process.
  }
  env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: bin }, searchAttributes: Object.values(SA), extraArgs: ['--log-level', 'warn'] },
  });
  worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowsPath: require.resolve('../../workflows'),
    activities,
    maxConcurrentActivityTaskExecutions: 8,
    maxHeartbeatThrottleInterval: '100ms' as Duration,
    defaultHeartbeatThrottleInterval: '100ms' as Duration,
  });
  running = worker.run();
  for (const o of ['a', 'b', 'c', 'd', 'e', 'tmp_z']) seedMemoryObject(src, schema(o), rows(200));
}, 120_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
  dropMemoryStore(src);
  dropMemoryStore(dst);
});

function jobSpec(name: string, extra: Partial<MultiJobSpecInput> = {}) {
  const r = parseMultiJobSpec({
    name,
    source: { type: 'memory', connection: { store: src } },
    target: { type: 'memory', connection: { store: dst } },
    include: [`${src}.*`],
    exclude: ['*.tmp_*'],
    batchSize: 50,
    parallelism: 2,
    ...extra,
  });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.spec;
}

const start = (id: string, extra: Partial<MultiJobSpecInput> = {}) =>
  env.client.workflow.start(JOB_WORKFLOW, { taskQueue, workflowId: id, args: [{ spec: jobSpec(id, extra) }], workflowExecutionTimeout: '3m' });

/** Most children open at once, from the parent's own history (start initiated … child closed). */
async function maxOpenChildren(h: WorkflowHandle): Promise<number> {
  const { events } = await h.fetchHistory();
  let open = 0;
  let max = 0;
  for (const e of events ?? []) {
    if (e.startChildWorkflowExecutionInitiatedEventAttributes) max = Math.max(max, ++open);
    if (e.childWorkflowExecutionCompletedEventAttributes || e.childWorkflowExecutionFailedEventAttributes || e.childWorkflowExecutionCanceledEventAttributes)
      open--;
  }
  return max;
}

test('listed objects, at most maxParallelObjects at once; a failed object does not stop the others; retry re-runs only it', async () => {
  const id = `jw-retry-${uniqueSuffix()}`;
  // The cause: a target object keyed by another field, which the child's prepare refuses (SchemaError).
  seedMemoryObject(dst, schema('c', ['v']), []);
  const handle = await start(id, { maxParallelObjects: 2 });
  const report: JobReport = await handle.result();
  console.log(JSON.stringify(report.objects.map((o) => [o.name, o.status, o.rows, o.validation, o.error?.slice(0, 80)])));

  expect(report.status).toBe('failed');
  expect(report.objects.map((o) => o.name)).toEqual(['a', 'b', 'c', 'd', 'e'].map((o) => `${src}.${o}`)); // tmp_z excluded
  expect(report.failed).toEqual([`${src}.c`]);
  const c = report.objects.find((o) => o.name === `${src}.c`)!;
  expect(c.status).toBe('failed');
  expect(c.error).toMatch(/keyed by \(v\)/);
  for (const o of report.objects.filter((x) => x !== c))
    expect([o.status, o.rows, o.validation, o.sourceCount, o.targetCount]).toEqual(['completed', 200, 'match', 200, 200]);
  expect(report.rows).toBe(800);
  expect(await maxOpenChildren(handle)).toBe(2);
  expect((await handle.describe()).typedSearchAttributes.get(SA.status)).toBe('Failed');
  expect(await historyJson(handle)).not.toContain(ROW_MARK);

  dropMemoryObject(dst, 'c'); // the cause removed
  const retry = await retryJob(env.client, id, { taskQueue });
  expect(retry.objects).toEqual([`${src}.c`]);
  const again: JobReport = await env.client.workflow.getHandle(retry.id).result();
  expect(again.retryOf).toBe(id);
  expect(again.status).toBe('completed');
  expect(again.objects.map((o) => o.status)).toEqual(['skipped', 'skipped', 'completed', 'skipped', 'skipped']);
  expect(again.objects[2]).toMatchObject({ rows: 200, validation: 'match', sourceCount: 200, targetCount: 200 });
  await expect(retryJob(env.client, retry.id, { taskQueue })).rejects.toThrow(/no failed objects to retry/);
}, 120_000);

test('failFast: the first failure cancels the rest, and every object not completed is named for a retry', async () => {
  const id = `jw-failfast-${uniqueSuffix()}`;
  seedMemoryObject(dst, schema('ff_a', ['v']), []);
  const objects = ['a', 'b', 'c'].map((o) => ({ source: { object: o }, target: { object: `ff_${o}` } }));
  const report: JobReport = await (await start(id, { include: undefined, exclude: undefined, objects, failFast: true, maxParallelObjects: 1 })).result();
  expect(report.objects.map((o) => o.status)).toEqual(['failed', 'canceled', 'canceled']);
  expect(report.objects[1]!.error).toMatch(/failFast/);
  expect(report.failed).toHaveLength(3);
  dropMemoryObject(dst, 'ff_a');
}, 60_000);

test('pause and resume reach the running children; cancel cancels them and the job ends Canceled', async () => {
  const id = `jw-control-${uniqueSuffix()}`;
  for (const o of ['slow1', 'slow2']) seedMemoryObject(src, schema(`pc_${o}`), rows(4000));
  const handle = await start(id, {
    include: [`${src}.pc_*`],
    exclude: [],
    targetPrefix: 'pc_copy_',
    batchSize: 10,
    chunk: { maxBatches: 1 },
    maxParallelObjects: 2,
  });
  const job = () => handle.query(progressQuery) as Promise<JobProgress>;
  const both = await waitFor(job, (p) => p.objects.filter((o) => o.status === 'running').length === 2, 30_000, 100);
  const children = both.objects.map((o) => env.client.workflow.getHandle(o.workflowId));
  const child = (i: number) => children[i]!.query(progressQuery) as Promise<MigrationProgress>;
  await waitFor(
    () => child(0),
    (p) => p.phase === 'copying',
    30_000,
    100,
  );

  await handle.signal(pauseSignal);
  for (const i of [0, 1])
    expect(
      (
        await waitFor(
          () => child(i),
          (p) => p.paused,
          10_000,
          100,
        )
      ).paused,
    ).toBe(true);
  expect((await job()).phase).toBe('paused');
  const held = (await child(0)).rows;
  await new Promise((r) => setTimeout(r, 1_500));
  expect((await child(0)).rows).toBeLessThanOrEqual(held + 10); // at most the chunk in hand
  await handle.signal(resumeSignal);
  for (const i of [0, 1])
    expect(
      (
        await waitFor(
          () => child(i),
          (p) => !p.paused,
          10_000,
          100,
        )
      ).paused,
    ).toBe(false);

  await handle.cancel();
  await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
  for (const c of children) expect((await c.describe()).status.name).toBe('CANCELLED');
  const desc = await handle.describe();
  expect(desc.status.name).toBe('CANCELLED');
  expect((desc.memo as { summary?: { status: string } }).summary?.status).toBe('canceled');
}, 90_000);

test('a retried object the source no longer lists is reported failed, not dropped', async () => {
  const id = `jw-gone-${uniqueSuffix()}`;
  const spec = jobSpec(id, { targetPrefix: 'gone_', exclude: ['*.tmp_*', '*.pc_*'] }); // pc_*: the pause test's objects
  const report: JobReport = await env.client.workflow.execute(JOB_WORKFLOW, {
    taskQueue,
    workflowId: id,
    args: [{ spec, only: [`${src}.a`, `${src}.vanished`], retryOf: 'an-earlier-run' }],
    workflowExecutionTimeout: '1m',
  });
  expect(report.objects.map((o) => [o.name, o.status])).toEqual([
    ...['a', 'b', 'c', 'd', 'e'].map((o) => [`${src}.${o}`, o === 'a' ? 'completed' : 'skipped']),
    [`${src}.vanished`, 'failed'],
  ]);
  expect(report.failed).toEqual([`${src}.vanished`]);
  expect(report.objects.at(-1)!.error).toMatch(/no longer listed/);
}, 60_000);
