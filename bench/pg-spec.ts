/**
 * The PG → PG bench job, one spelling for bench/pg.ts (through a worker) and bench/pg-engine.ts (the engine alone):
 * a `dm_bench` table to another, COPY writes, the default partition plan, and on the row path a rename in the way
 * (`note → remark`) so rows are parsed and rebuilt as users' transforms make them.
 */
import type { JobSpecInput } from '../src/job/job-spec';
import { parsed } from '../test/helpers/specs';

export const BENCH_SCHEMA = 'dm_bench';

export interface PgBenchJob {
  name: string;
  source: string;
  target: string;
  /** The row path (parsed rows and the rename) rather than COPY text moved unparsed. */
  rowPath: boolean;
  parallelism: number;
  /** Key ranges; default the engine's plan. */
  partitions?: number;
  writeMode?: 'copy' | 'insert';
  batchSize?: number;
  /** false validates on the worker (the canonical path) instead of in the stores. */
  pushdown?: boolean;
}

export function pgBenchSpec(job: PgBenchJob) {
  const endpoint = (table: string) => ({
    type: 'postgres' as const,
    connection: { url: { env: 'PG_URL' } },
    schema: BENCH_SCHEMA,
    table,
    writeMode: job.writeMode ?? ('copy' as const),
  });
  const input: JobSpecInput = {
    name: job.name,
    source: endpoint(job.source),
    target: endpoint(job.target),
    batchSize: job.batchSize ?? 5000,
    parallelism: job.parallelism,
    // The default plan (src/engine/partitions.ts): 2 × parallelism, one wave for small tables.
    ...(job.partitions === undefined ? {} : { partitions: job.partitions }),
    passthrough: !job.rowPath,
    transform: job.rowPath ? [{ op: 'rename', fields: { note: 'remark' } }] : [],
    ...(job.pushdown === false ? { validate: { pushdown: false } } : {}),
  };
  return parsed(input);
}
