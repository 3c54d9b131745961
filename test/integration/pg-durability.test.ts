import { WorkflowFailedError } from '@temporalio/client';
import { SA } from '../../workflows/definitions';
import type { MigrationProgress, MigrationReport } from '../../workflows/types';
import { env, uniqueSuffix } from '../helpers/env';
import { countRows, createCountingTarget, createSimpleSource, pgQuery, rowDiff } from '../helpers/pg';
import { historyJson, startHarness, waitFor, type TemporalHarness } from '../helpers/temporal';
import { spawnWorker } from '../helpers/worker-process';
import { parsed, pgSpec } from '../helpers/specs';

const SCHEMA = 'dm_test';
const ROWS = 200_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('durability and control on the real dev server', () => {
  const src = `simple_src_${uniqueSuffix()}`;
  beforeAll(async () => createSimpleSource(SCHEMA, src, ROWS), 120_000);

  // The passthrough path keeps its cursor in COPY text, so it resumes from heartbeats just the same.
  test.each([
    ['rows', false],
    ['passthrough', true],
  ])(
    'kill -9 of the worker mid-copy (%s): a new worker finishes, no loss, no duplicates, little re-copied',
    async (_path, passthrough) => {
      const tgt = `kill_tgt_${uniqueSuffix()}`;
      await createCountingTarget(SCHEMA, tgt);
      const taskQueue = `kill-${uniqueSuffix()}`;
      const h = await startHarness('kill-client'); // used as a client only; its own queue stays idle
      const first = await spawnWorker(taskQueue);
      let second: Awaited<ReturnType<typeof spawnWorker>> | undefined;
      try {
        const spec = parsed({
          ...pgSpec(`kill-${tgt}`, src, tgt, { batchSize: 1000, parallelism: 2, passthrough }),
          chunk: { maxBatches: 1000, maxSeconds: 60 },
        });
        const handle = await h.client.workflow.start('migrationWorkflow', { taskQueue, workflowId: `kill-${tgt}`, args: [{ spec }] });
        const before = await waitFor(
          () => countRows(`${SCHEMA}.${tgt}`),
          (n) => n >= 40_000,
          120_000,
          100,
        );
        expect(before).toBeGreaterThanOrEqual(40_000);
        await first.kill9();
        const atKill = await countRows(`${SCHEMA}.${tgt}`);
        expect(atKill).toBeLessThan(ROWS); // really mid-copy
        second = await spawnWorker(taskQueue);
        const report: MigrationReport = await handle.result();

        const [w] = await pgQuery<{ rows: string; rewritten: string; max: number }>(
          `SELECT count(*) AS rows, coalesce(sum(_writes - 1), 0) AS rewritten, max(_writes) AS max FROM ${SCHEMA}.${tgt}`,
        );
        const rewritten = Number(w!.rewritten);
        const resumes = report.partitions.reduce((n, p) => n + p.resumes, 0);
        // Where each interrupted chunk picked up: the last heartbeat the server held for it (the new worker logs it).
        const resumedAt = [...second.output().matchAll(/resuming chunk from heartbeat \{[^}]*?rows: (\d+),\s*cursor: '(\d+)'/g)].map((m) => ({
          rows: Number(m[1]),
          cursor: Number(m[2]),
        }));
        const recorded = resumedAt.reduce((n, r) => n + r.rows, 0);
        // Counters for the issue note.
        console.log(
          JSON.stringify({
            passthrough,
            rowsAtKill: atKill,
            recordedByHeartbeats: recorded,
            rowsWrittenTwice: rewritten,
            resumes,
            resumedAt,
            reportRows: report.rows,
            rowsPerSecond: report.rowsPerSecond,
          }),
        );
        expect(report.status).toBe('completed');
        expect(report.rows).toBe(ROWS);
        expect(Number(w!.rows)).toBe(ROWS);
        expect(report.validation).toMatchObject({ status: 'match' });
        const diff = await pgQuery<{ n: string }>(
          `SELECT count(*) AS n FROM (SELECT id, n, payload FROM ${SCHEMA}.${src} EXCEPT ALL SELECT id, n, payload FROM ${SCHEMA}.${tgt}) x`,
        );
        expect(Number(diff[0]!.n)).toBe(0);
        expect(resumes).toBeGreaterThanOrEqual(1); // the interrupted chunks resumed from their heartbeats…
        expect(resumedAt).toHaveLength(resumes);
        // …so no row a heartbeat had recorded was written again (ids are dense from 1, so a partition's first id is
        // cursor − rows + 1), and what was written twice is at most what was committed after the last heartbeats.
        // How far the last heartbeat trails the commits depends on the server's load (one RPC in flight at a time,
        // 1 s throttle): about a second of batches a partition. No row twice more.
        for (const r of resumedAt) {
          const [again] = await pgQuery<{ n: string }>(
            `SELECT count(*) AS n FROM ${SCHEMA}.${tgt} WHERE _writes > 1 AND id BETWEEN ${r.cursor - r.rows + 1} AND ${r.cursor}`,
          );
          expect(Number(again!.n)).toBe(0);
        }
        expect(recorded).toBeGreaterThan(0);
        expect(rewritten).toBeLessThanOrEqual(atKill - recorded);
        expect(Number(w!.max)).toBeLessThanOrEqual(2);
      } finally {
        await first.kill9();
        await second?.stop();
        await h.stop();
      }
    },
    600_000,
  );

  describe('with an in-process worker', () => {
    let h: TemporalHarness;
    beforeAll(async () => (h = await startHarness('control')));
    afterAll(async () => h?.stop());

    test('pause holds the target still between chunks; resume completes', async () => {
      const tgt = `pause_tgt_${uniqueSuffix()}`;
      // 16 partitions of 12.5k rows, two at a time: however late the pause lands (the worker shares this process's
      // event loop with the polling below), most partitions have not started, so the hold is visible.
      const spec = parsed({
        ...pgSpec(`pause-${tgt}`, src, tgt, { batchSize: 500, parallelism: 2, partitions: 16 }),
        chunk: { maxBatches: 1000, maxSeconds: 2 },
      });
      const handle = await h.client.workflow.start('migrationWorkflow', { taskQueue: h.taskQueue, workflowId: `pause-${tgt}`, args: [{ spec }] });
      await waitFor(
        () => countRows(`${SCHEMA}.${tgt}`).catch(() => 0),
        (n) => n > 5_000,
        120_000,
        100,
      );
      await handle.signal('pause');
      // In-flight chunks finish (≤ maxSeconds + one batch), then nothing moves.
      await sleep(spec.chunk.maxSeconds * 1000 + 3_000);
      const paused = await countRows(`${SCHEMA}.${tgt}`);
      expect(paused).toBeLessThan(ROWS);
      const samples: number[] = [];
      for (let i = 0; i < 6; i++) {
        await sleep(2_000);
        samples.push(await countRows(`${SCHEMA}.${tgt}`));
      }
      expect(samples.every((n) => n === paused)).toBe(true); // flat for ≥ 12 s
      const progress = await handle.query<MigrationProgress>('progress');
      expect(progress).toMatchObject({ paused: true, phase: 'paused' });
      expect(progress.rows).toBe(paused);
      const desc = await waitFor(
        () => handle.describe(),
        (d) => d.typedSearchAttributes.get(SA.status) === 'Paused',
        10_000,
      );
      expect(desc.typedSearchAttributes.get(SA.status)).toBe('Paused');

      await handle.signal('resume');
      const report: MigrationReport = await handle.result();
      expect(report.rows).toBe(ROWS);
      expect(report.validation).toMatchObject({ status: 'match' });
      expect(await rowDiff(`${SCHEMA}.${src}`, `${SCHEMA}.${tgt}`)).toEqual({ onlyA: 0, onlyB: 0 });
    }, 600_000);

    test('cancel stops the activities and leaves a partial report', async () => {
      const tgt = `cancel_tgt_${uniqueSuffix()}`;
      // Slow on purpose (small batches, one chunk at a time, INSERT writes): the default COPY path moves these 200k
      // rows in about a second, before a heartbeat can even carry the cancellation to the activity.
      const base = pgSpec(`cancel-${tgt}`, src, tgt, { batchSize: 100, parallelism: 1 });
      const spec = parsed({ ...base, target: { ...base.target, writeMode: 'insert' }, chunk: { maxBatches: 10_000, maxSeconds: 30 } });
      const handle = await h.client.workflow.start('migrationWorkflow', { taskQueue: h.taskQueue, workflowId: `cancel-${tgt}`, args: [{ spec }] });
      await waitFor(
        () => countRows(`${SCHEMA}.${tgt}`).catch(() => 0),
        (n) => n > 5_000,
        120_000,
        100,
      );
      await handle.cancel();
      const err = await handle.result().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect((err as WorkflowFailedError).cause?.name).toBe('CancelledFailure');
      const desc = await handle.describe();
      expect(desc.status.name).toBe('CANCELLED');
      const atEnd = await countRows(`${SCHEMA}.${tgt}`);
      await sleep(3_000);
      expect(await countRows(`${SCHEMA}.${tgt}`)).toBe(atEnd); // nothing still writing
      expect(atEnd).toBeLessThan(ROWS);
      const memo = desc.memo as { summary?: { status: string; rows: number } };
      expect(memo.summary).toMatchObject({ status: 'canceled', rows: atEnd }); // every written row is accounted for
      expect(desc.typedSearchAttributes.get(SA.status)).toBe('Canceled');
    }, 300_000);

    test('continue-as-new carries the state when history grows long', async () => {
      const tgt = `can_tgt_${uniqueSuffix()}`;
      const small = `can_src_${uniqueSuffix()}`;
      await createSimpleSource(SCHEMA, small, 6_000);
      // One batch of 10 rows per chunk: ~600 chunks, past the dev server's suggestContinueAsNew threshold.
      const spec = parsed({ ...pgSpec(`can-${tgt}`, small, tgt, { batchSize: 10, parallelism: 4 }), chunk: { maxBatches: 1, maxSeconds: 60 } });
      const report: MigrationReport = await h.client.workflow.execute('migrationWorkflow', {
        taskQueue: h.taskQueue,
        workflowId: `can-${tgt}`,
        args: [{ spec }],
      });
      expect(report.continuedAsNew).toBeGreaterThanOrEqual(1);
      expect(report.rows).toBe(6_000);
      expect(report.validation).toMatchObject({ status: 'match' });
    }, 600_000);

    test('wrong password: fails fast, non-retryable, connector named, password nowhere in history', async () => {
      const secret = `Wr0ng-${uniqueSuffix()}`;
      const badUrl = env.pgUrl.replace(/:\/\/([^:]+):[^@]*@/, `://$1:${secret}@`);
      process.env.PG_BAD_URL = badUrl; // the in-process worker resolves { env: 'PG_BAD_URL' }
      const tgt = `auth_tgt_${uniqueSuffix()}`;
      const input = pgSpec(`auth-${tgt}`, src, tgt);
      const spec = parsed({ ...input, source: { ...input.source, connection: { url: { env: 'PG_BAD_URL' } } } as typeof input.source });
      const started = Date.now();
      const handle = await h.client.workflow.start('migrationWorkflow', { taskQueue: h.taskQueue, workflowId: `auth-${tgt}`, args: [{ spec }] });
      const err = (await handle.result().catch((e: unknown) => e)) as WorkflowFailedError;
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const chain = JSON.stringify({ m: err.message, c: err.cause?.message, cc: (err.cause as { cause?: Error })?.cause?.message });
      expect(err.cause?.message).toMatch(/\[postgres\]/);
      expect(err.cause?.message).toMatch(/password authentication failed/);
      expect((err.cause as { type?: string }).type).toBe('AuthError');
      expect(chain).not.toContain(secret);
      const history = await historyJson(handle);
      expect(history).toContain('password authentication failed'); // we are grepping the real history…
      expect(history).not.toContain(secret); // …and the password is not in it
      const attempts = [...history.matchAll(/"attempt":(\d+)/g)].map((m) => Number(m[1]));
      expect(Math.max(...attempts)).toBe(1); // non-retryable: one attempt
    }, 120_000);
  });

  test('wrong password: nothing in the worker process logs either', async () => {
    const secret = `Wr0ng-${uniqueSuffix()}`;
    const taskQueue = `authlog-${uniqueSuffix()}`;
    const worker = await spawnWorker(taskQueue, { PG_BAD_URL: env.pgUrl.replace(/:\/\/([^:]+):[^@]*@/, `://$1:${secret}@`), LOG_LEVEL: 'debug' });
    const h = await startHarness('authlog-client');
    try {
      const input = pgSpec(`authlog-${taskQueue}`, src, `x_${uniqueSuffix()}`);
      const spec = parsed({ ...input, source: { ...input.source, connection: { url: { env: 'PG_BAD_URL' } } } as typeof input.source });
      const err = await h.client.workflow.execute('migrationWorkflow', { taskQueue, workflowId: `authlog-${taskQueue}`, args: [{ spec }] }).catch((e) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      await sleep(500);
      expect(worker.output()).toContain('worker started');
      expect(worker.output()).not.toContain(secret);
    } finally {
      await worker.stop();
      await h.stop();
    }
  }, 120_000);
});
