import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { spawnApi, type ApiProcess } from '../helpers/api-process';
import { env, uniqueSuffix } from '../helpers/env';
import { createSimpleSource } from '../helpers/pg';
import { spawnWorker, type WorkerProcess } from '../helpers/worker-process';

/**
 * Acceptance 5 (issue 15): with DATAMIGRATO_CODEC_KEYS set, a migration's spec, report and failure message are
 * AES-GCM ciphertext in Temporal's history — `temporal workflow show` (the real Temporal CLI) finds no table
 * name, only `binary/encrypted` — and the same command with `--codec-endpoint <API>/codec` shows them decoded.
 * The Web UI decodes through that same endpoint and protocol; its CORS preflight is checked here too.
 * Worker, API and datamigrato CLI are real processes on the stack's dev server.
 */
const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin/datamigrato');
const TEMPORAL_BIN = process.env.DATAMIGRATO_TEMPORAL_BIN ?? path.join(os.homedir(), '.cache/datamigrato/bin/temporal');
const SCHEMA = 'tls_codec';
const execFileP = promisify(execFile);

/** Every payload in `temporal workflow show -o json`: its encoding and its data as text (base64 undone). */
function payloads(showJson: string): { encoding: string; text: string }[] {
  const found: { encoding: string; text: string }[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!v || typeof v !== 'object') return;
    const o = v as { metadata?: { encoding?: unknown }; data?: unknown };
    if (typeof o.metadata?.encoding === 'string' && typeof o.data === 'string') {
      found.push({ encoding: Buffer.from(o.metadata.encoding, 'base64').toString(), text: Buffer.from(o.data, 'base64').toString() });
    }
    Object.values(v).forEach(walk);
  };
  walk(JSON.parse(showJson));
  return found;
}
const texts = (showJson: string) =>
  payloads(showJson)
    .map((p) => p.text)
    .join('\n');
const encodings = (showJson: string) => new Set(payloads(showJson).map((p) => p.encoding));

async function exec(file: string, args: string[], extraEnv: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await execFileP(file, args, { env: { ...process.env, ...extraEnv }, timeout: 120_000, maxBuffer: 16 << 20 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('payload encryption in Temporal history, decoded by the codec endpoint', () => {
  const table = `tls_codec_src_${uniqueSuffix()}`;
  const missing = `tls_codec_missing_${uniqueSuffix()}`;
  const taskQueue = `tls_codec_${uniqueSuffix()}`;
  const token = randomBytes(16).toString('hex');
  const codecEnv = {
    // Two keys: the active one first; the other stays for decryption (rotation).
    DATAMIGRATO_CODEC_KEYS: `tls_k2:${randomBytes(32).toString('base64')},tls_k1:${randomBytes(32).toString('base64')}`,
    DATAMIGRATO_TASK_QUEUE: taskQueue,
  };
  let worker: WorkerProcess;
  let api: ApiProcess;
  const pg = (t: string) => ({ type: 'postgres', connection: { url: { env: 'PG_URL' } }, schema: SCHEMA, table: t });
  const show = (id: string, ...extra: string[]) =>
    exec(TEMPORAL_BIN, ['workflow', 'show', '--workflow-id', id, '--address', env.temporalAddress, '--namespace', env.namespace, '--output', 'json', ...extra]);
  const decoded = (id: string) => show(id, '--codec-endpoint', `${api.url}/codec`, '--codec-auth', `Bearer ${token}`);

  beforeAll(async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tls_codec-'));
    const bundle = path.join(dir, 'bundle.js');
    // As scripts/bundle-workflows.ts does with the codec on: failures are encoded inside the sandbox too.
    const [{ code }] = await Promise.all([
      bundleWorkflowCode({
        workflowsPath: require.resolve('../../workflows'),
        failureConverterPath: require.resolve('../../temporal/failure-converter'),
        logger: new DefaultLogger('WARN'),
      }),
      createSimpleSource(SCHEMA, table, 50),
    ]);
    await fs.writeFile(bundle, code);
    [worker, api] = await Promise.all([
      spawnWorker(taskQueue, { ...codecEnv, DATAMIGRATO_WORKFLOW_BUNDLE: bundle }),
      spawnApi({ ...codecEnv, API_TOKEN: token }),
    ]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([worker?.stop(), api?.stop()]);
  });

  const runCli = async (spec: object) => {
    const file = path.join(os.tmpdir(), `tls_codec_${uniqueSuffix()}.json`);
    await fs.writeFile(file, JSON.stringify(spec));
    const r = await exec(BIN, ['run', file, '--watch', '--json'], codecEnv);
    return { ...r, view: JSON.parse(r.stdout) as { id: string; status: string; failure?: { message: string } | null } };
  };

  test('spec and report: ciphertext in history, plaintext through --codec-endpoint', async () => {
    const r = await runCli({ name: 'tls-codec-ok', source: pg(table), target: pg(`${table}_copy`), batchSize: 20 });
    expect(r.view.status).toBe('Completed'); // the CLI decrypts the report with the same keys

    const plain = await show(r.view.id);
    expect(plain.code).toBe(0);
    // The history as stored: not in the JSON, not inside any payload once base64 is undone — neither the
    // spec's tables, nor its fields, nor the report's. Only search attributes (types, job name) stay readable.
    for (const where of [plain.stdout, texts(plain.stdout)]) {
      expect(where).not.toContain(table);
      expect(where).not.toContain('batchSize');
      expect(where).not.toContain('rowsPerSecond');
    }
    expect([...encodings(plain.stdout)].sort()).toEqual(['binary/encrypted', 'json/plain']);
    expect(
      payloads(plain.stdout)
        .filter((p) => p.encoding === 'json/plain')
        .map((p) => p.text),
    ).toEqual(
      expect.arrayContaining(['"tls-codec-ok"', '"postgres"']), // DatamigratoJob, DatamigratoSource/Target
    );
    const sealed = payloads(plain.stdout).filter((p) => p.encoding === 'binary/encrypted').length;

    const open = await decoded(r.view.id);
    expect(open.code).toBe(0);
    expect(texts(open.stdout)).toContain(`"table":"${table}_copy"`);
    expect(texts(open.stdout)).toContain('"batchSize":20');
    expect(texts(open.stdout)).toMatch(/"rows":50,.*"rowsPerSecond"/); // the report
    expect(encodings(open.stdout).has('binary/encrypted')).toBe(false);
    console.log(`history of ${r.view.id}: ${sealed} payloads binary/encrypted; all decoded through ${api.url}/codec`);
  });

  test('a failure message is encrypted too', async () => {
    const r = await runCli({ name: 'tls-codec-fail', source: pg(missing), target: pg(`${missing}_copy`) });
    expect(r.view.status).toBe('Failed');
    expect(r.view.failure?.message).toContain(missing); // decrypted for the CLI user

    const plain = await show(r.view.id);
    expect(plain.stdout).toContain('Encoded failure'); // the failure's message moved into an encrypted payload
    expect(plain.stdout + texts(plain.stdout)).not.toContain(missing);
    expect(texts((await decoded(r.view.id)).stdout)).toMatch(new RegExp(`"message":"[^"]*${missing}`));
  });

  test('codec endpoint: CORS for the Web UI origin only, the API token, X-Namespace', async () => {
    const ui = new URL(process.env.TEMPORAL_UI_URL ?? 'http://127.0.0.1:8233').origin;
    const preflight = (origin: string) =>
      fetch(`${api.url}/codec/decode`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' },
      });
    const ok = await preflight(ui);
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe(ui);
    expect(ok.headers.get('access-control-allow-headers')).toMatch(/X-Namespace/);
    expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();

    const post = (headers: Record<string, string>) =>
      fetch(`${api.url}/codec/encode`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({
          payloads: [{ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('"x"').toString('base64') }],
        }),
      });
    expect((await post({})).status).toBe(401);
    expect((await post({ authorization: `Bearer ${token}`, 'x-namespace': 'tls-other-ns' })).status).toBe(403);
    const enc = await post({ authorization: `Bearer ${token}`, 'x-namespace': env.namespace });
    expect(enc.status).toBe(200);
    const { payloads } = (await enc.json()) as { payloads: { metadata: Record<string, string> }[] };
    expect(Buffer.from(payloads[0].metadata['encryption-key-id'], 'base64').toString()).toBe('tls_k2');
  });
});
