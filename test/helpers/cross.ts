import type { JobSpecInput } from '../../src/job/job-spec';
import type { MigrationReport } from '../../workflows/types';
import { uniqueSuffix } from './env';
import type { TemporalHarness } from './temporal';
import { parsed } from './specs';
import { cassandraConnection, withCassandra } from './cassandra';
import { withMongo } from './mongo';
import { pgQuery } from './pg';

export { parsed } from './specs';

export const TEST_DB = 'dm_test';
export const TEST_KEYSPACE = 'dm_test';

/**
 * The recipe for a document → column store migration: _id → id, nested documents flattened into
 * typed columns. FerretDB scans and sorts the whole collection for every range query, so one range read by
 * one long chunk costs a single scan; against MongoDB more partitions would read in parallel.
 */
export const mongoToCassandra = (name: string, collection: string, table: string, extra: Partial<JobSpecInput> = {}): JobSpecInput => ({
  name,
  source: { type: 'mongodb', connection: { url: { env: 'MONGO_URL' } }, database: TEST_DB, collection },
  target: { type: 'cassandra', connection: cassandraConnection(), keyspace: TEST_KEYSPACE, table },
  transform: [{ op: 'rename', fields: { _id: 'id' } }, { op: 'flatten' }],
  batchSize: 2_000,
  parallelism: 2,
  partitions: 1,
  chunk: { maxBatches: 10_000, maxSeconds: 600 },
  ...extra,
});

/**
 * Big test datasets are dropped after the file (FerretDB's SQLite files and Cassandra's sstables would
 * otherwise grow by hundreds of MB per run); small ones are left for inspection like the PostgreSQL tests do.
 */
export function cleanup() {
  const drops: (() => Promise<unknown>)[] = [];
  return {
    collection: (name: string) => drops.push(() => withMongo((m) => m.db(TEST_DB).collection(name).drop())),
    table: (name: string) => drops.push(() => withCassandra((c) => c.execute(`DROP TABLE IF EXISTS ${TEST_KEYSPACE}.${name}`))),
    pgTable: (name: string) => drops.push(() => pgQuery(`DROP TABLE IF EXISTS dm_test.${name}`)),
    run: async () => {
      for (const drop of drops.splice(0)) await drop().catch(() => undefined);
    },
  };
}

/** Runs one migration to its end on the harness's worker and prints its figures (rows, time, rows/s, validation). */
export async function runMigration(h: TemporalHarness, name: string, spec: JobSpecInput): Promise<MigrationReport> {
  const t0 = Date.now();
  const report: MigrationReport = await h.client.workflow.execute('migrationWorkflow', {
    taskQueue: h.taskQueue,
    workflowId: `${name}-${uniqueSuffix()}`,
    args: [{ spec: parsed(spec) }],
  });
  const { rows, rowsPerSecond, droppedFields, validation } = report;
  console.log(JSON.stringify({ pair: name, rows, ms: Date.now() - t0, rowsPerSecond, droppedFields, validation: validation?.status }));
  return report;
}
