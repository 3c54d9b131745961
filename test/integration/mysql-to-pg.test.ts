import { uniqueSuffix } from '../helpers/env';
import { createMixedSource, ensureSchema, pgQuery, rowDiff } from '../helpers/pg';
import { mq, mysqlQuery, withMysql } from '../helpers/mysql';
import { startHarness, type TemporalHarness } from '../helpers/temporal';
import { parsed, runMigration } from '../helpers/cross';

/**
 * Issue 11, acceptance 2: a MySQL (MariaDB 10.11) table over the whole type list → PostgreSQL through a real
 * Temporal workflow, compared by PostgreSQL itself (EXCEPT ALL against a table of expected values inserted
 * in PG), zero dates reported, validation match. Then PostgreSQL → MySQL of the mixed-type table, both write modes.
 */
const PG_SCHEMA = 'dm_test';
const MY_DB = 'dm_test';
const TENANTS = ['acme', 'globex', 'initech']; // lowercase ASCII: same order under utf8mb4_general_ci and C
const PER_TENANT = 200;
const ROWS = Number(process.env.MYSQL_CROSS_ROWS ?? 20_000);
const SESSION_TZ = '+05:30'; // the inserting session's zone: TIMESTAMP converts from it, DATETIME does not

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const fmt = (ms: number, micros: number) => {
  const d = new Date(ms);
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(micros, 6)}`;
};

interface Case {
  mysql: unknown[]; // values for the MySQL INSERT, in column order (null = NULL)
  pg: unknown[]; // the values PostgreSQL should end up holding
  zeroDates: number;
}

const COLUMNS = [
  // name, MySQL type, PostgreSQL type the connector should create
  ['tenant', 'varchar(20) NOT NULL', 'text'],
  ['seq', 'int unsigned NOT NULL', 'bigint'],
  ['flag', 'tinyint(1)', 'boolean'],
  ['u_int', 'int unsigned', 'bigint'],
  ['u_big', 'bigint unsigned', 'numeric'],
  ['s_big', 'bigint', 'bigint'],
  ['zd', 'date', 'date'],
  ['zdt', 'datetime', 'timestamp without time zone'],
  ['mood', "enum('happy','sad','meh')", 'text'],
  ['perms', "set('read','write','exec')", 'jsonb'],
  ['doc', 'json', 'jsonb'],
  ['amount', 'decimal(38,10)', 'numeric'],
  ['local_dt', 'datetime(6)', 'timestamp without time zone'],
  ['instant', 'timestamp(6) NULL', 'timestamp with time zone'],
  ['latin', 'varchar(60) CHARACTER SET latin1', 'text'],
  ['b1', 'bit(1)', 'boolean'],
  ['b8', 'bit(8)', 'bigint'],
  ['yr', 'year', 'integer'],
  ['bin', 'binary(4)', 'bytea'],
  ['blb', 'blob', 'bytea'],
  ['f', 'double', 'double precision'],
  ['tm', 'time', 'text'],
] as const;

function caseOf(tenant: string, i: number): Case {
  if (i === PER_TENANT) {
    // nulls in every column but the key
    const nulls = COLUMNS.slice(2).map(() => null);
    return { mysql: [tenant, i, ...nulls], pg: [tenant, i, ...nulls], zeroDates: 0 };
  }
  const flagRaw = i % 3 === 0 ? null : i % 5 === 0 ? 2 : i % 2; // tinyint(1) holding 2 is still "true"
  const zeroD = i % 7 === 0;
  const zeroDt = i % 11 === 0;
  const day = new Date(Date.UTC(2000, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);
  const dt = fmt(Date.UTC(2010, 4, 6, 7, 8, 9) + i * 1000, 0).slice(0, 19);
  const sets = ['', 'read', 'write,exec', 'read,write,exec'][i % 4]!;
  const doc = { i, name: `ünï-${i}`, nested: { arr: [i, 2.5, null, 'x'] }, ok: i % 2 === 0 };
  const amount = `${i % 2 ? '-' : ''}${String(i).padStart(28, '9')}.${String(i * 7).padStart(10, '0')}`;
  const wallMs = Date.UTC(2024, 2, 10, 8, 0, 0) + i * 60_000;
  const micros = (i * 123_457) % 1_000_000;
  const wall = fmt(wallMs, micros);
  const utc = fmt(wallMs - (5 * 60 + 30) * 60_000, micros);
  const latin = `café crème brûlée ñ Ü ß ${i}`;
  const bin = Buffer.from([i % 256, 255, 16]);
  const blob = Buffer.from(Array.from({ length: i % 50 }, (_, j) => (i * j) % 256));
  const tm = `${i % 2 ? '-' : ''}${pad(i % 839)}:34:56`;
  const sBig = i % 2 ? (-9223372036854775808n + BigInt(i)).toString() : (9223372036854775807n - BigInt(i)).toString();
  return {
    mysql: [
      tenant,
      i,
      flagRaw,
      4294967295 - i,
      (18446744073709551615n - BigInt(i)).toString(),
      sBig,
      zeroD ? '0000-00-00' : day,
      zeroDt ? '0000-00-00 00:00:00' : dt,
      i % 13 === 0 ? null : ['happy', 'sad', 'meh'][i % 3],
      sets,
      JSON.stringify(doc),
      amount,
      wall,
      wall,
      latin,
      i % 2,
      i % 256,
      1901 + (i % 255),
      bin,
      blob,
      i / 7,
      tm,
    ],
    pg: [
      tenant,
      i,
      flagRaw === null ? null : flagRaw !== 0,
      4294967295 - i,
      (18446744073709551615n - BigInt(i)).toString(),
      sBig,
      zeroD ? null : day,
      zeroDt ? null : dt,
      i % 13 === 0 ? null : ['happy', 'sad', 'meh'][i % 3],
      JSON.stringify(sets ? sets.split(',') : []),
      JSON.stringify(doc),
      amount,
      wall,
      `${utc}+00`,
      latin,
      i % 2 === 1,
      i % 256,
      1901 + (i % 255),
      Buffer.concat([bin, Buffer.alloc(1)]),
      blob,
      i / 7,
      tm,
    ],
    zeroDates: (zeroD ? 1 : 0) + (zeroDt ? 1 : 0),
  };
}

async function seedMysqlTypes(table: string): Promise<{ rows: number; zeroDates: number }> {
  const cases = TENANTS.flatMap((t) => Array.from({ length: PER_TENANT }, (_, k) => caseOf(t, k + 1)));
  await withMysql(
    async (c) => {
      // A lax sql_mode, as the legacy applications that wrote zero dates had.
      await c.query(`SET sql_mode = ''`);
      await c.query(`DROP TABLE IF EXISTS ${mq(MY_DB)}.${mq(table)}`);
      await c.query(`CREATE TABLE ${mq(MY_DB)}.${mq(table)} (${COLUMNS.map(([n, t]) => `${mq(n)} ${t}`).join(', ')}, PRIMARY KEY (tenant, seq))
      ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
      const cols = COLUMNS.map(([n]) => mq(n)).join(', ');
      // bit columns take numbers; everything else as the driver escapes it (Buffers as X'…').
      await c.query(`INSERT INTO ${mq(MY_DB)}.${mq(table)} (${cols}) VALUES ?`, [cases.map((x) => x.mysql)]);
    },
    { timezone: SESSION_TZ },
  );
  return { rows: cases.length, zeroDates: cases.reduce((n, x) => n + x.zeroDates, 0) };
}

async function createExpected(table: string): Promise<void> {
  await ensureSchema(PG_SCHEMA);
  await pgQuery(`DROP TABLE IF EXISTS ${PG_SCHEMA}.${table}`);
  await pgQuery(`CREATE TABLE ${PG_SCHEMA}.${table} (${COLUMNS.map(([n, , pg]) => `${n} ${pg}`).join(', ')})`);
  const cases = TENANTS.flatMap((t) => Array.from({ length: PER_TENANT }, (_, k) => caseOf(t, k + 1)));
  for (let i = 0; i < cases.length; i += 100) {
    const params: unknown[] = [];
    const tuples = cases.slice(i, i + 100).map((x) => `(${x.pg.map((v) => `$${params.push(v)}`).join(', ')})`);
    await pgQuery(`INSERT INTO ${PG_SCHEMA}.${table} VALUES ${tuples.join(', ')}`, params);
  }
}

describe('MySQL (MariaDB 10.11) ↔ PostgreSQL on the real dev server', () => {
  let h: TemporalHarness;
  const drops: (() => Promise<unknown>)[] = [];
  beforeAll(async () => (h = await startHarness('mysql')), 60_000);
  afterAll(async () => {
    await h?.stop();
    for (const d of drops) await d().catch(() => undefined);
  }, 120_000);

  const run = (name: string, spec: Parameters<typeof parsed>[0]) => runMigration(h, name, spec);

  test('MySQL → PostgreSQL: every MySQL type, composite key, zero dates; PostgreSQL finds no difference (EXCEPT ALL)', async () => {
    const src = `types_src_${uniqueSuffix()}`;
    const table = `from_mysql_${uniqueSuffix()}`;
    drops.push(() => mysqlQuery(`DROP TABLE IF EXISTS ${mq(MY_DB)}.${mq(src)}`));
    const seeded = await seedMysqlTypes(src);
    await createExpected(`${table}_expected`);
    const report = await run('mysql2pg', {
      name: `mysql2pg-${table}`,
      source: { type: 'mysql', connection: { url: { env: 'MYSQL_URL' } }, table: src },
      target: { type: 'postgres', connection: { url: { env: 'PG_URL' } }, schema: PG_SCHEMA, table },
      batchSize: 100,
      parallelism: 2,
      partitions: 3,
    });
    console.log(`zero dates in the source: ${seeded.zeroDates}; report.droppedFields: ${report.droppedFields}`);
    expect(report.status).toBe('completed');
    expect(report.rows).toBe(seeded.rows);
    expect(report.quarantined).toBe(0);
    expect(report.droppedFields).toBe(seeded.zeroDates);
    expect(report.validation).toMatchObject({ status: 'match', source: { count: seeded.rows }, target: { count: seeded.rows }, mismatchedBuckets: [] });
    const cols = await pgQuery<{ c: string; t: string }>(
      `SELECT column_name AS c, data_type AS t FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
      [PG_SCHEMA, table],
    );
    expect(cols.map((r) => [r.c, r.t])).toEqual(COLUMNS.map(([n, , pg]) => [n, pg]));
    expect(await rowDiff(`${PG_SCHEMA}.${table}`, `${PG_SCHEMA}.${table}_expected`)).toEqual({ onlyA: 0, onlyB: 0 });
    const [spot] = await pgQuery<Record<string, unknown>>(
      `SELECT u_big::text, amount::text, instant::text, local_dt::text, latin, perms FROM ${PG_SCHEMA}.${table} WHERE tenant = 'globex' AND seq = 3`,
    );
    expect(spot).toEqual({
      u_big: '18446744073709551612',
      amount: '-9999999999999999999999999993.0000000021',
      instant: '2024-03-10 02:33:00.370371+00',
      local_dt: '2024-03-10 08:03:00.370371',
      latin: 'café crème brûlée ñ Ü ß 3',
      perms: ['read', 'write', 'exec'],
    });
  }, 300_000);

  for (const writeMode of ['upsert', 'loadData'] as const) {
    test(`PostgreSQL → MySQL (writeMode ${writeMode}): the mixed-type table, ${ROWS} rows, validated`, async () => {
      const src = `mixed_src_${uniqueSuffix()}`;
      const table = `from_pg_${writeMode}_${uniqueSuffix()}`;
      drops.push(() => pgQuery(`DROP TABLE IF EXISTS ${PG_SCHEMA}.${src}`));
      drops.push(() => mysqlQuery(`DROP TABLE IF EXISTS ${mq(MY_DB)}.${mq(table)}`));
      await createMixedSource(PG_SCHEMA, src, ROWS);
      const report = await run(`pg2mysql-${writeMode}`, {
        name: `pg2mysql-${table}`,
        source: { type: 'postgres', connection: { url: { env: 'PG_URL' } }, schema: PG_SCHEMA, table: src },
        target: { type: 'mysql', connection: { url: { env: 'MYSQL_URL' } }, database: MY_DB, table, writeMode },
        batchSize: 2_000,
        parallelism: 2,
        partitions: 4,
      });
      expect(report.status).toBe('completed');
      expect(report.rows).toBe(ROWS);
      expect(report.quarantined).toBe(0);
      expect(report.validation).toMatchObject({ status: 'match', source: { count: ROWS }, target: { count: ROWS }, mismatchedBuckets: [] });
      const cols = await mysqlQuery<{ c: string; t: string }>(
        `SELECT COLUMN_NAME AS c, COLUMN_TYPE AS t FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
        [MY_DB, table],
      );
      expect(Object.fromEntries(cols.map((r) => [r.c, r.t]))).toEqual({
        id: 'bigint(20)',
        amount: 'decimal(14,4)',
        ratio: 'double',
        small: 'int(11)',
        created_at: 'datetime(6)',
        local_ts: 'datetime(6)',
        day: 'date',
        doc: 'longtext',
        payload: 'longblob',
        label: 'longtext',
        flag: 'tinyint(1)',
        uid: 'char(36)',
        tags: 'longtext',
      });
      const [my] = await mysqlQuery<Record<string, unknown>>(
        `SELECT amount, created_at, label, HEX(payload) AS payload, uid, tags, doc FROM ${mq(MY_DB)}.${mq(table)} WHERE id = 38`,
      );
      const [pg] = await pgQuery<Record<string, unknown>>(
        `SELECT amount::text, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS created_at, label, upper(encode(payload, 'hex')) AS payload, uid::text, tags::text, doc
           FROM ${PG_SCHEMA}.${src} WHERE id = 38`,
      );
      expect({ ...my, doc: JSON.parse(my!.doc as string) }).toEqual(pg);
    }, 600_000);
  }
});
