import { promises as fs, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { populateSpec } from '../../client/populate';
import type { ConnectorSession } from '../../src/connectors/contract';
import { getConnector } from '../../src/connectors/registry';
import { readSchemaOf } from '../../src/engine/job-schema';
import type { JobSpec } from '../../src/job/job-spec';
import { logger } from '../../src/logging';
import type { ObjectSchema, Row, RowBatch } from '../../src/model/types';

/** The file connector on local files: formats, gzip, inference, bad lines, unknown fields, the target's upsert. */
const DIR = mkdtempSync(path.join(tmpdir(), 'dm-file-unit-'));
const whole = { id: 0, lower: null, upper: null };
let n = 0;

async function put(name: string, content: string | Buffer): Promise<string> {
  const p = path.join(DIR, `${n++}-${name}`);
  await fs.writeFile(p, content);
  return p;
}

const open = (url: string, extra: Record<string, unknown> = {}): Promise<ConnectorSession> => {
  const d = getConnector('file');
  return d.open(d.endpointSchema.parse({ type: 'file', url, ...extra }), {}, logger.child({ test: 'file' }));
};

async function readAll(s: ConnectorSession, schema: ObjectSchema, batch = 3) {
  const batches: RowBatch[] = [];
  for await (const b of s.read(schema, whole, null, batch)) batches.push(b);
  return {
    rows: batches.flatMap((b) => b.rows),
    rejected: batches.flatMap((b) => b.rejected ?? []),
    dropped: batches.reduce((a, b) => a + (b.droppedFields ?? 0), 0),
  };
}

const withPolicy = (schema: ObjectSchema, onUnknownField: 'json' | 'drop' | 'reject') => readSchemaOf({ onUnknownField } as JobSpec, schema);

describe('file source', () => {
  test('NDJSON: the line number is the default key; a malformed line and a non-object are rejected naming their line', async () => {
    const p = await put('a.ndjson', '{"a":1,"b":"x"}\r\n\n{"a":2,"b":"y"}\n{"a":3,"b":\n[1,2]\n{"a":4,"b":"z"}');
    const s = await open(p);
    const schema = (await s.describe())!;
    expect(schema.key).toEqual(['_line']);
    expect(schema.fields.map((f) => [f.name, f.type])).toEqual([
      ['_line', 'int64'],
      ['a', 'int32'],
      ['b', 'string'],
    ]);
    const { rows, rejected } = await readAll(s, schema);
    expect(rows).toEqual([
      { _line: 1n, a: 1, b: 'x' },
      { _line: 3n, a: 2, b: 'y' },
      { _line: 6n, a: 4, b: 'z' },
    ]);
    expect(rejected.map((r) => [r.row._line, r.error.replace(/\(.*\)/, '(…)')])).toEqual([
      [4n, 'line 4: malformed JSON (…)'],
      [5n, 'line 5: not a JSON object'],
    ]);
  });

  test('a value that does not fit its field is rejected naming the line and field; a missing key too', async () => {
    const p = await put('b.ndjson', '{"id":1,"n":5}\n{"id":2,"n":"five"}\n{"n":7}\n');
    const s = await open(p, { key: 'id', sampleSize: 1 });
    const schema = (await s.describe())!;
    const { rows, rejected } = await readAll(s, schema);
    expect(rows).toEqual([{ id: 1n, n: 5 }]);
    expect(rejected.map((r) => r.error)).toEqual([expect.stringMatching(/^line 2: field n \(int32\)/), expect.stringMatching(/^line 3: field id .*missing/)]);
  });

  test('fields the sample did not see follow onUnknownField: json → _extra, drop → counted, reject → rejected', async () => {
    const p = await put('c.ndjson', '{"id":1}\n{"id":2,"late":{"x":1}}\n');
    const s = await open(p, { key: 'id', sampleSize: 1 });
    const described = (await s.describe())!;
    expect(described.open).toBe(true);
    expect((await readAll(s, withPolicy(described, 'json'))).rows).toEqual([
      { id: 1n, _extra: null },
      { id: 2n, _extra: { late: { x: 1 } } },
    ]);
    expect((await readAll(s, withPolicy(described, 'drop'))).dropped).toBe(1);
    expect((await readAll(s, withPolicy(described, 'reject'))).rejected.map((r) => r.error)).toEqual([
      'line 2: unknown field(s) late (onUnknownField: reject)',
    ]);
  });

  test('CSV: header, delimiter, quoted newlines, "" vs empty (empty string vs null), types from the text, wrong field count', async () => {
    const csv = 'id;qty;price;ok;zip;note\n1;2;9.50;true;007;"a;b"\n2;3;1.25;false;010;""\n3;;2.00;true;011;\n4;1;1.00;false;"line\nbreak"\n5;1\n';
    const s = await open(await put('d.csv', csv), { key: 'id', csv: { delimiter: ';' } });
    const schema = (await s.describe())!;
    expect(schema.open).toBe(false);
    expect(Object.fromEntries(schema.fields.map((f) => [f.name, f.type]))).toEqual({
      id: 'int64',
      qty: 'int32',
      price: 'float64',
      ok: 'boolean',
      zip: 'string',
      note: 'string',
    });
    const { rows, rejected } = await readAll(s, schema);
    expect(rows.map((r) => [r.id, r.qty, r.price, r.ok, r.zip, r.note])).toEqual([
      [1n, 2, 9.5, true, '007', 'a;b'],
      [2n, 3, 1.25, false, '010', ''],
      [3n, null, 2, true, '011', null],
    ]);
    expect(rejected.map((r) => r.error)).toEqual(['line 6: 5 fields where the header has 6', 'line 7: 2 fields where the header has 6']);
  });

  test('JSON array, gzip detected by magic bytes whatever the name; a truncated array ends the read naming the position', async () => {
    const s = await open(await put('e.data', gzipSync(JSON.stringify([{ k: 'a', v: [1] }, 'oops', { k: 'b', v: { w: 2 } }]))), { format: 'json', key: 'k' });
    const schema = (await s.describe())!;
    const { rows, rejected } = await readAll(s, schema);
    expect(rows).toEqual([
      { k: 'a', v: [1] },
      { k: 'b', v: { w: 2 } },
    ]);
    expect(rejected.map((r) => r.error)).toEqual(['record 2: not a JSON object']);
    const broken = await open(await put('f.json', '[{"k":"a"},{"k":'), { key: 'k' });
    await expect(readAll(broken, schema)).rejects.toMatchObject({ kind: 'ConfigError', message: expect.stringMatching(/cannot read as json/) });
  });

  test('a missing file describes as null; an unknown format is a ConfigError naming the fix', async () => {
    expect(await (await open(path.join(DIR, 'nope.ndjson'))).describe()).toBeNull();
    await expect((await open(await put('g.bin', '{}'))).describe()).rejects.toMatchObject({
      kind: 'ConfigError',
      message: expect.stringMatching(/set format/),
    });
  });

  test('the endpoint refuses a URL with a password and other schemes', () => {
    const d = getConnector('file');
    expect(d.endpointSchema.safeParse({ type: 'file', url: 'https://u:pw@host/x.ndjson' }).success).toBe(false);
    expect(d.endpointSchema.safeParse({ type: 'file', url: 's3://bucket/x.ndjson' }).success).toBe(false);
  });
});

describe('file target', () => {
  const schema: ObjectSchema = {
    object: 't',
    key: ['id'],
    fields: [
      { name: 'id', type: 'int64', nullable: false },
      { name: 's', type: 'string', nullable: true },
      { name: 'j', type: 'json', nullable: true },
      { name: 'b', type: 'bytes', nullable: true },
      { name: 'f', type: 'float64', nullable: true },
    ],
  };
  const rows: Row[] = [
    { id: 1n, s: '', j: { a: [1, 'x;y'] }, b: Buffer.from([0, 255]), f: -0 },
    { id: 2n, s: null, j: null, b: null, f: Number.NaN },
    { id: 9007199254740993n, s: 'multi\nline "quoted"', j: [null], b: Buffer.alloc(0), f: 1.5 },
  ];

  test('gzip CSV: written, replayed (no duplicates), read back exactly; the header once', async () => {
    const p = path.join(DIR, 'out', 'rows.csv.gz');
    const s = await open(p, { key: 'id', csv: { delimiter: ';' } });
    await s.prepare(schema);
    expect(await s.write(schema, rows.slice(0, 2))).toEqual({ written: 2, rejected: [] });
    await s.write(schema, rows.slice(1)); // row 2 again: a replay
    await s.write(schema, [{ ...rows[0]!, s: 'changed' }]);
    const text = gunzipSync(await fs.readFile(p)).toString();
    expect(text.split('\n')[0]).toBe('id;s;j;b;f');
    expect(text.match(/^id;/gm)).toHaveLength(1);
    const back = (await readAll(await open(p, { key: 'id', csv: { delimiter: ';' }, schema: schema.fields }), schema)).rows;
    expect(back).toEqual([rows[1], rows[2], { ...rows[0], s: 'changed' }]);
    expect(Object.is(back[2]!.f, -0)).toBe(true);
  });

  test('writers of several partitions (sessions) at once: every key once', async () => {
    const p = path.join(DIR, 'out', 'parallel.ndjson');
    const sessions = await Promise.all([0, 1, 2].map(() => open(p, { key: 'id' })));
    await sessions[0]!.prepare(schema);
    const part = (k: number) => Array.from({ length: 200 }, (_, i) => ({ id: BigInt(k * 1000 + i), s: `p${k}`, j: null, b: null, f: i }));
    await Promise.all(
      sessions.map(async (s, k) => {
        for (let i = 0; i < 200; i += 20) await s.write(schema, part(k).slice(i, i + 20));
        await s.write(schema, part(k).slice(180)); // each replays its last batch
      }),
    );
    const lines = (await fs.readFile(p, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(600);
    expect(new Set(lines.map((l) => (JSON.parse(l) as { id: string }).id)).size).toBe(600);
  });

  test('a JSON array target and a value that does not fit are refused; dead letters beside the file', async () => {
    await expect((await open(path.join(DIR, 'x.json'))).prepare(schema)).rejects.toMatchObject({ kind: 'ConfigError' });
    const p = path.join(DIR, 'out', 'dl.ndjson');
    const s = await open(p, { key: 'id' });
    await s.prepare(schema);
    const out = await s.write(schema, [
      { id: 5n, s: 'ok', j: null, b: null, f: 'x' as never },
      { id: null, s: 'no key', j: null, b: null, f: 1 },
    ]);
    expect(out.written).toBe(0);
    expect(out.rejected.map((r) => r.error)).toEqual([expect.stringMatching(/float64/), expect.stringMatching(/key/)]);
    await s.quarantine([{ job: 'j', runId: 'r', partition: 0, key: '5', record: out.rejected[0]!.row, error: 'bad', stage: 'write' }]);
    expect(JSON.parse(await fs.readFile(`${p}.dead-letters.ndjson`, 'utf8'))).toMatchObject({ record_key: '5', error: 'bad', stage: 'write' });
  });
});

describe('populate spec', () => {
  test('an inline target endpoint, a relative path made absolute, a key list, one partition', async () => {
    const spec = await populateSpec('data/people.ndjson.gz', {
      into: '{"type":"memory","connection":{"store":"s"},"object":"o"}',
      key: 'a, b',
      onRecordError: 'quarantine',
    });
    expect(spec).toMatchObject({
      name: 'populate-people',
      source: { type: 'file', url: path.resolve('data/people.ndjson.gz'), key: ['a', 'b'] },
      target: { type: 'memory', object: 'o' },
      parallelism: 1,
      partitions: 1,
      onRecordError: 'quarantine',
    });
  });

  test('a job file: its target and transform are kept', async () => {
    const job = await put('job.yaml', 'name: load\ntarget: { type: memory, connection: { store: s }, object: o }\ntransform: [{ op: drop, fields: [x] }]\n');
    const spec = await populateSpec('https://example.test/x.csv?sig=1', { into: job });
    expect(spec).toMatchObject({ name: 'load', source: { url: 'https://example.test/x.csv?sig=1' }, transform: [{ op: 'drop', fields: ['x'] }] });
  });
});
