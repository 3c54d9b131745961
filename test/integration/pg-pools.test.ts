import { getConnector } from '../../src/connectors/registry';
import { logger } from '../../src/logging';
import type { ConnectorSession } from '../../src/connectors/contract';
import { endIdlePools, givePool, idlePoolCount, MAX_IDLE_POOLS, takePool } from '../../src/connectors/postgres/pools';
import type { ObjectSchema, Row } from '../../src/model/types';
import { env, uniqueSuffix } from '../helpers/env';
import { ensureSchema, pgQuery } from '../helpers/pg';

const SCHEMA = 'wt_i14_pools';

async function open(table: string): Promise<ConnectorSession> {
  const d = getConnector('postgres');
  const endpoint = d.endpointSchema.parse({ type: 'postgres', connection: { url: { env: 'PG_URL' } }, schema: SCHEMA, table });
  return d.open(endpoint, { url: env.pgUrl }, logger.child({ test: 'pg-pools' }));
}

const pid = async (pool: ReturnType<typeof takePool>) => (await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;

/** Sessions end, their pools do not: the next session to the same server uses the connections already open. */
describe('postgres pools outlive sessions', () => {
  beforeAll(() => ensureSchema(SCHEMA));
  afterAll(() => endIdlePools());

  test('a pool given back is taken by the next session to the same URL, connection and all; another URL gets its own', async () => {
    await endIdlePools();
    const first = takePool(env.pgUrl);
    const backend = await pid(first);
    givePool(env.pgUrl, first);
    expect(idlePoolCount()).toBe(1);
    const other = takePool(`${env.pgUrl}${env.pgUrl.includes('?') ? '&' : '?'}application_name=dm_other`);
    expect(other).not.toBe(first);
    await other.end();
    const again = takePool(env.pgUrl);
    expect(again).toBe(first);
    expect(await pid(again)).toBe(backend);
    expect(idlePoolCount()).toBe(0);
    givePool(env.pgUrl, again);
  });

  test(`at most ${MAX_IDLE_POOLS} pools wait; the oldest are ended`, async () => {
    await endIdlePools();
    const pools = Array.from({ length: MAX_IDLE_POOLS + 2 }, () => takePool(env.pgUrl));
    await Promise.all(pools.map(pid)); // each connected, so ending one closes a real connection
    pools.forEach((p) => givePool(env.pgUrl, p));
    expect(idlePoolCount()).toBe(MAX_IDLE_POOLS);
    await new Promise((r) => setImmediate(r));
    expect(pools.slice(0, 2).every((p) => p.ended)).toBe(true);
    expect(pools.slice(2).some((p) => p.ended)).toBe(false);
    await endIdlePools();
    expect(pools.every((p) => p.ended)).toBe(true);
  });

  test('staged upserts of two tables with different columns through the same reused connection do not collide', async () => {
    await endIdlePools();
    const wide: ObjectSchema = {
      object: 'w',
      key: ['id'],
      fields: [
        { name: 'id', type: 'int64', nullable: false },
        { name: 'a', type: 'string', nullable: true },
        { name: 'b', type: 'int32', nullable: true },
      ],
    };
    const narrow: ObjectSchema = { object: 'n', key: ['id'], fields: [wide.fields[0]!, { name: 'c', type: 'string', nullable: true }] };
    const upsertTwice = async (table: string, schema: ObjectSchema, row: (i: number, round: number) => Row) => {
      const s = await open(table);
      try {
        await s.prepare(schema);
        const batch = (round: number) => Array.from({ length: 50 }, (_, i) => row(i + 1, round));
        await s.write(schema, batch(1)); // direct COPY into the empty table
        expect((await s.write(schema, batch(2))).written).toBe(50); // keys exist: the staged upsert
      } finally {
        await s.close();
      }
    };
    const t1 = `pw_${uniqueSuffix()}`;
    const t2 = `pn_${uniqueSuffix()}`;
    await upsertTwice(t1, wide, (i, r) => ({ id: BigInt(i), a: `a${r}`, b: r }));
    expect(idlePoolCount()).toBe(1); // the second session takes this pool, and with it the first one's stage table
    await upsertTwice(t2, narrow, (i, r) => ({ id: BigInt(i), c: `c${r}` }));
    expect(await pgQuery(`SELECT count(*)::int AS n, min(a) AS a FROM ${SCHEMA}.${t1}`)).toEqual([{ n: 50, a: 'a2' }]);
    expect(await pgQuery(`SELECT count(*)::int AS n, min(c) AS c FROM ${SCHEMA}.${t2}`)).toEqual([{ n: 50, c: 'c2' }]);
    await pgQuery(`DROP TABLE ${SCHEMA}.${t1}, ${SCHEMA}.${t2}`);
  });
});
