import { types } from 'cassandra-driver';
import { cassandra as cassandraConnector } from '../../src/connectors/cassandra';
import { CassandraEndpointSchema } from '../../src/connectors/cassandra/spec';
import type { TokenCursor } from '../../src/connectors/cassandra/session';
import type { ConnectorSession } from '../../src/connectors/contract';
import { logger } from '../../src/logging';
import type { KeyRange, ObjectSchema, Row } from '../../src/model/types';
import type { JobSpecInput } from '../../src/job/job-spec';
import type { MigrationReport } from '../../workflows/types';
import { cassandraConnection, cassandraUser, concurrently, ensureKeyspace, withCassandra } from '../helpers/cassandra';
import { TEST_DB as DB, TEST_KEYSPACE as KS, cleanup, parsed } from '../helpers/cross';
import { env, uniqueSuffix } from '../helpers/env';
import { withMongo } from '../helpers/mongo';
import { ensureSchema, pgQuery } from '../helpers/pg';
import { startHarness, type TemporalHarness } from '../helpers/temporal';

const PG_SCHEMA = 'dm_test';
const TENANTS = 6;
const PER_TENANT = 700; // more rows per partition than one batch (250)
const BATCH = 250;

const cassEndpoint = (table: string, extra: Record<string, unknown> = {}) => ({
  type: 'cassandra' as const,
  connection: cassandraConnection(),
  keyspace: KS,
  table,
  ...extra,
});
const pgEndpoint = (table: string) => ({ type: 'postgres' as const, connection: { url: { env: 'PG_URL' } }, schema: PG_SCHEMA, table });
const mongoEndpoint = (collection: string) => ({
  type: 'mongodb' as const,
  connection: { url: { env: 'MONGO_URL' } },
  database: DB,
  collection,
  // FerretDB: no Decimal128, and replaceOne scans the collection, so insert first.
  writeMode: 'insert' as const,
  decimalAs: 'string' as const,
});

async function openSession(table: string, extra: Record<string, unknown> = {}): Promise<ConnectorSession> {
  return cassandraConnector.open(
    CassandraEndpointSchema.parse(cassEndpoint(table, extra)),
    {
      contactPoints: env.cassandraContactPoints.split(','),
      localDataCenter: env.cassandraLocalDc,
      ...(cassandraUser ? { username: cassandraUser, password: process.env.CASSANDRA_PASSWORD } : {}),
    },
    logger.child({ test: 'cassandra-composite' }),
  );
}

/**
 * Events of TENANTS partitions, PER_TENANT rows each, PRIMARY KEY ((tenant), c1, c2): c1 a text day, c2 an
 * int sequence, so clustering order is (c1 as text, then c2 as int) — not the insertion order.
 */
async function seedEvents(table: string, order = ''): Promise<void> {
  await withCassandra(async (c) => {
    await ensureKeyspace(c, KS);
    await c.execute(`CREATE TABLE ${KS}.${table} (tenant int, c1 text, c2 int, amount decimal, at timestamp, note text,
      PRIMARY KEY ((tenant), c1, c2))${order}`);
    await concurrently(TENANTS * PER_TENANT, 64, (i) => {
      const tenant = i % TENANTS;
      const n = Math.floor(i / TENANTS);
      return c.execute(
        `INSERT INTO ${KS}.${table} (tenant, c1, c2, amount, at, note) VALUES (?, ?, ?, ?, ?, ?)`,
        [
          tenant,
          `2024-0${1 + (n % 7)}-1${n % 10}`,
          n * 7 - 2000,
          types.BigDecimal.fromString(`${n}.${String(tenant).padStart(2, '0')}`),
          new Date(Date.UTC(2024, 0, 1) + i * 997),
          n % 13 === 0 ? null : `e${tenant}/${n} ✓`,
        ],
        { prepare: true },
      );
    });
  });
}

const keyOf = (r: Row) => `${r.tenant}|${r.c1}|${r.c2}`;
const cmp = (a: Row, b: Row, desc2 = false) =>
  a.c1 !== b.c1 ? ((a.c1 as string) < (b.c1 as string) ? -1 : 1) : ((a.c2 as number) - (b.c2 as number)) * (desc2 ? -1 : 1);

async function readAll(s: ConnectorSession, schema: ObjectSchema, range: KeyRange, after: TokenCursor | null, batch = BATCH): Promise<Row[]> {
  const rows: Row[] = [];
  for await (const b of s.read(schema, range, after, batch)) rows.push(...b.rows);
  return rows;
}

/** Rows of one partition are contiguous (token order) and in clustering order. */
function expectTokenThenClusteringOrder(rows: Row[], desc2 = false) {
  const seen = new Set<unknown>();
  for (let i = 0; i < rows.length; i++) {
    const [prev, row] = [rows[i - 1], rows[i]!];
    if (prev && prev.tenant === row.tenant) {
      if (cmp(prev, row, desc2) >= 0) throw new Error(`row ${i} (${keyOf(row)}) is not after ${keyOf(prev)} in clustering order`);
    } else {
      if (seen.has(row.tenant)) throw new Error(`partition ${String(row.tenant)} read in two runs`);
      seen.add(row.tenant);
    }
  }
}

describe('Cassandra composite primary keys against Cassandra 5', () => {
  let h: TemporalHarness;
  const drop = cleanup();
  const events = `events_${uniqueSuffix()}`;
  const run = async (spec: JobSpecInput): Promise<MigrationReport> => {
    const t0 = Date.now();
    const report: MigrationReport = await h.client.workflow.execute('migrationWorkflow', {
      taskQueue: h.taskQueue,
      workflowId: `${spec.name}-${uniqueSuffix()}`,
      args: [{ spec: parsed(spec) }],
    });
    console.log(JSON.stringify({ job: spec.name, rows: report.rows, ms: Date.now() - t0, validation: report.validation?.status }));
    return report;
  };

  beforeAll(async () => {
    h = await startHarness('cass-composite');
    drop.table(events);
    await seedEvents(events);
  }, 180_000);
  afterAll(async () => {
    await h?.stop();
    await drop.run();
  }, 120_000);

  test('token ranges over the partition key: every row once, clustering order within a partition; a mid-partition cursor resumes with and without its paging state', async () => {
    const s = await openSession(events);
    try {
      const schema = (await s.describe())!;
      expect(schema.key).toEqual(['tenant', 'c1', 'c2']);
      expect(schema.fields.filter((f) => !f.nullable).map((f) => f.name)).toEqual(['tenant', 'c1', 'c2']);
      const ranges = await s.planPartitions(schema, 4);
      const perRange = await Promise.all(ranges.map((r) => readAll(s, schema, r, null)));
      const all = perRange.flat();
      expect(all).toHaveLength(TENANTS * PER_TENANT);
      expect(new Set(all.map(keyOf)).size).toBe(TENANTS * PER_TENANT);
      perRange.forEach((rows) => expectTokenThenClusteringOrder(rows));
      expect(perRange.filter((rows) => rows.length > 0).length).toBeGreaterThan(1); // several ranges really hold partitions

      // The range with the most partitions; a cursor taken after two batches sits inside its first partition.
      const i = perRange.reduce((best, rows, k) => (rows.length > perRange[best]!.length ? k : best), 0);
      const [range, whole] = [ranges[i]!, perRange[i]!];
      expect(whole.length).toBeGreaterThanOrEqual(2 * PER_TENANT);
      const head: Row[] = [];
      let cursor: TokenCursor | null = null;
      for await (const b of s.read(schema, range, null, BATCH)) {
        head.push(...b.rows);
        cursor = b.cursor as TokenCursor;
        if (head.length >= 2 * BATCH) break;
      }
      expect(whole[2 * BATCH]!.tenant).toBe(whole[2 * BATCH - 1]!.tenant); // mid-partition indeed
      expect(cursor).toMatchObject({ pageState: expect.any(String), partition: [expect.any(String)], clustering: [expect.any(String), expect.any(String)] });
      expect(JSON.parse(JSON.stringify(cursor))).toEqual(cursor); // travels through Temporal as is
      const viaPageState = await readAll(s, schema, range, cursor);
      const viaFallback = await readAll(s, schema, range, { ...cursor!, pageState: null });
      expect([...head, ...viaPageState].map(keyOf)).toEqual(whole.map(keyOf));
      expect([...head, ...viaFallback].map(keyOf)).toEqual(whole.map(keyOf));
      expect(viaFallback).toEqual(whole.slice(2 * BATCH)); // full rows, same values
      // A paging state the server refuses ("Invalid value for the paging state") takes the same fallback.
      const refused = await readAll(s, schema, range, { ...cursor!, pageState: Buffer.from('not a paging state at all').toString('hex') });
      expect(refused.map(keyOf)).toEqual(whole.slice(2 * BATCH).map(keyOf));
      // A cursor taken inside the fallback's rest-of-partition read resumes exactly too.
      const partial: Row[] = [];
      let inner: TokenCursor | null = null;
      for await (const b of s.read(schema, range, { ...cursor!, pageState: null }, 100)) {
        partial.push(...b.rows);
        inner = b.cursor as TokenCursor;
        if (partial.length >= 100) break;
      }
      expect(inner!.pageState).toBeNull();
      expect([...head, ...partial, ...(await readAll(s, schema, range, inner))].map(keyOf)).toEqual(whole.map(keyOf));
    } finally {
      await s.close();
    }
  }, 120_000);

  test('mixed clustering directions (c1 ASC, c2 DESC): the fallback reads the rest of the partition by prefix slices, in clustering order', async () => {
    const mixed = `mixed_${uniqueSuffix()}`;
    drop.table(mixed);
    await seedEvents(mixed, ' WITH CLUSTERING ORDER BY (c1 ASC, c2 DESC)');
    const s = await openSession(mixed);
    try {
      const schema = (await s.describe())!;
      const range: KeyRange = { id: 0, lower: null, upper: null };
      const whole = await readAll(s, schema, range, null, 1_000);
      expect(whole).toHaveLength(TENANTS * PER_TENANT);
      expectTokenThenClusteringOrder(whole, true);
      for (const at of [BATCH, PER_TENANT + 3 * BATCH + 17]) {
        const head: Row[] = [];
        let cursor: TokenCursor | null = null;
        for await (const b of s.read(schema, range, null, at)) {
          head.push(...b.rows);
          cursor = b.cursor as TokenCursor;
          break;
        }
        expect([...head, ...(await readAll(s, schema, range, { ...cursor!, pageState: null }))].map(keyOf)).toEqual(whole.map(keyOf));
      }
    } finally {
      await s.close();
    }
  }, 120_000);

  test('Cassandra (two clustering columns) → PostgreSQL: PRIMARY KEY (tenant, c1, c2), validated', async () => {
    const table = `from_cass_${uniqueSuffix()}`;
    drop.pgTable(table);
    await ensureSchema(PG_SCHEMA);
    const report = await run({
      name: `cass2pg-composite-${table}`,
      source: cassEndpoint(events),
      target: pgEndpoint(table),
      batchSize: BATCH,
      parallelism: 2,
      partitions: 4,
    });
    expect(report).toMatchObject({ status: 'completed', rows: TENANTS * PER_TENANT, quarantined: 0 });
    expect(report.validation).toMatchObject({ status: 'match', source: { count: TENANTS * PER_TENANT }, target: { count: TENANTS * PER_TENANT } });
    const pk = await pgQuery<{ name: string }>(
      `SELECT a.attname AS name FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
        WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)`,
      [`${PG_SCHEMA}.${table}`],
    );
    expect(pk.map((r) => r.name)).toEqual(['tenant', 'c1', 'c2']);
  }, 300_000);

  test('Cassandra (two clustering columns) → MongoDB: every row as one document, validated', async () => {
    const collection = `from_cass_${uniqueSuffix()}`;
    drop.collection(collection);
    // The target stores the composite key as an _id document {tenant, c1, c2} plus the key fields as
    // ordinary fields; this test checks only what any layout must give: the count and a validation match.
    const report = await run({
      name: `cass2mongo-composite-${collection}`,
      source: cassEndpoint(events),
      target: mongoEndpoint(collection),
      batchSize: BATCH,
      parallelism: 2,
      partitions: 2,
    });
    expect(report).toMatchObject({ status: 'completed', rows: TENANTS * PER_TENANT, quarantined: 0 });
    expect(report.validation).toMatchObject({ status: 'match', source: { count: TENANTS * PER_TENANT }, target: { count: TENANTS * PER_TENANT } });
    expect(await withMongo((m) => m.db(DB).collection(collection).countDocuments())).toBe(TENANTS * PER_TENANT);
  }, 300_000);

  test('PostgreSQL (tenant_id, order_id) → Cassandra with partitionKey/clusteringKey: the table is created so, reads back equal; null key columns are rejected records', async () => {
    const src = `orders_${uniqueSuffix()}`;
    const table = `orders_${uniqueSuffix()}`;
    drop.pgTable(src);
    drop.table(table);
    await ensureSchema(PG_SCHEMA);
    await pgQuery(`CREATE TABLE ${PG_SCHEMA}.${src} (tenant_id bigint, order_id int, total numeric(12,2), placed_at timestamptz, note text,
      PRIMARY KEY (tenant_id, order_id))`);
    await pgQuery(`INSERT INTO ${PG_SCHEMA}.${src} SELECT g % 9, g, g * 1.25, timestamptz '2024-01-01 00:00:00+00' + g * interval '1 minute',
      CASE WHEN g % 7 = 0 THEN NULL ELSE 'o' || g END FROM generate_series(1, 3000) g`);
    const report = await run({
      name: `pg2cass-composite-${table}`,
      source: pgEndpoint(src),
      target: cassEndpoint(table, { partitionKey: ['tenant_id'], clusteringKey: ['order_id'] }),
      batchSize: 500,
      parallelism: 2,
      partitions: 3,
    });
    expect(report).toMatchObject({ status: 'completed', rows: 3000, quarantined: 0 });
    expect(report.validation).toMatchObject({ status: 'match', source: { count: 3000 }, target: { count: 3000 } });
    const kinds = await withCassandra((c) =>
      c.execute('SELECT column_name, kind, position FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?', [KS, table]),
    );
    expect(Object.fromEntries(kinds.rows.map((r) => [r.column_name, `${r.kind}:${r.position}`]))).toEqual({
      tenant_id: 'partition_key:0',
      order_id: 'clustering:0',
      total: 'regular:-1',
      placed_at: 'regular:-1',
      note: 'regular:-1',
    });

    // The same records' key against a table with another primary key: refused, naming both.
    const other = `orders_other_${uniqueSuffix()}`;
    drop.table(other);
    await withCassandra((c) =>
      c.execute(`CREATE TABLE ${KS}.${other} (tenant_id bigint, order_id int, total decimal, placed_at timestamp, note text, PRIMARY KEY (order_id))`),
    );
    const refused = await run({ name: `pg2cass-other-${other}`, source: pgEndpoint(src), target: cassEndpoint(other) }).then(
      () => null,
      (e: { cause?: { type?: string; message: string } }) => e.cause,
    );
    expect(refused).toMatchObject({
      type: 'SchemaError',
      message: expect.stringMatching(/primary key \(\(order_id\)\); the records' key is \(tenant_id, order_id\)/),
    });

    const s = await openSession(table);
    try {
      const schema = (await s.describe())!;
      expect(schema.key).toEqual(['tenant_id', 'order_id']);
      const out = await s.write(schema, [
        { tenant_id: 100n, order_id: 1, total: '1.00', placed_at: null, note: 'ok' },
        { tenant_id: 100n, order_id: null, total: '2.00', placed_at: null, note: 'no order id' },
        { tenant_id: null, order_id: 3, total: '3.00', placed_at: null, note: 'no tenant' },
      ]);
      expect(out.written).toBe(1);
      expect(out.rejected.map((r) => r.error)).toEqual([
        expect.stringMatching(/primary key column\(s\) order_id null/),
        expect.stringMatching(/primary key column\(s\) tenant_id null/),
      ]);
    } finally {
      await s.close();
    }
  }, 300_000);
});
