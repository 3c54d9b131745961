import request from 'supertest';
import { createApp } from '../../api/app';
import { env, uniqueSuffix } from '../helpers/env';
import { createSimpleSource } from '../helpers/pg';
import { startHarness, waitFor, type TemporalHarness } from '../helpers/temporal';

/**
 * Malformed requests against the API wired to the real Temporal dev server (with a worker on its own task
 * queue): every one is a 4xx problem naming the failing path, none starts a workflow (counted in
 * visibility on the queue before and after, with a positive control proving the count sees a start), and the
 * API keeps serving throughout.
 */
const ep = (table = 'a') => ({ type: 'postgres', connection: { url: { env: 'PG_URL' } }, schema: 'dm_api', table });
const good = (over: Record<string, unknown> = {}) => ({ name: 'malformed-probe', source: ep('a'), target: ep('b'), ...over });
const src = ep('a');

interface Case {
  name: string;
  body?: unknown;
  raw?: string | Buffer;
  contentType?: string;
  headers?: Record<string, string>;
  path?: string; // route, default /migrations
  status: number;
  errorPath: string;
  message: RegExp;
}

const cases: Case[] = [
  { name: 'missing name', body: { ...good(), name: undefined }, status: 400, errorPath: 'name', message: /required field is missing \(expected string\)/ },
  { name: 'name is a number', body: good({ name: 42 }), status: 400, errorPath: 'name', message: /expected string, received number/ },
  { name: 'name with spaces', body: good({ name: 'my job' }), status: 400, errorPath: 'name', message: /letters, digits/ },
  { name: 'missing source', body: { ...good(), source: undefined }, status: 400, errorPath: 'source', message: /unknown connector type undefined|required/ },
  { name: 'missing target', body: { ...good(), target: undefined }, status: 400, errorPath: 'target', message: /unknown connector type undefined|required/ },
  { name: 'source is a string', body: good({ source: 'postgres://h/db' }), status: 400, errorPath: 'source', message: /expected object|unknown connector/ },
  {
    name: 'unknown connector type',
    body: good({ source: { ...src, type: 'oracle' } }),
    status: 400,
    errorPath: 'source.type',
    message: /unknown connector type "oracle"; known: .*postgres/,
  },
  {
    name: 'connector type missing',
    body: good({ target: { connection: src.connection, table: 'b' } }),
    status: 400,
    errorPath: 'target.type',
    message: /unknown connector type undefined; known: .*postgres/,
  },
  {
    name: 'literal password URL (source)',
    body: good({ source: { ...src, connection: { url: 'postgres://admin:hunter2@db/prod' } } }),
    status: 400,
    errorPath: 'source.connection.url',
    message: /secret reference .*not a literal value/,
  },
  {
    name: 'literal password URL (target)',
    body: good({ target: { ...ep('b'), connection: { url: 'postgres://u:p@h/db' } } }),
    status: 400,
    errorPath: 'target.connection.url',
    message: /not a literal value/,
  },
  {
    name: 'password field in connection',
    body: good({ source: { ...src, connection: { url: { env: 'PG_URL' }, password: 'hunter2' } } }),
    status: 400,
    errorPath: 'source.connection.password',
    message: /unknown field "password"/,
  },
  {
    name: 'secret ref as a number',
    body: good({ source: { ...src, connection: { url: 5432 } } }),
    status: 400,
    errorPath: 'source.connection.url',
    message: /must be a secret reference/,
  },
  {
    name: 'empty env name',
    body: good({ source: { ...src, connection: { url: { env: '' } } } }),
    status: 400,
    errorPath: 'source.connection.url.env',
    message: />=1 characters/,
  },
  {
    name: 'both url and named connection',
    body: good({ source: { ...src, connection: { url: { env: 'PG_URL' }, name: 'prod' } } }),
    status: 400,
    errorPath: 'source.connection',
    message: /exactly one of url .* or name/,
  },
  { name: 'empty connection', body: good({ source: { ...src, connection: {} } }), status: 400, errorPath: 'source.connection', message: /exactly one of url/ },
  {
    name: 'table missing',
    body: good({ source: { type: 'postgres', connection: src.connection } }),
    status: 400,
    errorPath: 'source.table',
    message: /exactly one of table or query/,
  },
  { name: 'table too long', body: good({ target: ep('t'.repeat(64)) }), status: 400, errorPath: 'target.table', message: /<=63|too big|at most/i },
  {
    name: 'table is an array',
    body: good({ source: { ...src, table: ['a'] } }),
    status: 400,
    errorPath: 'source.table',
    message: /expected string, received array/,
  },
  {
    name: 'writeMode unknown',
    body: good({ target: { ...ep('b'), writeMode: 'merge' } }),
    status: 400,
    errorPath: 'target.writeMode',
    message: /copy.*insert|Invalid option/,
  },
  { name: 'batchSize as string', body: good({ batchSize: '500' }), status: 400, errorPath: 'batchSize', message: /expected number, received string/ },
  { name: 'batchSize zero', body: good({ batchSize: 0 }), status: 400, errorPath: 'batchSize', message: />=1|too small/i },
  { name: 'batchSize too large', body: good({ batchSize: 1_000_000 }), status: 400, errorPath: 'batchSize', message: /<=50000|too big/i },
  { name: 'parallelism fractional', body: good({ parallelism: 2.5 }), status: 400, errorPath: 'parallelism', message: /expected int/i },
  { name: 'partitions negative', body: good({ partitions: -3 }), status: 400, errorPath: 'partitions', message: />=1|too small/i },
  { name: 'transform not an array', body: good({ transform: { op: 'drop', fields: ['x'] } }), status: 400, errorPath: 'transform', message: /expected array/ },
  {
    name: 'transform unknown op',
    body: good({ transform: [{ op: 'explode', fields: ['x'] }] }),
    status: 400,
    errorPath: 'transform[0].op',
    message: /rename.*select.*drop/,
  },
  {
    name: 'rename fields not a map',
    body: good({
      transform: [
        { op: 'drop', fields: ['a'] },
        { op: 'rename', fields: ['a', 'b'] },
      ],
    }),
    status: 400,
    errorPath: 'transform[1].fields',
    message: /expected record|expected object/,
  },
  {
    name: 'select with no fields',
    body: good({ transform: [{ op: 'select', fields: [] }] }),
    status: 400,
    errorPath: 'transform[0].fields',
    message: />=1|too small/i,
  },
  {
    name: 'compute expression malformed',
    body: good({
      transform: [
        { op: 'rename', fields: { a: 'b' } },
        { op: 'compute', fields: { full_name: 'first_name + + " " + last_name' } },
      ],
    }),
    status: 400,
    errorPath: 'transform[1].fields.full_name',
    message: /expression does not parse at position 13 \(line 1, column 14\): Unexpected token: PLUS/,
  },
  {
    name: 'filter expression malformed (second line)',
    body: good({ transform: [{ op: 'filter', expression: 'amount > 10 &&\n  kind == "buy' }] }),
    status: 400,
    errorPath: 'transform[0].expression',
    message: /expression does not parse at position \d+ \(line 2, column \d+\)/,
  },
  { name: 'validate.enabled as string', body: good({ validate: { enabled: 'yes' } }), status: 400, errorPath: 'validate.enabled', message: /expected boolean/ },
  {
    name: 'onRecordError unknown',
    body: good({ onRecordError: 'ignore' }),
    status: 400,
    errorPath: 'onRecordError',
    message: /fail.*quarantine|Invalid option/,
  },
  { name: 'chunk.maxSeconds zero', body: good({ chunk: { maxSeconds: 0 } }), status: 400, errorPath: 'chunk.maxSeconds', message: />=1|too small/i },
  { name: 'chunk unknown key', body: good({ chunk: { minutes: 1 } }), status: 400, errorPath: 'chunk.minutes', message: /unknown field "minutes"/ },
  { name: 'unknown top-level key', body: good({ dryRun: true }), status: 400, errorPath: 'dryRun', message: /unknown field "dryRun"/ },
  {
    name: '__proto__ key',
    raw: '{"name":"x","source":{"type":"postgres","connection":{"url":{"env":"PG_URL"}},"table":"a"},"target":{"type":"postgres","connection":{"url":{"env":"PG_URL"}},"table":"b"},"__proto__":{"admin":true}}',
    contentType: 'application/json',
    status: 400,
    errorPath: '__proto__',
    message: /unknown field "__proto__"/,
  },
  { name: 'body is an array', body: [good()], status: 400, errorPath: '(root)', message: /expected object, received array/ },
  {
    name: 'body is a JSON string',
    raw: '"name: x"',
    contentType: 'application/json',
    status: 400,
    errorPath: '(root)',
    message: /expected object, received string/,
  },
  { name: 'body is JSON null', raw: 'null', contentType: 'application/json', status: 400, errorPath: '(root)', message: /expected object, received null/ },
  { name: 'not JSON at all', raw: 'name=x&source=y', contentType: 'application/json', status: 400, errorPath: '(body)', message: /invalid JSON/ },
  {
    name: 'truncated JSON',
    raw: JSON.stringify(good()).slice(0, 40),
    contentType: 'application/json',
    status: 400,
    errorPath: '(body)',
    message: /invalid JSON/,
  },
  {
    name: 'deeply nested JSON',
    raw: `${'['.repeat(50_000)}${']'.repeat(50_000)}`,
    contentType: 'application/json',
    status: 400,
    errorPath: '(root)',
    message: /expected object, received array/,
  },
  {
    name: 'huge body (2 MB)',
    raw: JSON.stringify(good({ name: 'x'.repeat(2 * 1024 * 1024) })),
    contentType: 'application/json',
    status: 413,
    errorPath: '(body)',
    message: /limit is 1048576 bytes/,
  },
  { name: 'text/plain body', raw: 'name: x', contentType: 'text/plain', status: 415, errorPath: '(body)', message: /unsupported content type/ },
  { name: 'no body', status: 400, errorPath: '(body)', message: /required/ },
  {
    name: 'YAML with a literal password',
    raw: 'name: y\nsource: { type: postgres, connection: { url: "postgres://u:pw@h/db" }, table: a }\ntarget: { type: postgres, connection: { url: { env: PG_URL } }, table: b }\n',
    contentType: 'application/yaml',
    status: 400,
    errorPath: 'source.connection.url',
    message: /not a literal value/,
  },
  { name: 'broken YAML', raw: 'name: [x\n', contentType: 'application/yaml', status: 400, errorPath: '(body)', message: /.+/ },
  {
    name: 'envelope with a bad spec',
    body: { spec: good({ source: { ...src, type: 'oracle' } }), id: 'malformed-envelope' },
    status: 400,
    errorPath: 'spec.source.type',
    message: /unknown connector type "oracle"/,
  },
  {
    name: 'envelope with an unknown key',
    body: { spec: good(), id: 'x1', priority: 'high' },
    status: 400,
    errorPath: 'priority',
    message: /unknown field "priority"/,
  },
  { name: 'id that is not a string', body: { spec: good(), id: 12 }, status: 400, errorPath: 'id', message: /must be a string/ },
  {
    name: 'Idempotency-Key with a slash',
    body: good(),
    headers: { 'Idempotency-Key': 'a/b' },
    status: 400,
    errorPath: 'Idempotency-Key',
    message: /letters, digits/,
  },
  {
    name: 'dry run of a malformed spec',
    path: '/migrations/check',
    body: good({ batchSize: -1 }),
    status: 400,
    errorPath: 'batchSize',
    message: />=1|too small/i,
  },
];

describe('malformed specs on the real stack', () => {
  let h: TemporalHarness;
  let app: ReturnType<typeof createApp>;
  const onQueue = async () => (await h.client.workflow.count(`TaskQueue = '${h.taskQueue}'`)).count;

  beforeAll(async () => {
    h = await startHarness('api-bad');
    app = createApp({ client: h.client, taskQueue: h.taskQueue, uiUrl: 'http://127.0.0.1:8233' });
  }, 120_000);
  afterAll(async () => h?.stop());

  let before = -1;
  test('the queue starts empty', async () => {
    before = await onQueue();
    expect(before).toBe(0);
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  test.each(cases.map((c) => [c.name, c] as const))('%s → 4xx naming the path', async (_n, c) => {
    let req = request(app).post(c.path ?? '/migrations');
    for (const [k, v] of Object.entries(c.headers ?? {})) req = req.set(k, v);
    if (c.contentType) req = req.set('Content-Type', c.contentType);
    const res = c.raw !== undefined ? await req.send(c.raw) : c.body !== undefined ? await req.send(c.body as object) : await req;
    expect(res.status).toBe(c.status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: c.status, title: expect.any(String), type: expect.stringMatching(/^urn:datamigrato:problem:/) });
    const hit = (res.body.errors as { path: string; message: string }[]).find((e) => e.path === c.errorPath);
    expect({ errors: res.body.errors, found: Boolean(hit) }).toMatchObject({ found: true });
    expect(hit!.message).toMatch(c.message);
    expect(JSON.stringify(res.body)).not.toMatch(/hunter2|:pw@/); // secrets are never echoed back
    // …and the API keeps serving.
    expect((await request(app).get('/healthz')).status).toBe(200);
  });

  test('none of them started a workflow; a valid spec does (the count can see it)', async () => {
    await new Promise((r) => setTimeout(r, 1_500)); // visibility is eventually consistent
    expect(await onQueue()).toBe(before);
    const table = `malformed_ok_${uniqueSuffix()}`;
    await createSimpleSource('dm_api', table, 100);
    const res = await request(app)
      .post('/migrations')
      .send(good({ source: ep(table), target: ep(`${table}_tgt`) }));
    expect(res.status).toBe(201);
    const after = await waitFor(onQueue, (n) => n === before + 1, 15_000, 250);
    expect(after).toBe(before + 1);
    await waitFor(
      async () => (await request(app).get(`/migrations/${res.body.id}`)).body.status,
      (s) => s === 'Completed',
      60_000,
      300,
    );
    expect(env.temporalAddress).toBeTruthy();
  }, 90_000);
});
