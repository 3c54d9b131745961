/**
 * SQLite → PostgreSQL: the service (a real worker process on the local Temporal, validation on) against
 * pgloader, the usual native tool for it, on the same generated database file, in the same run.
 *   eval "$(bash scripts/stack.sh env)"; BENCH_SQLITE_ROWS=1000000 npx tsx bench/sqlite.ts
 * Prints one line per measurement and the ratios. Figures, not assertions.
 *   BENCH_SQLITE_KEEP=1 keeps the generated file (under os.tmpdir()) for the next run; BENCH_SQLITE_SKIP=pgloader
 *   or =service measures one side only (=dynamodb skips the DynamoDB line); BENCH_WORKER_CPU_PROF=<dir> writes the
 *   worker's CPU profile there. SQLite → DynamoDB: the first BENCH_SQLITE_DDB_ROWS orders (default 100,000; a query
 *   source) into a fresh DynamoDB table, items/s and worker peak RSS, when the stack's DynamoDB server answers.
 */
import Database from 'better-sqlite3';
import { execSync } from 'node:child_process';
import { existsSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pgQuery } from '../test/helpers/pg';
import { parsed } from '../test/helpers/specs';
import { dropTable, dynamoConnectionSpec, dynamoEndpoint, dynamoUp, withDynamo } from '../test/helpers/dynamodb';
import { runPgloader } from './pgloader';
import { BUNDLE, runInWorkerProcess, runSeriesInWorkerProcess } from './run-in-worker';

const ROWS = Number(process.env.BENCH_SQLITE_ROWS ?? 1_000_000);
const PG_URL = process.env.PG_URL ?? 'postgres://postgres:postgres@127.0.0.1:55432/postgres';
const FILE = path.join(tmpdir(), `dm-bench-sqlite-${ROWS}.db`);
const PGLOADER_SCHEMA = 'dm_bench_pgloader';
const SERVICE_SCHEMA = 'dm_bench_sqlite';
const SKIP = process.env.BENCH_SQLITE_SKIP ?? '';

/** The tables, their share of the rows and their DDL: integer keys, one composite key, every storage class. */
const TABLES = [
  {
    name: 'customers',
    share: 0.25,
    ddl: `CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT, country TEXT,
            balance DECIMAL(12,2), score REAL, created_at DATETIME NOT NULL, avatar BLOB)`,
  },
  {
    name: 'orders',
    share: 0.6,
    ddl: `CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, status TEXT NOT NULL, amount DECIMAL(12,2) NOT NULL,
            quantity INTEGER NOT NULL, discount REAL, note TEXT, ordered_at TIMESTAMP NOT NULL, payload BLOB)`,
  },
  {
    name: 'events',
    share: 0.15,
    ddl: `CREATE TABLE events (device_id INTEGER NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL, reading REAL,
            at DATETIME NOT NULL, detail TEXT, PRIMARY KEY (device_id, seq)) WITHOUT ROWID`,
  },
] as const;
type TableName = (typeof TABLES)[number]['name'];

const rowsOf = (name: TableName) => Math.round(ROWS * TABLES.find((t) => t.name === name)!.share);
const rate = (rows: number, ms: number) => (ms > 0 ? Math.round(rows / (ms / 1000)) : 0);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

const STATUSES = ['new', 'paid', 'shipped', 'returned', 'cancelled'];
const NAMES = ['Zoë Ångström', 'José Núñez', 'Łukasz Żółć', '山田 太郎', 'Ахмед Бекова', "Chloé O'Brien", 'Μαρία Παππά', 'Ngọc Trần'];
const KINDS = ['temp', 'humidity', 'door', 'battery'];
const BASE_MS = Date.UTC(2023, 0, 1);

/** Decimal text with two places, as an application writes it (NUMERIC affinity then stores it as SQLite decides). */
const money = (cents: number) => `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;

/** One transaction, one prepared statement per table: ~1M rows in seconds. Deterministic, no randomness. */
function generate(): void {
  rmSync(FILE, { force: true });
  const db = new Database(FILE);
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  for (const t of TABLES) db.exec(t.ddl);
  const customers = rowsOf('customers');
  db.transaction(() => {
    const c = db.prepare('INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    for (let i = 1; i <= customers; i++)
      c.run(
        i,
        `${NAMES[i % NAMES.length]} ${i}`,
        i % 11 === 0 ? null : `user${i}@example.com`,
        ['FR', 'DE', 'JP', 'BR', 'VN'][i % 5],
        money((i * 7919) % 10_000_000),
        (i % 1000) / 7,
        new Date(BASE_MS + i * 60_000).toISOString(),
        i % 4 === 0 ? null : Buffer.from([i & 255, (i >> 8) & 255, 0, 42]),
      );
    const o = db.prepare('INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    for (let i = 1, n = rowsOf('orders'); i <= n; i++)
      o.run(
        i,
        1 + (i % customers),
        STATUSES[i % STATUSES.length],
        money((i * 104_729) % 100_000_00),
        1 + (i % 9),
        i % 3 === 0 ? null : (i % 50) / 100,
        i % 5 === 0 ? null : `commande n°${i} — livrée à ${NAMES[i % NAMES.length]} ✓`,
        new Date(BASE_MS + i * 1_000).toISOString().replace('T', ' ').slice(0, 19),
        Buffer.from(`{"sku":"SKU-${i % 997}"}`),
      );
    const e = db.prepare('INSERT INTO events VALUES (?, ?, ?, ?, ?, ?)');
    const devices = 1000;
    for (let i = 0, n = rowsOf('events'); i < n; i++)
      e.run(
        1 + (i % devices),
        Math.floor(i / devices),
        KINDS[i % KINDS.length],
        i % 7 === 0 ? null : ((i * 31) % 4000) / 100,
        new Date(BASE_MS + i * 250).toISOString(),
        i % 2 === 0 ? null : `ok ${i % 100}`,
      );
  })();
  db.close();
}

function ensureDatabase(): void {
  if (existsSync(FILE)) {
    const db = new Database(FILE, { readonly: true });
    try {
      if (TABLES.every((t) => (db.prepare(`SELECT count(*) AS n FROM ${t.name}`).get() as { n: number }).n === rowsOf(t.name))) return;
    } catch {
      // an older or partial file: generate anew
    } finally {
      db.close();
    }
  }
  const t0 = Date.now();
  generate();
  console.log(
    `generated ${ROWS} rows (${TABLES.map((t) => `${t.name} ${rowsOf(t.name)}`).join(', ')}) in ${secs(Date.now() - t0)}; ` +
      `${Math.round(statSync(FILE).size / 1_048_576)} MB at ${FILE}`,
  );
}

async function freshSchema(schema: string): Promise<void> {
  await pgQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await pgQuery(`CREATE SCHEMA ${schema}`);
}

async function countLoaded(schema: string): Promise<number> {
  let n = 0;
  for (const t of TABLES) n += Number((await pgQuery<{ n: string }>(`SELECT count(*) AS n FROM ${schema}.${t.name}`))[0]!.n);
  return n;
}

/**
 * pgloader does the whole job: creates the tables (its SQLite cast rules), loads them, builds the
 * indexes and primary keys. search_path puts its tables in their own schema.
 */
async function pgloader(): Promise<{ ms: number; rows: number }> {
  await freshSchema(PGLOADER_SCHEMA);
  const commands = `LOAD DATABASE
       FROM sqlite://${FILE}
       INTO ${PG_URL}
     WITH include drop, create tables, create indexes, reset sequences, workers = 2, concurrency = 1
     SET search_path to '${PGLOADER_SCHEMA}';\n`;
  const { ms } = runPgloader(commands);
  return { ms, rows: await countLoaded(PGLOADER_SCHEMA) };
}

/** The same tables through the service: one migration per table, one after the other, on one worker process. */
async function service() {
  await freshSchema(SERVICE_SCHEMA);
  const env = 'DM_BENCH_SQLITE_PATH';
  process.env[env] = FILE;
  const specs = TABLES.map((t) =>
    parsed({
      name: `bench-sqlite-${t.name}`,
      source: { type: 'sqlite', connection: { path: { env } }, table: t.name },
      target: { type: 'postgres', connection: { url: { env: 'PG_URL' } }, schema: SERVICE_SCHEMA, table: t.name },
      batchSize: 5_000,
      parallelism: 2,
      partitions: 4,
    }),
  );
  return runSeriesInWorkerProcess(specs, 'bench-sqlite');
}

/** What each side made of the SQLite types, to see both load the same shapes. */
async function printColumnTypes(): Promise<void> {
  const rows = await pgQuery<{ s: string; t: string; cols: string }>(
    `SELECT table_schema AS s, table_name AS t, string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position) AS cols
       FROM information_schema.columns WHERE table_schema IN ($1, $2) GROUP BY 1, 2 ORDER BY 2, 1`,
    [PGLOADER_SCHEMA, SERVICE_SCHEMA],
  );
  for (const r of rows) console.log(`  ${r.s}.${r.t}: ${r.cols}`);
}

const loadAverage = () =>
  execSync('uptime', { encoding: 'utf8' })
    .trim()
    .replace(/^.*load average/, 'load average');

async function main() {
  execSync(`npx tsx scripts/bundle-workflows.ts ${BUNDLE}`, { cwd: path.resolve(__dirname, '..'), stdio: 'ignore' });
  ensureDatabase();
  console.log(`before: ${loadAverage()}`);

  let native: { ms: number; rows: number } | null = null;
  if (!SKIP.includes('pgloader')) {
    native = await pgloader();
    console.log(
      `pgloader                : ${native.rows} rows in ${secs(native.ms)} = ${rate(native.rows, native.ms)} rows/s ` +
        `(whole run: create, load, indexes; no validation); ${loadAverage()}`,
    );
  }
  if (!SKIP.includes('service')) await measureService(native);
  if (!SKIP.includes('dynamodb')) await measureDynamo();
  if (process.env.BENCH_VERBOSE) await printColumnTypes();
  await pgQuery(`DROP SCHEMA IF EXISTS ${PGLOADER_SCHEMA} CASCADE`);
  await pgQuery(`DROP SCHEMA IF EXISTS ${SERVICE_SCHEMA} CASCADE`);
  if (!process.env.BENCH_SQLITE_KEEP) rmSync(FILE, { force: true });
}

async function measureService(native: { ms: number; rows: number } | null): Promise<void> {
  const { reports, totalMs, peakRssMb } = await service();
  const rows = reports.reduce((n, r) => n + r.rows, 0);
  const copyMs = reports.reduce((n, r) => n + r.timings.copyMs, 0);
  for (const r of reports) {
    const { prepareMs, copyMs: c, validateMs } = r.timings;
    console.log(
      `  ${r.job.padEnd(22)}: ${r.rows} rows, copy ${secs(c)} = ${rate(r.rows, c)} rows/s, prepare ${secs(prepareMs)}, ` +
        `validation ${secs(validateMs)} (${r.validation?.status})`,
    );
  }
  const validated = reports.every((r) => r.validation?.status === 'match');
  console.log(`service copy phase      : ${rows} rows in ${secs(copyMs)} = ${rate(rows, copyMs)} rows/s; worker peak RSS ${peakRssMb} MB`);
  console.log(
    `service end to end      : ${rows} rows in ${secs(totalMs)} = ${rate(rows, totalMs)} rows/s incl. prepare and validation ` +
      `(${validated ? 'validated: every table passed' : `validation: ${reports.map((r) => r.validation?.status).join(', ')}`}); ${loadAverage()}`,
  );
  if (native)
    console.log(
      `ratios                  : copy rows/s ÷ pgloader rows/s = ${(rate(rows, copyMs) / rate(native.rows, native.ms)).toFixed(2)}; ` +
        `end-to-end wall clock ÷ pgloader wall clock = ${(totalMs / native.ms).toFixed(2)} (ours validated both sides, pgloader did not)`,
    );
}

/**
 * SQLite → DynamoDB on its own worker process (so the peak RSS is this run's): a query source over the first
 * orders, BatchWriteItem by 25 into an on-demand table, validation on. dynalite (LevelDB in one Node process on the
 * same 2 cores) bounds the rate here, not DynamoDB.
 */
async function measureDynamo(): Promise<void> {
  if (!(await dynamoUp())) {
    console.log(`SQLite → DynamoDB       : skipped, no DynamoDB API server at ${dynamoEndpoint} (bash scripts/stack.sh up dynamodb)`);
    return;
  }
  const n = Math.min(Number(process.env.BENCH_SQLITE_DDB_ROWS ?? 100_000), rowsOf('orders'));
  const table = `dm-bench-sqlite-${Date.now().toString(36)}`;
  process.env.DM_BENCH_SQLITE_PATH = FILE;
  const spec = parsed({
    name: 'bench-sqlite-ddb',
    source: { type: 'sqlite', connection: { path: { env: 'DM_BENCH_SQLITE_PATH' } }, query: `SELECT * FROM orders WHERE id <= ${n}`, key: 'id' },
    target: { type: 'dynamodb', connection: dynamoConnectionSpec(), table },
    batchSize: 1_000,
    parallelism: 2,
    partitions: 4,
  });
  try {
    const { report, totalMs, peakRssMb } = await runInWorkerProcess(spec, 'bench-sqlite-ddb');
    const { copyMs, validateMs } = report.timings;
    console.log(
      `SQLite → DynamoDB       : ${report.rows} items, copy ${secs(copyMs)} = ${rate(report.rows, copyMs)} items/s, validation ${secs(validateMs)} ` +
        `(${report.validation?.status}), end to end ${secs(totalMs)}; worker peak RSS ${peakRssMb} MB; ${loadAverage()}`,
    );
  } finally {
    await withDynamo((c) => dropTable(c, table));
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
