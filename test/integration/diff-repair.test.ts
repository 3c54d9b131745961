import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
// Before anything reads the configuration: the worker (in process) and the CLI (child processes) share this directory.
process.env.DATAMIGRATO_DIFF_DIR = mkdtempSync(path.join(os.tmpdir(), 'dm-diff-it-'));

import request from 'supertest';
import YAML from 'yaml';
import { createApp } from '../../api/app';
import type { DiffPage } from '../../client';
import type { JobSpecInput } from '../../src/job/job-spec';
import type { MigrationReport, RepairWorkflowReport } from '../../workflows/types';
import { runMigration } from '../helpers/cross';
import { env, uniqueSuffix } from '../helpers/env';
import { ensureSchema, pgQuery } from '../helpers/pg';
import { pgSpec } from '../helpers/specs';
import { startHarness, type TemporalHarness } from '../helpers/temporal';

/**
 * Acceptance 4 of issue 13 on the real stack (PostgreSQL → PostgreSQL, real worker, real CLI): five tampered
 * target rows — one deleted, one extra, three with changed fields. The target is tampered by a trigger that
 * spoils the first write of four keys (so the migration's own validation sees them) and lets later writes
 * through (so a repair can fix them), plus one row the source never had.
 */
const SCHEMA = 'wt_diff';
const ROWS = 3_000;
const BIN = path.resolve(__dirname, '../../bin/datamigrato');
const execFileP = promisify(execFile);
const FIVE = ['different {"id":10} email', 'different {"id":20} n', 'different {"id":30} n,price', 'extra {"id":100000}', 'missing {"id":40}'];
const lines = (items: DiffPage['items']) => items.map((e) => `${e.kind} ${JSON.stringify(e.key)}${e.fields ? ` ${e.fields.join(',')}` : ''}`).sort();

async function seed(source: string, target: string): Promise<void> {
  const cols = 'id int PRIMARY KEY, email text, n int, price numeric(12,2), at timestamptz';
  await pgQuery(`DROP TABLE IF EXISTS ${SCHEMA}.${source}, ${SCHEMA}.${target}, ${SCHEMA}.${target}_spoiled`);
  await pgQuery(`CREATE TABLE ${SCHEMA}.${source} (${cols})`);
  await pgQuery(
    `INSERT INTO ${SCHEMA}.${source} SELECT i, 'u' || i || '@example.org', i, i * 1.25, timestamptz '2026-01-01' + i * interval '1 minute' FROM generate_series(1, ${ROWS}) i`,
  );
  await pgQuery(`CREATE TABLE ${SCHEMA}.${target} (${cols})`);
  await pgQuery(`CREATE TABLE ${SCHEMA}.${target}_spoiled (id int PRIMARY KEY)`);
  await pgQuery(`CREATE FUNCTION ${SCHEMA}.${target}_spoil() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.id IN (10, 20, 30, 40) AND NOT EXISTS (SELECT 1 FROM ${SCHEMA}.${target}_spoiled WHERE id = NEW.id) THEN
        INSERT INTO ${SCHEMA}.${target}_spoiled VALUES (NEW.id);
        IF NEW.id = 40 THEN RETURN NULL; END IF;
        IF NEW.id = 10 THEN NEW.email := 'changed@example.org'; END IF;
        IF NEW.id = 20 THEN NEW.n := -1; END IF;
        IF NEW.id = 30 THEN NEW.n := -3; NEW.price := 99.99; END IF;
      END IF;
      RETURN NEW;
    END $$`);
  await pgQuery(`CREATE TRIGGER spoil BEFORE INSERT OR UPDATE ON ${SCHEMA}.${target} FOR EACH ROW EXECUTE FUNCTION ${SCHEMA}.${target}_spoil()`);
  await pgQuery(`INSERT INTO ${SCHEMA}.${target} VALUES (100000, 'ghost@example.org', 0, 0, now())`);
}

const spec = (name: string, source: string, target: string, extra: Partial<JobSpecInput> = {}): JobSpecInput => ({
  ...pgSpec(name, source, target, { batchSize: 500, parallelism: 2, partitions: 3 }),
  source: { type: 'postgres', connection: { url: { env: 'PG_URL' } }, schema: SCHEMA, table: source },
  target: { type: 'postgres', connection: { url: { env: 'PG_URL' } }, schema: SCHEMA, table: target },
  ...extra,
});

describe('validation that lists and repairs differences (PostgreSQL → PostgreSQL)', () => {
  let h: TemporalHarness;
  let dir: string;
  const suffix = uniqueSuffix();
  const cli = async (...args: string[]) => {
    try {
      const { stdout, stderr } = await execFileP(BIN, args, { env: { ...process.env, DATAMIGRATO_TASK_QUEUE: h.taskQueue }, timeout: 300_000 });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      if (typeof e.code !== 'number') throw err;
      return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  };

  beforeAll(async () => {
    await ensureSchema(SCHEMA);
    h = await startHarness('wt-diff');
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dm-diff-spec-'));
  }, 120_000);
  afterAll(async () => {
    await h?.stop();
  });

  test('diff lists exactly the five; repair fixes four, not the extra one; repair --delete-extra fixes all five (CLI and API)', async () => {
    const [src, tgt] = [`src_${suffix}`, `tgt_${suffix}`];
    await seed(src, tgt);
    const id = `wt-diff-cli-${suffix}`;
    const file = path.join(dir, 'full.yaml');
    await fs.writeFile(file, YAML.stringify(spec('wt-diff-cli', src, tgt, { validate: { mode: 'full' } })));

    const run = await cli('run', file, '--id', id, '--watch', '--json');
    expect(run.code).toBe(1); // completed, validation mismatch
    const report = (JSON.parse(run.stdout) as { report: MigrationReport }).report;
    const v = report.validation as Extract<MigrationReport['validation'], { mode?: unknown }>;
    console.log(JSON.stringify({ step: 'migrate', validation: v.status, diff: v.diff }));
    expect(v).toMatchObject({ status: 'mismatch', mode: 'full', diff: { missing: 1, extra: 1, different: 3, listed: 5, limitHit: false } });
    expect(v.diff!.keysCompared).toBeLessThan(ROWS); // only the differing buckets were narrowed

    const diff = await cli('diff', id, '--json');
    expect(diff.code).toBe(1);
    expect(lines((JSON.parse(diff.stdout) as DiffPage).items)).toEqual(FIVE);
    const text = await cli('diff', id);
    console.log(text.stdout);
    expect(text.stdout).toMatch(/1 missing, 1 extra, 3 different/);
    expect(text.stdout).toMatch(/different\s+\{"id":30\}\s+n, price/);

    // The API serves the same list.
    const app = createApp({ client: h.client, taskQueue: h.taskQueue, uiUrl: 'http://127.0.0.1:8233', temporalAddress: env.temporalAddress });
    const page = await request(app).get(`/migrations/${id}/diff?limit=2`);
    expect(page.status).toBe(200);
    expect(page.body.items).toHaveLength(2);
    expect(page.body.nextOffset).toBe(2);
    expect((await request(app).get(`/migrations/${id}/diff?offset=2`)).body.items).toHaveLength(3);
    expect((await request(app).get(`/migrations/${id}/diff?bogus=1`)).status).toBe(400);

    const repair = await cli('repair', id, '--json');
    console.log(repair.stdout.slice(0, 2000));
    expect(repair.code).toBe(1); // the extra row is still there
    const r1 = JSON.parse(repair.stdout) as { id: string; report: RepairWorkflowReport };
    expect(r1.report.repair).toMatchObject({
      rewritten: 4,
      notInSource: 0,
      deleted: 0,
      extraNotDeleted: 1,
      note: 'extra rows not deleted: repair.deleteExtra is off',
    });
    expect(r1.report.repair.validation.diff).toMatchObject({ missing: 0, different: 0, extra: 1 });
    expect(lines((JSON.parse((await cli('diff', r1.id, '--json')).stdout) as DiffPage).items)).toEqual(['extra {"id":100000}']);
    const fixed = await pgQuery<{ id: number; email: string; n: number; price: string }>(
      `SELECT id, email, n, price FROM ${SCHEMA}.${tgt} WHERE id IN (10, 20, 30, 40) ORDER BY id`,
    );
    expect(fixed).toEqual([
      { id: 10, email: 'u10@example.org', n: 10, price: '12.50' },
      { id: 20, email: 'u20@example.org', n: 20, price: '25.00' },
      { id: 30, email: 'u30@example.org', n: 30, price: '37.50' },
      { id: 40, email: 'u40@example.org', n: 40, price: '50.00' },
    ]);

    // Through the API this time: POST /migrations/:id/repair with deleteExtra, then the CLI waits on nothing but the result.
    const started = await request(app).post(`/migrations/${r1.id}/repair`).send({ deleteExtra: true });
    expect(started.status).toBe(202);
    const r2: RepairWorkflowReport = await h.client.workflow.getHandle(started.body.id).result();
    console.log(JSON.stringify({ step: 'repair --delete-extra', repair: r2.repair }));
    expect(r2.repair).toMatchObject({ rewritten: 0, deleted: 1, extraNotDeleted: 0, validation: { status: 'match' } });
    expect((await pgQuery(`SELECT count(*)::int AS n FROM ${SCHEMA}.${tgt}`))[0]).toEqual({ n: ROWS });
    const after = await cli('diff', started.body.id);
    expect(after.code).toBe(1); // a match has no list: the CLI says so
    expect(after.stderr).toMatch(/validated as a match/);
  }, 300_000);

  test('repair in the spec: deleteExtra fixes all five in the same run', async () => {
    const [src, tgt] = [`src2_${suffix}`, `tgt2_${suffix}`];
    await seed(src, tgt);
    const report = await runMigration(h, 'wt-diff-spec', spec('wt-diff-spec', src, tgt, { repair: { deleteExtra: true } }));
    console.log(JSON.stringify({ step: 'repair in spec', validation: report.validation, repair: report.repair }));
    expect(report.validation).toMatchObject({ status: 'mismatch', mode: 'checksums', diff: { missing: 1, extra: 1, different: 3 } });
    expect(report.repair).toMatchObject({ rewritten: 4, deleted: 1, extraNotDeleted: 0, validation: { status: 'match' } });
  }, 300_000);
});
