import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import request from 'supertest';
import { createApp } from '../../api/app';
import { requiredRole } from '../../api/auth';
import { assertSafeBind, authSettings, isLoopback, sha256 } from '../../api/auth-config';
import { buildOpenApiDocument } from '../../api/openapi';
import { parseConfig } from '../../src/config';

/** Auth without Temporal: the client dials a dead port, so a 401/403 also proves nothing reached Temporal. */
const deadClient = () => new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: '1s' }), namespace: 'default' });
const dir = mkdtempSync(path.join(os.tmpdir(), 'auth_api-'));
const TOKENS = { viewer: 'viewer-token-0123456789', operator: 'operator-token-0123456789', admin: 'admin-token-0123456789' };

describe('route → role table', () => {
  test.each([
    ['GET', '/healthz', null],
    ['GET', '/migrations', 'viewer'],
    ['GET', '/migrations/x/diff', 'viewer'],
    ['GET', '/openapi.json', 'viewer'],
    ['POST', '/migrations', 'operator'],
    ['POST', '/migrations/check', 'operator'],
    ['POST', '/migrations/x/pause', 'operator'],
    ['POST', '/migrations/x/retry', 'operator'],
    ['GET', '/jobs/nightly', 'viewer'],
    ['POST', '/jobs', 'admin'],
    ['DELETE', '/schedules/s1', 'admin'],
    ['PUT', '/schedules/s1/pause', 'admin'],
    ['POST', '/unknown-route', 'admin'],
  ])('%s %s needs %s', (method, p, role) => expect(requiredRole(method, p)).toBe(role));
});

describe('auth configuration', () => {
  test('tokens from API_TOKEN (admin), API_TOKENS and a file; errors name the field, never the value', () => {
    const file = path.join(dir, 'tokens.yaml');
    writeFileSync(file, `- { name: ci, role: operator, sha256: ${sha256(TOKENS.operator).toString('hex')} }\n`);
    const a = authSettings(parseConfig({ API_TOKEN: 'legacy-token-value', API_TOKENS: `dash:viewer:${TOKENS.viewer}`, API_TOKENS_FILE: file }));
    expect(a.tokens.map((t) => `${t.name}:${t.role}`)).toEqual(['api-token:admin', 'dash:viewer', 'ci:operator']);
    writeFileSync(file, '- { name: x, role: root, token: short }\n');
    const err = (() => {
      try {
        authSettings(parseConfig({ API_TOKENS_FILE: file }));
      } catch (e) {
        return (e as Error).message;
      }
    })();
    expect(err).toMatch(/API_TOKENS_FILE\[0\]\.role: expected one of viewer, operator, admin/);
    expect(err).toMatch(/API_TOKENS_FILE\[0\]\.token: at least 16 characters/);
    expect(err).not.toContain('short');
  });

  test('secure by default: loopback always; a public bind only with auth', () => {
    expect(parseConfig({}).HOST).toBe('127.0.0.1');
    for (const h of ['127.0.0.1', 'localhost', '::1', '[::1]', '127.1.2.3']) expect(isLoopback(h)).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.5', 'example.org']) expect(isLoopback(h)).toBe(false);
    expect(() => assertSafeBind('0.0.0.0', { tokens: [] })).toThrow(/HOST=0\.0\.0\.0 is not a loopback address and no API auth is configured/);
    expect(() => assertSafeBind('0.0.0.0', authSettings(parseConfig({ API_TOKEN: 'x'.repeat(20) })))).not.toThrow();
    expect(() => assertSafeBind('127.0.0.1', { tokens: [] })).not.toThrow();
  });

  test('the OpenAPI document states each route’s role and its 401/403', () => {
    const doc = buildOpenApiDocument();
    const pause = doc.paths?.['/migrations/{id}/pause']?.post;
    expect(pause?.security).toEqual([{ bearerAuth: ['operator'] }]);
    expect(Object.keys(pause?.responses ?? {})).toEqual(expect.arrayContaining(['401', '403']));
    expect(doc.paths?.['/migrations']?.get?.security).toEqual([{ bearerAuth: ['viewer'] }]);
    expect(doc.paths?.['/healthz']?.get?.security).toEqual([]);
  });
});

describe('roles over HTTP (static tokens and JWT), with audit lines', () => {
  const client = deadClient();
  const auditFile = path.join(dir, 'audit.log');
  let app: ReturnType<typeof createApp>;
  let jwtFor: (claims: Record<string, unknown>, opts?: { issuer?: string }) => Promise<string>;
  afterAll(() => client.connection.close());

  beforeAll(async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwks = path.join(dir, 'jwks.json');
    writeFileSync(jwks, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }] }));
    jwtFor = (claims, opts = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setIssuer(opts.issuer ?? 'https://idp.example')
        .setAudience('datamigrato')
        .setExpirationTime('5m')
        .sign(privateKey);
    const cfg = parseConfig({
      API_TOKENS: Object.entries(TOKENS)
        .map(([role, t]) => `${role}-bot:${role}:${t}`)
        .join(','),
      API_JWT_ISSUER: 'https://idp.example',
      API_JWT_AUDIENCE: 'datamigrato',
      API_JWT_JWKS: jwks,
    });
    app = createApp({ client, taskQueue: 'x', uiUrl: 'http://ui', auth: authSettings(cfg), auditFile });
  });

  const pause = (token?: string) => {
    const r = request(app).post('/migrations/auth_m1/pause');
    return token ? r.set('Authorization', `Bearer ${token}`) : r;
  };
  // An operator route that answers without Temporal: an empty spec is a 400 once past auth.
  const start = (token: string) => request(app).post('/migrations').set('Authorization', `Bearer ${token}`).send({});

  test('viewer reads but cannot pause (403 problem+json); operator passes auth', async () => {
    expect((await request(app).get('/connectors').set('Authorization', `Bearer ${TOKENS.viewer}`)).status).toBe(200);
    const denied = await pause(TOKENS.viewer);
    expect(denied.status).toBe(403);
    expect(denied.headers['content-type']).toMatch(/problem\+json/);
    expect(denied.body).toMatchObject({ type: 'urn:datamigrato:problem:forbidden', detail: expect.stringContaining('needs operator') });
    expect((await start(TOKENS.viewer)).status).toBe(403);
    expect((await start(TOKENS.operator)).status).toBe(400);
    expect((await pause()).status).toBe(401);
    expect((await pause('not-a-token')).status).toBe(401);
  });

  test('JWT: roles from the claim; wrong issuer → 401; no known role → 403', async () => {
    const viewer = await jwtFor({ sub: 'alice', roles: ['viewer'] });
    expect((await request(app).get('/connectors').set('Authorization', `Bearer ${viewer}`)).status).toBe(200);
    expect((await pause(viewer)).status).toBe(403);
    expect((await start(await jwtFor({ sub: 'bob', roles: ['viewer', 'operator'] }))).status).toBe(400);
    expect((await pause(await jwtFor({ sub: 'eve', roles: ['admin'] }, { issuer: 'https://evil.example' }))).status).toBe(401);
    expect((await pause(await jwtFor({ sub: 'carol', roles: ['root'] }))).body.detail).toMatch(/carol has no role/);
  });

  test('every state-changing call leaves an audit line (who, action, id, outcome); no token in it', async () => {
    await new Promise((r) => setTimeout(r, 100));
    const text = readFileSync(auditFile, 'utf8');
    const lines = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ who: 'viewer-bot', role: 'viewer', action: 'pause', id: 'auth_m1', outcome: 'denied', status: 403 }),
        expect.objectContaining({ who: 'operator-bot', role: 'operator', action: 'start', outcome: 'rejected', status: 400 }),
        expect.objectContaining({ who: 'bob', kind: 'jwt', role: 'operator', action: 'start', status: 400 }),
        expect.objectContaining({ who: 'unauthenticated', action: 'pause', outcome: 'denied', status: 401 }),
        expect.objectContaining({ who: 'alice', kind: 'jwt', action: 'pause', outcome: 'denied' }),
      ]),
    );
    for (const t of Object.values(TOKENS)) expect(text).not.toContain(t);
    expect(lines.some((l) => l.action === 'get /connectors')).toBe(false);
  });
});
