/**
 * MySQL target write modes, measured through the connector itself (no Temporal): the mixed-type PostgreSQL
 * table read once into neutral rows, then written in 2,000-row batches with writeMode upsert and loadData,
 * alternately, into fresh tables.
 *   eval "$(bash scripts/stack.sh env)"; BENCH_ROWS=50000 npx tsx bench/mysql-write.ts
 * Prints rows/s per mode and round. Figures, not assertions.
 */
import { getConnector } from '../src/connectors/registry';
import { logger } from '../src/logging';
import type { ObjectSchema, Row } from '../src/model/types';
import { createMixedSource, pgQuery } from '../test/helpers/pg';
import { mq, mysqlQuery, mysqlUrl } from '../test/helpers/mysql';

const ROWS = Number(process.env.BENCH_ROWS ?? 50_000);
const BATCH = 2_000;
const log = logger.child({ bench: 'mysql-write' });

async function open(type: string, endpoint: Record<string, unknown>, connection: Record<string, unknown>) {
  const d = getConnector(type);
  return d.open(d.endpointSchema.parse(endpoint), connection, log);
}

async function main() {
  await createMixedSource('dm_bench', 'mysql_mixed', ROWS);
  const pg = await open(
    'postgres',
    { type: 'postgres', connection: { url: { env: 'PG_URL' } }, schema: 'dm_bench', table: 'mysql_mixed' },
    { url: process.env.PG_URL },
  );
  const schema = (await pg.describe()) as ObjectSchema;
  const rows: Row[] = [];
  for await (const b of pg.read(schema, { id: 0, lower: null, upper: null }, null, 10_000)) rows.push(...b.rows);
  await pg.close();
  for (const round of [1, 2])
    for (const writeMode of ['upsert', 'loadData']) {
      const table = `bench_${writeMode}_${round}`;
      await mysqlQuery(`DROP TABLE IF EXISTS dm_test.${mq(table)}`);
      const my = await open('mysql', { type: 'mysql', connection: { url: { env: 'MYSQL_URL' } }, database: 'dm_test', table, writeMode }, { url: mysqlUrl });
      await my.prepare(schema);
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < rows.length; i += BATCH) await my.write(schema, rows.slice(i, i + BATCH));
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      await my.close();
      console.log(JSON.stringify({ writeMode, round, rows: rows.length, seconds: +s.toFixed(2), rowsPerSecond: Math.round(rows.length / s) }));
      await mysqlQuery(`DROP TABLE IF EXISTS dm_test.${mq(table)}`);
    }
  await pgQuery('DROP TABLE IF EXISTS dm_bench.mysql_mixed');
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
