import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Client } from 'pg';
import request from 'supertest';
import { createApp } from '../../api/app';
import type { JobSpecInput } from '../../src/job/job-spec';
import { openControlDb, type ControlDb } from '../../src/control/db';
import { advanceWatermark, listWatermarks, readWatermark, resetWatermarks } from '../../src/incremental/watermark-store';
import type { MigrationReport } from '../../workflows/types';
import { uniqueSuffix } from '../helpers/env';
import { ensureSchema, pgClient, pgQuery } from '../helpers/pg';
import { startHarness, type TemporalHarness } from '../helpers/temporal';
import { parsed } from '../helpers/cross';
import { ensureDatabase, mq, mysqlQuery } from '../helpers/mysql';
import { withMongo } from '../helpers/mongo';

/**
 * Incremental mode against real servers: PostgreSQL → PostgreSQL over four runs, with 10,000 rows sharing one
 * cursor value across batch boundaries (batchSize 1,000) and rows committed by a parallel client while a run
 * copies; then a MySQL (MariaDB) source. After every run the target equals the source up to the run's bound
 * (EXCEPT ALL both ways), and a trigger on the target counts writes: only changed rows are rewritten.
 */
const S = 'dm_test';
const suffix = uniqueSuffix();
const SRC = `incr_src_${suffix}`;
const DST = `incr_dst_${suffix}`;
const WRITES = `incr_writes_${suffix}`;
const JOB = `incr-pg-${suffix}`;
const SHARED = 10_000;

const haveControl = Boolean(process.env.DATAMIGRATO_CONTROL_URL);
if (!haveControl)
  console.warn('SKIPPED incremental.test.ts: DATAMIGRATO_CONTROL_URL is not set (eval "$(bash scripts/stack.sh env)"); watermarks live in the control store');
const describeIf = haveControl ? describe : describe.skip;

const pgEnd = (table: string) => ({ type: 'postgres' as const, connection: { url: { env: 'PG_URL' } }, schema: S, table });
const spec = (name: string, source: JobSpecInput['source'], target: JobSpecInput['target']): JobSpecInput => ({
  name,
  source,
  target,
  mode: 'incremental',
  incremental: { cursorField: 'updated_at', lagSeconds: 5 },
  batchSize: 1_000,
  // A chunk per 3 batches: the run lasts several activities, so the parallel client writes while it copies.
  chunk: { maxBatches: 3, maxSeconds: 15 },
});

const t = (table: string) => `"${S}"."${table}"`;
const count = async (sql: string, params: unknown[] = []) => Number((await pgQuery<{ n: string }>(sql, params))[0]!.n);
const writes = () => count(`SELECT count(*) AS n FROM ${t(WRITES)}`);

/** Rows of the source the run was due to copy (cursor up to its bound, NULLs by the policy) that the target lacks, and the reverse. */
async function differences(upTo: string, withNulls = true): Promise<{ missing: number; extra: number }> {
  const due = `SELECT id, updated_at, val FROM ${t(SRC)} WHERE updated_at <= $1::timestamptz${withNulls ? ' OR updated_at IS NULL' : ''}`;
  const dst = `SELECT id, updated_at, val FROM ${t(DST)}`;
  return {
    missing: await count(`SELECT count(*) AS n FROM (${due} EXCEPT ALL ${dst}) d`, [upTo]),
    extra: await count(`SELECT count(*) AS n FROM (${dst} EXCEPT ALL ${due}) d`, [upTo]),
  };
}

async function run(h: TemporalHarness, s: JobSpecInput, during?: () => Promise<void>): Promise<MigrationReport> {
  const t0 = Date.now();
  const handle = await h.client.workflow.start('migrationWorkflow', {
    taskQueue: h.taskQueue,
    workflowId: `${s.name}-${uniqueSuffix()}`,
    args: [{ spec: parsed(s) }],
  });
  if (during) await during();
  const report: MigrationReport = await handle.result();
  const { rows, validation, incremental } = report;
  console.log(JSON.stringify({ job: s.name, rows, ms: Date.now() - t0, validation: validation?.status, upTo: incremental?.upTo, to: incremental?.to }));
  return report;
}

describeIf('incremental mode on the real servers', () => {
  let h: TemporalHarness;
  let control: ControlDb;
  let writer: Client;
  beforeAll(async () => {
    await ensureSchema(S);
    h = await startHarness('incr');
    control = await openControlDb();
    writer = await pgClient();
    await pgQuery(`CREATE TABLE ${t(SRC)} (id bigint PRIMARY KEY, updated_at timestamptz, val text)`);
    await pgQuery(`CREATE INDEX ON ${t(SRC)} (updated_at, id)`);
    // 3,000 rows with their own cursor values, 10,000 sharing one (a bulk update), 5 never stamped (NULL).
    await pgQuery(`INSERT INTO ${t(SRC)} SELECT g, now() - interval '2 hours' + g * interval '1 ms', 'v1' FROM generate_series(1, 3000) g`);
    await pgQuery(`INSERT INTO ${t(SRC)} SELECT g, timestamptz '2026-01-01 00:00:00.123456+00', 'v1' FROM generate_series(3001, ${3000 + SHARED}) g`);
    await pgQuery(`INSERT INTO ${t(SRC)} SELECT g, NULL, 'null cursor' FROM generate_series(${3001 + SHARED}, ${3005 + SHARED}) g`);
    // The target is made beforehand only to carry the counting trigger; prepare finds it and upserts into it.
    await pgQuery(`CREATE TABLE ${t(DST)} (id bigint PRIMARY KEY, updated_at timestamptz, val text)`);
    await pgQuery(`CREATE TABLE ${t(WRITES)} (id bigint, at timestamptz DEFAULT clock_timestamp())`);
    await pgQuery(`CREATE FUNCTION "${S}"."${WRITES}_f"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN INSERT INTO ${t(WRITES)} (id) VALUES (NEW.id); RETURN NEW; END $$`);
    await pgQuery(`CREATE TRIGGER counted AFTER INSERT OR UPDATE ON ${t(DST)} FOR EACH ROW EXECUTE FUNCTION "${S}"."${WRITES}_f"()`);
  }, 120_000);
  afterAll(async () => {
    await resetWatermarks(control, JOB).catch(() => undefined);
    await writer?.end();
    await control?.close();
    await h?.stop();
    for (const table of [SRC, DST, WRITES]) await pgQuery(`DROP TABLE IF EXISTS ${t(table)}`).catch(() => undefined);
    await pgQuery(`DROP FUNCTION IF EXISTS "${S}"."${WRITES}_f"()`).catch(() => undefined);
  }, 120_000);

  const s = spec(JOB, pgEnd(SRC), pgEnd(DST));

  test('run 1 copies everything (NULL cursors included once), 10,000 equal cursors across ten batches', async () => {
    const r = await run(h, s);
    expect(r.rows).toBe(3000 + SHARED + 5);
    expect(await writes()).toBe(3000 + SHARED + 5);
    expect(r.incremental).toMatchObject({ from: null, outcome: 'advanced', nullRows: 5, to: { cursor: expect.stringMatching(/^20\d\d-/), key: ['3000'] } });
    expect(await differences(String(r.incremental!.upTo))).toEqual({ missing: 0, extra: 0 });
    expect(r.validation).toMatchObject({ status: 'match' });
    const [stored] = await listWatermarks(control, JOB);
    expect(stored).toMatchObject({ rows: 3000 + SHARED + 5, watermark: r.incremental!.to });
    // The API shows the same row.
    const res = await request(createApp({ client: h.client, taskQueue: h.taskQueue, uiUrl: 'http://ui' })).get(`/watermarks/${JOB}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ job: JOB, items: [{ source: `postgres:${S}.${SRC}`, target: `postgres:${S}.${DST}`, watermark: r.incremental!.to }] });
  });

  test('run 2 rewrites only the 10,000 rows updated to one new cursor value and the 200 inserted', async () => {
    const before = await writes();
    await pgQuery(`UPDATE ${t(SRC)} SET updated_at = now() - interval '20 seconds', val = 'v2' WHERE id BETWEEN 1 AND ${SHARED}`);
    await pgQuery(
      `INSERT INTO ${t(SRC)} SELECT g, clock_timestamp() - interval '20 seconds' + g * interval '1 us', 'new' FROM generate_series(20001, 20200) g`,
    );
    const r = await run(h, s);
    expect(r.rows).toBe(SHARED + 200);
    expect((await writes()) - before).toBe(SHARED + 200);
    expect(await differences(String(r.incremental!.upTo))).toEqual({ missing: 0, extra: 0 });
    expect(r.validation).toMatchObject({ status: 'match' });
  });

  test('run 3 leaves rows a parallel client commits inside the lag window (or stamped in the future) to later runs', async () => {
    const before = await writes();
    await pgQuery(`UPDATE ${t(SRC)} SET updated_at = now() - interval '20 seconds', val = 'v3' WHERE id BETWEEN 5001 AND 8000`);
    let insertedWhileCopying = false;
    const r = await run(h, s, async () => {
      // Once the first batch reached the target: 50 rows stamped now (inside the 5 s lag, after the bound)…
      for (let i = 0; i < 400 && (await writes()) === before; i++) await new Promise((res) => setTimeout(res, 25));
      await writer.query(`INSERT INTO ${t(SRC)} SELECT g, clock_timestamp(), 'lagged' FROM generate_series(30001, 30050) g`);
      // …and 10 updates stamped an hour ahead (a skewed client clock): beyond every bound until that hour.
      await writer.query(`UPDATE ${t(SRC)} SET updated_at = clock_timestamp() + interval '1 hour', val = 'future' WHERE id BETWEEN 20001 AND 20010`);
      insertedWhileCopying = (await writes()) - before < 3000;
    });
    console.log(JSON.stringify({ insertedWhileCopying }));
    expect(r.rows).toBe(3000);
    expect((await writes()) - before).toBe(3000);
    const upTo = String(r.incremental!.upTo);
    expect(await count(`SELECT count(*) AS n FROM ${t(SRC)} WHERE id > 30000 AND updated_at <= $1`, [upTo])).toBe(0);
    expect(await differences(upTo)).toEqual({ missing: 0, extra: 10 }); // the 10 future-stamped rows, still as run 2 wrote them
    // Validation still compares the whole table: the 50 lagged rows are missing and the 10 future ones differ, and it says so.
    expect(r.validation).toMatchObject({ status: 'mismatch' });
  });

  test('run 4 picks up the lagged rows once they fall below the bound; the future ones keep waiting', async () => {
    await new Promise((res) => setTimeout(res, 5_500));
    const before = await writes();
    const r = await run(h, s);
    expect(r.rows).toBe(50);
    expect((await writes()) - before).toBe(50);
    expect(await differences(String(r.incremental!.upTo))).toEqual({ missing: 0, extra: 10 });
  });

  test('a fifth run with no change writes nothing and leaves the watermark; the CLI shows the watermark and resets it', async () => {
    const before = await writes();
    const r = await run(h, s);
    expect(r.rows).toBe(0);
    expect(await writes()).toBe(before);
    expect(r.incremental?.outcome).toBe('unchanged');
    // The CLI as a user runs it: show, then reset.
    const cli = (...args: string[]) => promisify(execFile)(path.join(__dirname, '../../bin/datamigrato'), args, { env: process.env, timeout: 60_000 });
    const shown = JSON.parse((await cli('watermark', 'show', JOB, '--json')).stdout);
    expect(shown.items).toHaveLength(1);
    expect(shown.items[0].watermark.key).toEqual(['30050']);
    expect((await cli('watermark', 'reset', JOB)).stdout).toContain(`removed 1 watermark(s) of job ${JOB}`);
    expect(await listWatermarks(control, JOB)).toEqual([]);
  });

  test('bad input fails at prepare, naming the field: NULL cursors under nullCursor fail, a text cursor', async () => {
    const failure = async (over: Partial<JobSpecInput>) => {
      const x = { ...s, name: `${JOB}-bad-${uniqueSuffix()}`, ...over };
      const handle = await h.client.workflow.start('migrationWorkflow', { taskQueue: h.taskQueue, workflowId: x.name, args: [{ spec: parsed(x) }] });
      return handle.result().then(
        () => 'completed',
        (err: Error & { cause?: Error }) => err.cause?.message ?? err.message,
      );
    };
    expect(await failure({ incremental: { cursorField: 'updated_at', nullCursor: 'fail' } })).toMatch(
      /incremental.cursorField: 5 row\(s\) of dm_test.incr_src_\w+ have a NULL "updated_at" \(nullCursor: fail\)/,
    );
    expect(await failure({ incremental: { cursorField: 'val' } })).toMatch(/incremental.cursorField: "val" is string/);
  });

  test('a MySQL source: 2,500 equal cursors across three batches, then only the 300 changed rows', async () => {
    const db = 'dm_test';
    const table = `incr_my_${suffix}`;
    const target = `incr_from_my_${suffix}`;
    await ensureDatabase(db);
    const my = `${mq(db)}.${mq(table)}`;
    await mysqlQuery(`CREATE TABLE ${my} (id bigint PRIMARY KEY, updated_at datetime(6), val varchar(20), KEY (updated_at, id))`);
    try {
      await mysqlQuery(`INSERT INTO ${my} SELECT seq, '2026-01-01 00:00:00.5', 'v1' FROM seq_1_to_2500`);
      const ms = spec(`incr-my-${suffix}`, { type: 'mysql', connection: { url: { env: 'MYSQL_URL' } }, database: db, table }, pgEnd(target));
      const r1 = await run(h, ms);
      expect(r1.rows).toBe(2500);
      expect(r1.validation).toMatchObject({ status: 'match' });
      await mysqlQuery(`UPDATE ${my} SET updated_at = UTC_TIMESTAMP(6) - INTERVAL 20 SECOND, val = 'v2' WHERE id BETWEEN 1001 AND 1300`);
      const r2 = await run(h, ms);
      expect(r2.rows).toBe(300);
      expect(r2.validation).toMatchObject({ status: 'match' });
      expect(await count(`SELECT count(*) AS n FROM ${t(target)} WHERE val = 'v2'`)).toBe(300);
    } finally {
      await mysqlQuery(`DROP TABLE IF EXISTS ${my}`).catch(() => undefined);
      await pgQuery(`DROP TABLE IF EXISTS ${t(target)}`).catch(() => undefined);
      await resetWatermarks(control, `incr-my-${suffix}`).catch(() => undefined);
    }
  });
});

describeIf('incremental from MongoDB (FerretDB) into PostgreSQL', () => {
  let h: TemporalHarness;
  let control: ControlDb;
  const coll = `incr_mongo_${suffix}`;
  const dst = `incr_from_mongo_${suffix}`;
  const job = `incr-mongo-${suffix}`;
  beforeAll(async () => {
    h = await startHarness('incr-mongo');
    control = await openControlDb();
    const at = new Date('2026-01-01T00:00:00.250Z');
    await withMongo((m) =>
      m
        .db('dm_test')
        .collection(coll)
        .insertMany(Array.from({ length: 2500 }, (_, i) => ({ _id: i + 1, updated_at: at, val: 'v1' })) as never[]),
    );
  }, 120_000);
  afterAll(async () => {
    await resetWatermarks(control, job).catch(() => undefined);
    await control?.close();
    await h?.stop();
    await withMongo((m) => m.db('dm_test').collection(coll).drop()).catch(() => undefined);
    await pgQuery(`DROP TABLE IF EXISTS ${t(dst)}`).catch(() => undefined);
  }, 120_000);

  test('2,500 equal cursors across three batches, then only the 300 updated documents', async () => {
    const s = spec(job, { type: 'mongodb', connection: { url: { env: 'MONGO_URL' } }, database: 'dm_test', collection: coll }, pgEnd(dst));
    const r1 = await run(h, s);
    expect(r1.rows).toBe(2500);
    expect(r1.validation).toMatchObject({ status: 'match' });
    const at = new Date(Date.now() - 20_000);
    await withMongo((m) =>
      m
        .db('dm_test')
        .collection<{ _id: number }>(coll)
        .updateMany({ _id: { $gt: 1000, $lte: 1300 } }, { $set: { updated_at: at, val: 'v2' } }),
    );
    const r2 = await run(h, s);
    expect(r2.rows).toBe(300);
    expect(r2.validation).toMatchObject({ status: 'match' });
    expect(await count(`SELECT count(*) AS n FROM ${t(dst)} WHERE val = 'v2' AND updated_at = $1`, [at])).toBe(300);
  });
});

describeIf('incremental PostgreSQL → MySQL with a soft-delete column', () => {
  let h: TemporalHarness;
  let control: ControlDb;
  const src = `incr_sd_${suffix}`;
  const dst = `incr_sd_dst_${suffix}`;
  const job = `incr-sd-${suffix}`;
  const my = `${mq('dm_test')}.${mq(dst)}`;
  beforeAll(async () => {
    h = await startHarness('incr-sd');
    control = await openControlDb();
    await ensureDatabase('dm_test');
    await pgQuery(`CREATE TABLE ${t(src)} (id bigint PRIMARY KEY, updated_at timestamptz NOT NULL, val text, deleted boolean NOT NULL DEFAULT false)`);
    await pgQuery(`INSERT INTO ${t(src)} SELECT g, now() - interval '1 hour', 'v1', false FROM generate_series(1, 1000) g`);
  }, 120_000);
  afterAll(async () => {
    await resetWatermarks(control, job).catch(() => undefined);
    await control?.close();
    await h?.stop();
    await pgQuery(`DROP TABLE IF EXISTS ${t(src)}`).catch(() => undefined);
    await mysqlQuery(`DROP TABLE IF EXISTS ${my}`).catch(() => undefined);
  }, 120_000);

  test('rows marked deleted at the source are deleted on the target, the rest upserted; validation counts the difference', async () => {
    const s: JobSpecInput = {
      ...spec(job, pgEnd(src), { type: 'mysql', connection: { url: { env: 'MYSQL_URL' } }, database: 'dm_test', table: dst }),
      incremental: { cursorField: 'updated_at', softDelete: { field: 'deleted', value: true } },
    };
    const r1 = await run(h, s);
    expect(r1.rows).toBe(1000);
    expect(r1.validation).toMatchObject({ status: 'match' });
    await pgQuery(`UPDATE ${t(src)} SET deleted = true, updated_at = now() - interval '20 seconds' WHERE id BETWEEN 101 AND 200`);
    await pgQuery(`UPDATE ${t(src)} SET val = 'v2', updated_at = now() - interval '20 seconds' WHERE id BETWEEN 901 AND 950`);
    const r2 = await run(h, s);
    expect(r2.rows).toBe(50);
    expect(r2.incremental).toMatchObject({ deleted: 100, outcome: 'advanced' });
    const [c] = await mysqlQuery<{ n: string; v2: string; gone: string }>(
      `SELECT count(*) AS n, sum(val = 'v2') AS v2, sum(id BETWEEN 101 AND 200) AS gone FROM ${my}`,
    );
    expect(c).toEqual({ n: '900', v2: '50', gone: '0' });
    // The whole table is still validated: the source keeps its 100 marked rows, the target does not.
    expect(r2.validation).toMatchObject({ status: 'mismatch', source: { count: 1000 }, target: { count: 900 } });
  });
});

describeIf('the watermark store (control store on the real PostgreSQL)', () => {
  let db: ControlDb;
  const job = `incr-store-${suffix}`;
  const id = { job, source: 'postgres:dm_test.a', target: 'mysql:dm_test.b' };
  const w1 = { cursor: '2026-01-01T00:00:00.000001Z', key: ['10', 'x'] };
  const w2 = { cursor: '2026-01-02T00:00:00Z', key: ['3', 'y'] };
  beforeAll(async () => (db = await openControlDb()));
  afterAll(async () => {
    await resetWatermarks(db, job).catch(() => undefined);
    await db?.close();
  });

  test('advances by compare-and-set: first from none, then only from the value it read; a retry of the same run is accepted', async () => {
    expect(await readWatermark(db, id)).toBeNull();
    expect(await advanceWatermark(db, { id, previous: null, next: w1, upTo: 'U1', runId: 'r1', rows: 5 })).toBe('advanced');
    // The activity retried after its advance committed: same run, same target value.
    expect(await advanceWatermark(db, { id, previous: null, next: w1, upTo: 'U1', runId: 'r1', rows: 5 })).toBe('already');
    // A concurrent first run of the same job lost the race.
    await expect(advanceWatermark(db, { id, previous: null, next: w2, upTo: 'U2', runId: 'r2', rows: 1 })).rejects.toMatchObject({
      kind: 'ConfigError',
      message: expect.stringMatching(/changed while this run copied \(now set by run r1\)/),
    });
    expect(await advanceWatermark(db, { id, previous: w1, next: w2, upTo: 'U2', runId: 'r3', rows: 2 })).toBe('advanced');
    await expect(advanceWatermark(db, { id, previous: w1, next: w1, upTo: 'U3', runId: 'r4', rows: 0 })).rejects.toMatchObject({ kind: 'ConfigError' });
    expect(await readWatermark(db, id)).toMatchObject({ watermark: w2, upTo: 'U2', runId: 'r3', rows: 2 });
  });

  test('keyed by job, source and target; reset forgets every pair of the job', async () => {
    const other = { ...id, target: 'postgres:dm_test.c' };
    await advanceWatermark(db, { id: other, previous: null, next: w1, upTo: null, runId: 'r5', rows: 1 });
    expect((await listWatermarks(db, job)).map((w) => w.target)).toEqual(['mysql:dm_test.b', 'postgres:dm_test.c']);
    expect(await resetWatermarks(db, job)).toBe(2);
    expect(await readWatermark(db, id)).toBeNull();
  });
});
