/**
 * PostgreSQL COPY target, the two paths of writeMode copy measured through the connector itself (no Temporal):
 * direct (COPY straight into the table, the path while no batch has met an existing key) and staged (COPY into
 * a temp table, then INSERT … SELECT … ON CONFLICT), alternately on fresh tables so both see the same load.
 *   eval "$(bash scripts/stack.sh env)"; BENCH_ROWS=300000 npx tsx bench/pg-write.ts
 * Prints rows/s per path and round. Figures, not assertions.
 */
import { getConnector } from '../src/connectors/registry';
import { logger } from '../src/logging';
import type { ObjectSchema, Row } from '../src/model/types';
import { env } from '../test/helpers/env';
import { pgQuery } from '../test/helpers/pg';

const ROWS = Number(process.env.BENCH_ROWS ?? 300_000);
const BATCH = 5_000;
const SCHEMA = 'dm_bench_pgwrite';

const schema: ObjectSchema = {
  object: 'orders',
  key: ['id'],
  fields: [
    { name: 'id', type: 'int64', nullable: false },
    { name: 'customer_id', type: 'int64', nullable: false },
    { name: 'status', type: 'string', nullable: false },
    { name: 'amount', type: 'decimal', nullable: false },
    { name: 'note', type: 'string', nullable: true },
    { name: 'ordered_at', type: 'timestamptz', nullable: false },
    { name: 'payload', type: 'bytes', nullable: false },
  ],
};

const row = (i: number): Row => ({
  id: BigInt(i),
  customer_id: BigInt(1 + (i % 250_000)),
  status: ['new', 'paid', 'shipped'][i % 3]!,
  amount: `${i % 100_000}.${String(i % 100).padStart(2, '0')}`,
  note: i % 5 === 0 ? null : `commande n°${i} — livrée ✓`,
  ordered_at: new Date(Date.UTC(2023, 0, 1) + i * 1000).toISOString(),
  payload: Buffer.from(`{"sku":"SKU-${i % 997}"}`),
});

async function measure(path: 'direct' | 'staged', round: number, rows: Row[]): Promise<void> {
  const table = `w_${path}_${round}`;
  await pgQuery(`DROP TABLE IF EXISTS ${SCHEMA}.${table}`);
  const d = getConnector('postgres');
  const endpoint = d.endpointSchema.parse({ type: 'postgres', connection: { url: { env: 'PG_URL' } }, schema: SCHEMA, table });
  const s = await d.open(endpoint, { url: env.pgUrl }, logger.child({ bench: 'pg-write' }));
  await s.prepare(schema);
  // The staged path is what a session falls back to after a conflict; here it is forced from the start.
  if (path === 'staged') (s as unknown as { direct: boolean }).direct = false;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < rows.length; i += BATCH) await s.write(schema, rows.slice(i, i + BATCH));
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  await s.close();
  console.log(JSON.stringify({ path, round, rows: rows.length, seconds: +secs.toFixed(2), rowsPerSecond: Math.round(rows.length / secs) }));
  await pgQuery(`DROP TABLE ${SCHEMA}.${table}`);
}

async function main() {
  await pgQuery(`CREATE SCHEMA IF NOT EXISTS ${SCHEMA}`);
  const rows = Array.from({ length: ROWS }, (_, i) => row(i + 1));
  for (const round of [1, 2, 3]) for (const path of ['staged', 'direct'] as const) await measure(path, round, rows);
  await pgQuery(`DROP SCHEMA ${SCHEMA} CASCADE`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
