import Database from 'better-sqlite3';
import type { MigrationReport } from '../../workflows/types';
import type { JobSpecInput } from '../../src/job/job-spec';
import { uniqueSuffix } from '../helpers/env';
import { createMixedSource, ensureSchema, pgQuery } from '../helpers/pg';
import { cleanup, parsed } from '../helpers/cross';
import { startHarness, type TemporalHarness } from '../helpers/temporal';
import { BASE_MS, CHINOOK_QUERY, pathRef, seedChinook, seedOrders, sqliteDir, withSqlite } from '../helpers/sqlite';

const PG_SCHEMA = 'dm_test';
const ORDERS = Number(process.env.SQLITE_CROSS_ORDERS ?? 60_000);
const CUSTOMERS = 30_000;
const DEVICES = 100; // × 100 events each
const pgEndpoint = (table: string) => ({ type: 'postgres' as const, connection: { url: { env: 'PG_URL' } }, schema: PG_SCHEMA, table });
const sqliteEndpoint = (path: string, object: { table: string } | { query: string; key: string | string[] }) => ({
  type: 'sqlite' as const,
  connection: { path: pathRef(path) },
  ...object,
});

/** Customers keyed by text, a blob planted in the TEXT name every 2999th row. */
function seedCustomers(path: string, rows: number): Set<string> {
  const drift = new Set<string>();
  withSqlite(path, (db) => {
    db.exec('CREATE TABLE customers (code TEXT PRIMARY KEY, name TEXT NOT NULL, credit NUMERIC, since DATE)');
    const ins = db.prepare('INSERT INTO customers VALUES (?, ?, ?, ?)');
    for (let i = 1; i <= rows; i++) {
      const code = `C${String(i).padStart(6, '0')}`;
      const blob = i % 2999 === 0;
      if (blob) drift.add(code);
      ins.run(code, blob ? Buffer.from('not text') : `Customer ${i}`, `${i}.5`, new Date(BASE_MS + i * 86_400_000).toISOString().slice(0, 10));
    }
  });
  return drift;
}

/** Events with a composite key and instants stored as epoch seconds (REAL) and Julian days; no drift. */
function seedEvents(path: string, devices: number): number {
  withSqlite(path, (db) => {
    db.exec(
      'CREATE TABLE events (device TEXT NOT NULL, seq INTEGER NOT NULL, at_s DATETIME, at_jd DATETIME, payload JSON, PRIMARY KEY (device, seq)) WITHOUT ROWID',
    );
    const ins = db.prepare('INSERT INTO events VALUES (?, ?, ?, ?, ?)');
    for (let d = 0; d < devices; d++)
      for (let s = 1; s <= 100; s++) {
        const ms = BASE_MS + d * 3_600_000 + s * 1_500;
        ins.run(`dev-${d}`, BigInt(s), ms / 1000, 2440587.5 + ms / 86_400_000, JSON.stringify({ d, s, ok: s % 2 === 0 }));
      }
  });
  return devices * 100;
}

describe('SQLite ⇄ PostgreSQL through the real workflow', () => {
  let h: TemporalHarness;
  const files = sqliteDir('cross-sqlite');
  const drop = cleanup();
  beforeAll(async () => {
    h = await startHarness('sqlite');
    await ensureSchema(PG_SCHEMA);
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
    await drop.run();
    files.remove();
  }, 120_000);

  const run = async (name: string, spec: JobSpecInput): Promise<MigrationReport> => {
    const t0 = Date.now();
    const report: MigrationReport = await h.client.workflow.execute('migrationWorkflow', {
      taskQueue: h.taskQueue,
      workflowId: `${name}-${uniqueSuffix()}`,
      args: [{ spec: parsed(spec) }],
    });
    console.log(JSON.stringify({ pair: name, rows: report.rows, quarantined: report.quarantined, ms: Date.now() - t0, validation: report.validation?.status }));
    return report;
  };

  const deadLetters = (job: string) =>
    pgQuery<{ record_key: string; stage: string; error: string }>(
      `SELECT record_key, stage, error FROM ${PG_SCHEMA}._datamigrato_dead_letters WHERE job = $1 ORDER BY record_key`,
      [job],
    );

  test(`SQLite → PostgreSQL: three tables (${ORDERS + CUSTOMERS + DEVICES * 100} rows) with drift planted, quarantined at read, the rest validated`, async () => {
    const path = files.file('shop');
    const { drift: orderDrift } = seedOrders(path, 'orders', ORDERS);
    const customerDrift = seedCustomers(path, CUSTOMERS);
    const events = seedEvents(path, DEVICES);
    const cases = [
      { table: 'orders', total: ORDERS, drift: [...orderDrift].map(String), column: /column "(n|label)"/ },
      { table: 'customers', total: CUSTOMERS, drift: [...customerDrift], column: /column "name" \(TEXT\) holds a blob value/ },
      { table: 'events', total: events, drift: [] as string[], column: /./ },
    ];
    for (const c of cases) {
      const target = `from_sqlite_${c.table}_${uniqueSuffix()}`;
      drop.pgTable(target);
      const job = `sqlite2pg-${target}`;
      const report = await run(`sqlite2pg-${c.table}`, {
        name: job,
        source: sqliteEndpoint(path, { table: c.table }),
        target: pgEndpoint(target),
        batchSize: 2_000,
        parallelism: 2,
        partitions: 4,
        onRecordError: 'quarantine',
      });
      const kept = c.total - c.drift.length;
      expect(report.status).toBe('completed');
      expect(report.rows).toBe(kept);
      expect(report.quarantined).toBe(c.drift.length);
      // The drifted rows never reach either side's digest: the source scan rejects them again, so what was moved matches.
      expect(report.validation).toMatchObject({ status: 'match', source: { count: kept }, target: { count: kept } });
      expect(Number((await pgQuery<{ n: string }>(`SELECT count(*) AS n FROM ${PG_SCHEMA}.${target}`))[0]!.n)).toBe(kept);
      const dead = await deadLetters(job);
      expect(dead.map((d) => d.record_key).sort()).toEqual([...c.drift].sort());
      for (const d of dead) {
        expect(d.stage).toBe('read');
        expect(d.error).toMatch(c.column);
      }
    }
    const [orders] = await pgQuery(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_name LIKE 'from_sqlite_orders_%' ORDER BY table_name DESC LIMIT 1`,
      [PG_SCHEMA],
    );
    const row = (
      await pgQuery(
        `SELECT id, n, price::text, flag, doc, uid::text, created::text, touched_ms, day::text FROM ${PG_SCHEMA}."${orders!.table_name}" WHERE id = 2`,
      )
    )[0]!;
    expect(row).toMatchObject({
      id: '2',
      n: '2',
      price: '2.02',
      flag: false,
      doc: { i: 2, tags: ['a', 2] },
      uid: '00000000-0000-4000-8000-000000000002',
      created: '2023-01-01 00:00:02',
      day: '2023-01-01',
    });
    expect((row.touched_ms as Date).toISOString()).toBe(new Date(BASE_MS + 2_000).toISOString());
  }, 600_000);

  test('PostgreSQL → SQLite: every type carried and validated, decimals and microseconds exact in the file', async () => {
    const src = `to_sqlite_${uniqueSuffix()}`;
    const rows = 20_000;
    drop.pgTable(src);
    await createMixedSource(PG_SCHEMA, src, rows);
    const path = files.file('from-pg');
    const report = await run('pg2sqlite', {
      name: `pg2sqlite-${src}`,
      source: pgEndpoint(src),
      target: sqliteEndpoint(path, { table: 'mixed' }),
      batchSize: 2_000,
      parallelism: 2,
      partitions: 4,
    });
    expect(report.status).toBe('completed');
    expect(report.rows).toBe(rows);
    expect(report.validation).toMatchObject({ status: 'match', source: { count: rows }, target: { count: rows }, mismatchedBuckets: [] });
    const [pgRow] = await pgQuery(`SELECT amount::text, created_at FROM ${PG_SCHEMA}.${src} WHERE id = 1`);
    const db = new Database(path, { readonly: true });
    try {
      const r = db.prepare('SELECT amount, typeof(amount) AS t, created_at FROM mixed WHERE id = 1').get() as { amount: string; t: string; created_at: string };
      expect(r).toMatchObject({ amount: pgRow!.amount, t: 'text' });
      expect(r.created_at).toMatch(/^2020-01-01T00:00:01\.000123Z$/);
      expect((db.prepare("SELECT sql FROM sqlite_schema WHERE name = 'mixed'").get() as { sql: string }).sql).toMatch(/PRIMARY KEY \("id"\)/);
    } finally {
      db.close();
    }
  }, 600_000);

  test('Chinook-shaped query source (tracks ⋈ albums ⋈ artists) → PostgreSQL with key [TrackId]', async () => {
    const path = files.file('chinook');
    const tracks = 4_000;
    seedChinook(path, tracks);
    const target = `chinook_tracks_${uniqueSuffix()}`;
    drop.pgTable(target);
    const report = await run('sqlite-query2pg', {
      name: `chinook-${target}`,
      source: sqliteEndpoint(path, { query: CHINOOK_QUERY, key: ['TrackId'] }),
      target: pgEndpoint(target),
      batchSize: 500,
      parallelism: 2,
      partitions: 4,
    });
    expect(report.status).toBe('completed');
    expect(report.rows).toBe(tracks);
    expect(report.validation).toMatchObject({ status: 'match', source: { count: tracks }, target: { count: tracks } });
    const [r] = await pgQuery(
      `SELECT "TrackId", "TrackName", "AlbumTitle", "ArtistName", "UnitPrice"::text AS price, "Seconds" FROM ${PG_SCHEMA}.${target} WHERE "TrackId" = 1234`,
    );
    expect(r).toEqual({ TrackId: '1234', TrackName: 'Track 1234', AlbumTitle: 'Album 34', ArtistName: 'Artist 34', price: '0.99', Seconds: '181' });
  }, 600_000);

  test('PostgreSQL query source (orders ⋈ customers) → SQLite with a composite key; a query endpoint as target is refused', async () => {
    const suffix = uniqueSuffix();
    const [cust, ord] = [`qc_${suffix}`, `qo_${suffix}`];
    drop.pgTable(ord);
    drop.pgTable(cust);
    await pgQuery(`CREATE TABLE ${PG_SCHEMA}.${cust} (id int PRIMARY KEY, name text NOT NULL, region text)`);
    await pgQuery(
      `INSERT INTO ${PG_SCHEMA}.${cust} SELECT g, 'cust ' || g, CASE WHEN g % 3 = 0 THEN NULL ELSE 'r' || (g % 5) END FROM generate_series(1, 300) g`,
    );
    await pgQuery(
      `CREATE TABLE ${PG_SCHEMA}.${ord} (customer_id int NOT NULL, line int NOT NULL, amount numeric(10,2), at timestamptz, PRIMARY KEY (customer_id, line))`,
    );
    await pgQuery(`INSERT INTO ${PG_SCHEMA}.${ord} SELECT c, l, (c * l) / 4.0, timestamptz '2024-01-01 00:00:00+00' + (c * l) * interval '1.000001 second'
                     FROM generate_series(1, 300) c, generate_series(1, 10) l`);
    const query = `SELECT o.customer_id, o.line, c.name, c.region, o.amount, o.at FROM ${PG_SCHEMA}.${ord} o JOIN ${PG_SCHEMA}.${cust} c ON c.id = o.customer_id`;
    const path = files.file('pg-query');
    const source = { ...pgEndpoint('unused'), table: undefined, query, key: ['customer_id', 'line'] };
    const report = await run('pg-query2sqlite', {
      name: `pgq-${suffix}`,
      source,
      target: sqliteEndpoint(path, { table: 'order_lines' }),
      batchSize: 400,
      parallelism: 2,
      partitions: 3,
    });
    expect(report.rows).toBe(3_000);
    expect(report.validation).toMatchObject({ status: 'match', source: { count: 3_000 }, target: { count: 3_000 } });
    withSqlite(path, (db) => {
      expect(db.prepare('SELECT customer_id, line, name, region, amount, at FROM order_lines WHERE customer_id = 7 AND line = 3').get()).toEqual({
        customer_id: 7,
        line: 3,
        name: 'cust 7',
        region: 'r2',
        amount: '5.25',
        at: '2024-01-01T00:00:21.000021Z',
      });
    });
    const err = await h.client.workflow
      .execute('migrationWorkflow', {
        taskQueue: h.taskQueue,
        workflowId: `pgq-target-${suffix}`,
        args: [{ spec: parsed({ name: `pgq-t-${suffix}`, source: sqliteEndpoint(path, { table: 'order_lines' }), target: source }) }],
      })
      .catch((e) => e);
    expect(String(err.cause?.message)).toMatch(/target\.query: a query source cannot be a target/);
  }, 600_000);
});
