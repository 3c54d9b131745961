import { getConnector } from '../../src/connectors/registry';
import { digestQuery, type DigestMethod } from '../../src/connectors/postgres/digest';
import { logger } from '../../src/logging';
import type { MigrationReport } from '../../workflows/types';
import { env, uniqueSuffix } from '../helpers/env';
import { createMixedSource, pgQuery, rowDiff } from '../helpers/pg';
import { parsed, pgSpec } from '../helpers/specs';
import { startHarness, type TemporalHarness } from '../helpers/temporal';

const ROWS = Number(process.env.PG_TEST_ROWS ?? 200_000);

describe('PostgreSQL → PostgreSQL on the real dev server', () => {
  let h: TemporalHarness;
  const src = `mixed_src_${uniqueSuffix()}`;

  beforeAll(async () => {
    h = await startHarness('pg2pg');
    await createMixedSource('dm_test', src, ROWS);
  }, 180_000);
  afterAll(async () => {
    await h?.stop();
  });

  test(`${ROWS} mixed-type rows arrive exactly and validate by count and checksum`, async () => {
    const tgt = `mixed_tgt_${uniqueSuffix()}`;
    const report: MigrationReport = await h.client.workflow.execute('migrationWorkflow', {
      taskQueue: h.taskQueue,
      workflowId: `pg2pg-${tgt}`,
      args: [{ spec: parsed(pgSpec(`pg2pg-${tgt}`, src, tgt)) }],
    });
    expect(report.status).toBe('completed');
    expect(report.rows).toBe(ROWS);
    // Validation pushdown: both servers hashed every row of all 13 types (numeric, timestamptz, jsonb, bytea,
    // text[]…) and agree, so the row path carried each value exactly as PostgreSQL prints it.
    expect(report.validation).toMatchObject({
      status: 'match',
      source: { count: ROWS },
      target: { count: ROWS },
      pushdown: { kind: 'postgres-hash64-v2', status: 'match' },
    });
    expect(report.validation && 'source' in report.validation && report.validation.source.sum).toBe(
      report.validation && 'target' in report.validation && report.validation.target.sum,
    );
    // Validated in the stores, the copy computed no checksum of its own (a fifth of the row path's CPU).
    expect(report.copyDigest).toBeNull();
    // The database's own comparison, independent of our checksums: full rows, both directions.
    expect(await rowDiff(`dm_test.${src}`, `dm_test.${tgt}`)).toEqual({ onlyA: 0, onlyB: 0 });
    // Exact native types were kept (numeric(14,4), timestamptz, jsonb, bytea, text[]…).
    const types = await pgQuery<{ t: string; c: string }>(
      `SELECT table_name AS t, string_agg(column_name || ':' || data_type, ',' ORDER BY ordinal_position) AS c
         FROM information_schema.columns WHERE table_schema = 'dm_test' AND table_name IN ($1, $2) GROUP BY table_name`,
      [src, tgt],
    );
    expect(types[0]!.c).toBe(types[1]!.c);
  }, 600_000);

  test('a changed target row is caught by the checksum, not just the count', async () => {
    const tgt = `mixed_tgt_${uniqueSuffix()}`;
    // Pre-create the target with one row that disagrees with the source on a non-key column and one extra row.
    await pgQuery(`CREATE TABLE dm_test.${tgt} (LIKE dm_test.${src} INCLUDING ALL)`);
    await pgQuery(`CREATE TABLE dm_test.${tgt}_small AS SELECT * FROM dm_test.${src} WHERE id <= 3000`);
    await pgQuery(`ALTER TABLE dm_test.${tgt}_small ADD PRIMARY KEY (id)`);
    const report: MigrationReport = await h.client.workflow.execute('migrationWorkflow', {
      taskQueue: h.taskQueue,
      workflowId: `pg2pg-tamper-${tgt}`,
      args: [{ spec: parsed({ ...pgSpec(`tamper-${tgt}`, `${tgt}_small`, tgt), transform: [] }) }],
    });
    expect(report.validation).toMatchObject({ status: 'match' });
    // Now tamper and validate again through a second run with the copy being a no-op upsert of the same rows.
    await pgQuery(`CREATE TRIGGER keep_label BEFORE UPDATE ON dm_test.${tgt} FOR EACH ROW WHEN (OLD.id = 42) EXECUTE FUNCTION dm_test.keep_old()`).catch(
      async () => {
        await pgQuery(`CREATE OR REPLACE FUNCTION dm_test.keep_old() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.label := 'tampered'; RETURN NEW; END $$`);
        await pgQuery(`CREATE TRIGGER keep_label BEFORE UPDATE ON dm_test.${tgt} FOR EACH ROW WHEN (OLD.id = 42) EXECUTE FUNCTION dm_test.keep_old()`);
      },
    );
    const second: MigrationReport = await h.client.workflow.execute('migrationWorkflow', {
      taskQueue: h.taskQueue,
      workflowId: `pg2pg-tamper2-${tgt}`,
      args: [{ spec: parsed(pgSpec(`tamper2-${tgt}`, `${tgt}_small`, tgt)) }],
    });
    expect(second.validation).toMatchObject({ status: 'mismatch', source: { count: 3000 }, target: { count: 3000 } });
    expect(second.validation && 'mismatchedBuckets' in second.validation ? second.validation.mismatchedBuckets.length : 0).toBe(1);
  }, 300_000);
  test('pushdown with a rename: each side hashes its own columns in one order; a difference is re-checked canonically and listed', async () => {
    const small = `rename_src_${uniqueSuffix()}`;
    const tgt = `rename_tgt_${uniqueSuffix()}`;
    await pgQuery(`CREATE TABLE dm_test.${small} AS SELECT * FROM dm_test.${src} WHERE id <= 5000`);
    await pgQuery(`ALTER TABLE dm_test.${small} ADD PRIMARY KEY (id)`);
    const spec = (name: string) =>
      parsed(pgSpec(name, small, tgt, { transform: [{ op: 'rename', fields: { label: 'title', amount: 'price' } }], validate: { mode: 'full' } }));
    const run = (name: string): Promise<MigrationReport> =>
      h.client.workflow.execute('migrationWorkflow', { taskQueue: h.taskQueue, workflowId: `pg2pg-${name}`, args: [{ spec: spec(name) }] });

    const first = await run(`rename-${tgt}`);
    expect(first.validation).toMatchObject({ status: 'match', source: { count: 5000 }, target: { count: 5000 }, pushdown: { status: 'match' } });

    // One row the copy cannot fix (a trigger keeps its title) and one the source never had.
    await pgQuery(`CREATE OR REPLACE FUNCTION dm_test.keep_title() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.title := 'tampered'; RETURN NEW; END $$`);
    await pgQuery(
      `CREATE TRIGGER keep_title BEFORE INSERT OR UPDATE ON dm_test.${tgt} FOR EACH ROW WHEN (NEW.id = 4242) EXECUTE FUNCTION dm_test.keep_title()`,
    );
    await pgQuery(`UPDATE dm_test.${tgt} SET title = title WHERE id = 4242`);
    await pgQuery(`INSERT INTO dm_test.${tgt} (id, title) VALUES (-1, 'extra')`);
    const second = await run(`rename2-${tgt}`);
    expect(second.validation).toMatchObject({
      status: 'mismatch',
      pushdown: { kind: 'postgres-hash64-v2', status: 'mismatch' },
      source: { count: 5000 },
      target: { count: 5001 },
      diff: { missing: 0, extra: 1, different: 1 },
    });
  }, 300_000);

  test('pushdown mismatch that is no difference (real read as 0.1, written to double precision): the canonical re-check decides match', async () => {
    const small = `real_src_${uniqueSuffix()}`;
    const tgt = `real_tgt_${uniqueSuffix()}`;
    await pgQuery(`CREATE TABLE dm_test.${small} (id integer PRIMARY KEY, r real)`);
    await pgQuery(`INSERT INTO dm_test.${small} SELECT g, g / 10.0 FROM generate_series(1, 500) g`);
    await pgQuery(`CREATE TABLE dm_test.${tgt} (id integer PRIMARY KEY, r double precision)`);
    const report: MigrationReport = await h.client.workflow.execute('migrationWorkflow', {
      taskQueue: h.taskQueue,
      workflowId: `pg2pg-real-${tgt}`,
      args: [{ spec: parsed(pgSpec(`real-${tgt}`, small, tgt)) }],
    });
    // The servers print real 0.1 widened (0.10000000149011612) and double 0.1 differently; the values as the worker reads them are equal.
    expect(report.validation).toMatchObject({ status: 'match', source: { count: 500 }, pushdown: { status: 'mismatch' } });
  }, 120_000);

  test('a text key is split into disjoint ranges by percentiles', async () => {
    const src2 = `text_src_${uniqueSuffix()}`;
    const tgt = `text_tgt_${uniqueSuffix()}`;
    await pgQuery(`CREATE TABLE dm_test.${src2} (k text PRIMARY KEY, n integer NOT NULL)`);
    await pgQuery(`INSERT INTO dm_test.${src2} SELECT md5(g::text), g FROM generate_series(1, 20000) g`);
    const report: MigrationReport = await h.client.workflow.execute('migrationWorkflow', {
      taskQueue: h.taskQueue,
      workflowId: `pg2pg-text-${tgt}`,
      args: [{ spec: parsed(pgSpec(`text-${tgt}`, src2, tgt, { partitions: 4, batchSize: 1000 })) }],
    });
    expect(report.partitions).toHaveLength(4);
    expect(report.partitions.map((p) => p.rows).reduce((a, b) => a + b, 0)).toBe(20000); // no range read twice
    expect(report.partitions.every((p) => p.rows > 3000)).toBe(true); // percentiles, not one big range
    expect(report.validation).toMatchObject({ status: 'match', source: { count: 20000 }, target: { count: 20000 } });
    expect(await rowDiff(`dm_test.${src2}`, `dm_test.${tgt}`)).toEqual({ onlyA: 0, onlyB: 0 });
  }, 300_000);

  test('both row-hash methods (record, and text for servers before 14) run over all 13 types; one changed value moves both sums', async () => {
    const copy = `mixed_copy_${uniqueSuffix()}`;
    await pgQuery(`CREATE TABLE dm_test.${copy} AS SELECT * FROM dm_test.${src} WHERE id <= 5000`);
    const d = getConnector('postgres');
    const session = await d.open(
      d.endpointSchema.parse({ type: 'postgres', connection: { url: { env: 'PG_URL' } }, schema: 'dm_test', table: src }),
      { url: env.pgUrl },
      logger.child({ test: 'pg-digest-methods' }),
    );
    try {
      const schema = (await session.describe())!;
      const fields = schema.fields.map((f) => f.name).sort();
      const sums = async (table: string, method: DigestMethod) => {
        const params: unknown[] = [];
        const sql = digestQuery(`dm_test.${table}`, schema, fields, { id: 0, lower: null, upper: 5000 }, (v) => `$${params.push(v)}`, method);
        return (await pgQuery<{ n: string; s: string }>(sql, params))[0]!;
      };
      for (const method of ['record', 'text'] as const) {
        const before = await sums(src, method);
        expect(before.n).toBe('5000');
        expect(await sums(copy, method)).toEqual(before);
        await pgQuery(`UPDATE dm_test.${copy} SET label = label || '!' WHERE id = 17`);
        expect((await sums(copy, method)).s).not.toBe(before.s);
        await pgQuery(`UPDATE dm_test.${copy} SET label = left(label, -1) WHERE id = 17`);
      }
    } finally {
      await session.close();
    }
  }, 120_000);
});
