import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { spawnApi, type ApiProcess } from '../helpers/api-process';
import { env, uniqueSuffix } from '../helpers/env';

/**
 * Acceptance 3 with the API as deployed (tsx api/main.ts) against the real Temporal server: a public bind
 * without auth is refused; with a token file, a viewer cannot pause (403) and an operator can (202), and each
 * state-changing call is an audit line. No worker polls the queue, so the migration stays queued while steered.
 */
const dir = mkdtempSync(path.join(os.tmpdir(), 'auth_api-'));
const TOKENS = { viewer: `viewer-${uniqueSuffix()}-0123456789`, operator: `operator-${uniqueSuffix()}-0123456789` };
const NO_AUTH = { API_TOKEN: '', API_TOKENS: '', API_TOKENS_FILE: '', API_JWT_ISSUER: '', API_JWT_JWKS: '' };

describe('API auth (real API process, real Temporal)', () => {
  test('without any auth: a public HOST is refused at start, the default binds loopback', async () => {
    const refused = await spawnApi({ ...NO_AUTH, HOST: '0.0.0.0' });
    expect(refused.exitCode).toBe(1);
    expect(refused.output()).toMatch(/HOST=0\.0\.0\.0 is not a loopback address and no API auth is configured/);
    const local = await spawnApi({ ...NO_AUTH, HOST: '' });
    try {
      expect(local.output()).toMatch(/"host":"127\.0\.0\.1"/);
      expect((await fetch(`${local.url}/connectors`)).status).toBe(200);
    } finally {
      await local.stop();
    }
  }, 60_000);

  describe('with a token file on 0.0.0.0', () => {
    const queue = `auth-api-${uniqueSuffix()}`;
    const auditFile = path.join(dir, 'audit.log');
    const tokensFile = path.join(dir, 'tokens.yaml');
    let api: ApiProcess;
    let client: Client;
    let id: string;
    const call = (method: string, p: string, token?: string, body?: unknown) =>
      fetch(`${api.url}${p}`, {
        method,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });

    beforeAll(async () => {
      writeFileSync(
        tokensFile,
        Object.entries(TOKENS)
          .map(([role, t]) => `- { name: ${role}-bot, role: ${role}, token: ${t} }`)
          .join('\n'),
      );
      api = await spawnApi({ ...NO_AUTH, HOST: '0.0.0.0', API_TOKENS_FILE: tokensFile, API_AUDIT_FILE: auditFile, DATAMIGRATO_TASK_QUEUE: queue });
      client = new Client({ connection: await Connection.connect({ address: env.temporalAddress }), namespace: env.namespace });
    }, 60_000);
    afterAll(async () => {
      await client?.workflow
        .getHandle(id)
        .terminate('auth test cleanup')
        .catch(() => undefined);
      await client?.connection.close();
      await api?.stop();
    });

    test('operator starts; viewer reads but cannot pause (403); operator pauses and cancels (202); no token → 401', async () => {
      const pg = { type: 'postgres', connection: { url: { env: 'PG_URL' } }, schema: 'auth_api', table: 't' };
      const started = await call('POST', '/migrations', TOKENS.operator, { name: 'auth-api', source: pg, target: { ...pg, table: 't2' } });
      expect(started.status).toBe(201);
      id = ((await started.json()) as { id: string }).id;
      expect((await call('GET', `/migrations/${id}`, TOKENS.viewer)).status).toBe(200);
      const denied = await call('POST', `/migrations/${id}/pause`, TOKENS.viewer);
      expect(denied.status).toBe(403);
      expect(denied.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect((await call('POST', `/migrations/${id}/pause`)).status).toBe(401);
      expect((await call('POST', `/migrations/${id}/pause`, TOKENS.operator)).status).toBe(202);
      expect((await call('POST', `/migrations/${id}/cancel`, TOKENS.operator)).status).toBe(202);
    }, 60_000);

    test('audit lines: who, what, id, outcome — in the file and the log, never a token', async () => {
      await new Promise((r) => setTimeout(r, 200));
      const text = readFileSync(auditFile, 'utf8');
      const lines = text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const brief = lines.map((l) => `${l.who} ${l.action} ${l.id ?? ''} ${l.outcome} ${l.status}`);
      expect(brief).toEqual([
        `operator-bot start ${id} ok 201`,
        `viewer-bot pause ${id} denied 403`,
        `unauthenticated pause ${id} denied 401`,
        `operator-bot pause ${id} ok 202`,
        `operator-bot cancel ${id} ok 202`,
      ]);
      expect(api.output().match(/"audit":true/g)).toHaveLength(5);
      for (const t of Object.values(TOKENS)) {
        expect(text).not.toContain(t);
        expect(api.output()).not.toContain(t);
      }
    });
  });
});
