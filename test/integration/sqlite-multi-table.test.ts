/**
 * Issue 11, acceptance 1: a multi-table SQLite database with type drift planted → PostgreSQL, → MySQL,
 * → DynamoDB, and DynamoDB → SQLite. Every hop: validated on the non-drifted rows, drifted records quarantined
 * and counted exactly, and on the largest table a worker is killed with SIGKILL mid-copy and a fresh one finishes.
 * Size: DATAMIGRATO_ACCEPT_ROWS rows over the four tables (default 120k, sized for CI; the note's figures come
 * from a run with 1,000,000). The DynamoDB hops read a second file of DATAMIGRATO_ACCEPT_DDB_ROWS rows (default
 * min(rows, 60k)): dynalite (LevelDB, one Node process) is the bottleneck there, not the service.
 */
import { ScanCommand, UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import Database from 'better-sqlite3';
import type { WorkflowHandle } from '@temporalio/client';
import type { JobSpecInput } from '../../src/job/job-spec';
import type { MigrationReport } from '../../workflows/types';
import { parsed } from '../helpers/cross';
import { dropTable, dynamoConnectionSpec, dynamoEndpoint, dynamoUp, withDynamo } from '../helpers/dynamodb';
import { uniqueSuffix } from '../helpers/env';
import { ensureDatabase, mq, mysqlQuery } from '../helpers/mysql';
import { ensureSchema, pgQuery } from '../helpers/pg';
import { BASE_MS, pathRef, sqliteDir, withSqlite } from '../helpers/sqlite';
import { startHarness, waitFor, type TemporalHarness } from '../helpers/temporal';
import { spawnWorker, type WorkerProcess } from '../helpers/worker-process';

const ROWS = Number(process.env.DATAMIGRATO_ACCEPT_ROWS ?? 120_000);
const DDB_ROWS = Number(process.env.DATAMIGRATO_ACCEPT_DDB_ROWS ?? Math.min(ROWS, 60_000));
/** Batch size of the hops that kill their worker mid-copy (see runHop). */
const KILL_HOP_BATCH = 500;
// Names carry the branch they were written on, so parallel runs on the shared servers never collide.
const NS = 'wt_i11_accept';
const DDB_PREFIX = `wt-i11-${uniqueSuffix()}`;
const DDB_SAMPLE = 500;

type Key = string;
interface Seeded {
  total: number;
  drift: Set<Key>;
}
interface TableDef {
  name: string;
  share: number;
  ddl: string;
  dateColumns: Record<string, 'iso' | 'epochMillis'>;
  /** The row for index i (1-based), and whether a value in it was planted as drift. */
  row: (i: number) => { values: unknown[]; key: Key; drift: boolean };
}

const iso = (ms: number) => new Date(ms).toISOString();
const money = (c: number) => `${Math.floor(c / 100)}.${String(c % 100).padStart(2, '0')}`;

/** Four shapes: integer keys, a composite key, a text key; drift in INTEGER, REAL, DATE and epoch-ms columns. */
const TABLES: TableDef[] = [
  {
    name: 'orders',
    share: 0.4,
    ddl: `CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, qty INTEGER, amount DECIMAL(12,2),
            status TEXT NOT NULL, ordered_at DATETIME NOT NULL)`,
    dateColumns: { ordered_at: 'iso' },
    row: (i) => {
      const drift = i % 997 === 0; // text "toto" in an INTEGER column
      const values = [
        i,
        1 + (i % 5000),
        drift ? 'toto' : 1 + (i % 9),
        money((i * 7919) % 1_000_000),
        ['new', 'paid', 'shipped'][i % 3],
        iso(BASE_MS + i * 1000),
      ];
      return { values, key: String(i), drift };
    },
  },
  {
    name: 'customers',
    share: 0.25,
    ddl: 'CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT, score REAL, since DATE)',
    dateColumns: { since: 'iso' },
    row: (i) => {
      const blob = i % 1999 === 0; // a blob in a REAL column
      const badDate = i % 2503 === 0; // an unparsable date in a DATE column
      const since = badDate ? 'not a date' : iso(BASE_MS + (i % 3650) * 86_400_000).slice(0, 10);
      const values = [i, `Zoë Ångström ${i} 山田`, i % 11 === 0 ? null : `u${i}@example.com`, blob ? Buffer.from([1, 2]) : (i % 1000) / 7, since];
      return { values, key: String(i), drift: blob || badDate };
    },
  },
  {
    name: 'events',
    share: 0.25,
    ddl: `CREATE TABLE events (device_id INTEGER NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL, reading REAL,
            at_ms DATETIME NOT NULL, PRIMARY KEY (device_id, seq)) WITHOUT ROWID`,
    dateColumns: { at_ms: 'epochMillis' },
    row: (i) => {
      const drift = i % 1499 === 0; // text in an epoch-milliseconds column
      const [device, seq] = [1 + (i % 500), Math.floor(i / 500)];
      const values = [device, seq, ['temp', 'door', 'battery'][i % 3], i % 7 === 0 ? null : (i % 4000) / 100, drift ? 'yesterday' : BASE_MS + i * 250];
      return { values, key: `${device}|${seq}`, drift };
    },
  },
  {
    name: 'tags',
    share: 0.1,
    ddl: 'CREATE TABLE tags (code TEXT PRIMARY KEY, label TEXT NOT NULL, weight REAL, active BOOLEAN NOT NULL, raw BLOB)',
    dateColumns: {},
    row: (i) => {
      const drift = i % 1777 === 0; // text in a REAL column
      const code = `T${String(i).padStart(8, '0')}`;
      return { values: [code, `label ${i} ✓`, drift ? 'heavy' : i / 3, i % 2, Buffer.from([i & 255, 9])], key: code, drift };
    },
  },
];

/** One transaction per table, one prepared statement: a million rows in seconds. */
function seed(path: string, rows: number): Map<string, Seeded> {
  const out = new Map<string, Seeded>();
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    for (const t of TABLES) {
      db.exec(t.ddl);
      const n = Math.round(rows * t.share);
      const drift = new Set<Key>();
      const ins = db.prepare(
        `INSERT INTO ${t.name} VALUES (${t
          .row(1)
          .values.map(() => '?')
          .join(', ')})`,
      );
      db.transaction(() => {
        for (let i = 1; i <= n; i++) {
          const r = t.row(i);
          ins.run(...r.values.map((v) => (typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : v)));
          if (r.drift) drift.add(r.key);
        }
      })();
      out.set(t.name, { total: n, drift });
    }
  } finally {
    db.close();
  }
  return out;
}

interface Hop {
  label: string;
  source: JobSpecInput['source'];
  target: JobSpecInput['target'];
  batchSize: number;
  seeded: Seeded;
  kill: boolean;
  /** Rows in the target, counted by the store itself. */
  count: () => Promise<number>;
  /** Record keys of this job's dead letters (one per quarantined record, repeats possible after a kill). */
  deadKeys: (job: string) => Promise<string[]>;
}

const pgCount = (t: string) => async () => Number((await pgQuery<{ n: string }>(`SELECT count(*) AS n FROM ${NS}."${t}"`))[0]!.n);
const pgDead = async (job: string) =>
  (await pgQuery<{ k: string }>(`SELECT record_key AS k FROM ${NS}._datamigrato_dead_letters WHERE job = $1`, [job])).map((r) => r.k);
const myCount = (t: string) => async () => Number((await mysqlQuery<{ n: string }>(`SELECT count(*) AS n FROM ${mq(NS)}.${mq(t)}`))[0]!.n);
const myDead = async (job: string) =>
  (await mysqlQuery<{ k: string }>(`SELECT record_key AS k FROM ${mq(NS)}._datamigrato_dead_letters WHERE job = ?`, [job])).map((r) => r.k);

async function ddbScan(
  table: string,
  input: { filter?: string; values?: Record<string, AttributeValue>; count?: boolean },
): Promise<{ n: number; items: Record<string, AttributeValue>[] }> {
  return withDynamo(async (c) => {
    let n = 0;
    const items: Record<string, AttributeValue>[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const out = await c.send(
        new ScanCommand({
          TableName: table,
          ExclusiveStartKey: start,
          ...(input.count ? { Select: 'COUNT' } : {}),
          ...(input.filter ? { FilterExpression: input.filter, ExpressionAttributeNames: { '#j': 'job' }, ExpressionAttributeValues: input.values } : {}),
        }),
      );
      n += out.Count ?? 0;
      items.push(...((out.Items ?? []) as Record<string, AttributeValue>[]));
      start = out.LastEvaluatedKey as Record<string, AttributeValue> | undefined;
    } while (start);
    return { n, items };
  });
}
const ddbCount = (t: string) => async () => (await ddbScan(t, { count: true })).n;
const ddbDead = async (job: string) =>
  (await ddbScan('_datamigrato_dead_letters', { filter: '#j = :j', values: { ':j': { S: job } } })).items.map((i) => i.key?.S ?? '?');

function sqliteCount(path: string, table: string): () => Promise<number> {
  return async () => {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      return (db.prepare(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number }).n;
    } catch {
      return 0; // not created yet
    } finally {
      db.close();
    }
  };
}
const sqliteDead = (path: string) => async (job: string) =>
  withSqlite(path, (db) => (db.prepare('SELECT record_key AS k FROM _datamigrato_dead_letters WHERE job = ?').all(job) as { k: string }[]).map((r) => r.k));

/** The record_key of a dead letter, in the hop's Key form (composite keys are compared as "a|b"). */
function normalizeKey(k: string): Key {
  if (!k.startsWith('[')) return k;
  return (JSON.parse(k) as unknown[]).map(String).join('|');
}

describe('acceptance 1: multi-table SQLite with drift → PostgreSQL, MySQL, DynamoDB, and DynamoDB → SQLite, with kill -9', () => {
  const files = sqliteDir('accept');
  const main = files.file('main');
  const small = files.file('ddb');
  const back = files.file('back');
  const refs = { main: pathRef(main), small: pathRef(small), back: pathRef(back) };
  const pgConn = { url: { env: 'PG_URL' } };
  const myConn = { url: { env: 'MYSQL_URL' } };
  const ddbConn = dynamoConnectionSpec(); // sets the credential variables before any worker is spawned
  const ddbTables: string[] = [];
  let seeded: Map<string, Seeded>;
  let seededSmall: Map<string, Seeded>;
  let h: TemporalHarness;
  let worker: WorkerProcess | undefined;
  let taskQueue: string;
  let ddbOk = false;

  beforeAll(async () => {
    const t0 = Date.now();
    seeded = seed(main, ROWS);
    ddbOk = await dynamoUp();
    if (ddbOk) seededSmall = seed(small, DDB_ROWS);
    console.log(
      `seeded ${[...seeded].map(([t, s]) => `${t} ${s.total} (${s.drift.size} drifted)`).join(', ')}; ` +
        `DynamoDB hops on a ${DDB_ROWS}-row file (dynalite is the bottleneck there); ${Date.now() - t0} ms`,
    );
    await ensureSchema(NS);
    await pgQuery(`DELETE FROM ${NS}._datamigrato_dead_letters`).catch(() => undefined);
    await ensureDatabase(NS);
    h = await startHarness('accept-client');
    taskQueue = `accept-${uniqueSuffix()}`;
    worker = await spawnWorker(taskQueue);
  }, 300_000);

  afterAll(async () => {
    await worker?.stop();
    await h?.stop();
    for (const t of TABLES) {
      await pgQuery(`DROP TABLE IF EXISTS ${NS}."${t.name}_${DDB_PREFIX.slice(7)}"`).catch(() => undefined);
      await mysqlQuery(`DROP TABLE IF EXISTS ${mq(NS)}.${mq(`${t.name}_${DDB_PREFIX.slice(7)}`)}`).catch(() => undefined);
    }
    if (ddbOk) await withDynamo(async (c) => Promise.all(ddbTables.map((t) => dropTable(c, t))));
    files.remove();
  }, 300_000);

  /** Runs one hop; on a kill hop, SIGKILLs the worker once its copy chunks have written and heartbeated, and lets a fresh one finish. */
  async function runHop(hop: Hop): Promise<MigrationReport> {
    const job = `accept-${hop.label}-${uniqueSuffix()}`;
    const spec = parsed({
      name: job,
      source: hop.source,
      target: hop.target,
      // A kill hop reads small batches: MariaDB took a 48k-row table in under 0.7 s with 2,000-row batches, so the
      // copy could end between two polls and leave the kill nothing to interrupt.
      batchSize: hop.kill ? Math.min(hop.batchSize, KILL_HOP_BATCH) : hop.batchSize,
      parallelism: 2,
      // A kill hop copies two partitions at once, one chunk each: once a batch is in and a chunk has heartbeated a
      // cursor, both are inside a chunk, so the kill lands where a resume must happen.
      // (With four partitions a fast store can finish the first two between polls and the kill meets two fresh chunks.)
      partitions: hop.kill ? 2 : 4,
      onRecordError: 'quarantine',
      chunk: { maxBatches: 10_000, maxSeconds: 600 },
    });
    const t0 = Date.now();
    const handle: WorkflowHandle = await h.client.workflow.start('migrationWorkflow', { taskQueue, workflowId: job, args: [{ spec }] });
    const kept = hop.seeded.total - hop.seeded.drift.size;
    let atKill: number | null = null;
    if (hop.kill) {
      // The store's own count, not the workflow's progress (which moves only when a chunk ends): the kill lands
      // inside chunks that have written and heartbeated some batches, so they resume from a cursor.
      const before = await waitFor(
        () => hop.count().catch(() => 0),
        (n) => n >= KILL_HOP_BATCH,
        600_000,
        100,
      );
      expect(before).toBeLessThan(kept);
      // …and the kill waits until the server holds a heartbeat of a running copy chunk, so a resume must happen
      // (a count alone once let the kill meet chunks that had not heartbeated yet: resumes 0 in CI).
      await waitFor(
        async () => (await handle.describe()).raw.pendingActivities ?? [],
        (pending) => pending.some((a) => a.activityType?.name === 'copyChunk' && (a.heartbeatDetails?.payloads?.length ?? 0) > 0),
        60_000,
        100,
      );
      await worker!.kill9();
      atKill = await hop.count();
      // The next worker first: a failed expectation must not leave the later tests without one.
      worker = await spawnWorker(taskQueue);
      expect(atKill).toBeLessThan(kept); // really mid-copy
    }
    const report: MigrationReport = await handle.result();
    const ms = Date.now() - t0;
    const dead = await hop.deadKeys(job);
    const distinct = new Set(dead.map(normalizeKey));
    const resumes = report.partitions.reduce((n, p) => n + p.resumes, 0);
    console.log(
      JSON.stringify({
        hop: hop.label,
        rows: report.rows,
        quarantined: report.quarantined,
        deadLetterRows: dead.length,
        ms,
        copyMs: report.timings.copyMs,
        validateMs: report.timings.validateMs,
        rowsPerSecond: report.rowsPerSecond,
        atKill,
        resumes,
        validation: report.validation?.status,
      }),
    );
    expect(report.status).toBe('completed');
    expect(report.rows).toBe(kept);
    expect(report.quarantined).toBe(hop.seeded.drift.size); // counted once although a batch may have been re-read
    expect(report.validation).toMatchObject({ status: 'match', source: { count: kept }, target: { count: kept } });
    expect(await hop.count()).toBe(kept); // the store's own count: nothing lost, no key twice
    // Dead letters are appended: a batch re-read after the kill may store its rejects again, never fewer.
    expect([...distinct].sort()).toEqual([...hop.seeded.drift].sort());
    expect(dead.length).toBeGreaterThanOrEqual(hop.seeded.drift.size);
    if (hop.kill) expect(resumes).toBeGreaterThanOrEqual(1);
    return report;
  }

  const sqliteSource = (ref: { env: string }, t: TableDef) => ({
    type: 'sqlite' as const,
    connection: { path: ref },
    table: t.name,
    dateColumns: t.dateColumns,
  });
  const target = (t: TableDef) => `${t.name}_${DDB_PREFIX.slice(7)}`;

  test(`SQLite (${ROWS} rows, 4 tables) → PostgreSQL, kill -9 during orders`, async () => {
    for (const t of TABLES)
      await runHop({
        label: `sqlite2pg-${t.name}`,
        source: sqliteSource(refs.main, t),
        target: { type: 'postgres', connection: pgConn, schema: NS, table: target(t) },
        batchSize: 2_000,
        seeded: seeded.get(t.name)!,
        kill: t.name === 'orders',
        count: pgCount(target(t)),
        deadKeys: pgDead,
      });
  }, 1_800_000);

  test(`SQLite (${ROWS} rows, 4 tables) → MySQL, kill -9 during orders`, async () => {
    for (const t of TABLES)
      await runHop({
        label: `sqlite2mysql-${t.name}`,
        source: sqliteSource(refs.main, t),
        target: { type: 'mysql', connection: myConn, database: NS, table: target(t) },
        batchSize: 2_000,
        seeded: seeded.get(t.name)!,
        kill: t.name === 'orders',
        count: myCount(target(t)),
        deadKeys: myDead,
      });
  }, 1_800_000);

  test(`SQLite (${DDB_ROWS} rows, 4 tables) → DynamoDB, then DynamoDB orders with drift planted → SQLite; kill -9 in both`, async () => {
    if (!ddbOk) {
      console.warn(`SKIPPED: no DynamoDB API server at ${dynamoEndpoint} (bash scripts/stack.sh up dynamodb)`);
      return;
    }
    for (const t of TABLES) {
      const table = `${DDB_PREFIX}-${t.name}`;
      ddbTables.push(table);
      await runHop({
        label: `sqlite2ddb-${t.name}`,
        source: sqliteSource(refs.small, t),
        target: { type: 'dynamodb', connection: ddbConn, table },
        batchSize: 1_000,
        seeded: seededSmall.get(t.name)!,
        kill: t.name === 'orders',
        count: ddbCount(table),
        deadKeys: ddbDead,
      });
    }
    // Drift DynamoDB can hold: a string where the sampled items have a number. Planted outside the items describe()
    // samples (the first DDB_SAMPLE of a plain Scan, as the connector reads them), so the schema stays numeric.
    const orders = `${DDB_PREFIX}-orders`;
    const drift = await plantDynamoDrift(orders);
    const total = seededSmall.get('orders')!;
    await runHop({
      label: 'ddb2sqlite-orders',
      source: { type: 'dynamodb', connection: ddbConn, table: orders, sampleSize: DDB_SAMPLE },
      target: { type: 'sqlite', connection: { path: refs.back }, table: 'orders' },
      batchSize: 1_000,
      seeded: { total: total.total - total.drift.size, drift },
      kill: true,
      count: sqliteCount(back, 'orders'),
      deadKeys: sqliteDead(back),
    });
    withSqlite(back, (db) => {
      expect(db.prepare('SELECT typeof(qty) AS t, count(*) AS n FROM orders GROUP BY 1').all()).toEqual([{ t: 'integer', n: expect.any(Number) }]);
    });
  }, 1_800_000);
});

/** Overwrites qty with the text "toto" on every 499th order outside the first DDB_SAMPLE scanned; returns their keys. */
async function plantDynamoDrift(table: string): Promise<Set<Key>> {
  const sampled = new Set<string>();
  await withDynamo(async (c) => {
    let start: Record<string, AttributeValue> | undefined;
    while (sampled.size < DDB_SAMPLE) {
      const out = await c.send(new ScanCommand({ TableName: table, Limit: DDB_SAMPLE - sampled.size, ExclusiveStartKey: start }));
      for (const i of out.Items ?? []) sampled.add(i.id!.N!);
      start = out.LastEvaluatedKey as Record<string, AttributeValue> | undefined;
      if (!start) break;
    }
  });
  const total = Math.round(DDB_ROWS * TABLES[0]!.share);
  const drift = new Set<Key>();
  await withDynamo(async (c) => {
    for (let id = 499; id <= total; id += 499) {
      if (id % 997 === 0 || sampled.has(String(id))) continue; // quarantined at the first hop, or in the sample
      await c.send(
        new UpdateItemCommand({
          TableName: table,
          Key: { id: { N: String(id) } },
          UpdateExpression: 'SET #q = :t',
          ExpressionAttributeNames: { '#q': 'qty' },
          ExpressionAttributeValues: { ':t': { S: 'toto' } },
        }),
      );
      drift.add(String(id));
    }
  });
  return drift;
}
