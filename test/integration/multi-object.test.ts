import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { createApp } from '../../api/app';
import type { JobReport } from '../../workflows/job-types';
import { env, uniqueSuffix } from '../helpers/env';
import { withMongo } from '../helpers/mongo';
import { pgQuery } from '../helpers/pg';
import { expectConforms } from '../helpers/openapi-conformance';
import { startHarness, waitFor, type TemporalHarness } from '../helpers/temporal';

/**
 * Acceptance of many objects per job: a PostgreSQL schema of 20 tables with foreign keys (generated here,
 * 150 rows each) → another PostgreSQL schema (through the API) and → MongoDB (FerretDB, through the CLI), one job
 * each, listed by include/exclude. One table is made to fail in each job; the others complete, the report names
 * the failure, and `retry` completes it once the cause is removed. Foreign keys are added after the data.
 */

const S = uniqueSuffix();
const SRC = `objects_src_${S}`;
const DST = `objects_dst_${S}`;
const MDB = `objects_${S}`;
const TABLES = 20;
const ROWS = 150;
const ROOT = path.resolve(__dirname, '../..');
const name = (k: number) => `n${String(k).padStart(2, '0')}`;

/** n00–n02 are roots; every later table references one or two earlier ones (n08 → n07 among them); n05 also references itself. */
async function createSourceSchema(): Promise<number> {
  await pgQuery(`DROP SCHEMA IF EXISTS ${SRC} CASCADE`);
  await pgQuery(`CREATE SCHEMA ${SRC}`);
  let fks = 0;
  for (let k = 0; k < TABLES; k++) {
    const refs = k < 3 ? [] : [k - 1 - (k % 3), ...(k % 2 ? [k - 3] : []), ...(k === 8 ? [7] : [])].filter((r, i, a) => a.indexOf(r) === i);
    const cols = refs.map((r) => `p_${name(r)} int REFERENCES ${SRC}.${name(r)} (id)`);
    if (k === 5) cols.push(`parent_id int REFERENCES ${SRC}.${name(5)} (id)`);
    fks += cols.length;
    // n12 has a column whose name MongoDB refuses (FerretDB: keys must not start with '$'): the Mongo job's failure.
    if (k === 12) cols.push(`"$flag" boolean`);
    await pgQuery(`CREATE TABLE ${SRC}.${name(k)} (id int PRIMARY KEY, v text NOT NULL, amount numeric(12,2)${cols.map((c) => `, ${c}`).join('')})`);
    const values = refs.map((r) => `, ((g - 1) % ${ROWS}) + 1 AS p_${name(r)}`).join('');
    const self = k === 5 ? ', CASE WHEN g > 1 THEN g - 1 END' : '';
    const flag = k === 12 ? ', g % 2 = 0' : '';
    await pgQuery(
      `INSERT INTO ${SRC}.${name(k)} SELECT g, 't${k} row ' || g, g * 1.25${values.replace(/ AS p_n\d+/g, '')}${self}${flag} FROM generate_series(1, ${ROWS}) g`,
    );
  }
  // The PostgreSQL job's failure: n07's target exists with a CHECK that one planted source value breaks.
  await pgQuery(`UPDATE ${SRC}.${name(7)} SET v = 'planted' WHERE id = 77`);
  await pgQuery(`CREATE TABLE ${SRC}.tmp_scratch (id int PRIMARY KEY)`); // excluded by the job
  return fks;
}

const fkCount = async (schema: string) =>
  Number(
    (
      await pgQuery<{ n: string }>(
        `SELECT count(*) AS n FROM pg_constraint c JOIN pg_namespace s ON s.oid = c.connamespace WHERE c.contype = 'f' AND s.nspname = $1`,
        [schema],
      )
    )[0]!.n,
  );

const execFileP = promisify(execFile);
async function cli(taskQueue: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileP(path.join(ROOT, 'bin/datamigrato'), args, {
      env: { ...process.env, DATAMIGRATO_TASK_QUEUE: taskQueue },
      timeout: 150_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const summarize = (r: JobReport) => r.objects.map((o) => `${o.name.split('.').pop()}:${o.status}:${o.rows}:${o.validation ?? '-'}`).join(' ');

describe('many objects per job on the real stack', () => {
  let h: TemporalHarness;
  let app: ReturnType<typeof createApp>;
  let sourceFks = 0;

  beforeAll(async () => {
    h = await startHarness('objects');
    app = createApp({ client: h.client, taskQueue: h.taskQueue, uiUrl: 'http://ui.example', temporalAddress: env.temporalAddress });
    sourceFks = await createSourceSchema();
    await pgQuery(`DROP SCHEMA IF EXISTS ${DST} CASCADE`);
    await pgQuery(`CREATE SCHEMA ${DST}`);
    await pgQuery(`CREATE TABLE ${DST}.${name(7)} (LIKE ${SRC}.${name(7)} INCLUDING ALL)`);
    await pgQuery(`ALTER TABLE ${DST}.${name(7)} ADD CONSTRAINT no_planted CHECK (v <> 'planted')`);
  }, 120_000);

  afterAll(async () => {
    await h?.stop();
    await pgQuery(`DROP SCHEMA IF EXISTS ${SRC} CASCADE`).catch(() => undefined);
    await pgQuery(`DROP SCHEMA IF EXISTS ${DST} CASCADE`).catch(() => undefined);
    await withMongo((m) => m.db(MDB).dropDatabase()).catch(() => undefined);
  });

  const closed = async (id: string) => {
    const v = await waitFor(
      async () => (await request(app).get(`/migrations/${id}`)).body,
      (b) => b.closed === true,
      150_000,
      500,
    );
    return v as { status: string; jobReport: JobReport };
  };

  test('PostgreSQL → PostgreSQL through the API: 19 of 20 complete, the failure is named, retry completes it, foreign keys after the data', async () => {
    const spec = {
      name: 'objects-pg',
      source: { type: 'postgres', connection: { url: { env: 'PG_URL' } }, schema: SRC },
      target: { type: 'postgres', connection: { url: { env: 'PG_URL' } }, schema: DST },
      include: [`${SRC}.*`],
      exclude: [`${SRC}.tmp_*`],
      maxParallelObjects: 4,
      parallelism: 1,
      batchSize: 500,
    };
    // The dry run plans the job as a run would and checks every object; nothing is written.
    const check = await request(app).post('/migrations/check').send(spec);
    expect(check.status).toBe(200);
    expectConforms('JobDryRunResult', check.body);
    expect(check.body.objects.map((o: { name: string }) => o.name)).toEqual(Array.from({ length: TABLES }, (_, i) => `${SRC}.${name(i)}`));
    expect(check.body.objects.every((o: { check: { ok: boolean; sample: unknown[] } }) => o.check.ok && o.check.sample.length > 0)).toBe(true);
    expect(check.body.foreignKeys).toBe(true);
    const { include: _i, exclude: _e, ...named } = spec;
    const badCheck = await request(app)
      .post('/migrations/check')
      .send({
        ...named,
        objects: [
          { source: { table: name(0) }, target: { table: `chk_${name(0)}` } },
          { source: { table: 'no_such_table' }, target: { table: 'chk_none' } },
        ],
      });
    expect(badCheck.status).toBe(422);
    expect(badCheck.body.errors).toEqual([expect.objectContaining({ path: expect.stringMatching(/^objects\[.*no_such_table\]\.source/) })]);
    expect(await pgQuery(`SELECT 1 FROM information_schema.tables WHERE table_schema = '${DST}' AND table_name LIKE 'chk_%'`)).toEqual([]);

    const t0 = Date.now();
    const started = await request(app).post('/migrations').send(spec);
    expect(started.status).toBe(201);
    const first = await closed(started.body.id);
    const fkLine = (r: JobReport) => (r.foreignKeys ?? []).map((f) => f.status).join(',');
    console.log(
      JSON.stringify({ job: 'pg→pg', ms: Date.now() - t0, status: first.status, objects: summarize(first.jobReport), fks: fkLine(first.jobReport), sourceFks }),
    );

    expect(first.status).toBe('Failed');
    const r = first.jobReport;
    expect(r.objects).toHaveLength(TABLES);
    expect(r.failed).toEqual([`${SRC}.${name(7)}`]);
    expect(r.objects.find((o) => o.status === 'failed')!.error).toMatch(/no_planted/);
    for (const o of r.objects.filter((x) => x.name !== `${SRC}.${name(7)}`))
      expect([o.status, o.rows, o.validation, o.targetCount]).toEqual(['completed', ROWS, 'match', ROWS]);
    const fk1 = r.foreignKeys!;
    const touching7 = fk1.filter((f) => f.status === 'skipped');
    expect(touching7.length).toBeGreaterThan(0);
    expect(touching7.every((f) => f.reason!.includes(`${SRC}.${name(7)}`))).toBe(true);
    expect(fk1.filter((f) => f.status === 'failed')).toEqual([]);
    // n07's own foreign keys are read only once n07 completes (the retry): they are not in the first run's list.
    expect(await fkCount(DST)).toBe(fk1.filter((f) => f.status === 'added').length);

    await pgQuery(`ALTER TABLE ${DST}.${name(7)} DROP CONSTRAINT no_planted`); // the cause removed
    const retry = await request(app).post(`/migrations/${started.body.id}/retry`);
    expect(retry.status).toBe(201);
    expect(retry.body.objects).toEqual([`${SRC}.${name(7)}`]);
    const second = await closed(retry.body.id);
    console.log(
      JSON.stringify({
        job: 'pg→pg retry',
        status: second.status,
        objects: summarize(second.jobReport),
        fks: fkLine(second.jobReport),
        targetFks: await fkCount(DST),
      }),
    );
    expect(second.status).toBe('Completed');
    const n07 = second.jobReport.objects.find((o) => o.name === `${SRC}.${name(7)}`)!;
    expect([n07.status, n07.rows, n07.validation]).toEqual(['completed', ROWS, 'match']);
    expect(second.jobReport.objects.filter((o) => o.status === 'skipped')).toHaveLength(TABLES - 1);
    expect(await fkCount(DST)).toBe(sourceFks);
    // GET /migrations lists the jobs themselves (visibility is eventually consistent), each with its outcome.
    const listed = await waitFor(
      async () => ((await request(app).get('/migrations').query({ name: spec.name, pageSize: 100 })).body.items ?? []) as { id: string; status: string }[],
      (items) => [started.body.id, retry.body.id].every((id) => items.some((i) => i.id === id)),
      30_000,
      500,
    );
    expect([started.body.id, retry.body.id].map((id) => listed.find((i) => i.id === id)!.status)).toEqual(['Failed', 'Completed']);
    // The constraints hold on the data: PostgreSQL validated each one as it was added; one more check by hand.
    const orphans = await pgQuery(`SELECT count(*) AS n FROM ${DST}.${name(8)} c LEFT JOIN ${DST}.${name(7)} p ON p.id = c.p_${name(7)} WHERE p.id IS NULL`);
    expect(Number(orphans[0]!.n)).toBe(0);
  }, 180_000);

  test('PostgreSQL → MongoDB (FerretDB) through the CLI: the refused table fails alone, `datamigrato retry` completes it', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'objects-'));
    const file = path.join(dir, 'job.json');
    await fs.writeFile(
      file,
      JSON.stringify({
        name: 'objects-mongo',
        source: { type: 'postgres', connection: { url: { env: 'PG_URL' } }, schema: SRC },
        target: { type: 'mongodb', connection: { url: { env: 'MONGO_URL' } }, database: MDB, writeMode: 'insert', decimalAs: 'string' },
        include: [`${SRC}.n*`],
        maxParallelObjects: 4,
        parallelism: 1,
        batchSize: 500,
      }),
    );
    const t0 = Date.now();
    const run = await cli(h.taskQueue, 'run', file, '--watch', '--json');
    const first = JSON.parse(run.stdout) as { id: string; status: string; jobReport: JobReport };
    console.log(JSON.stringify({ job: 'pg→mongo', ms: Date.now() - t0, code: run.code, status: first.status, objects: summarize(first.jobReport) }));
    expect(run.code).toBe(1);
    expect(first.status).toBe('Failed');
    expect(first.jobReport.failed).toEqual([`${SRC}.${name(12)}`]);
    expect(first.jobReport.objects.find((o) => o.status === 'failed')!.error).toMatch(/\$flag/);
    for (const o of first.jobReport.objects.filter((x) => x.status !== 'failed'))
      expect([o.status, o.rows, o.validation]).toEqual(['completed', ROWS, 'match']);
    expect(first.jobReport.foreignKeys).toBeNull(); // MongoDB keeps no foreign keys

    const status = await cli(h.taskQueue, 'status', first.id);
    expect(status.stdout).toMatch(new RegExp(`failed +${SRC}\\.${name(12)} → ${MDB}\\.${name(12)}`));
    expect(status.stdout).toContain(`datamigrato retry ${first.id}`);

    await pgQuery(`ALTER TABLE ${SRC}.${name(12)} RENAME COLUMN "$flag" TO flag`); // the cause removed
    const retry = await cli(h.taskQueue, 'retry', first.id, '--watch', '--json');
    const second = JSON.parse(retry.stdout) as { status: string; jobReport: JobReport };
    console.log(JSON.stringify({ job: 'pg→mongo retry', code: retry.code, status: second.status, objects: summarize(second.jobReport) }));
    expect(retry.code).toBe(0);
    expect(second.jobReport.retryOf).toBe(first.id);
    expect(second.jobReport.objects.find((o) => o.name === `${SRC}.${name(12)}`)).toMatchObject({ status: 'completed', rows: ROWS, validation: 'match' });
    const counts = await withMongo(async (m) => Promise.all(Array.from({ length: TABLES }, (_, k) => m.db(MDB).collection(name(k)).countDocuments())));
    expect(counts).toEqual(Array.from({ length: TABLES }, () => ROWS));
  }, 240_000);
});
