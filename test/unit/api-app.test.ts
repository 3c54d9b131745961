import { Client, Connection } from '@temporalio/client';
import request from 'supertest';
import { createApp, tokenMatches } from '../../api/app';
import { decodePageToken, encodePageToken } from '../../client/migrations';
import { roleIssues, specIssues, validateSpec } from '../../client/spec';
import { JobSpecSchema } from '../../src/job/job-spec';

/**
 * The API's request handling without Temporal: the client points at a port nothing listens on and is
 * never dialed unless a handler reaches Temporal — which would answer 503, not the 4xx asserted here.
 * So every 4xx below is also proof the request was rejected before anything was started.
 */
const deadClient = () => new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: '1s' }), namespace: 'default' });

const spec = (over: Record<string, unknown> = {}) => ({
  name: 'unit-job',
  source: { type: 'postgres', connection: { url: { env: 'PG_URL' } }, table: 'a' },
  target: { type: 'postgres', connection: { url: { env: 'PG_URL' } }, table: 'b' },
  ...over,
});

describe('spec issues', () => {
  const issues = (input: unknown, prefix = '') => {
    const r = JobSpecSchema.safeParse(input);
    if (r.success) throw new Error('expected a failure');
    return specIssues(r.error, prefix);
  };

  test('an unknown field is reported at its own path', () => {
    expect(issues({ ...spec(), source: { ...spec().source, password: 'x' } })).toEqual([{ path: 'source.password', message: 'unknown field "password"' }]);
    expect(issues({ ...spec(), bogus: 1 })).toEqual([{ path: 'bogus', message: 'unknown field "bogus"' }]);
  });

  test('a missing field says required; a literal password names source.connection.url', () => {
    expect(issues({ ...spec(), name: undefined })).toEqual([{ path: 'name', message: 'required field is missing (expected string)' }]);
    const [lit] = issues({ ...spec(), source: { ...spec().source, connection: { url: 'postgres://u:hunter2@h/db' } } });
    expect(lit!.path).toBe('source.connection.url');
    expect(lit!.message).toMatch(/secret reference.*not a literal value/);
  });

  test('paths inside an envelope are prefixed with spec.', () => {
    expect(issues({ ...spec(), batchSize: 0 }, 'spec')[0]!.path).toBe('spec.batchSize');
    expect(issues([], 'spec')[0]!.path).toBe('spec');
  });

  test('connector roles: a target-only connector cannot be the source', () => {
    const parsed = validateSpec(spec());
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    const targetOnly = [{ type: 'postgres', capabilities: { source: false, target: true } }];
    expect(roleIssues(parsed.spec, targetOnly)).toEqual([{ path: 'source.type', message: 'connector "postgres" cannot be a source' }]);
    expect(roleIssues(parsed.spec, [])).toEqual([
      { path: 'source.type', message: expect.stringMatching(/no connector is registered for type "postgres"/) },
      { path: 'target.type', message: expect.stringMatching(/no connector is registered for type "postgres"/) },
    ]);
  });
});

describe('page tokens', () => {
  test('round-trip, and refuse garbage or a token from another query', () => {
    const raw = Buffer.from([0, 1, 2, 250, 255]);
    const t = encodePageToken(raw, 'q1');
    expect(decodePageToken(t, 'q1')).toEqual(raw);
    expect(() => decodePageToken(t, 'q2')).toThrow(/different filter/);
    expect(() => decodePageToken('garbage', 'q1')).toThrow(/not a page token/);
    expect(() => decodePageToken(`x${t}`, 'q1')).toThrow(/corrupt/);
  });
});

describe('API request handling (no Temporal)', () => {
  const client = deadClient();
  const app = createApp({ client, taskQueue: 'unit-never-used', uiUrl: 'http://ui.example', bodyLimit: '64kb', queryTimeoutMs: 500 });
  afterAll(() => client.connection.close());

  const expectProblem = (res: request.Response, status: number) => {
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status, type: expect.stringMatching(/^urn:datamigrato:problem:/), title: expect.any(String) });
  };

  test('invalid spec → 400 problem with each failing path', async () => {
    const res = await request(app)
      .post('/migrations')
      .send(spec({ batchSize: 'ten', source: { type: 'postgres', connection: { url: 'postgres://u:pw@h/db' }, table: 'a' } }));
    expectProblem(res, 400);
    expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['batchSize', 'source.connection.url']);
  });

  test('bad JSON → 400; body over the limit → 413; text/plain → 415; empty → 400', async () => {
    const bad = await request(app).post('/migrations').set('content-type', 'application/json').send('{"name": "x",');
    expectProblem(bad, 400);
    expect(bad.body.detail).toMatch(/invalid JSON/);
    const big = await request(app)
      .post('/migrations')
      .set('content-type', 'application/json')
      .send(JSON.stringify(spec({ name: 'x'.repeat(100 * 1024) })));
    expectProblem(big, 413);
    expect(big.body.detail).toMatch(/limit is 65536 bytes/);
    expectProblem(await request(app).post('/migrations').set('content-type', 'text/plain').send('name: x'), 415);
    expectProblem(await request(app).post('/migrations'), 400);
  });

  test('YAML bodies are parsed and validated like JSON', async () => {
    const res = await request(app).post('/migrations/check').set('content-type', 'application/yaml').send('name: y\nsource: { type: nosuchdb }\n');
    expectProblem(res, 400);
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        { path: 'source.type', message: expect.stringMatching(/unknown connector type "nosuchdb"/) },
        { path: 'target', message: expect.stringMatching(/required/) },
      ]),
    );
    const broken = await request(app).post('/migrations').set('content-type', 'application/yaml').send('name: [unclosed\n');
    expectProblem(broken, 400);
    expect(broken.body.errors[0].path).toBe('(body)');
  });

  test('a role the connector lacks → 400 at source.type, before Temporal', async () => {
    const strict = createApp({ client, taskQueue: 'x', uiUrl: 'http://ui', connectors: [{ type: 'postgres', capabilities: { source: false, target: true } }] });
    const res = await request(strict).post('/migrations').send(spec());
    expectProblem(res, 400);
    expect(res.body.errors).toEqual([{ path: 'source.type', message: 'connector "postgres" cannot be a source' }]);
  });

  test('envelope {spec, id}: paths under spec., bad ids and header/body disagreement → 400', async () => {
    const env = await request(app)
      .post('/migrations')
      .send({ spec: spec({ batchSize: -1 }), id: 'ok-id' });
    expectProblem(env, 400);
    expect(env.body.errors[0].path).toBe('spec.batchSize');
    const extra = await request(app).post('/migrations').send({ spec: spec(), id: 'a', other: 1 });
    expect(extra.body.errors[0].path).toBe('other');
    const badId = await request(app).post('/migrations').send({ spec: spec(), id: 'has space' });
    expectProblem(badId, 400);
    expect(badId.body.errors[0].path).toBe('id');
    const badKey = await request(app).post('/migrations').set('Idempotency-Key', 'a/b').send(spec());
    expect(badKey.body.errors[0].path).toBe('Idempotency-Key');
    const differ = await request(app).post('/migrations').set('Idempotency-Key', 'k1').send({ spec: spec(), id: 'k2' });
    expectProblem(differ, 400);
    expect(differ.body.errors[0].path).toBe('id');
  });

  test('list filters are validated: 400 naming the parameter', async () => {
    const size = await request(app).get('/migrations?pageSize=0');
    expectProblem(size, 400);
    expect(size.body.errors[0].path).toBe('pageSize');
    const st = await request(app).get('/migrations?status=bogus');
    expectProblem(st, 400);
    expect(st.body.errors[0].path).toBe('status');
    const nm = await request(app).get("/migrations?name=x'or'1");
    expect(nm.body.errors[0].path).toBe('name');
  });

  test('unknown route → 404 problem; wrong method → 405 with Allow', async () => {
    const nf = await request(app).get('/nope');
    expectProblem(nf, 404);
    const m = await request(app).delete('/migrations');
    expectProblem(m, 405);
    expect(m.headers.allow).toBe('GET, POST');
    expectProblem(await request(app).put('/migrations/abc/pause'), 405);
  });

  test('an id no migration can have → 404 without asking Temporal', async () => {
    expectProblem(await request(app).get('/migrations/%20bad%20id'), 404);
  });

  test('Temporal down: healthz 503, Temporal-backed routes 503 problem', async () => {
    const h = await request(app).get('/healthz');
    expect(h.status).toBe(503);
    expect(h.body).toMatchObject({ status: 'unavailable', temporal: { ok: false } });
    expectProblem(await request(app).get('/migrations/some-id'), 503);
  }, 30_000);

  test('connectors and openapi are served', async () => {
    const c = await request(app).get('/connectors');
    expect(c.status).toBe(200);
    expect(c.body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          type: 'postgres',
          capabilities: expect.objectContaining({ source: true, target: true }),
          endpointSchema: expect.objectContaining({ type: 'object' }),
        }),
      ]),
    );
    const o = await request(app).get('/openapi.json');
    expect(o.status).toBe(200);
    expect(o.body.openapi).toBe('3.1.0');
  });
});

describe('bearer auth (API_TOKEN)', () => {
  const client = deadClient();
  const token = 's3cret-token-value';
  const app = createApp({ client, taskQueue: 'x', uiUrl: 'http://ui', apiToken: token });
  afterAll(() => client.connection.close());

  test('constant-time compare accepts only the exact token', () => {
    expect(tokenMatches(token, token)).toBe(true);
    expect(tokenMatches(`${token}x`, token)).toBe(false);
    expect(tokenMatches('', token)).toBe(false);
    expect(tokenMatches(token.slice(0, -1), token)).toBe(false);
  });

  test.each([
    ['GET', '/connectors'],
    ['GET', '/openapi.json'],
    ['GET', '/migrations'],
    ['POST', '/migrations'],
    ['POST', '/migrations/check'],
    ['GET', '/migrations/x'],
    ['POST', '/migrations/x/pause'],
    ['GET', '/no-such-route'],
  ])('%s %s without a token → 401', async (method, path) => {
    const res = await request(app)
      [method === 'GET' ? 'get' : 'post'](path)
      .send(method === 'POST' ? spec() : undefined);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
  });

  test('wrong token or scheme → 401; right token → through', async () => {
    expect((await request(app).get('/connectors').set('Authorization', 'Bearer nope')).status).toBe(401);
    expect((await request(app).get('/connectors').set('Authorization', `Basic ${token}`)).status).toBe(401);
    expect((await request(app).get('/connectors').set('Authorization', `Bearer ${token}`)).status).toBe(200);
    // Past auth, validation runs (and rejects before Temporal).
    expect((await request(app).post('/migrations').set('Authorization', `Bearer ${token}`).send({})).status).toBe(400);
  });

  test('/healthz needs no token', async () => {
    const res = await request(app).get('/healthz');
    expect(res.status).not.toBe(401);
  }, 30_000);
});
