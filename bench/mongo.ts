/**
 * MongoDB (FerretDB) → PostgreSQL and MongoDB → Cassandra through the service: a real worker process on
 * the local Temporal, so its peak RSS (VmHWM) can be read from /proc.
 *   eval "$(bash scripts/stack.sh env)"; BENCH_ROWS=200000 npx tsx bench/mongo.ts
 * BENCH_MONGO_TARGETS=postgres,cassandra picks the targets. Prints figures, never asserts.
 *
 * The source is FerretDB 1.24 on SQLite: every query scans and sorts the whole collection, so the
 * source side, not the service, bounds these figures; one partition read by one long chunk is the
 * cheapest plan there (docs/connectors-mongo-cassandra.md).
 */
import { execSync } from 'node:child_process';
import path from 'node:path';
import type { JobSpecInput } from '../src/job/job-spec';
import { cassandraConnection, withCassandra } from '../test/helpers/cassandra';
import { seedPeople, withMongo } from '../test/helpers/mongo';
import { pgQuery } from '../test/helpers/pg';
import { parsed } from '../test/helpers/specs';
import { BUNDLE, runInWorkerProcess } from './run-in-worker';

const ROWS = Number(process.env.BENCH_ROWS ?? 200_000);
const DB = 'dm_bench';
const COLLECTION = 'people';
const TARGETS = (process.env.BENCH_MONGO_TARGETS ?? 'postgres,cassandra').split(',') as ('postgres' | 'cassandra')[];

async function seed(): Promise<void> {
  const have = await withMongo((m) =>
    m
      .db(DB)
      .collection(COLLECTION)
      .estimatedDocumentCount()
      .catch(() => 0),
  );
  if (have === ROWS) return;
  const t0 = Date.now();
  await seedPeople(DB, COLLECTION, ROWS);
  console.log(`seeded ${ROWS} documents in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
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

async function service(target: 'postgres' | 'cassandra') {
  const table = `from_mongo`;
  await dropTarget(target, table);
  const spec = parsed({
    name: `bench-mongo-${target}`,
    source: { type: 'mongodb', connection: { url: { env: 'MONGO_URL' } }, database: DB, collection: COLLECTION },
    target: targetEndpoint(target, table),
    // Column stores get the nested documents as typed columns; PostgreSQL keeps them as jsonb.
    transform: target === 'cassandra' ? [{ op: 'rename', fields: { _id: 'id' } }, { op: 'flatten' }] : [{ op: 'rename', fields: { _id: 'id' } }],
    batchSize: 5_000,
    parallelism: 2,
    partitions: 1,
    chunk: { maxBatches: 100_000, maxSeconds: 3_600 },
  });
  return runInWorkerProcess(spec, `bench-mongo-${target}`);
}

const rate = (rows: number, ms: number) => (ms > 0 ? Math.round(rows / (ms / 1000)) : 0);

async function main() {
  execSync(`npx tsx scripts/bundle-workflows.ts ${BUNDLE}`, { cwd: path.resolve(__dirname, '..'), stdio: 'ignore' });
  console.log(`seeding ${ROWS} documents in ${DB}.${COLLECTION} (FerretDB) …`);
  await seed();
  for (const target of TARGETS) {
    const { report, totalMs, peakRssMb: rss } = await service(target);
    const { prepareMs, copyMs, validateMs } = report.timings;
    console.log(
      `service mongodb → ${target.padEnd(9)}: copy ${report.rows} rows in ${(copyMs / 1000).toFixed(1)} s = ${rate(report.rows, copyMs)} rows/s; ` +
        `end-to-end ${(totalMs / 1000).toFixed(1)} s = ${rate(report.rows, totalMs)} rows/s (prepare ${(prepareMs / 1000).toFixed(1)} s, ` +
        `validation ${(validateMs / 1000).toFixed(1)} s: ${report.validation?.status}); worker peak RSS ${rss} MB`,
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
