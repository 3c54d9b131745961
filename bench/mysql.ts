/**
 * MySQL (MariaDB) → PostgreSQL: the service (a real worker process on the local Temporal, validation on) against
 * pgloader on the same generated database, in the same run.
 *   eval "$(bash scripts/stack.sh env)"; BENCH_MYSQL_ROWS=1000000 npx tsx bench/mysql.ts
 * Prints one line per measurement and the ratios. Figures, not assertions. BENCH_MYSQL_SKIP=pgloader or =service
 * measures one side only; BENCH_MYSQL_KEEP=1 keeps the generated database for the next run.
 */
import { execSync } from 'node:child_process';
import path from 'node:path';
import { mysqlQuery, mysqlUrl } from '../test/helpers/mysql';
import { pgQuery } from '../test/helpers/pg';
import { parsed } from '../test/helpers/specs';
import { runPgloader } from './pgloader';
import { BUNDLE, runSeriesInWorkerProcess } from './run-in-worker';

const ROWS = Number(process.env.BENCH_MYSQL_ROWS ?? 1_000_000);
const PG_URL = process.env.PG_URL ?? 'postgres://postgres:postgres@127.0.0.1:55432/postgres';
const DB = 'dm_bench_mysql';
const PGLOADER_SCHEMA = 'dm_bench_pgloader_my';
const SERVICE_SCHEMA = 'dm_bench_mysql_svc';
const SKIP = process.env.BENCH_MYSQL_SKIP ?? '';

/**
 * The shapes of bench/sqlite.ts in MySQL types: integer keys, one composite key, decimals, doubles, DATETIME and
 * TIMESTAMP, text, blobs, nulls. Rows are generated server-side from MariaDB's sequence engine (seq_1_to_N).
 */
const TABLES = [
  {
    name: 'customers',
    share: 0.25,
    ddl: `CREATE TABLE customers (id bigint PRIMARY KEY, name varchar(100) NOT NULL, email varchar(100) NULL, country char(2) NOT NULL,
            balance decimal(12,2) NOT NULL, score double NOT NULL, created_at datetime(3) NOT NULL, avatar blob NULL)`,
    fill: (n: number) => `INSERT INTO customers SELECT seq, CONCAT(ELT(1 + seq % 4, 'Zoë Ångström', 'José Núñez', '山田 太郎', 'Ахмед Бекова'), ' ', seq),
            IF(seq % 11 = 0, NULL, CONCAT('user', seq, '@example.com')), ELT(1 + seq % 5, 'FR', 'DE', 'JP', 'BR', 'VN'),
            (seq * 7919 % 10000000) / 100, (seq % 1000) / 7, TIMESTAMP '2023-01-01 00:00:00' + INTERVAL seq MINUTE,
            IF(seq % 4 = 0, NULL, UNHEX(LPAD(HEX(seq % 65536), 8, '0'))) FROM seq_1_to_${n}`,
  },
  {
    name: 'orders',
    share: 0.6,
    ddl: `CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL, status varchar(16) NOT NULL, amount decimal(12,2) NOT NULL,
            quantity int NOT NULL, discount double NULL, note text NULL, ordered_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP, payload blob NOT NULL)`,
    fill: (n: number) => `INSERT INTO orders SELECT seq, 1 + seq % 250000, ELT(1 + seq % 5, 'new', 'paid', 'shipped', 'returned', 'cancelled'),
            (seq * 104729 % 10000000) / 100, 1 + seq % 9, IF(seq % 3 = 0, NULL, (seq % 50) / 100),
            IF(seq % 5 = 0, NULL, CONCAT('commande n°', seq, ' — livrée ✓')), TIMESTAMP '2023-01-01 00:00:00' + INTERVAL seq SECOND,
            CONCAT('{"sku":"SKU-', seq % 997, '"}') FROM seq_1_to_${n}`,
  },
  {
    name: 'events',
    share: 0.15,
    ddl: `CREATE TABLE events (device_id int NOT NULL, seq int NOT NULL, kind varchar(16) NOT NULL, reading double NULL,
            at datetime(3) NOT NULL, detail varchar(32) NULL, PRIMARY KEY (device_id, seq))`,
    fill: (n: number) => `INSERT INTO events SELECT 1 + seq % 1000, seq DIV 1000, ELT(1 + seq % 4, 'temp', 'humidity', 'door', 'battery'),
            IF(seq % 7 = 0, NULL, (seq * 31 % 4000) / 100), TIMESTAMP '2023-01-01 00:00:00' + INTERVAL (seq * 250000) MICROSECOND,
            IF(seq % 2 = 0, NULL, CONCAT('ok ', seq % 100)) FROM seq_0_to_${n - 1}`,
  },
] as const;

const rowsOf = (t: (typeof TABLES)[number]) => Math.round(ROWS * t.share);
const rate = (rows: number, ms: number) => (ms > 0 ? Math.round(rows / (ms / 1000)) : 0);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const loadAverage = () =>
  execSync('uptime', { encoding: 'utf8' })
    .trim()
    .replace(/^.*load average/, 'load average');

/** Reuses a database of the right size (BENCH_MYSQL_KEEP), otherwise generates it. */
async function ensureDatabase(): Promise<void> {
  try {
    const counts = await Promise.all(TABLES.map(async (t) => Number((await mysqlQuery<{ n: string }>(`SELECT count(*) AS n FROM ${DB}.${t.name}`))[0]!.n)));
    if (counts.every((n, i) => n === rowsOf(TABLES[i]!))) return;
  } catch {
    // missing or partial: generate anew
  }
  const t0 = Date.now();
  await mysqlQuery(`DROP DATABASE IF EXISTS ${DB}`);
  await mysqlQuery(`CREATE DATABASE ${DB} CHARACTER SET utf8mb4`);
  for (const t of TABLES) {
    await mysqlQuery(`USE ${DB}; ${t.ddl}`);
    await mysqlQuery(`USE ${DB}; ${t.fill(rowsOf(t))}`);
  }
  console.log(`generated ${ROWS} rows (${TABLES.map((t) => `${t.name} ${rowsOf(t)}`).join(', ')}) in MariaDB ${DB} in ${secs(Date.now() - t0)}`);
}

async function countLoaded(schema: string): Promise<number> {
  let n = 0;
  for (const t of TABLES) n += Number((await pgQuery<{ n: string }>(`SELECT count(*) AS n FROM ${schema}.${t.name}`))[0]!.n);
  return n;
}

/** pgloader does the whole job (its MySQL cast rules, tables, load, indexes, keys); its schema renamed to ours. */
async function pgloader(): Promise<{ ms: number; rows: number }> {
  await pgQuery(`DROP SCHEMA IF EXISTS ${PGLOADER_SCHEMA} CASCADE`);
  await pgQuery(`DROP SCHEMA IF EXISTS ${DB} CASCADE`);
  const from = new URL(mysqlUrl);
  from.pathname = `/${DB}`;
  const commands = `LOAD DATABASE
       FROM ${from.toString()}
       INTO ${PG_URL}
     WITH include drop, create tables, create indexes, reset sequences, workers = 2, concurrency = 1
     ALTER SCHEMA '${DB}' RENAME TO '${PGLOADER_SCHEMA}';\n`;
  const { ms } = runPgloader(commands);
  return { ms, rows: await countLoaded(PGLOADER_SCHEMA) };
}

/** The same tables through the service: one migration per table, one after the other, on one worker process. */
async function service() {
  await pgQuery(`DROP SCHEMA IF EXISTS ${SERVICE_SCHEMA} CASCADE`);
  await pgQuery(`CREATE SCHEMA ${SERVICE_SCHEMA}`);
  const specs = TABLES.map((t) =>
    parsed({
      name: `bench-mysql-${t.name}`,
      source: { type: 'mysql', connection: { url: { env: 'MYSQL_URL' } }, database: DB, table: t.name },
      target: { type: 'postgres', connection: { url: { env: 'PG_URL' } }, schema: SERVICE_SCHEMA, table: t.name },
      batchSize: 5_000,
      parallelism: 2,
      partitions: 4,
    }),
  );
  return runSeriesInWorkerProcess(specs, 'bench-mysql');
}

async function measureService(native: { ms: number; rows: number } | null): Promise<void> {
  const { reports, totalMs, peakRssMb } = await service();
  const rows = reports.reduce((n, r) => n + r.rows, 0);
  const copyMs = reports.reduce((n, r) => n + r.timings.copyMs, 0);
  for (const r of reports) {
    const { prepareMs, copyMs: c, validateMs } = r.timings;
    console.log(
      `  ${r.job.padEnd(22)}: ${r.rows} rows, copy ${secs(c)} = ${rate(r.rows, c)} rows/s, prepare ${secs(prepareMs)}, ` +
        `validation ${secs(validateMs)} (${r.validation?.status}), zero dates ${r.droppedFields}`,
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

async function main() {
  execSync(`npx tsx scripts/bundle-workflows.ts ${BUNDLE}`, { cwd: path.resolve(__dirname, '..'), stdio: 'ignore' });
  await ensureDatabase();
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
  await pgQuery(`DROP SCHEMA IF EXISTS ${PGLOADER_SCHEMA} CASCADE`);
  await pgQuery(`DROP SCHEMA IF EXISTS ${SERVICE_SCHEMA} CASCADE`);
  if (!process.env.BENCH_MYSQL_KEEP) await mysqlQuery(`DROP DATABASE IF EXISTS ${DB}`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
