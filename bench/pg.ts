/**
 * PG → PG throughput: the service (a real worker process on the local Temporal) against a native
 * `psql COPY … TO STDOUT | psql COPY … FROM STDIN` pipe and pgloader's whole run, on the same table, in the same run.
 *   eval "$(bash scripts/stack.sh env)"; BENCH_PG_SIZES=100000,1000000 npx tsx bench/pg.ts
 * For each size: rows/s of the copy phase and end to end (prepare + copy + validation), their ratios to the native
 * pipe and to pgloader, the validation time, and the worker's peak RSS. Figures, not assertions.
 *   BENCH_PG_SIZES (default 100000,1000000,10000000; BENCH_ROWS=n measures one size)
 *   BENCH_PG_MODES (default passthrough,copy,canonical): passthrough = COPY text moved unparsed; copy = the row path
 *     (parsed rows, a rename transform, COPY-staged upserts); insert = the row path with multi-row INSERT;
 *     canonical = passthrough validated on the worker (validate.pushdown false), at sizes up to 1,000,000 only
 *   BENCH_PG_ROUNDS (default 3 at sizes up to 1,000,000, else 1): rounds per size, reported as medians
 *   BENCH_PG_PARALLELISM (default 4), BENCH_PG_PARTITIONS (default: the engine's plan, src/engine/partitions.ts)
 *   BENCH_PG_SKIP=pgloader skips pgloader; BENCH_WORKER_CPU_PROF=<dir> profiles each worker (bench/profile-summary.ts reads it)
 *   BENCH_WORKERS=n worker processes on one task queue (default 1), BENCH_WORKER_ACTIVITIES chunks at once in each (bench/run-in-worker.ts)
 */
import { execFileSync, execSync } from 'node:child_process';
import { loadavg } from 'node:os';
import path from 'node:path';
import { env } from '../test/helpers/env';
import { countRows, pgQuery } from '../test/helpers/pg';
import { pgNativeReload } from './native-loaders';
import { BENCH_SCHEMA, pgBenchSpec } from './pg-spec';
import { runPgloader } from './pgloader';
import { BUNDLE, runInWorkerProcess } from './run-in-worker';

const SIZES = (process.env.BENCH_ROWS ?? process.env.BENCH_PG_SIZES ?? '100000,1000000,10000000').split(',').map(Number);
const MODES = (process.env.BENCH_PG_MODES ?? 'passthrough,copy,canonical').split(',') as Mode[];
const PG_URL = env.pgUrl;
const PGLOADER_SCHEMA = 'dm_bench_pgloader';
const PARALLELISM = Number(process.env.BENCH_PG_PARALLELISM ?? 4);
const PARTITIONS = process.env.BENCH_PG_PARTITIONS ? Number(process.env.BENCH_PG_PARTITIONS) : undefined;
/** Worker-side validation of 10M rows takes minutes and proves nothing the 1M figure does not. */
const CANONICAL_MAX_ROWS = 1_000_000;

type Mode = 'passthrough' | 'copy' | 'insert' | 'canonical';

const rate = (rows: number, ms: number) => Math.round(rows / (ms / 1000));
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const load = () => `load ${loadavg()[0]!.toFixed(1)}`;

async function seed(table: string, rows: number): Promise<void> {
  await pgQuery(`CREATE SCHEMA IF NOT EXISTS ${BENCH_SCHEMA}`);
  const have = await pgQuery<{ n: string }>(`SELECT count(*) AS n FROM pg_tables WHERE schemaname = '${BENCH_SCHEMA}' AND tablename = '${table}'`);
  if (Number(have[0]!.n) === 1 && (await countRows(`${BENCH_SCHEMA}.${table}`)) === rows) return;
  await pgQuery(`DROP TABLE IF EXISTS ${BENCH_SCHEMA}.${table}`);
  await pgQuery(`CREATE TABLE ${BENCH_SCHEMA}.${table} (id bigint PRIMARY KEY, customer integer NOT NULL, amount numeric(12,2), created_at timestamptz NOT NULL,
                   status text NOT NULL, note text, attrs jsonb)`);
  await pgQuery(`INSERT INTO ${BENCH_SCHEMA}.${table} SELECT g, g % 50000, round((random() * 10000)::numeric, 2), now() - g * interval '1 second',
                   (ARRAY['new','paid','shipped','returned'])[1 + g % 4], md5(g::text) || ' ' || md5((g * 7)::text),
                   jsonb_build_object('sku', 'SKU-' || (g % 997), 'qty', g % 9) FROM generate_series(1, ${rows}) g`);
  await pgQuery(`VACUUM ANALYZE ${BENCH_SCHEMA}.${table}`);
}

const drop = (table: string) => pgQuery(`DROP TABLE IF EXISTS ${BENCH_SCHEMA}.${table}`);
/** Before each measured line: the previous line's dirty pages written out, so no line pays another's checkpoint. */
const settle = () => pgQuery('CHECKPOINT');

/** pgloader's whole run (create table, load, index and primary key), PostgreSQL → PostgreSQL, its schema renamed. */
async function pgloader(src: string): Promise<{ ms: number; rows: number } | null> {
  if ((process.env.BENCH_PG_SKIP ?? '').includes('pgloader')) return null;
  try {
    execFileSync('pgloader', ['--version'], { stdio: 'ignore' });
  } catch {
    console.log('pgloader                : not installed (apt-get install -y pgloader); no pgloader ratio');
    return null;
  }
  await pgQuery(`DROP SCHEMA IF EXISTS ${PGLOADER_SCHEMA} CASCADE`);
  const commands = `LOAD DATABASE FROM ${PG_URL} INTO ${PG_URL}
     WITH include drop, create tables, create indexes, reset sequences, workers = 2, concurrency = 1
     INCLUDING ONLY TABLE NAMES MATCHING '${src}' IN SCHEMA '${BENCH_SCHEMA}'
     ALTER SCHEMA '${BENCH_SCHEMA}' RENAME TO '${PGLOADER_SCHEMA}';\n`;
  try {
    await settle();
    const { ms } = runPgloader(commands);
    return { ms, rows: await countRows(`${PGLOADER_SCHEMA}.${src}`) };
  } catch (err) {
    const stderr = String((err as { stderr?: unknown }).stderr ?? (err as Error).message);
    console.log(`pgloader                : failed (${stderr.split('\n').find((l) => /error|exhausted/i.test(l)) ?? stderr.slice(0, 200)}); no pgloader ratio`);
    return null;
  } finally {
    await pgQuery(`DROP SCHEMA IF EXISTS ${PGLOADER_SCHEMA} CASCADE`);
  }
}

function specOf(mode: Mode, src: string, target: string) {
  return pgBenchSpec({
    name: `bench-${target}`,
    source: src,
    target,
    rowPath: mode === 'copy' || mode === 'insert',
    parallelism: PARALLELISM,
    partitions: PARTITIONS,
    writeMode: mode === 'insert' ? 'insert' : 'copy',
    pushdown: mode !== 'canonical',
  });
}

interface Line {
  mode: Mode;
  copyRate: number;
  totalMs: number;
  validateMs: number;
  rss: number;
  validation: string;
}

async function service(mode: Mode, src: string, rows: number): Promise<Line> {
  const target = `${src}_svc_${mode}`;
  await drop(target);
  await settle();
  const { report, totalMs, peakRssMb } = await runInWorkerProcess(specOf(mode, src, target), `bench-${target}`);
  await drop(target);
  if (report.rows !== rows) console.log(`  !! ${mode}: ${report.rows} rows copied of ${rows}`);
  const v = report.validation;
  const validation = !v
    ? 'none'
    : v.status === 'skipped'
      ? 'skipped'
      : `${v.status}${v.pushdown ? ` (in the stores: ${v.pushdown.status})` : ' (on the worker)'}`;
  return { mode, copyRate: rate(report.rows, report.timings.copyMs), totalMs, validateMs: report.timings.validateMs, rss: peakRssMb, validation };
}

/** One round: the native pipe, pgloader and every mode, one after the other (rounds interleave, so drift hits all alike). */
interface Round {
  nativeRate: number;
  pgloaderMs: number | null;
  lines: Line[];
}

/** A size's figures: medians over its rounds, and each mode's per-round ratios to that round's native pipe. */
interface SizeResult extends Round {
  rows: number;
  rounds: number;
  spread: Map<Mode, { copy: number[]; e2e: number[] }>;
}

/** Single runs on a shared 2-core machine vary by ±0.15 of native: small sizes get three rounds and report medians. */
const roundsFor = (rows: number) => Number(process.env.BENCH_PG_ROUNDS ?? (rows <= 1_000_000 ? 3 : 1));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const range = (xs: number[]) => (xs.length > 1 ? ` (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})` : '');

async function measureRound(src: string, rows: number, label: string): Promise<Round> {
  // The native peer: one COPY out piped into one COPY in, into a table with the source's primary key.
  const nativeMs = (await pgNativeReload(BENCH_SCHEMA, src)).ms;
  const nativeRate = rate(rows, nativeMs);
  console.log(`${label}native psql COPY pipe   : ${rows} rows in ${secs(nativeMs)} = ${nativeRate} rows/s; ${load()}`);
  const pgl = await pgloader(src);
  if (pgl) console.log(`${label}pgloader (whole run)    : ${pgl.rows} rows in ${secs(pgl.ms)} = ${rate(pgl.rows, pgl.ms)} rows/s (no validation); ${load()}`);
  const lines: Line[] = [];
  for (const mode of MODES) {
    if (mode === 'canonical' && rows > CANONICAL_MAX_ROWS) continue;
    const l = await service(mode, src, rows);
    lines.push(l);
    const e2e = rate(rows, l.totalMs);
    console.log(
      `${label}service ${mode.padEnd(11)}     : copy ${l.copyRate} rows/s (${(l.copyRate / nativeRate).toFixed(2)} of native); end to end ${secs(l.totalMs)} = ${e2e} rows/s ` +
        `(${(e2e / nativeRate).toFixed(2)} of native${pgl ? `; wall clock ${(l.totalMs / pgl.ms).toFixed(2)} × pgloader's` : ''}); ` +
        `validation ${secs(l.validateMs)} ${l.validation}; worker peak RSS ${l.rss} MB; ${load()}`,
    );
  }
  return { nativeRate, pgloaderMs: pgl?.ms ?? null, lines };
}

async function measureSize(rows: number): Promise<SizeResult> {
  const src = `src_${rows}`;
  console.log(`-- ${rows} rows: seeding ${BENCH_SCHEMA}.${src} …`);
  await seed(src, rows);
  const n = roundsFor(rows);
  const rounds: Round[] = [];
  for (let i = 1; i <= n; i++) rounds.push(await measureRound(src, rows, n > 1 ? `[round ${i}/${n}] ` : ''));
  const pgloaderRuns = rounds.flatMap((r) => (r.pgloaderMs === null ? [] : [r.pgloaderMs]));
  const spread = new Map<Mode, { copy: number[]; e2e: number[] }>();
  const lines = rounds[0]!.lines.map((first): Line => {
    const same = rounds.map((r) => ({ native: r.nativeRate, line: r.lines.find((l) => l.mode === first.mode)! }));
    spread.set(first.mode, {
      copy: same.map(({ native, line }) => line.copyRate / native),
      e2e: same.map(({ native, line }) => rate(rows, line.totalMs) / native),
    });
    const of = (pick: (l: Line) => number) => median(same.map(({ line }) => pick(line)));
    return {
      mode: first.mode,
      copyRate: of((l) => l.copyRate),
      totalMs: of((l) => l.totalMs),
      validateMs: of((l) => l.validateMs),
      rss: Math.max(...same.map(({ line }) => line.rss)),
      validation: [...new Set(same.map(({ line }) => line.validation))].join(' / '),
    };
  });
  return {
    rows,
    rounds: n,
    nativeRate: median(rounds.map((r) => r.nativeRate)),
    pgloaderMs: pgloaderRuns.length ? median(pgloaderRuns) : null,
    lines,
    spread,
  };
}

function printSummary(results: SizeResult[]): void {
  console.log(
    "\nsummary (medians over the rounds; copy and end-to-end ratios to the median native pipe of the same size, each round's own " +
      'ratios in brackets; × pgloader = our wall clock ÷ its wall clock; RSS = the highest of the rounds)',
  );
  for (const r of results) {
    console.log(
      `  ${String(r.rows).padStart(9)} ${r.rounds} round(s): native ${r.nativeRate} rows/s` +
        `${r.pgloaderMs ? `, pgloader ${secs(r.pgloaderMs)} = ${rate(r.rows, r.pgloaderMs)} rows/s` : ''}`,
    );
    for (const l of r.lines) {
      const spread = r.spread.get(l.mode)!;
      console.log(
        `  ${String(r.rows).padStart(9)} ${l.mode.padEnd(11)} copy ${(l.copyRate / r.nativeRate).toFixed(2)}${range(spread.copy)}` +
          `  e2e ${(rate(r.rows, l.totalMs) / r.nativeRate).toFixed(2)}${range(spread.e2e)}` +
          `${r.pgloaderMs ? `  ${(l.totalMs / r.pgloaderMs).toFixed(2)} × pgloader` : ''}  validation ${secs(l.validateMs)} ${l.validation}  RSS ${l.rss} MB`,
      );
    }
  }
  for (const mode of MODES) {
    const rss = results.flatMap((r) => r.lines.filter((l) => l.mode === mode).map((l) => `${r.rows}: ${l.rss} MB`));
    if (rss.length > 1) console.log(`  peak RSS by size, ${mode}: ${rss.join(', ')}`);
  }
}

async function main() {
  execSync(`npx tsx scripts/bundle-workflows.ts ${BUNDLE}`, { cwd: path.resolve(__dirname, '..'), stdio: 'ignore' });
  const results: SizeResult[] = [];
  for (const rows of SIZES) results.push(await measureSize(rows));
  printSummary(results);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
