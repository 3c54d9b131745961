/**
 * MongoDB (FerretDB) → PostgreSQL and MongoDB → Cassandra through the service: a real worker process on
 * the local Temporal, so its peak RSS (VmHWM) can be read from /proc.
 *   eval "$(bash scripts/stack.sh env)"; BENCH_ROWS=100000,1000000 npx tsx bench/mongo.ts
 * BENCH_MONGO_TARGETS=postgres,cassandra picks the targets. Prints figures, never asserts. Each line into a target
 * is followed by its copy phase's ratio to the target's native loader on the same rows (bench/native-loaders.ts).
 *
 * Our own overhead apart from FerretDB's: the same documents also go FerretDB → memory, then memory → PostgreSQL
 * (and Cassandra) and memory → FerretDB, on one worker process (the in-memory store lives in it). The first line is the source
 * side alone, the next ones each target side alone, the last FerretDB as a target (up to BENCH_MONGO_WRITE_MAX documents).
 *
 * The source is FerretDB 1.24 on SQLite: every query scans and sorts the whole collection, so the
 * source side, not the service, bounds these figures; one partition read by one long chunk is the
 * cheapest plan there (docs/connectors-mongo-cassandra.md).
 */
import { execSync } from 'node:child_process';
import path from 'node:path';
import type { JobSpecInput } from '../src/job/job-spec';
import type { MigrationReport } from '../workflows/types';
import { cassandraConnection, withCassandra } from '../test/helpers/cassandra';
import { seedPeople, withMongo } from '../test/helpers/mongo';
import { pgQuery } from '../test/helpers/pg';
import { parsed } from '../test/helpers/specs';
import { cqlshNativeReload, nativeRatio, pgNativeReload, type NativeLoad } from './native-loaders';
import { BUNDLE, runInWorkerProcess, runSeriesInWorkerProcess } from './run-in-worker';

const SIZES = (process.env.BENCH_ROWS ?? '100000').split(',').map(Number);
const WRITE_MAX = Number(process.env.BENCH_MONGO_WRITE_MAX ?? 200_000);
const SPLIT_HEAP_MB = Number(process.env.BENCH_MONGO_SPLIT_HEAP_MB ?? 2048);
const DB = 'dm_bench';
const TARGETS = (process.env.BENCH_MONGO_TARGETS ?? 'postgres,cassandra').split(',') as ('postgres' | 'cassandra')[];
const MEMORY: JobSpecInput['target'] = { type: 'memory', connection: { store: 'bench' }, object: 'from_mongo' };
const MONGO = (collection: string): JobSpecInput['source'] => ({
  type: 'mongodb',
  connection: { url: { env: 'MONGO_URL' } },
  database: DB,
  collection,
});

/** One collection per size, kept between runs: seeding FerretDB is slow. */
async function seed(rows: number): Promise<string> {
  const collection = `people_${rows}`;
  const have = await withMongo((m) =>
    m
      .db(DB)
      .collection(collection)
      .estimatedDocumentCount()
      .catch(() => 0),
  );
  if (have === rows) return collection;
  const t0 = Date.now();
  await seedPeople(DB, collection, rows);
  console.log(`seeded ${rows} documents in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return collection;
}

function targetEndpoint(target: 'postgres' | 'cassandra', table: string): JobSpecInput['target'] {
  return target === 'postgres'
    ? { type: 'postgres', connection: { url: { env: 'PG_URL' } }, schema: DB, table }
    : { type: 'cassandra', connection: cassandraConnection(), keyspace: DB, table };
}

async function dropTarget(target: 'postgres' | 'cassandra', table: string): Promise<void> {
  if (target === 'postgres') {
    await pgQuery(`CREATE SCHEMA IF NOT EXISTS ${DB}`);
    await pgQuery(`DROP TABLE IF EXISTS ${DB}.${table}`);
  } else await withCassandra((c) => c.execute(`DROP TABLE IF EXISTS ${DB}.${table}`).catch(() => undefined));
}

/** The plan FerretDB reads fastest with: one partition, one long chunk on one cursor. */
function specOf(name: string, source: JobSpecInput['source'], target: JobSpecInput['target'], transform: JobSpecInput['transform'] = []) {
  return parsed({
    name,
    source,
    target,
    transform,
    batchSize: 5_000,
    parallelism: 2,
    partitions: 1,
    chunk: { maxBatches: 100_000, maxSeconds: 3_600 },
  });
}

const RENAME_ID: JobSpecInput['transform'] = [{ op: 'rename', fields: { _id: 'id' } }];

async function service(collection: string, target: 'postgres' | 'cassandra') {
  const table = `from_mongo`;
  await dropTarget(target, table);
  // Column stores get the nested documents as typed columns; PostgreSQL keeps them as jsonb.
  const transform: JobSpecInput['transform'] = target === 'cassandra' ? [...RENAME_ID!, { op: 'flatten' }] : RENAME_ID;
  return runInWorkerProcess(specOf(`bench-mongo-${target}`, MONGO(collection), targetEndpoint(target, table), transform), `bench-mongo-${target}`);
}

interface SplitRun {
  label: string;
  spec: ReturnType<typeof specOf>;
  /** A target-side run's native loader, timed on the rows it wrote. */
  native?: () => Promise<NativeLoad>;
}

/**
 * FerretDB → memory, then memory → PostgreSQL, memory → Cassandra (when a target) and memory → FerretDB on one worker:
 * each side's cost alone.
 */
async function split(collection: string, rows: number) {
  const back = `${collection}_from_memory`;
  const dropBack = () =>
    withMongo((m) =>
      m
        .db(DB)
        .collection(back)
        .drop()
        .catch(() => undefined),
    );
  const runs: SplitRun[] = [
    { label: 'mongodb → memory', spec: specOf('bench-mongo-memory', MONGO(collection), MEMORY, RENAME_ID) },
    ...TARGETS.map((target) => ({
      label: `memory → ${target}`,
      spec: specOf(`bench-memory-${target}`, MEMORY, targetEndpoint(target, 'from_memory'), target === 'cassandra' ? [{ op: 'flatten' as const }] : []),
      native: () => nativeLoad(target, 'from_memory'),
    })),
    ...(rows <= WRITE_MAX
      ? [
          {
            label: 'memory → mongodb',
            spec: specOf('bench-memory-mongo', MEMORY, { ...MONGO(back), decimalAs: 'string' } as JobSpecInput['target'], [
              { op: 'rename', fields: { id: '_id' } },
            ]),
          },
        ]
      : []),
  ];
  for (const target of TARGETS) await dropTarget(target, 'from_memory');
  await dropBack();
  // The in-memory store holds every document in the worker's heap: with the worker's default 256 MB old space
  // it left the later runs of the split collecting garbage most of the time (memory → Cassandra at a third of
  // MongoDB → Cassandra's rate), so the split's worker gets room for the store.
  const { reports, peakRssMb } = await runSeriesInWorkerProcess(
    runs.map((r) => r.spec),
    'bench-mongo-split',
    { DATAMIGRATO_WORKER_HEAP_MB: String(SPLIT_HEAP_MB) },
  );
  await dropBack();
  return { reports, peakRssMb, runs };
}

const rate = (rows: number, ms: number) => (ms > 0 ? Math.round(rows / (ms / 1000)) : 0);

/** The target's own loader on the rows the service wrote there: the ratio a target-side line is read against. */
const nativeLoad = (target: 'postgres' | 'cassandra', table: string): Promise<NativeLoad> =>
  target === 'postgres' ? pgNativeReload(DB, table) : cqlshNativeReload(DB, table);

const ratioLine = (label: string, report: MigrationReport, load: NativeLoad) =>
  `${String(report.rows).padStart(8)} ${label.padEnd(19)}: copy phase ${nativeRatio(report.rows, report.timings.copyMs, load)}`;

function line(label: string, report: MigrationReport, totalMs: number, rss: number | null): string {
  const { prepareMs, copyMs, validateMs } = report.timings;
  return (
    `${String(report.rows).padStart(8)} ${label.padEnd(19)}: copy ${(copyMs / 1000).toFixed(1)} s = ${rate(report.rows, copyMs)} rows/s; ` +
    `end-to-end ${(totalMs / 1000).toFixed(1)} s = ${rate(report.rows, totalMs)} rows/s (prepare ${(prepareMs / 1000).toFixed(1)} s, ` +
    `validation ${(validateMs / 1000).toFixed(1)} s: ${report.validation?.status})${rss === null ? '' : `; worker peak RSS ${rss} MB`}`
  );
}

async function main() {
  execSync(`npx tsx scripts/bundle-workflows.ts ${BUNDLE}`, { cwd: path.resolve(__dirname, '..'), stdio: 'ignore' });
  for (const rows of SIZES) {
    console.log(`seeding ${rows} documents in ${DB} (FerretDB) …`);
    const collection = await seed(rows);
    for (const target of TARGETS) {
      const { report, totalMs, peakRssMb } = await service(collection, target);
      console.log(line(`mongodb → ${target}`, report, totalMs, peakRssMb));
      console.log(ratioLine(`mongodb → ${target}`, report, await nativeLoad(target, 'from_mongo')));
    }
    const { reports, peakRssMb, runs } = await split(collection, rows);
    // The split's runs share one worker: one peak RSS for them all, printed on the last line.
    for (const [i, run] of runs.entries()) {
      console.log(line(run.label, reports[i]!, reports[i]!.timings.totalMs, i === reports.length - 1 ? peakRssMb : null));
      if (run.native) console.log(ratioLine(run.label, reports[i]!, await run.native()));
    }
    if (rows > WRITE_MAX) console.log(`${String(rows).padStart(8)} memory → mongodb   : not run above BENCH_MONGO_WRITE_MAX=${WRITE_MAX} documents`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
