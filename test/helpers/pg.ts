import { Client } from 'pg';
import { env } from './env';

export async function pgClient(url = env.pgUrl): Promise<Client> {
  const c = new Client({ connectionString: url });
  await c.connect();
  return c;
}

export async function pgQuery<T extends Record<string, unknown> = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
  const c = await pgClient();
  try {
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
}

/**
 * CREATE SCHEMA IF NOT EXISTS is not safe under concurrency in PostgreSQL: two sessions can both
 * see it missing and the loser fails on pg_namespace's unique index. Tests seed in parallel, so
 * the loser treats "someone else created it" as success.
 */
export async function ensureSchema(schema: string): Promise<void> {
  try {
    await pgQuery(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== '23505' && code !== '42P06') throw err;
  }
}

/**
 * A source table with every type the engine must carry exactly: numeric, timestamptz (µs),
 * jsonb, bytea, unicode text and nulls. Generated server-side so seeding 200k rows takes a second.
 */
export async function createMixedSource(schema: string, table: string, rows: number): Promise<void> {
  await ensureSchema(schema);
  await pgQuery(`DROP TABLE IF EXISTS "${schema}"."${table}"`);
  await pgQuery(`CREATE TABLE "${schema}"."${table}" (
      id bigint PRIMARY KEY,
      amount numeric(14,4),
      ratio double precision,
      small integer,
      created_at timestamptz,
      local_ts timestamp,
      day date,
      doc jsonb,
      payload bytea,
      label text,
      flag boolean,
      uid uuid,
      tags text[]
    )`);
  await pgQuery(`INSERT INTO "${schema}"."${table}"
    SELECT g,
      CASE WHEN g % 11 = 0 THEN NULL ELSE round((g * 1.2345)::numeric, 4) END,
      CASE WHEN g % 13 = 0 THEN NULL ELSE g / 7.0 END,
      (g % 32000)::int,
      CASE WHEN g % 17 = 0 THEN NULL ELSE timestamptz '2020-01-01 00:00:00+00' + (g * interval '1.000123 second') END,
      timestamp '2021-06-01 12:00:00' + (g * interval '1 minute'),
      date '2000-01-01' + (g % 9000),
      CASE WHEN g % 19 = 0 THEN NULL ELSE jsonb_build_object('n', g, 'name', 'ünïcødé-' || g, 'nested', jsonb_build_object('a', array[g, g+1]), 'ok', g % 2 = 0) END,
      CASE WHEN g % 23 = 0 THEN NULL ELSE decode(md5(g::text), 'hex') END,
      CASE WHEN g % 29 = 0 THEN NULL ELSE 'row ' || g || E' — 日本語 \\ tab\\there "quoted" ' || repeat('x', g % 50) END,
      CASE WHEN g % 31 = 0 THEN NULL ELSE g % 2 = 0 END,
      md5(g::text)::uuid,
      CASE WHEN g % 37 = 0 THEN NULL ELSE array['a' || g, 'b,c', 'd"e'] END
    FROM generate_series(1, ${rows}) g`);
  await pgQuery(`ANALYZE "${schema}"."${table}"`);
}

/** Rows in one table and not the other, both ways: 0 means equal as sets of full rows. */
export async function rowDiff(a: string, b: string): Promise<{ onlyA: number; onlyB: number }> {
  const [r] = await pgQuery<{ only_a: string; only_b: string }>(
    `SELECT (SELECT count(*) FROM (SELECT * FROM ${a} EXCEPT ALL SELECT * FROM ${b}) x) AS only_a,
            (SELECT count(*) FROM (SELECT * FROM ${b} EXCEPT ALL SELECT * FROM ${a}) y) AS only_b`,
  );
  return { onlyA: Number(r!.only_a), onlyB: Number(r!.only_b) };
}

/** A plain keyed table, fast to seed, for tests about control flow rather than types. */
export async function createSimpleSource(schema: string, table: string, rows: number): Promise<void> {
  await ensureSchema(schema);
  await pgQuery(`DROP TABLE IF EXISTS "${schema}"."${table}"`);
  await pgQuery(`CREATE TABLE "${schema}"."${table}" (id bigint PRIMARY KEY, n integer NOT NULL, payload text)`);
  await pgQuery(`INSERT INTO "${schema}"."${table}" SELECT g, g % 1000, md5(g::text) || repeat('p', 100) FROM generate_series(1, ${rows}) g`);
  await pgQuery(`ANALYZE "${schema}"."${table}"`);
}

/**
 * A target created ahead of the migration with a `_writes` column a trigger bumps on every upsert
 * of an existing row: after a run, sum(_writes - 1) is exactly how many rows were written twice.
 */
export async function createCountingTarget(schema: string, table: string): Promise<void> {
  await pgQuery(`CREATE TABLE "${schema}"."${table}" (id bigint PRIMARY KEY, n integer NOT NULL, payload text, _writes integer NOT NULL DEFAULT 1)`);
  await pgQuery(`CREATE OR REPLACE FUNCTION "${schema}".dm_count_writes() RETURNS trigger LANGUAGE plpgsql AS
    $$ BEGIN NEW._writes := OLD._writes + 1; RETURN NEW; END $$`);
  await pgQuery(`CREATE TRIGGER count_writes BEFORE UPDATE ON "${schema}"."${table}" FOR EACH ROW EXECUTE FUNCTION "${schema}".dm_count_writes()`);
}

export const countRows = async (qualified: string) => Number((await pgQuery<{ n: string }>(`SELECT count(*) AS n FROM ${qualified}`))[0]!.n);
