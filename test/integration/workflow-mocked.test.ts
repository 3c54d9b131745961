import { WorkflowFailedError, type WorkflowHandle, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure, type Duration } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { JobSpecInput } from '../../src/job/job-spec';
import { MIGRATION_WORKFLOW, pauseSignal, progressQuery, REPAIR_WORKFLOW, resumeSignal, SA } from '../../workflows/definitions';
import type { MigrationProgress, MigrationReport } from '../../workflows/types';
import { DIFF_PATCH, PUSHDOWN_PATCH } from '../../workflows/validate-phase';
import { uniqueSuffix } from '../helpers/env';
import {
  partitionDigest,
  scenarioDigest,
  scenarioRows,
  ScriptedActivities,
  type PartitionScript,
  type Recording,
  type Scenario,
} from '../helpers/scripted-activities';
import { parsed } from '../helpers/specs';
import { waitFor } from '../helpers/temporal';

/**
 * The migration workflow's orchestration alone: real workflow code on a real (local, ephemeral) Temporal
 * dev server, with fake activities answering from a scripted scenario. No database, so each case takes
 * seconds and can look at what the workflow asked for, not only at what it returned.
 *
 * The server is the stack's Temporal CLI binary started by TestWorkflowEnvironment.createLocal (about
 * 1 s), not the shared dev server: it lets the continue-as-new case set a tiny suggestContinueAsNew
 * threshold (a server-wide dynamic config, 2000 events on the shared stack) without touching anyone else.
 */

const CAN_THRESHOLD_EVENTS = 40;

const scripted = new ScriptedActivities();
let bundle: WorkflowBundleWithSourceMap;

interface Server {
  env: TestWorkflowEnvironment;
  worker: Worker;
  running: Promise<void>;
  taskQueue: string;
}

async function startServer(extraArgs: string[] = []): Promise<Server> {
  const bin = process.env.DATAMIGRATO_TEMPORAL_BIN;
  if (!bin) throw new Error('DATAMIGRATO_TEMPORAL_BIN is not set: eval "$(bash scripts/stack.sh env)" first');
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: bin },
      searchAttributes: Object.values(SA),
      extraArgs: ['--log-level', 'warn', ...extraArgs],
    },
  });
  const taskQueue = `wfmock-${uniqueSuffix()}`;
  // The production worker's options (worker/create-worker.ts), with the scripted activities.
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle: bundle,
    activities: scripted.activities(),
    maxConcurrentActivityTaskExecutions: 8,
    maxHeartbeatThrottleInterval: '100ms' as Duration,
    defaultHeartbeatThrottleInterval: '100ms' as Duration,
  });
  return { env, worker, running: worker.run(), taskQueue };
}

async function stopServer(s: Server | undefined): Promise<void> {
  if (!s) return;
  s.worker.shutdown();
  await s.running;
  await s.env.teardown();
}

function spec(name: string, extra: Partial<JobSpecInput> = {}) {
  return parsed({
    name,
    source: { type: 'memory', connection: { store: 'scripted' }, object: 'src' },
    target: { type: 'memory', connection: { store: 'scripted' }, object: 'dst' },
    parallelism: 2,
    ...extra,
  });
}

async function start(
  server: Server,
  scenario: Scenario,
  extra: Partial<JobSpecInput> = {},
): Promise<{ handle: WorkflowHandleWithFirstExecutionRunId; rec: Recording; id: string }> {
  const id = `wfmock-${expect.getState().currentTestName?.replace(/\W+/g, '-').slice(0, 40)}-${uniqueSuffix()}`;
  const rec = scripted.script(id, scenario);
  const handle = await server.env.client.workflow.start(MIGRATION_WORKFLOW, {
    taskQueue: server.taskQueue,
    workflowId: id,
    args: [{ spec: spec(id, extra) }],
    workflowExecutionTimeout: '2m',
  });
  return { handle, rec, id };
}

const progress = (h: WorkflowHandle) => h.query(progressQuery);
const statusAttr = async (h: WorkflowHandle) => (await h.describe()).typedSearchAttributes.get(SA.status);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const uniform = (chunks: number, rows: number): PartitionScript => ({ chunkRows: Array.from({ length: chunks }, () => rows) });

let main: Server | undefined;

beforeAll(async () => {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Already installed by an earlier test file in this jest process.
  }
  bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: new DefaultLogger('WARN') });
  main = await startServer();
}, 60_000);

afterAll(async () => {
  await stopServer(main);
});

test('completes: rows, chunks and digests per partition, validation from the scans, parallelism respected', async () => {
  const scenario: Scenario = {
    partitions: [{ chunkRows: [100, 100, 100, 37] }, { chunkRows: [250, 250, 250] }, { chunkRows: [7, 7, 7, 7, 1] }],
    chunkMs: 60,
  };
  const { handle, rec } = await start(main!, scenario);
  const report: MigrationReport = await handle.result();

  expect(report.status).toBe('completed');
  expect(report.rows).toBe(scenarioRows(scenario));
  expect(report.rows).toBe(337 + 750 + 29);
  expect(report.partitions.map((p) => [p.id, p.rows, p.chunks, p.done, p.resumes])).toEqual([
    [0, 337, 4, true, 0],
    [1, 750, 3, true, 0],
    [2, 29, 5, true, 0],
  ]);
  report.partitions.forEach((p) => expect(p.digest).toEqual(partitionDigest(p.id, scenario.partitions[p.id]!)));
  expect(report.copyDigest).toEqual(scenarioDigest(scenario));
  expect(report.copyDigest!.count).toBe(report.rows);
  expect(report.validation).toMatchObject({ status: 'match', source: report.copyDigest, target: report.copyDigest, mismatchedBuckets: [] });
  expect(report.droppedFields).toBe(0);
  expect(report.continuedAsNew).toBe(0);
  expect(report.target.object).toBe(`scripted.${report.job}`);

  // Every chunk asked for exactly once, in cursor order, never past done.
  expect(rec.calls).toHaveLength(12);
  for (const [id, p] of scenario.partitions.entries()) {
    expect(rec.calls.filter((c) => c.partition === id).map((c) => c.chunk)).toEqual(p.chunkRows.map((_, i) => i));
  }
  // parallelism 2 over 3 partitions: two chunks at once, never three.
  expect(rec.maxInFlight).toBe(2);
  expect(rec.plans).toBe(1);
  expect(
    rec.scans
      .filter((s) => s.side === 'source')
      .map((s) => s.range.id)
      .sort(),
  ).toEqual([0, 1, 2]);
  expect(rec.scans.filter((s) => s.side === 'target')).toHaveLength(1);

  const p: MigrationProgress = await progress(handle);
  expect(p).toMatchObject({ phase: 'completed', paused: false, rows: report.rows, estimatedRows: report.rows, etaSeconds: 0 });
  expect(p.partitions.every((x) => x.state === 'done')).toBe(true);
  const desc = await handle.describe();
  expect(desc.status.name).toBe('COMPLETED');
  expect(desc.typedSearchAttributes.get(SA.status)).toBe('Completed');
  expect(desc.typedSearchAttributes.get(SA.rows)).toBe(report.rows);
  expect(desc.typedSearchAttributes.get(SA.job)).toBe(report.job);
  expect(desc.typedSearchAttributes.get(SA.source)).toBe('memory');
  expect(desc.memo?.summary).toEqual({
    status: 'completed',
    rows: report.rows,
    quarantined: 0,
    rowsPerSecond: report.rowsPerSecond,
    validation: 'match',
    partitions: 3,
  });
});

test('pause stops scheduling chunks (query and search attribute say paused); resume completes', async () => {
  const scenario: Scenario = { partitions: [uniform(12, 10), uniform(12, 10)], chunkMs: 150 };
  const { handle, rec } = await start(main!, scenario);
  await waitFor(
    async () => rec.calls.length,
    (n) => n >= 3,
    20_000,
    20,
  );

  await handle.signal(pauseSignal);
  const paused = await waitFor(
    () => progress(handle),
    (p) => p.paused,
    10_000,
    50,
  );
  expect(paused.phase).toBe('paused');
  // The chunks in flight at the pause finish; then nothing new may start.
  await waitFor(
    async () => rec.inFlight,
    (n) => n === 0,
    10_000,
    20,
  );
  const pausedAt = Date.now();
  const callsAtPause = rec.calls.length;
  await sleep(1_500);
  expect(rec.calls.length).toBe(callsAtPause);
  expect(rec.calls.length).toBeLessThan(24);

  const during = await progress(handle);
  expect(during).toMatchObject({ phase: 'paused', paused: true, rows: callsAtPause * 10 });
  expect(during.partitions.some((p) => p.state === 'copying')).toBe(false);
  expect(
    await waitFor(
      () => statusAttr(handle),
      (s) => s === 'Paused',
      5_000,
      100,
    ),
  ).toBe('Paused');

  await handle.signal(resumeSignal);
  const report: MigrationReport = await handle.result();
  expect(report.status).toBe('completed');
  expect(report.rows).toBe(240);
  expect(report.partitions.map((p) => p.chunks)).toEqual([12, 12]);
  expect(rec.calls).toHaveLength(24);
  expect(rec.calls.filter((c) => c.startedAt >= pausedAt).length).toBe(24 - callsAtPause);
  expect(rec.calls.slice(callsAtPause).every((c) => c.startedAt >= pausedAt + 1_500)).toBe(true);
  expect(await statusAttr(handle)).toBe('Completed');
});

test('cancel: chunks stop with their partial progress, the run ends CANCELLED and the memo counts those rows', async () => {
  const scenario: Scenario = { partitions: [uniform(1, 0), uniform(1, 0), uniform(1, 0)], streamUntilCancelled: { rows: 25, everyMs: 50 } };
  const { handle, rec } = await start(main!, scenario);
  // Let both chunks in flight (parallelism 2) copy and heartbeat a few batches.
  await waitFor(
    async () => rec.calls.length,
    (n) => n === 2,
    10_000,
    20,
  );
  await sleep(600);

  await handle.cancel();
  const err = await handle.result().then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
  const desc = await handle.describe();
  expect(desc.status.name).toBe('CANCELLED');

  // Both chunks saw the cancellation and reported how far they got.
  expect(rec.calls).toHaveLength(2);
  expect(rec.stoppedRows).toHaveLength(2);
  const partial = rec.stoppedRows.reduce((a, b) => a + b, 0);
  expect(partial).toBeGreaterThanOrEqual(2 * 25 * 5);
  expect(desc.memo?.summary).toMatchObject({ status: 'canceled', rows: partial, validation: null, partitions: 3 });
  expect(desc.typedSearchAttributes.get(SA.status)).toBe('Canceled');
  expect(desc.typedSearchAttributes.get(SA.rows)).toBe(partial);
  const p = await progress(handle);
  expect(p.phase).toBe('canceled');
  expect(p.rows).toBe(partial);
  expect(p.partitions.filter((x) => x.rows > 0)).toHaveLength(2);
});

test('a chunk failing once with a retryable failure is retried and the run completes', async () => {
  const scenario: Scenario = {
    partitions: [uniform(3, 10), uniform(3, 10)],
    failChunk: (c) => (c.partition === 1 && c.chunk === 1 && c.attempt === 1 ? ApplicationFailure.retryable('connection reset', 'TransientError') : undefined),
  };
  const { handle, rec } = await start(main!, scenario);
  const report: MigrationReport = await handle.result();
  expect(report.status).toBe('completed');
  expect(report.rows).toBe(60);
  expect(report.partitions.map((p) => p.chunks)).toEqual([3, 3]);
  expect(report.copyDigest).toEqual(scenarioDigest(scenario));
  expect(rec.calls.filter((c) => c.partition === 1 && c.chunk === 1).map((c) => c.attempt)).toEqual([1, 2]);
  expect(rec.calls).toHaveLength(7);
});

test('a non-retryable RecordError fails the workflow, naming the phase', async () => {
  const scenario: Scenario = {
    partitions: [uniform(3, 10), uniform(3, 10)],
    chunkMs: 20,
    failChunk: (c) => (c.partition === 0 && c.chunk === 1 ? ApplicationFailure.nonRetryable('row 42: value too long for name', 'RecordError') : undefined),
  };
  const { handle, rec } = await start(main!, scenario);
  const err = await handle.result().then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  expect((cause as ApplicationFailure).type).toBe('RecordError');
  expect((cause as ApplicationFailure).message).toBe('migration failed while copying: row 42: value too long for name');
  expect((cause as ApplicationFailure).nonRetryable).toBe(true);
  // Not retried: one attempt of the failing chunk.
  expect(rec.calls.filter((c) => c.partition === 0 && c.chunk === 1).map((c) => c.attempt)).toEqual([1]);
  const desc = await handle.describe();
  expect(desc.status.name).toBe('FAILED');
  expect(desc.typedSearchAttributes.get(SA.status)).toBe('Failed');
  expect((await progress(handle)).phase).toBe('failed');
});

test('droppedFields from chunk progress is summed into the report (chunks that report none count 0)', async () => {
  const scenario: Scenario = {
    partitions: [{ chunkRows: [10, 10, 5], chunkDroppedFields: [3, undefined, 4] }, { chunkRows: [8, 8], chunkDroppedFields: [0, 11] }, { chunkRows: [6] }],
  };
  const { handle } = await start(main!, scenario);
  const report: MigrationReport = await handle.result();
  expect(report.status).toBe('completed');
  expect(report.rows).toBe(47);
  expect(report.droppedFields).toBe(3 + 4 + 11);
});

describe(`continue-as-new (own server, suggestContinueAsNew at ${CAN_THRESHOLD_EVENTS} events)`, () => {
  let can: Server | undefined;
  beforeAll(async () => {
    can = await startServer(['--dynamic-config-value', `limit.historyCount.suggestContinueAsNew=${CAN_THRESHOLD_EVENTS}`]);
  }, 30_000);
  afterAll(async () => {
    await stopServer(can);
  });

  test('rolls over several times, carrying cursors, counts and digests; no chunk lost or repeated', async () => {
    const scenario: Scenario = { partitions: [uniform(20, 5), uniform(15, 7), uniform(10, 3)] };
    const { handle, rec, id } = await start(can!, scenario);
    const firstRunId = handle.firstExecutionRunId;
    const report: MigrationReport = await handle.result();

    expect(report.status).toBe('completed');
    // ~6 history events per chunk, 45 chunks, a 40-event threshold: several runs.
    expect(report.continuedAsNew).toBeGreaterThanOrEqual(3);
    expect(report.rows).toBe(100 + 105 + 30);
    expect(report.partitions.map((p) => p.chunks)).toEqual([20, 15, 10]);
    expect(report.copyDigest).toEqual(scenarioDigest(scenario));
    expect(report.validation).toMatchObject({ status: 'match' });
    for (const [pid, p] of scenario.partitions.entries()) {
      expect(rec.calls.filter((c) => c.partition === pid).map((c) => c.chunk)).toEqual(p.chunkRows.map((_, i) => i));
    }
    expect(rec.plans).toBe(1);
    expect(rec.scans.filter((s) => s.side === 'source')).toHaveLength(3);

    const first = await can!.env.client.workflow.getHandle(id, firstRunId).describe();
    expect(first.status.name).toBe('CONTINUED_AS_NEW');
    const last = await can!.env.client.workflow.getHandle(id).describe();
    expect(last.runId).not.toBe(firstRunId);
    expect(last.status.name).toBe('COMPLETED');
    expect(last.historyLength).toBeLessThan(CAN_THRESHOLD_EVENTS * 3);
    // Set once by the first run; later runs must still be findable by job.
    expect(last.typedSearchAttributes.get(SA.job)).toBe(report.job);
    expect(last.typedSearchAttributes.get(SA.status)).toBe('Completed');
    expect(last.typedSearchAttributes.get(SA.rows)).toBe(report.rows);
    expect((await handle.query(progressQuery)).rows).toBe(report.rows);
  });
});

describe('validation modes, narrowing and repair (patch validation-diff-repair)', () => {
  /** The ids of the patch markers a run recorded. */
  const patches = async (h: WorkflowHandle): Promise<string[]> => {
    const events = (await h.fetchHistory()).events ?? [];
    return events.flatMap((e) => {
      const m = e.markerRecordedEventAttributes;
      const data = m?.markerName === 'core_patch' ? m.details?.['patch-data']?.payloads?.[0]?.data : undefined;
      return data ? [(JSON.parse(Buffer.from(data).toString('utf8')) as { id: string }).id] : [];
    });
  };
  const twoParts = () => [uniform(2, 10), uniform(2, 10)];

  test('checksums (the default) narrows nothing and records no diff-repair patch marker, even on a mismatch: the old command sequence', async () => {
    const { handle, rec } = await start(main!, { partitions: twoParts(), tamperedTarget: { partitions: [1], repairFixes: true } });
    const report: MigrationReport = await handle.result();
    expect(report.validation).toMatchObject({ status: 'mismatch', mismatchedBuckets: [{ bucket: 1 }] });
    expect(report.validation).not.toHaveProperty('diff');
    expect(rec.narrows).toHaveLength(0);
    expect(await patches(handle)).not.toContain(DIFF_PATCH);
  });

  test('full: a mismatch is narrowed once, over the differing buckets; the list is referenced, not carried', async () => {
    const { handle, rec, id } = await start(main!, { partitions: twoParts(), tamperedTarget: { partitions: [1], repairFixes: true } }, {
      validate: { mode: 'full' },
    } as Partial<JobSpecInput>);
    const report: MigrationReport = await handle.result();
    expect(rec.narrows).toEqual([{ ref: `${id}/validate.jsonl`, mismatched: [expect.objectContaining({ bucket: 1 })] }]);
    expect(report.validation).toMatchObject({ status: 'mismatch', mode: 'full', diff: { ref: `${id}/validate.jsonl`, extra: 1 } });
    expect(rec.repairs).toHaveLength(0);
    expect(await patches(handle)).toContain(DIFF_PATCH);
  });

  test('full on a match narrows nothing', async () => {
    const { handle, rec } = await start(main!, { partitions: twoParts() }, { validate: { mode: 'full' } } as Partial<JobSpecInput>);
    expect((await handle.result()).validation).toMatchObject({ status: 'match', mode: 'full' });
    expect(rec.narrows).toHaveLength(0);
  });

  test('repair: narrow, repair the listed keys, validate again (match); the memo follows the validation after repair', async () => {
    const { handle, rec, id } = await start(main!, { partitions: twoParts(), tamperedTarget: { partitions: [0, 1], repairFixes: true } }, {
      repair: { deleteExtra: true },
    } as Partial<JobSpecInput>);
    const report: MigrationReport = await handle.result();
    expect(report.validation).toMatchObject({ status: 'mismatch', diff: { extra: 2 } });
    expect(rec.repairs).toEqual([{ ref: `${id}/validate.jsonl`, runId: handle.firstExecutionRunId }]);
    expect(report.repair).toMatchObject({ deleted: 2, extraNotDeleted: 0, validation: { status: 'match' } });
    expect(rec.narrows).toHaveLength(1); // the validation after repair matched: nothing to narrow
    expect(rec.scans.filter((s) => s.side === 'target')).toHaveLength(2);
    expect((await handle.describe()).memo?.summary).toMatchObject({ validation: 'match' });
  });

  test('repair that cannot fix everything narrows again and reports what is left', async () => {
    const { handle, rec, id } = await start(main!, { partitions: twoParts(), tamperedTarget: { partitions: [1], repairFixes: false } }, {
      repair: true,
    } as Partial<JobSpecInput>);
    const report: MigrationReport = await handle.result();
    expect(report.repair).toMatchObject({ extraNotDeleted: 1, validation: { status: 'mismatch', diff: { ref: `${id}/repair-validate.jsonl`, extra: 1 } } });
    expect(rec.narrows.map((n) => n.ref)).toEqual([`${id}/validate.jsonl`, `${id}/repair-validate.jsonl`]);
  });

  test('pushdown (patch validation-pushdown): a match is decided by the store scans alone', async () => {
    const { handle, rec } = await start(main!, { partitions: twoParts(), storeDigest: 'test-kind' });
    const report: MigrationReport = await handle.result();
    expect(report.validation).toMatchObject({ status: 'match', pushdown: { kind: 'test-kind', status: 'match' }, source: report.copyDigest });
    expect(rec.scans).toHaveLength(3);
    expect(rec.scans.every((s) => s.storeDigest)).toBe(true);
    expect(await patches(handle)).toContain(PUSHDOWN_PATCH);
  });

  test('pushdown: a mismatch is checked again canonically, then narrowed (mode full) from the canonical buckets', async () => {
    const { handle, rec } = await start(main!, { partitions: twoParts(), storeDigest: 'test-kind', tamperedTarget: { partitions: [1], repairFixes: true } }, {
      validate: { mode: 'full' },
    } as Partial<JobSpecInput>);
    const report: MigrationReport = await handle.result();
    expect(rec.scans.map((s) => Boolean(s.storeDigest))).toEqual([true, true, true, false, false, false]);
    expect(report.validation).toMatchObject({
      status: 'mismatch',
      mode: 'full',
      pushdown: { status: 'mismatch' },
      mismatchedBuckets: [{ bucket: 1 }],
      diff: { extra: 1 },
    });
    expect(rec.narrows).toEqual([{ ref: expect.any(String), mismatched: [expect.objectContaining({ bucket: 1 })] }]);
  });

  test('pushdown is not asked for with validate.pushdown false, nor in mode counts: no marker, row scans only', async () => {
    for (const validate of [{ pushdown: false }, { mode: 'counts' as const }]) {
      const { handle, rec } = await start(main!, { partitions: twoParts(), storeDigest: 'test-kind' }, { validate } as Partial<JobSpecInput>);
      expect((await handle.result()).validation).not.toHaveProperty('pushdown');
      expect(rec.scans.some((s) => s.storeDigest)).toBe(false);
      expect(await patches(handle)).not.toContain(PUSHDOWN_PATCH);
    }
  });

  test('counts scans count only; sample counts, then compares the sampled keys', async () => {
    const counts = await start(main!, { partitions: twoParts() }, { validate: { mode: 'counts' } } as Partial<JobSpecInput>);
    expect((await counts.handle.result()).validation).toMatchObject({ status: 'match', mode: 'counts', mismatchedBuckets: [] });
    expect(counts.rec.scans.every((s) => s.countOnly)).toBe(true);

    const sample = await start(main!, { partitions: twoParts(), sampleDifferent: 2 }, { validate: { mode: 'sample', sampleSize: 7 } } as Partial<JobSpecInput>);
    const report: MigrationReport = await sample.handle.result();
    expect(sample.rec.samples).toEqual([{ ref: `${sample.id}/validate.jsonl` }]);
    expect(report.validation).toMatchObject({ status: 'mismatch', mode: 'sample', diff: { scope: 'sample', different: 2, keysCompared: 7 } });
  });

  test('repairWorkflow (datamigrato repair): plans again, repairs the given list, validates with narrowing', async () => {
    const id = `wfmock-repair-${uniqueSuffix()}`;
    const rec = scripted.script(id, { partitions: twoParts(), tamperedTarget: { partitions: [0], repairFixes: false } });
    const diff = {
      ref: 'm1/validate.jsonl',
      scope: 'full' as const,
      missing: 0,
      extra: 1,
      different: 0,
      listed: 1,
      limitHit: false,
      keysCompared: 1,
      passes: 1,
    };
    const report = await main!.env.client.workflow.execute(REPAIR_WORKFLOW, {
      taskQueue: main!.taskQueue,
      workflowId: id,
      args: [{ spec: spec(id, { repair: true } as Partial<JobSpecInput>), of: 'm1', diff }],
      workflowExecutionTimeout: '1m',
    });
    expect(rec.plans).toBe(1);
    expect(rec.repairs.map((r) => r.ref)).toEqual(['m1/validate.jsonl']);
    expect(report).toMatchObject({
      of: 'm1',
      repair: { extraNotDeleted: 1, validation: { status: 'mismatch', diff: { ref: `${id}/repair-validate.jsonl` } } },
    });
  });
});
