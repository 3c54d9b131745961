/**
 * The PG → PG copy engine without Temporal: copyChunk over every partition of a bench table, `parallelism` at a
 * time, in this process — the worker's own CPU per row (process.cpuUsage) and its GC time, apart from the SDK,
 * the dev server and heartbeats. Figures, not assertions; bench/pg.ts seeds the tables (dm_bench.src_<rows>).
 *   eval "$(bash scripts/stack.sh env)"
 *   node --max-old-space-size=512 --max-semi-space-size=64 --min-semi-space-size=64 --initial-old-space-size=256 --import tsx bench/pg-engine.ts (the worker's heap flags, bin/datamigrato-worker)
 *   BENCH_ROWS (default 1000000), BENCH_PG_MODE=rows|passthrough, BENCH_PG_PARALLELISM (4), BENCH_BATCH (5000), BENCH_REPS (3)
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { copyChunk } from '../src/engine/copy-chunk';
import { planMigration } from '../src/engine/plan';
import type { Cursor } from '../src/model/types';
import { pgQuery } from '../test/helpers/pg';
import { pgBenchSpec } from './pg-spec';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const PARALLELISM = Number(process.env.BENCH_PG_PARALLELISM ?? 4);
const PASSTHROUGH = process.env.BENCH_PG_MODE === 'passthrough';
const TARGET = 'dm_bench.engine_dst';

let gcMs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcMs += e.duration;
}).observe({ entryTypes: ['gc'] });

const specOf = () =>
  pgBenchSpec({
    name: 'bench-engine',
    source: `src_${ROWS}`,
    target: 'engine_dst',
    rowPath: !PASSTHROUGH,
    parallelism: PARALLELISM,
    batchSize: Number(process.env.BENCH_BATCH ?? 5000),
  });

async function once(): Promise<void> {
  await pgQuery(`DROP TABLE IF EXISTS ${TARGET}`);
  const spec = specOf();
  const plan = await planMigration(spec);
  await pgQuery('CHECKPOINT');
  const queue = [...plan.partitions];
  const t0 = Date.now();
  const cpu0 = process.cpuUsage();
  gcMs = 0;
  let rows = 0;
  const hooks = { onBatch: () => undefined, stopRequested: () => false };
  await Promise.all(
    Array.from({ length: PARALLELISM }, async () => {
      for (let partition = queue.shift(); partition; partition = queue.shift()) {
        let cursor: Cursor | null = null;
        for (let done = false; !done;) {
          const r = await copyChunk({ spec, sourceSchema: plan.sourceSchema, partition, cursor, runId: 'bench-engine' }, hooks);
          ({ cursor, done } = r);
          rows += r.rows;
        }
      }
    }),
  );
  const ms = Date.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  console.log(
    `${PASSTHROUGH ? 'passthrough' : 'row path   '}: ${rows} rows in ${(ms / 1000).toFixed(1)} s = ${Math.round(rows / (ms / 1000))} rows/s; ` +
      `worker CPU ${((cpu.user + cpu.system) / rows).toFixed(2)} µs a row; GC ${Math.round(gcMs)} ms`,
  );
}

async function main() {
  for (let i = 0; i < Number(process.env.BENCH_REPS ?? 3); i++) await once();
  await pgQuery(`DROP TABLE IF EXISTS ${TARGET}`);
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
