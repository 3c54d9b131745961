import type { MigrationReport } from '../../workflows/types';
import { uniqueSuffix } from '../helpers/env';
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
    expect(report.validation).toMatchObject({ status: 'match', source: { count: ROWS }, target: { count: ROWS } });
    expect(report.validation && 'source' in report.validation && report.validation.source.sum).toBe(
      report.validation && 'target' in report.validation && report.validation.target.sum,
    );
    expect(report.copyDigest).toEqual(report.validation && 'source' in report.validation ? report.validation.source : null);
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
});
