import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { spawnApi } from '../helpers/api-process';
import { env, uniqueSuffix } from '../helpers/env';
import { countRows, createSimpleSource } from '../helpers/pg';
import { makeTestPki, startApiKeyProxy, startTlsProxy, TLS_SERVER_NAME, type ApiKeyProxy, type TestPki, type TlsProxy } from '../helpers/tls';
import { spawnWorker } from '../helpers/worker-process';

/**
 * Acceptance 4 (issue 15): worker, API and CLI — real processes — complete a PostgreSQL migration through a TLS and
 * an mTLS Temporal endpoint: a TLS-terminating proxy (test/helpers/tls.ts) in front of the stack's dev server, with
 * certificates made by openssl for this run. A wrong CA or a missing client certificate fails fast with a message
 * naming TLS and the certificate, not a hang.
 */
const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin/datamigrato');
const SCHEMA = 'tls_it';
const ROWS = 500;
const execFileP = promisify(execFile);

async function cli(args: string[], extraEnv: Record<string, string>) {
  try {
    const { stdout, stderr } = await execFileP(BIN, args, { env: { ...process.env, ...extraEnv }, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

async function pollApi(url: string, deadlineMs: number): Promise<{ status: string }> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const r = await fetch(url);
    const body = (await r.json()) as { status: string };
    if (r.ok && ['Completed', 'Failed', 'Canceled', 'Terminated', 'TimedOut'].includes(body.status)) return body;
    if (Date.now() > deadline) throw new Error(`still ${body.status} after ${deadlineMs} ms`);
    await new Promise((res) => setTimeout(res, 300));
  }
}

describe('Temporal over TLS and mTLS (worker, API, CLI)', () => {
  let pki: TestPki;
  let tlsProxy: TlsProxy;
  let mtlsProxy: TlsProxy;
  let keyProxy: ApiKeyProxy;
  const apiKey = `tls-key-${uniqueSuffix()}`;
  let bundle: string;
  const source = `tls_src_${uniqueSuffix()}`;
  const pg = (table: string) => ({ type: 'postgres', connection: { url: { env: 'PG_URL' } }, schema: SCHEMA, table });

  beforeAll(async () => {
    pki = await makeTestPki();
    [tlsProxy, mtlsProxy, keyProxy] = await Promise.all([
      startTlsProxy(pki, env.temporalAddress, { requireClientCert: false }),
      startTlsProxy(pki, env.temporalAddress, { requireClientCert: true }),
      startApiKeyProxy(pki, env.temporalAddress, apiKey),
    ]);
    // One bundle for both workers: webpack once instead of once per worker process.
    bundle = path.join(pki.dir, 'tls_bundle.js');
    const [{ code }] = await Promise.all([
      bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: new DefaultLogger('WARN') }),
      createSimpleSource(SCHEMA, source, ROWS),
    ]);
    await fs.writeFile(bundle, code);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([tlsProxy?.close(), mtlsProxy?.close(), keyProxy?.close()]);
  });

  // TLS with our variable names; mTLS with the Temporal CLI's envconfig names.
  const modes = () => ({
    tls: { TEMPORAL_ADDRESS: tlsProxy.address, TEMPORAL_TLS_CA: pki.ca, TEMPORAL_TLS_SERVER_NAME: TLS_SERVER_NAME },
    mtls: {
      TEMPORAL_ADDRESS: mtlsProxy.address,
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: pki.ca,
      TEMPORAL_TLS_CLIENT_CERT_PATH: pki.clientCert,
      TEMPORAL_TLS_CLIENT_KEY_PATH: pki.clientKey,
      TEMPORAL_TLS_SERVER_NAME: TLS_SERVER_NAME,
    },
    // Temporal Cloud's way: TLS plus `authorization: Bearer <key>`, checked on every request by the proxy.
    apikey: { TEMPORAL_ADDRESS: keyProxy.address, TEMPORAL_TLS_CA: pki.ca, TEMPORAL_TLS_SERVER_NAME: TLS_SERVER_NAME, TEMPORAL_API_KEY: apiKey },
  });

  test.each(['tls', 'mtls', 'apikey'] as const)(
    '%s: a worker, the CLI and the API complete a migration through the endpoint',
    async (mode) => {
      const taskQueue = `tls_${mode}_${uniqueSuffix()}`;
      const modeEnv = { ...modes()[mode], DATAMIGRATO_TASK_QUEUE: taskQueue };
      const refusedBefore = mtlsProxy.refused.length;
      const [worker, api] = await Promise.all([spawnWorker(taskQueue, { ...modeEnv, DATAMIGRATO_WORKFLOW_BUNDLE: bundle }), spawnApi(modeEnv)]);
      try {
        expect(worker.output()).toContain(mode === 'apikey' ? '"tls":"tls","apiKey":true' : `"tls":"${mode}"`);
        expect(worker.output()).not.toContain(apiKey);
        const specFile = path.join(pki.dir, `tls_${mode}.json`);
        await fs.writeFile(specFile, JSON.stringify({ name: `tls-${mode}-cli`, source: pg(source), target: pg(`${source}_${mode}_cli`), batchSize: 100 }));
        const run = await cli(['run', specFile, '--watch', '--json'], modeEnv);
        expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
        expect(JSON.parse(run.stdout)).toMatchObject({ status: 'Completed', report: { validation: { status: 'match' } } });

        const health = await fetch(`${api.url}/healthz`);
        expect(health.status).toBe(200);
        const started = await fetch(`${api.url}/migrations`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name: `tls-${mode}-api`, source: pg(source), target: pg(`${source}_${mode}_api`), batchSize: 100 }),
        });
        expect(started.status).toBe(201);
        const { id } = (await started.json()) as { id: string };
        expect(await pollApi(`${api.url}/migrations/${encodeURIComponent(id)}`, 60_000)).toMatchObject({ status: 'Completed' });

        expect(await countRows(`"${SCHEMA}"."${source}_${mode}_cli"`)).toBe(ROWS);
        expect(await countRows(`"${SCHEMA}"."${source}_${mode}_api"`)).toBe(ROWS);
        // Every handshake on the mTLS endpoint carried the client certificate.
        expect(mtlsProxy.refused.slice(refusedBefore)).toEqual([]);
        if (mode === 'apikey') expect(keyProxy.seen).toMatchObject({ good: expect.any(Number), bad: 0 });
      } finally {
        await Promise.all([worker.stop(), api.stop()]);
      }
    },
    120_000,
  );

  test('a wrong CA, a missing client certificate, a wrong API key: CLI, API and worker fail fast and say why', async () => {
    const wrongCa = { ...modes().tls, TEMPORAL_TLS_CA: pki.otherCa, DATAMIGRATO_RPC_TIMEOUT_MS: '3000' };
    const noClientCert = {
      TEMPORAL_ADDRESS: mtlsProxy.address,
      TEMPORAL_TLS_CA: pki.ca,
      TEMPORAL_TLS_SERVER_NAME: TLS_SERVER_NAME,
      DATAMIGRATO_RPC_TIMEOUT_MS: '3000',
    };

    const t0 = Date.now();
    const timed = async <T>(p: Promise<T>) => [await p, Date.now() - t0] as const;
    const wrongKey = { ...modes().apikey, TEMPORAL_API_KEY: 'tls-wrong-key', DATAMIGRATO_RPC_TIMEOUT_MS: '3000' };
    const [[good, goodMs], [bad, badMs], [noCert], [badKey], api, workerFailure] = await Promise.all([
      timed(cli(['list'], { ...modes().tls, DATAMIGRATO_RPC_TIMEOUT_MS: '3000' })), // the baseline: tsx start on this machine now
      timed(cli(['list'], wrongCa)),
      timed(cli(['list'], noClientCert)),
      timed(cli(['list'], wrongKey)),
      spawnApi(wrongCa),
      spawnWorker(`tls_bad_${uniqueSuffix()}`, wrongCa).then(
        (w) => w.stop().then(() => 'the worker started'),
        (err: Error) => err.message,
      ),
    ]);
    try {
      console.log(
        `wrong CA, CLI in ${badMs} ms (a working list: ${goodMs} ms): ${bad.stderr.trim()}\nno client certificate, CLI: ${noCert.stderr.trim()}\nwrong API key, CLI: ${badKey.stderr.trim()}`,
      );
      expect(good.code).toBe(0);
      // Within the 3 s RPC timeout of a working call started at the same moment (plus slack for a loaded machine).
      expect(badMs).toBeLessThan(goodMs + 3_000 + 5_000);
      expect(bad.code).toBe(5);
      expect(bad.stderr).toMatch(/TLS handshake with .* failed: .*certificate.*TEMPORAL_TLS_CA/);
      expect(badKey.stderr).toMatch(/Temporal refused our credentials: tls proxy: bad api key \(TEMPORAL_API_KEY/);
      expect(badKey.stderr).not.toContain('tls-wrong-key');
      expect(noCert.code).toBe(5);
      expect(noCert.stderr).toMatch(/TLS handshake .* failed: .*client certificate \(TEMPORAL_TLS_CERT/);
      expect(workerFailure).toMatch(/worker exited early[\s\S]*InvalidCertificate\(UnknownIssuer\)/);
      const t1 = Date.now();
      const health = await fetch(`${api.url}/healthz`);
      expect(Date.now() - t1).toBeLessThan(6_000);
      expect(health.status).toBe(503);
      const body = (await health.json()) as { temporal: { error: string } };
      expect(body.temporal.error).toMatch(/TLS handshake .* failed: .*certificate/);
      const list = await fetch(`${api.url}/migrations`);
      expect(list.status).toBe(503);
      expect(JSON.stringify(await list.json())).toMatch(/TLS handshake .* failed: .*certificate/);
    } finally {
      await api.stop();
    }
  }, 90_000);
});
