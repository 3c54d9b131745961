import type { MigrationReport } from '../../workflows/types';
import { cassandraConnection, countCassandra } from '../helpers/cassandra';
import { TEST_KEYSPACE as KS, cleanup, parsed } from '../helpers/cross';
import { uniqueSuffix } from '../helpers/env';
import { countRows, ensureSchema, pgQuery } from '../helpers/pg';
import { startHarness, waitFor } from '../helpers/temporal';
import { spawnWorker, type WorkerProcess } from '../helpers/worker-process';

const SCHEMA = 'dm_test';
const TENANTS = 300;
const ORDERS = Number(process.env.COMPOSITE_ORDERS_PER_TENANT ?? 1_000); // 300 × 1,000 = 300k rows
const ROWS = TENANTS * ORDERS;
const pg = { type: 'postgres', connection: { url: { env: 'PG_URL' } }, schema: SCHEMA } as const;

/** Orders keyed by (tenant_id, order_id); order ids repeat across tenants, so neither column alone is a key. */
async function seedOrders(table: string): Promise<void> {
  await ensureSchema(SCHEMA);
  await pgQuery(`DROP TABLE IF EXISTS ${SCHEMA}.${table}`);
  await pgQuery(`CREATE TABLE ${SCHEMA}.${table} (
      tenant_id integer NOT NULL, order_id bigint NOT NULL, amount numeric(12,2), note text, placed_at timestamptz,
      PRIMARY KEY (tenant_id, order_id))`);
  await pgQuery(`INSERT INTO ${SCHEMA}.${table}
      SELECT t, o, round((t * 7 + o * 0.13)::numeric, 2), CASE WHEN o % 97 = 0 THEN NULL ELSE 'order ' || o || ' of ' || t || ' ✓' END,
             timestamptz '2021-03-04 05:06:07.123+00' + (o * interval '1 minute')
        FROM generate_series(1, ${TENANTS}) t, generate_series(1, ${ORDERS}) o`);
  await pgQuery(`ANALYZE ${SCHEMA}.${table}`);
}

describe('composite keys: PostgreSQL (tenant_id, order_id) → Cassandra ((tenant_id), order_id) → PostgreSQL', () => {
  const src = `comp_src_${uniqueSuffix()}`;
  const mid = `comp_mid_${uniqueSuffix()}`;
  const back = `comp_back_${uniqueSuffix()}`;
  const drop = cleanup();
  beforeAll(async () => {
    drop.pgTable(src);
    drop.pgTable(back);
    drop.table(mid);
    await seedOrders(src);
  }, 120_000);
  afterAll(() => drop.run(), 120_000);

  test(`${ROWS} rows there and back; kill -9 mid-copy resumes from a tuple cursor; equal by EXCEPT ALL both ways`, async () => {
    const taskQueue = `comp-${uniqueSuffix()}`;
    const h = await startHarness('comp-client');
    const first = await spawnWorker(taskQueue);
    let second: WorkerProcess | undefined;
    try {
      const there = parsed({
        name: `comp-there-${mid}`,
        source: { ...pg, table: src },
        target: { type: 'cassandra', connection: cassandraConnection(), keyspace: KS, table: mid, partitionKey: ['tenant_id'], clusteringKey: ['order_id'] },
        batchSize: 700, // not a divisor of the orders per tenant: cursors fall inside a tenant
        parallelism: 2,
        partitions: 4,
        chunk: { maxBatches: 1_000, maxSeconds: 60 },
      });
      const handle = await h.client.workflow.start('migrationWorkflow', { taskQueue, workflowId: there.name, args: [{ spec: there }] });
      await waitFor(
        () => countCassandra(`${KS}.${mid}`).catch(() => 0),
        (n) => n >= 60_000,
        300_000,
        250,
      );
      await first.kill9();
      const atKill = await countCassandra(`${KS}.${mid}`);
      expect(atKill).toBeLessThan(ROWS); // really mid-copy
      second = await spawnWorker(taskQueue);
      const report: MigrationReport = await handle.result();
      // The log's fields follow its message over several lines (util.inspect): keep a little of what follows each.
      const resumed = second
        .output()
        .split('resuming chunk from heartbeat')
        .slice(1)
        .map((tail) => tail.slice(0, 4000));
      console.log(resumed.map((l) => /cursor: [^\n]*/.exec(l)?.[0]).join('\n'));
      console.log(
        JSON.stringify({
          leg: 'pg→cassandra',
          rows: report.rows,
          atKill,
          resumes: report.partitions.map((p) => p.resumes),
          rowsPerSecond: report.rowsPerSecond,
          timings: report.timings,
        }),
      );
      expect(report.status).toBe('completed');
      expect(report.rows).toBe(ROWS);
      expect(report.validation).toMatchObject({ status: 'match', source: { count: ROWS }, target: { count: ROWS } });
      expect(report.partitions.reduce((n, p) => n + p.resumes, 0)).toBeGreaterThanOrEqual(1);
      // The resumed chunk started from a (tenant_id, order_id) tuple, not from the start of its range.
      // `cursor: [ 17, '512' ]`: an int32 tenant and an int64 order id (as text, the JSON form of int64 keys).
      expect(resumed.some((l) => /cursor: \[\s*\d+,\s*'\d+'\s*\]/.test(l))).toBe(true);
      expect(await countCassandra(`${KS}.${mid}`)).toBe(ROWS);

      const back1 = parsed({
        name: `comp-back-${back}`,
        source: { type: 'cassandra', connection: cassandraConnection(), keyspace: KS, table: mid },
        target: { ...pg, table: back },
        batchSize: 2_000,
        parallelism: 2,
      });
      const r2: MigrationReport = await h.client.workflow.execute('migrationWorkflow', { taskQueue, workflowId: back1.name, args: [{ spec: back1 }] });
      console.log(JSON.stringify({ leg: 'cassandra→pg', rows: r2.rows, rowsPerSecond: r2.rowsPerSecond, timings: r2.timings }));
      expect(r2.validation).toMatchObject({ status: 'match', source: { count: ROWS } });
      expect(await countRows(`${SCHEMA}.${back}`)).toBe(ROWS);
      const pk = await pgQuery<{ col: string }>(
        `SELECT a.attname AS col FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
          WHERE i.indrelid = '${SCHEMA}.${back}'::regclass AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)`,
      );
      expect(pk.map((r) => r.col)).toEqual(['tenant_id', 'order_id']);
      const cols = 'tenant_id, order_id, amount, note, placed_at';
      for (const [a, b] of [
        [src, back],
        [back, src],
      ]) {
        const [d] = await pgQuery<{ n: string }>(
          `SELECT count(*) AS n FROM (SELECT ${cols} FROM ${SCHEMA}.${a} EXCEPT ALL SELECT ${cols} FROM ${SCHEMA}.${b}) x`,
        );
        expect(Number(d!.n)).toBe(0);
      }
    } finally {
      await first.kill9();
      await second?.stop();
      await h.stop();
    }
  }, 900_000);
});
