import { promises as fs, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { getConnector } from '../../src/connectors/registry';
import { withEndpoints } from '../../src/engine/sessions';
import type { Endpoint } from '../../src/job/endpoints';
import { logger } from '../../src/logging';
import type { Cursor, ObjectSchema, Row, RowBatch } from '../../src/model/types';
import { startFileServer, type FileServer } from '../helpers/file-server';

/**
 * The file connector against a real local HTTP server (node:http, in the test): Range resume where the server
 * allows it, re-read-and-skip where it does not or the content is gzip, content-type format detection, and
 * 401 as a fast AuthError with the header secret scrubbed.
 */
const DIR = mkdtempSync(join(tmpdir(), 'dm-file-http-'));
const N = 500;
const text = Array.from({ length: N }, (_, i) => JSON.stringify({ id: i + 1, name: `n${i + 1}` })).join('\n') + '\n';

const endpoint = (url: string, extra: Record<string, unknown> = {}): Endpoint =>
  getConnector('file').endpointSchema.parse({ type: 'file', url, key: 'id', ...extra }) as Endpoint;

async function readAll(e: Endpoint, after: Cursor | null = null, batch = 100) {
  return withEndpoints([{ side: 'source', endpoint: e }], async ({ source }) => {
    const schema = (await source.describe()) as ObjectSchema;
    const batches: RowBatch[] = [];
    for await (const b of source.read(schema, { id: 0, lower: null, upper: null }, after, batch)) batches.push(b);
    return { schema, batches, rows: batches.flatMap((b) => b.rows) as Row[] };
  });
}

describe('file connector over http(s)', () => {
  let ranged: FileServer;
  let plain: FileServer;
  beforeAll(async () => {
    await fs.writeFile(join(DIR, 'people.ndjson'), text);
    await fs.writeFile(join(DIR, 'people.ndjson.gz'), gzipSync(text));
    await fs.writeFile(join(DIR, 'people-noext'), text);
    ranged = await startFileServer(DIR, { range: true });
    plain = await startFileServer(DIR, { range: false });
  });
  afterAll(async () => {
    await ranged.close();
    await plain.close();
  });

  test('resume with a Range request when the server answers 206', async () => {
    const e = endpoint(ranged.url('people.ndjson'));
    const full = await readAll(e);
    expect(full.rows).toHaveLength(N);
    const cursor = JSON.parse(JSON.stringify(full.batches[1]!.cursor)) as Cursor;
    expect(cursor).toEqual({ line: 200, offset: expect.any(Number) });
    ranged.requests.length = 0;
    const rest = await readAll(e, cursor);
    expect(rest.rows.map((r) => r.id)).toEqual(full.rows.slice(200).map((r) => r.id));
    expect(ranged.requests.filter((r) => r.status === 206)).toEqual([expect.objectContaining({ range: `bytes=${(cursor as { offset: number }).offset}-` })]);
  });

  test('a server without Range support: re-read from the start and skip to the cursor', async () => {
    const e = endpoint(plain.url('people.ndjson'));
    const full = await readAll(e);
    const rest = await readAll(e, JSON.parse(JSON.stringify(full.batches[2]!.cursor)) as Cursor);
    expect(rest.rows.map((r) => r.id)).toEqual(full.rows.slice(300).map((r) => r.id));
    expect(plain.requests.some((r) => r.range && r.status === 200)).toBe(true);
  });

  test('gzip content: no Range asked (offsets are not file offsets), resume skips to the cursor line', async () => {
    const e = endpoint(ranged.url('people.ndjson.gz'));
    const full = await readAll(e);
    expect(full.rows).toHaveLength(N);
    expect(full.batches[0]!.cursor).toEqual({ line: 100 });
    ranged.requests.length = 0;
    const rest = await readAll(e, { line: 450 });
    expect(rest.rows.map((r) => r.id)).toEqual(full.rows.slice(450).map((r) => r.id));
    expect(ranged.requests.every((r) => r.range === undefined)).toBe(true);
  });

  test('a download cut mid-file is opened again after the last record: by Range, or re-read and skipped (gzip)', async () => {
    // The server cuts the read's answer off after ~40 % of the bytes; the read must still hand out every record
    // once, in order, by itself (a validation scan reads the file in one pass, with no cursor to retry from).
    const ids = Array.from({ length: N }, (_, i) => BigInt(i + 1));
    for (const [server, file, status] of [
      [ranged, 'people.ndjson', 206],
      [plain, 'people.ndjson.gz', 200],
    ] as const) {
      const e = endpoint(server.url(file));
      const rows = await withEndpoints([{ side: 'source', endpoint: e }], async ({ source }) => {
        const schema = (await source.describe()) as ObjectSchema;
        server.requests.length = 0;
        server.cutNext(Math.floor((await fs.stat(join(DIR, file))).size * 0.4));
        const out: Row[] = [];
        for await (const b of source.read(schema, { id: 0, lower: null, upper: null }, null, 50)) out.push(...b.rows);
        return out;
      });
      expect({ file, ids: rows.map((r) => r.id) }).toEqual({ file, ids });
      // The cut answer, then one reopen: a Range after the last record handed out, or (gzip) the whole file again.
      expect(server.requests.map((r) => r.status)).toEqual([200, status]);
      if (status === 206) expect(text.slice(0, Number(/bytes=(\d+)-/.exec(server.requests[1]!.range!)![1])).endsWith('\n')).toBe(true);
    }
  });

  test('the format comes from the content-type when the name has no extension', async () => {
    expect((await readAll(endpoint(ranged.url('people-noext')))).rows).toHaveLength(N);
  });

  test('404 is a SchemaError (describe: not found → null), 401 a fast AuthError without the token', async () => {
    const missing = await withEndpoints([{ side: 'source', endpoint: endpoint(ranged.url('nope.ndjson')) }], ({ source }) => source.describe());
    expect(missing).toBeNull();
    const secret = `tok-${Date.now()}-s3cr3t`;
    const guarded = await startFileServer(DIR, { range: true, token: secret });
    try {
      process.env.DM_FILE_HTTP_TOKEN = `Bearer wrong-${secret}`;
      const e = endpoint(guarded.url('people.ndjson'), { connection: { headers: { authorization: { env: 'DM_FILE_HTTP_TOKEN' } } } });
      const err = (await withEndpoints([{ side: 'source', endpoint: e }], ({ source }) => source.check()).catch((x: unknown) => x)) as Error & { kind: string };
      expect(err.kind).toBe('AuthError');
      expect(err.message).toContain('[file]');
      expect(err.message).toContain('401');
      expect(`${err.message}${err.stack}`).not.toContain(secret);
      process.env.DM_FILE_HTTP_TOKEN = `Bearer ${secret}`;
      expect((await readAll(e)).rows).toHaveLength(N);
    } finally {
      await guarded.close();
      delete process.env.DM_FILE_HTTP_TOKEN;
    }
  });

  test('a file target must be local', async () => {
    const d = getConnector('file');
    const s = await d.open(endpoint(ranged.url('out.ndjson')), {}, logger);
    await expect(s.prepare({ object: 'x', key: ['id'], fields: [{ name: 'id', type: 'int64', nullable: false }] })).rejects.toThrow(/local path/);
  });
});
