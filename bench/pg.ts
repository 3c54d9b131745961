/**
 * PG → PG throughput: the service (a real worker process on the local Temporal) against a native
 * `psql COPY … TO STDOUT | psql COPY … FROM STDIN` pipe, on the same table, in the same run.
 *   eval "$(bash scripts/stack.sh env)"; BENCH_ROWS=1000000 npx tsx bench/pg.ts
 * Prints rows/s for both, their ratio and the worker's peak RSS. Figures, not assertions.
 */
import { execSync } from 'node:child_process';
import path from 'node:path';
import { countRows, pgQuery } from '../test/helpers/pg';
import { parsed } from '../test/helpers/specs';
import { BUNDLE, runInWorkerProcess } from './run-in-worker';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const PG_URL = process.env.PG_URL ?? 'postgres://postgres:postgres@127.0.0.1:55432/postgres';
const SCHEMA = 'dm_bench';

async function seed() {
  await pgQuery(`CREATE SCHEMA IF NOT EXISTS ${SCHEMA}`);
  const have = await pgQuery<{ n: string }>(`SELECT count(*) AS n FROM pg_tables WHERE schemaname = '${SCHEMA}' AND tablename = 'src'`);
  if (Number(have[0]!.n) === 1 && (await countRows(`${SCHEMA}.src`)) === ROWS) return;
  await pgQuery(`DROP TABLE IF EXISTS ${SCHEMA}.src`);
  await pgQuery(`CREATE TABLE ${SCHEMA}.src (id bigint PRIMARY KEY, customer integer NOT NULL, amount numeric(12,2), created_at timestamptz NOT NULL,
                   status text NOT NULL, note text, attrs jsonb)`);
  await pgQuery(`INSERT INTO ${SCHEMA}.src SELECT g, g % 50000, round((random() * 10000)::numeric, 2), now() - g * interval '1 second',
                   (ARRAY['new','paid','shipped','returned'])[1 + g % 4], md5(g::text) || ' ' || md5((g * 7)::text),
                   jsonb_build_object('sku', 'SKU-' || (g % 997), 'qty', g % 9) FROM generate_series(1, ${ROWS}) g`);
  await pgQuery(`ANALYZE ${SCHEMA}.src`);
}

async function recreate(table: string) {
  await pgQuery(`DROP TABLE IF EXISTS ${SCHEMA}.${table}`);
}

function nativePipe(): number {
  execSync(`psql "${PG_URL}" -qc "CREATE TABLE ${SCHEMA}.native (LIKE ${SCHEMA}.src INCLUDING ALL)"`);
  const t0 = Date.now();
  execSync(`psql "${PG_URL}" -qc "COPY ${SCHEMA}.src TO STDOUT" | psql "${PG_URL}" -qc "COPY ${SCHEMA}.native FROM STDIN"`, { shell: '/bin/bash' });
  return Date.now() - t0;
}

/** `passthrough` moves COPY text unparsed (always through the copy write path); the others parse rows. */
type Mode = 'copy' | 'insert' | 'passthrough';

async function service(mode: Mode, target: string) {
  const writeMode: 'copy' | 'insert' = mode === 'insert' ? 'insert' : 'copy';
  const endpoint = (table: string) => ({ type: 'postgres' as const, connection: { url: { env: 'PG_URL' } }, schema: SCHEMA, table, writeMode });
  const spec = parsed({
    name: `bench-${target}`,
    source: endpoint('src'),
    target: endpoint(target),
    batchSize: 5000,
    parallelism: 4,
    partitions: 8,
    passthrough: mode === 'passthrough',
  });
  return runInWorkerProcess(spec, `bench-${target}`);
}

const rate = (rows: number, ms: number) => Math.round(rows / (ms / 1000));

async function main() {
  execSync(`npx tsx scripts/bundle-workflows.ts ${BUNDLE}`, { cwd: path.resolve(__dirname, '..'), stdio: 'ignore' });
  console.log(`seeding ${ROWS} rows in ${SCHEMA}.src …`);
  await seed();
  for (const t of ['native', 'svc_copy', 'svc_insert', 'svc_passthrough']) await recreate(t);

  const nativeMs = nativePipe();
  const nativeRate = rate(ROWS, nativeMs);
  console.log(`native psql COPY pipe   : ${ROWS} rows in ${(nativeMs / 1000).toFixed(1)} s = ${nativeRate} rows/s`);

  const modes = (process.env.BENCH_PG_MODES ?? 'passthrough,copy,insert').split(',') as Mode[];
  for (const mode of modes) {
    const { report, totalMs, peakRssMb: rss } = await service(mode, `svc_${mode}`);
    const copyRate = rate(report.rows, report.timings.copyMs);
    console.log(
      `service ${mode.padEnd(11)} : copy ${report.rows} rows in ${(report.timings.copyMs / 1000).toFixed(1)} s = ${copyRate} rows/s` +
        ` (ratio to native ${(copyRate / nativeRate).toFixed(2)}); end-to-end incl. prepare+validation ${(totalMs / 1000).toFixed(1)} s` +
        ` = ${rate(report.rows, totalMs)} rows/s; validation ${report.validation?.status}; worker peak RSS ${rss} MB`,
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
