import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { parsed, runMigration } from '../helpers/cross';
import { createTable, dropTable, dynamoConnectionSpec, dynamoEndpoint, dynamoUp, putItems, scanAll, withDynamo } from '../helpers/dynamodb';
import { uniqueSuffix } from '../helpers/env';
import { createMixedSource, pgQuery } from '../helpers/pg';
import { startHarness, type TemporalHarness } from '../helpers/temporal';

const ROWS = Number(process.env.DYNAMO_CROSS_ROWS ?? 5_000);
const SCHEMA = 'dm_test';
const ddb = (table: string) => ({ type: 'dynamodb' as const, connection: dynamoConnectionSpec(), table });
const pg = (table: string) => ({ type: 'postgres' as const, connection: { url: { env: 'PG_URL' } }, schema: SCHEMA, table });

type Item = Record<string, AttributeValue>;

/** Items with every attribute type: sets of each kind, nested maps holding lists and sets, binary, booleans, NULL, a 38-digit number. */
function richItems(n: number): Item[] {
  return Array.from({ length: n }, (_, i) => ({
    tenant: { S: `t${i % 7}` },
    seq: { N: String(i) },
    name: { S: `naïve ${i} 🙂` }, // a reserved word as attribute name
    status: { S: i % 2 ? 'open' : 'closed' }, // another one
    tags: { SS: [`a${i}`, 'b', 'c d'] },
    scores: { NS: ['1', '2.5', String(i + 1000), '12345678901234567890123456789012345678'] },
    blobs: { BS: [Buffer.from([i % 256, 0, 255]), Buffer.from('x')] },
    data: {
      M: {
        level: { N: String(i % 5) },
        // Sets keep their kind at any depth of maps; inside lists they would become lists (docs: limits).
        inner: {
          M: {
            ok: { BOOL: i % 3 === 0 },
            nothing: { NULL: true },
            list: { L: [{ S: 'x' }, { N: '1.25' }, { M: { deep: { S: 'p' } } }] },
            deep: { M: { set: { SS: ['p', 'q'] } } },
          },
        },
        labels: { SS: ['m1', 'm2'] },
      },
    },
    raw: { B: Buffer.from(`bytes-${i}`) },
    amount: { N: i % 10 === 0 ? '-0.0000000000000000000000000000000000001' : `${i}.25` },
    ...(i % 4 === 0 ? { extra_only_sometimes: { S: 'rare' } } : {}),
  }));
}

const sortItems = (items: Item[]) =>
  [...items].sort((a, b) => (a.tenant!.S! + a.seq!.N!.padStart(8, '0') < b.tenant!.S! + b.seq!.N!.padStart(8, '0') ? -1 : 1));
/** Sets are unordered: compare them sorted. */
function normalize(v: unknown): unknown {
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (Array.isArray(v)) return v.map(normalize);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) out[k] = ['SS', 'NS', 'BS'].includes(k) ? (normalize(x) as string[]).sort() : normalize(x);
    return out;
  }
  return v;
}

describe('DynamoDB cross pairs through the real workflow', () => {
  let h: TemporalHarness;
  let up = false;
  const tables: string[] = [];
  const pgTables: string[] = [];
  beforeAll(async () => {
    up = await dynamoUp();
    if (up) h = await startHarness('ddb-cross');
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
    if (up) await withDynamo(async (c) => Promise.all(tables.map((t) => dropTable(c, t))));
    for (const t of pgTables) await pgQuery(`DROP TABLE IF EXISTS ${SCHEMA}.${t}`).catch(() => undefined);
  }, 120_000);

  const run = (name: string, spec: Parameters<typeof parsed>[0]) => runMigration(h, name, spec);
  const skip = () => {
    if (!up) console.warn(`SKIPPED: no DynamoDB API server at ${dynamoEndpoint} (bash scripts/stack.sh up dynamodb)`);
    return !up;
  };

  test(`PostgreSQL → DynamoDB (${ROWS} mixed rows) validated; then DynamoDB → PostgreSQL validated and equal to the source`, async () => {
    if (skip()) return;
    const src = `ddb_src_${uniqueSuffix()}`;
    const mid = `ddb_mid_${uniqueSuffix()}`;
    const back = `ddb_back_${uniqueSuffix()}`;
    tables.push(mid);
    pgTables.push(src, back);
    await createMixedSource(SCHEMA, src, ROWS);
    const there = await run('pg2ddb', { name: `pg2ddb-${mid}`, source: pg(src), target: ddb(mid), batchSize: 500, parallelism: 2, partitions: 4 });
    expect(there).toMatchObject({ status: 'completed', rows: ROWS, quarantined: 0, validation: { status: 'match' } });
    const items = await withDynamo((c) => scanAll(c, mid));
    const item = items.find((i) => i.id!.N === '40')!;
    expect(item.amount).toEqual({ N: '49.38' }); // numeric(14,4) 49.3800 → exact N (DynamoDB keeps no trailing zeros)
    expect(item.uid!.S).toMatch(/^[0-9a-f-]{36}$/);
    expect(item.doc!.M!.nested!.M!.a).toEqual({ L: [{ N: '40' }, { N: '41' }] });
    expect(Buffer.from(item.payload!.B!).length).toBe(16);
    expect(item.tags).toEqual({ S: '{a40,"b,c","d\\"e"}' }); // the PostgreSQL connector reads text[] as its array text
    expect('doc' in items.find((i) => i.id!.N === '38')!).toBe(false); // nulls are left out, not stored as NULL

    // Back: the DynamoDB table is schemaless; the types come from the sample (all items), so nothing is unknown:
    // onUnknownField drop keeps the pre-created table free of an _extra column.
    await pgQuery(`CREATE TABLE ${SCHEMA}.${back} (LIKE ${SCHEMA}.${src})`);
    await pgQuery(`ALTER TABLE ${SCHEMA}.${back} ADD PRIMARY KEY (id)`);
    const home = await run('ddb2pg', {
      name: `ddb2pg-${back}`,
      source: { ...ddb(mid), sampleSize: ROWS },
      target: pg(back),
      batchSize: 500,
      parallelism: 2,
      partitions: 3,
      onUnknownField: 'drop',
    });
    expect(home).toMatchObject({ status: 'completed', rows: ROWS, quarantined: 0, validation: { status: 'match' } });
    const [diff] = await pgQuery<{ a: string; b: string }>(
      `SELECT (SELECT count(*) FROM (SELECT * FROM ${SCHEMA}.${src} EXCEPT ALL SELECT * FROM ${SCHEMA}.${back}) x) AS a,
              (SELECT count(*) FROM (SELECT * FROM ${SCHEMA}.${back} EXCEPT ALL SELECT * FROM ${SCHEMA}.${src}) y) AS b`,
    );
    expect(diff).toEqual({ a: '0', b: '0' });
  }, 600_000);

  test('DynamoDB → DynamoDB: sets, nested maps, binary, 38-digit numbers and attributes outside the sample kept exactly (composite key)', async () => {
    if (skip()) return;
    const src = `ddb_rich_${uniqueSuffix()}`;
    const dst = `ddb_copy_${uniqueSuffix()}`;
    tables.push(src, dst);
    const items = richItems(600);
    await withDynamo(async (c) => {
      await createTable(c, src, [
        ['tenant', 'S'],
        ['seq', 'N'],
      ]);
      await putItems(c, src, items);
    });
    // A sample of 50 misses most of the rare attribute: it travels in _extra and is spread back.
    const report = await run('ddb2ddb', {
      name: `ddb2ddb-${dst}`,
      source: { ...ddb(src), sampleSize: 50 },
      target: ddb(dst),
      batchSize: 100,
      parallelism: 2,
      partitions: 3,
    });
    expect(report).toMatchObject({ status: 'completed', rows: 600, quarantined: 0, validation: { status: 'match' } });
    const copied = await withDynamo((c) => scanAll(c, dst));
    expect(normalize(sortItems(copied))).toEqual(normalize(sortItems(items)));
  }, 600_000);
});
