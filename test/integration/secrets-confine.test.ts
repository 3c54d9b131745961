import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { JobSpecSchema } from '../../src/job/job-spec';
import { spawnApi, type ApiProcess } from '../helpers/api-process';
import { env, uniqueSuffix } from '../helpers/env';
import { countRows, createSimpleSource, ensureSchema } from '../helpers/pg';
import { spawnWorker, type WorkerProcess } from '../helpers/worker-process';

/**
 * Acceptance 1 and 2 of the secrets fence, with real processes: the API (tsx api/main.ts), the CLI
 * (bin/datamigrato) and a worker (bin/datamigrato-worker) share one configuration; a start that bypasses both
 * (`temporal workflow start`) is stopped by the worker. The symlink escape points at a FIFO: a worker that
 * opened it would block forever instead of failing at once, so a fast ConfigError proves nothing was read.
 */
const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'bin/datamigrato');
const TEMPORAL_BIN = process.env.DATAMIGRATO_TEMPORAL_BIN ?? path.join(os.homedir(), '.cache/datamigrato/bin/temporal');
const SCHEMA = 'auth_confine';
const run = promisify(execFile);

const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'auth_confine-')));
const secretsDir = path.join(dir, 'secrets');
mkdirSync(secretsDir);
writeFileSync(path.join(secretsDir, 'pg-url'), `${env.pgUrl}\n`);
execFileSync('mkfifo', [path.join(dir, 'outside-fifo')]);
symlinkSync(path.join(dir, 'outside-fifo'), path.join(secretsDir, 'escape'));
const connectionsFile = path.join(dir, 'connections.yaml');
writeFileSync(connectionsFile, `auth_pg:\n  url: ${env.pgUrl}\n`);

const src = `auth_src_${uniqueSuffix()}`;
const pg = (connection: unknown, table: string) => ({ type: 'postgres', connection, schema: SCHEMA, table });
const spec = (connection: unknown, target = `auth_dst_${uniqueSuffix()}`) => ({
  name: 'auth-confine',
  source: pg(connection, src),
  target: pg(connection, target),
});

const BAD_REFS: [string, unknown, RegExp][] = [
  ['a non-allowlisted env var', { env: 'HOME' }, /"HOME" is not allowed/],
  ['a file outside the secrets dir', { file: '/etc/passwd' }, /outside the secrets directory/],
  ['a .. path', { file: `${secretsDir}/../outside-fifo` }, /must not contain "\.\." segments/],
  ['a symlink escape', { file: 'escape' }, /a link that leads outside/],
];

async function cli(args: string[], extraEnv: Record<string, string>) {
  try {
    const { stdout, stderr } = await run(CLI, args, { env: { ...process.env, ...extraEnv }, timeout: 60_000 });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

const post = async (api: ApiProcess, body: unknown) => {
  const res = await fetch(`${api.url}/migrations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as { id?: string; errors?: { path: string; message: string }[] } };
};

/** Failure chain of a closed workflow, as { type, message, nonRetryable } from the workflow down to the activity. */
async function failureChain(client: Client, id: string) {
  const err = await client.workflow
    .getHandle(id)
    .result()
    .then(() => undefined)
    .catch((e: unknown) => e);
  const chain: { type?: string; message: string; nonRetryable?: boolean }[] = [];
  for (let e = err as { cause?: unknown; type?: string; message: string; nonRetryable?: boolean } | undefined; e; e = e.cause as typeof e) {
    chain.push({ type: e.type, message: e.message, nonRetryable: e.nonRetryable });
  }
  return chain;
}

async function temporalStart(taskQueue: string, id: string, rawSpec: unknown) {
  const input = JSON.stringify({ spec: JobSpecSchema.parse(rawSpec) });
  await run(TEMPORAL_BIN, [
    ...['workflow', 'start', '--task-queue', taskQueue, '--type', 'migrationWorkflow', '--workflow-id', id, '--input', input],
    ...['--address', env.temporalAddress, '--namespace', env.namespace],
  ]);
}

async function waitCompleted(api: ApiProcess, id: string) {
  for (let i = 0; i < 240; i++) {
    const v = (await (await fetch(`${api.url}/migrations/${id}`)).json()) as { status: string };
    if (!['Queued', 'Preparing', 'Copying', 'Validating'].includes(v.status)) return v.status;
    await new Promise((r) => setTimeout(r, 250));
  }
  return 'timeout';
}

describe('secrets fence and connectionsOnly on the real stack', () => {
  let client: Client;
  beforeAll(async () => {
    await ensureSchema(SCHEMA);
    await createSimpleSource(SCHEMA, src, 50);
    client = new Client({ connection: await Connection.connect({ address: env.temporalAddress }), namespace: env.namespace });
  });
  afterAll(() => client?.connection.close());

  describe('acceptance 1: references outside the allowlist', () => {
    const queue = `auth-confine-${uniqueSuffix()}`;
    const cfg = { DATAMIGRATO_SECRETS_DIR: secretsDir, DATAMIGRATO_CONNECTIONS_FILE: connectionsFile, DATAMIGRATO_TASK_QUEUE: queue };
    let api: ApiProcess;
    let worker: WorkerProcess;
    beforeAll(async () => ([api, worker] = await Promise.all([spawnApi(cfg), spawnWorker(queue, cfg)])), 90_000);
    afterAll(() => Promise.all([api?.stop(), worker?.stop()]));

    test.each(BAD_REFS)('%s → 400 at the API, naming source.connection.url', async (_what, ref, message) => {
      const res = await post(api, spec({ url: ref }));
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual(expect.arrayContaining([{ path: 'source.connection.url', message: expect.stringMatching(message) }]));
    });

    test('the same four → exit 2 at the CLI, naming source.connection.url', async () => {
      const runs = await Promise.all(
        BAD_REFS.map(async ([, ref, message]) => {
          const file = path.join(dir, `spec-${uniqueSuffix()}.json`);
          writeFileSync(file, JSON.stringify(spec({ url: ref })));
          return { ...(await cli(['run', file], cfg)), message };
        }),
      );
      for (const r of runs) {
        expect(r.code).toBe(2);
        expect(r.out).toMatch(/source\.connection\.url/);
        expect(r.out).toMatch(r.message);
      }
    }, 60_000);

    test('a file inside the secrets dir is accepted and the migration runs', async () => {
      const target = `auth_dst_${uniqueSuffix()}`;
      const res = await post(api, spec({ url: { file: 'pg-url' } }, target));
      expect(res.status).toBe(201);
      expect(await waitCompleted(api, res.body.id!)).toBe('Completed');
      expect(await countRows(`${SCHEMA}.${target}`)).toBe(50);
    });

    test.each([
      ['the symlink escape (to a FIFO nobody writes)', { file: 'escape' }, /source\.connection\.url: secret file "escape" is a link that leads outside/],
      ['a non-allowlisted env var', { env: 'AWS_SECRET_ACCESS_KEY_NOT_LISTED' }, /source\.connection\.url: environment variable .* is not allowed/],
    ])(
      'started with `temporal workflow start`, %s fails non-retryably in the worker',
      async (_what, ref, message) => {
        const id = `auth-confine-direct-${uniqueSuffix()}`;
        const t0 = Date.now();
        await temporalStart(queue, id, spec({ url: ref }));
        const chain = await failureChain(client, id);
        expect(chain).toEqual(
          expect.arrayContaining([expect.objectContaining({ type: 'ConfigError', nonRetryable: true, message: expect.stringMatching(message) })]),
        );
        expect(Date.now() - t0).toBeLessThan(30_000);
      },
      60_000,
    );
  });

  describe('acceptance 2: connectionsOnly', () => {
    const queue = `auth-conn-only-${uniqueSuffix()}`;
    const cfg = { DATAMIGRATO_CONNECTIONS_ONLY: 'true', DATAMIGRATO_CONNECTIONS_FILE: connectionsFile, DATAMIGRATO_TASK_QUEUE: queue };
    let api: ApiProcess;
    let worker: WorkerProcess;
    beforeAll(async () => ([api, worker] = await Promise.all([spawnApi(cfg), spawnWorker(queue, cfg)])), 90_000);
    afterAll(() => Promise.all([api?.stop(), worker?.stop()]));

    test('a spec that brings its own host → 400 at source.connection and target.connection; in the worker, a ConfigError', async () => {
      const res = await post(api, spec({ url: { env: 'PG_URL' } }));
      expect(res.status).toBe(400);
      expect(res.body.errors?.map((e) => e.path)).toEqual(['source.connection', 'target.connection']);
      expect(res.body.errors?.[0]?.message).toMatch(/only named connections/);
      const id = `auth-conn-only-direct-${uniqueSuffix()}`;
      await temporalStart(queue, id, spec({ url: { env: 'PG_URL' } }));
      const chain = await failureChain(client, id);
      expect(chain).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ type: 'ConfigError', nonRetryable: true, message: expect.stringMatching(/connection: only named connections/) }),
        ]),
      );
    }, 60_000);

    test('the named connection works', async () => {
      const target = `auth_dst_${uniqueSuffix()}`;
      const res = await post(api, spec({ name: 'auth_pg' }, target));
      expect(res.status).toBe(201);
      expect(await waitCompleted(api, res.body.id!)).toBe('Completed');
      expect(await countRows(`${SCHEMA}.${target}`)).toBe(50);
    });
  });
});
