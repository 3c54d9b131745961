import { DatamigratoError } from '../../src/errors';
import { parseJobSpec } from '../../src/job/job-spec';
import { logger } from '../../src/logging';
import type { ConnectorSession } from '../../src/connectors/contract';
import { SqliteEndpointSchema } from '../../src/connectors/sqlite/spec';
import { openSqlite } from '../../src/connectors/sqlite/session';
import { declaredTypeOf, detectEncoding } from '../../src/connectors/sqlite/types';
import type { KeyRange, ObjectSchema, Row, RowBatch } from '../../src/model/types';
import { BASE_MS, CHINOOK_QUERY, seedChinook, seedOrders, sqliteDir, withSqlite } from '../helpers/sqlite';

const log = logger.child({ test: 'sqlite' });
const dir = sqliteDir('sqlite-connector');
const sessions: ConnectorSession[] = [];
afterAll(async () => {
  await Promise.all(sessions.map((s) => s.close()));
  dir.remove();
});

async function open(path: string, endpoint: Record<string, unknown>): Promise<ConnectorSession> {
  const e = SqliteEndpointSchema.parse({ type: 'sqlite', connection: { path: { env: 'SOME_SQLITE_PATH' } }, ...endpoint });
  const s = await openSqlite(e, { path }, log);
  sessions.push(s);
  return s;
}

async function readAll(s: ConnectorSession, schema: ObjectSchema, range: KeyRange, after: RowBatch['cursor'] | null = null, batch = 97) {
  const rows: Row[] = [];
  const rejected: { row: Row; error: string }[] = [];
  const cursors: RowBatch['cursor'][] = [];
  for await (const b of s.read(schema, range, after, batch)) {
    rows.push(...b.rows);
    rejected.push(...(b.rejected ?? []));
    cursors.push(b.cursor);
  }
  return { rows, rejected, cursors };
}

const ALL: KeyRange = { id: 0, lower: null, upper: null };

describe('sqlite connector on real database files', () => {
  const orders = dir.file('orders');
  let drift: Set<number>;
  beforeAll(() => ({ drift } = seedOrders(orders, 'orders', 5_000)));

  test('declared types map by affinity rules, as a table', () => {
    expect(
      [
        'INTEGER',
        'BIGINT',
        'INT8',
        'REAL',
        'DOUBLE PRECISION',
        'FLOAT',
        'NVARCHAR(120)',
        'CLOB',
        'BLOB',
        '',
        'NUMERIC(10,2)',
        'DECIMAL',
        'BOOLEAN',
        'JSON',
        'UUID',
        'DATE',
        'DATETIME',
        'TIMESTAMP',
        'STRANGE',
      ].map(declaredTypeOf),
    ).toEqual([
      'int64',
      'int64',
      'int64',
      'float64',
      'float64',
      'float64',
      'string',
      'string',
      'bytes',
      'bytes',
      'decimal',
      'decimal',
      'boolean',
      'json',
      'uuid',
      'date',
      'datetime',
      'datetime',
      'decimal',
    ]);
  });

  test('describe: neutral types, nullability, primary key, date encodings detected and shown in nativeType', async () => {
    const s = await open(orders, { table: 'orders' });
    const schema = (await s.describe())!;
    expect(schema.key).toEqual(['id']);
    const byName = Object.fromEntries(schema.fields.map((f) => [f.name, [f.type, f.nativeType]]));
    expect(byName).toEqual({
      id: ['int64', 'INTEGER'],
      n: ['int64', 'INTEGER'],
      label: ['string', 'TEXT'],
      price: ['decimal', 'DECIMAL(12,2)'],
      ratio: ['float64', 'REAL'],
      flag: ['boolean', 'BOOLEAN'],
      doc: ['json', 'JSON'],
      raw: ['bytes', 'BLOB'],
      uid: ['uuid', 'UUID'],
      created: ['timestamp', 'DATETIME (iso)'],
      touched_ms: ['timestamptz', 'DATETIME (epochMillis)'],
      jd: ['timestamptz', 'TIMESTAMP (julianDay)'],
      day: ['date', 'DATE (iso)'],
    });
    expect(schema.fields.find((f) => f.name === 'id')!.nullable).toBe(false);
    expect(await (await open(orders, { table: 'missing' })).describe()).toBeNull();
  });

  test('date detection of the four encodings, and the values they read as', async () => {
    const path = dir.file('dates');
    withSqlite(path, (db) => {
      db.exec('CREATE TABLE d (id INTEGER PRIMARY KEY, iso DATETIME, secs DATETIME, ms DATETIME, jd DATETIME, epoch INTEGER)');
      const ms = Date.UTC(2024, 1, 29, 12, 30, 15, 250);
      db.prepare('INSERT INTO d VALUES (1, ?, ?, ?, ?, ?)').run(
        '2024-02-29 12:30:15.250',
        ms / 1000,
        BigInt(ms),
        2440587.5 + ms / 86_400_000,
        BigInt((ms / 1000) | 0),
      );
    });
    expect([['2024-01-01'], [1.7e9], [1.7e12], [2460000.5], []].map(detectEncoding)).toEqual(['iso', 'epochSeconds', 'epochMillis', 'julianDay', 'iso']);
    const s = await open(path, { table: 'd', dateColumns: { epoch: 'epochSeconds' } });
    const schema = (await s.describe())!;
    expect(schema.fields.map((f) => f.nativeType)).toEqual([
      'INTEGER',
      'DATETIME (iso)',
      'DATETIME (epochSeconds)',
      'DATETIME (epochMillis)',
      'DATETIME (julianDay)',
      'INTEGER (epochSeconds)',
    ]);
    const { rows } = await readAll(s, schema, ALL);
    expect(rows[0]).toEqual({
      id: 1n,
      iso: '2024-02-29T12:30:15.250',
      secs: '2024-02-29T12:30:15.250Z',
      ms: '2024-02-29T12:30:15.250Z',
      jd: '2024-02-29T12:30:15.250Z',
      epoch: '2024-02-29T12:30:15.000Z',
    });
  });

  test('drift: text or a real in an INTEGER column, a blob in a TEXT column → rejected records naming the column and storage class', async () => {
    const s = await open(orders, { table: 'orders' });
    const schema = (await s.describe())!;
    const { rows, rejected } = await readAll(s, schema, ALL, null, 500);
    expect(rows.length + rejected.length).toBe(5_000);
    expect(rejected.map((r) => Number(r.row.id)).sort((a, b) => a - b)).toEqual([...drift].sort((a, b) => a - b));
    const errorOf = (id: number) => rejected.find((r) => Number(r.row.id) === id)!.error;
    expect(errorOf(997)).toBe('column "n" (INTEGER) holds a text value ("toto"): expected integer for int64');
    expect(errorOf(1009)).toBe('column "n" (INTEGER) holds a real value ("1.5"): expected integer for int64');
    expect(errorOf(1499)).toBe('column "label" (TEXT) holds a blob value (3 bytes): expected text or integer or real for string');
    // Never silently 0 or null: no accepted row carries a value of the wrong type.
    expect(rows.every((r) => typeof r.n === 'bigint' && (r.label === null || typeof r.label === 'string'))).toBe(true);
    const r2 = rows.find((r) => r.id === 2n)!;
    expect(r2).toMatchObject({ price: '2.02', flag: false, doc: { i: 2, tags: ['a', 2] }, uid: '00000000-0000-4000-8000-000000000002', day: '2023-01-01' });
    expect(r2.touched_ms).toBe(new Date(BASE_MS + 2_000).toISOString());
    expect(r2.created).toBe('2023-01-01T00:00:02');
  });

  test('partitions on an integer key are disjoint and complete', async () => {
    const s = await open(orders, { table: 'orders' });
    const schema = (await s.describe())!;
    const ranges = await s.planPartitions(schema, 4);
    expect(ranges).toHaveLength(4);
    const seen: number[] = [];
    for (const r of ranges) {
      const { rows, rejected } = await readAll(s, schema, r, null, 700);
      seen.push(...[...rows, ...rejected.map((x) => x.row)].map((x) => Number(x.id)));
    }
    expect(seen).toHaveLength(5_000);
    expect(new Set(seen).size).toBe(5_000);
  });

  test('text and composite keys: sampled partitions disjoint and complete, keyset resume from a mid cursor', async () => {
    const path = dir.file('composite');
    withSqlite(path, (db) => {
      db.exec('CREATE TABLE ev (device TEXT NOT NULL, seq INTEGER NOT NULL, v REAL, PRIMARY KEY (device, seq)) WITHOUT ROWID');
      const ins = db.prepare('INSERT INTO ev VALUES (?, ?, ?)');
      for (let d = 0; d < 37; d++) for (let q = 1; q <= 50; q++) ins.run(`dev-${String(d).padStart(3, '0')}`, BigInt(q), d + q / 100);
    });
    const s = await open(path, { table: 'ev' });
    const schema = (await s.describe())!;
    expect(schema.key).toEqual(['device', 'seq']);
    const ranges = await s.planPartitions(schema, 5);
    expect(ranges.length).toBeGreaterThan(2);
    const keys: string[] = [];
    for (const r of ranges) keys.push(...(await readAll(s, schema, r, null, 33)).rows.map((x) => `${x.device}/${x.seq}`));
    expect(keys).toHaveLength(37 * 50);
    expect(new Set(keys).size).toBe(37 * 50);
    const whole = await readAll(s, schema, ALL, null, 100);
    const mid = whole.cursors[7]!;
    expect(mid).toEqual([whole.rows[799]!.device, '50']);
    const resumed = await readAll(s, schema, ALL, mid, 100);
    expect(resumed.rows.map((x) => `${x.device}/${x.seq}`)).toEqual(whole.rows.slice(800).map((x) => `${x.device}/${x.seq}`));
  });

  test('single key resume from a mid cursor (int64 as decimal text) skips exactly what was read', async () => {
    const s = await open(orders, { table: 'orders' });
    const schema = (await s.describe())!;
    const first = s.read(schema, ALL, null, 1_000)[Symbol.asyncIterator]();
    const b1 = (await first.next()).value as RowBatch;
    expect(b1.cursor).toBe('1000');
    const rest = await readAll(s, schema, ALL, b1.cursor, 1_000);
    expect(Number(rest.rows[0]!.id)).toBe(1001);
    expect(rest.rows.length + rest.rejected.length).toBe(4_000);
  });

  test('a rowid table without a primary key is keyed by rowid', async () => {
    const path = dir.file('rowid');
    withSqlite(path, (db) => db.exec("CREATE TABLE t (a TEXT, b INTEGER); INSERT INTO t VALUES ('x', 1), ('y', 2), ('z', 3)"));
    const s = await open(path, { table: 't' });
    const schema = (await s.describe())!;
    expect(schema.key).toEqual(['rowid']);
    expect(schema.fields[0]).toMatchObject({ name: 'rowid', type: 'int64', nativeType: 'INTEGER (rowid)' });
    expect((await readAll(s, schema, ALL, '1')).rows).toEqual([
      { rowid: 2n, a: 'y', b: 2n },
      { rowid: 3n, a: 'z', b: 3n },
    ]);
  });

  test('query source: described from the statement columns, read by keyset over the subquery; never a target', async () => {
    const path = dir.file('chinook');
    seedChinook(path, 500);
    const s = await open(path, { query: CHINOOK_QUERY, key: 'TrackId' });
    const schema = (await s.describe())!;
    expect(schema.fields.map((f) => [f.name, f.type])).toEqual([
      ['TrackId', 'int64'],
      ['TrackName', 'string'],
      ['AlbumTitle', 'string'],
      ['ArtistName', 'string'],
      ['Milliseconds', 'int64'],
      ['UnitPrice', 'decimal'],
      ['Seconds', 'int64'],
    ]);
    const ranges = await s.planPartitions(schema, 3);
    let total = 0;
    for (const r of ranges) total += (await readAll(s, schema, r, null, 64)).rows.length;
    expect(total).toBe(500);
    const { rows } = await readAll(s, schema, ALL, '41', 2);
    expect(rows[0]).toEqual({
      TrackId: 42n,
      TrackName: 'Track 42',
      AlbumTitle: 'Album 42',
      ArtistName: 'Artist 2',
      Milliseconds: 180_042n,
      UnitPrice: '0.99',
      Seconds: 180n,
    });
    await expect(s.prepare(schema)).rejects.toThrow(/target\.query: a query source cannot be a target/);
  });

  test('spec: exactly one of table or query, key required with a query, the path only as a reference', () => {
    const base = { type: 'sqlite', connection: { path: { env: 'P' } } };
    const issues = (e: unknown) => (SqliteEndpointSchema.safeParse(e).error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues({ ...base, table: 't', query: 'select 1', key: 'a' })).toEqual(['query: give exactly one of table or query']);
    expect(issues({ ...base })).toEqual(['table: give exactly one of table or query']);
    expect(issues({ ...base, query: 'select 1 as a' })).toEqual(['key: a query source needs key: the column(s) unique per result row, to read it by keyset']);
    expect(issues({ ...base, connection: { path: '/tmp/x.db' }, table: 't' })[0]).toMatch(/secret reference/);
    const job = parseJobSpec({ name: 'j', source: { ...base, table: 't' }, target: { ...base, table: 'u' } });
    expect(job.ok).toBe(true);
  });

  test('a missing source file is a ConfigError naming the reference, not the path', async () => {
    const path = dir.file('nowhere');
    const s = await open(path, { table: 't' });
    const err = (await s.describe().catch((e) => e)) as DatamigratoError;
    expect(err.kind).toBe('ConfigError');
    expect(err.message).toContain('connection.path {"env":"SOME_SQLITE_PATH"}');
    expect(err.message).not.toContain(path);
  });

  test('target: created from the schema, upserts idempotent, constraint refusals rejected alone, dead letters stored', async () => {
    const path = dir.file('target');
    const s = await open(path, { table: 'out' });
    const schema: ObjectSchema = {
      object: 'x',
      key: ['k1', 'k2'],
      fields: [
        { name: 'k1', type: 'string', nullable: false },
        { name: 'k2', type: 'int64', nullable: false },
        { name: 'amount', type: 'decimal', nullable: true },
        { name: 'at', type: 'timestamptz', nullable: true },
        { name: 'doc', type: 'json', nullable: true },
        { name: 'ok', type: 'boolean', nullable: true },
        { name: 'raw', type: 'bytes', nullable: true },
      ],
    };
    await s.prepare(schema);
    const rows: Row[] = [
      { k1: 'a', k2: 1n, amount: '12345678901234567890.10', at: '2024-01-02T03:04:05.123456Z', doc: { x: [1, 2] }, ok: true, raw: Buffer.from([0, 255]) },
      { k1: 'a', k2: 2n, amount: null, at: null, doc: null, ok: false, raw: null },
    ];
    expect(await s.write(schema, rows)).toEqual({ written: 2, rejected: [] });
    expect(await s.write(schema, rows)).toEqual({ written: 2, rejected: [] });
    const back = await open(path, { table: 'out' });
    const described = (await back.describe())!;
    expect(described.key).toEqual(['k1', 'k2']);
    expect(described.fields.map((f) => [f.name, f.type, f.nativeType])).toEqual([
      ['k1', 'string', 'TEXT'],
      ['k2', 'int64', 'INTEGER'],
      ['amount', 'decimal', 'DECIMAL_TEXT'],
      ['at', 'timestamptz', 'TIMESTAMPTZ_TEXT (iso)'],
      ['doc', 'json', 'JSON_TEXT'],
      ['ok', 'boolean', 'BOOLEAN'],
      ['raw', 'bytes', 'BLOB'],
    ]);
    const { rows: read } = await readAll(back, schema, ALL);
    expect(read).toEqual(rows); // decimals keep every digit, timestamps their microseconds
    // A NOT NULL refusal on one row leaves the rest of the batch written.
    const bad = await s.write(schema, [
      { k1: 'b', k2: 1n },
      { k1: null, k2: 2n },
      { k1: 'b', k2: 3n },
    ] as Row[]);
    expect(bad.written).toBe(2);
    expect(bad.rejected).toHaveLength(1);
    expect(bad.rejected[0]!.error).toMatch(/NOT NULL constraint failed: out\.k1 \(SQLITE_CONSTRAINT_NOTNULL\)/);
    await s.quarantine([
      { job: 'j', runId: 'r', partition: 0, key: '["x",1]', record: { k1: 'x', k2: 1n, raw: Buffer.from([1]) }, error: 'boom', stage: 'read' },
    ]);
    withSqlite(path, (db) => {
      expect(db.prepare('SELECT count(*) AS n FROM out').get()).toEqual({ n: 4 });
      expect(db.prepare('SELECT record_key, stage, error, record, target_table FROM _datamigrato_dead_letters').all()).toEqual([
        { record_key: '["x",1]', stage: 'read', error: 'boom', record: expect.stringContaining('"k1":"x"'), target_table: 'out' },
      ]);
    });
  });
});
