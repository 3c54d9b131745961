import { Client, types } from 'cassandra-driver';
import { env } from './env';

export const cassandraUser = process.env.CASSANDRA_USERNAME;

/** The spec connection block for the local node: credentials as secret references when the node has auth on. */
export const cassandraConnection = () => ({
  contactPoints: env.cassandraContactPoints.split(','),
  localDataCenter: env.cassandraLocalDc,
  ...(cassandraUser ? { username: { env: 'CASSANDRA_USERNAME' }, password: { env: 'CASSANDRA_PASSWORD' } } : {}),
});

export async function withCassandra<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({
    contactPoints: env.cassandraContactPoints.split(','),
    localDataCenter: env.cassandraLocalDc,
    ...(cassandraUser ? { credentials: { username: cassandraUser, password: process.env.CASSANDRA_PASSWORD ?? '' } } : {}),
    encoding: { useBigIntAsLong: true, useBigIntAsVarint: true },
    socketOptions: { readTimeout: 120_000 },
  });
  try {
    await c.connect();
    return await fn(c);
  } finally {
    await c.shutdown();
  }
}

export const ensureKeyspace = (c: Client, ks: string) =>
  c.execute(`CREATE KEYSPACE IF NOT EXISTS ${ks} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);

export const countCassandra = (table: string) => withCassandra(async (c) => Number((await c.execute(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n));

/** Runs `fn(i)` for i in [0, n) with `lanes` in flight: seeding without exhausting the driver's request slots. */
export async function concurrently(n: number, lanes: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(lanes, n) }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

/** A source table with the CQL types the connector maps, n rows keyed by bigint id 1..n. */
export async function seedCassandraSource(ks: string, table: string, n: number): Promise<void> {
  await withCassandra(async (c) => {
    await ensureKeyspace(c, ks);
    await c.execute(`DROP TABLE IF EXISTS ${ks}.${table}`);
    await c.execute(`CREATE TABLE ${ks}.${table} (id bigint PRIMARY KEY, name text, n int, amount decimal, ratio double, at timestamp,
      day date, uid uuid, raw blob, tags list<text>, attrs map<text, int>, flag boolean)`);
    const insert = `INSERT INTO ${ks}.${table} (id, name, n, amount, ratio, at, day, uid, raw, tags, attrs, flag) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`;
    await concurrently(n, 128, (k) => {
      const i = k + 1;
      return c.execute(
        insert,
        [
          BigInt(i),
          i % 17 === 0 ? null : `row ${i} ✓ 'q'`,
          i % 1000,
          types.BigDecimal.fromString(`${i}.${String(i % 100).padStart(2, '0')}`),
          i / 3,
          new Date(Date.UTC(2021, 5, 1) + i * 1_001),
          types.LocalDate.fromString(`20${10 + (i % 15)}-0${1 + (i % 9)}-1${i % 10}`),
          types.Uuid.fromString(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`),
          Buffer.from([i & 255, 7]),
          i % 7 === 0 ? null : [`a${i}`, 'b'],
          { k: i, z: -i },
          i % 2 === 0,
        ],
        { prepare: true },
      );
    });
  });
}
