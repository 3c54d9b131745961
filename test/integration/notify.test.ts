import { memorySpec, seedSource } from '../helpers/control';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkflowFailedError } from '@temporalio/client';
import type { JobSpecInput } from '../../src/job/job-spec';
import type { NotifyPayload } from '../../src/notify/payload';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from '../../src/notify/sign';
import type { MigrationReport } from '../../workflows/types';
import { parsed } from '../helpers/specs';
import { parseMultiJobSpec } from '../../src/job/multi-spec';

function parseMultiJobSpecOrThrow(input: unknown) {
  const r = parseMultiJobSpec(input);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.spec;
}
import { uniqueSuffix } from '../helpers/env';
import { historyJson, startHarness, type TemporalHarness } from '../helpers/temporal';

/**
 * Webhooks from migrationWorkflow on the real dev server to a receiver in this process: signed bodies
 * verified here, a receiver that refuses connections or answers 500 at first is retried with backoff,
 * and no delivery outcome changes the migration's own.
 */
const KEY = `hmac-key-${uniqueSuffix()}`;
const TOKEN = `T0KEN${uniqueSuffix()}`;

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  verified: boolean;
}

/** A receiver answering `statuses` in turn (then 200), recording every request and checking its signature. */
function receiver(statuses: number[] = [], port = 0) {
  const got: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const verified = verifySignature(KEY, { signature: req.headers[SIGNATURE_HEADER] as string, timestamp: req.headers[TIMESTAMP_HEADER] as string }, body);
      got.push({ headers: req.headers, body, verified });
      res.statusCode = req.url === `/hook/${TOKEN}` ? (statuses.shift() ?? 200) : 404;
      res.end();
    });
  });
  const listening = new Promise<number>((resolve) => server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
  return { got, listening, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const freePort = async () => {
  const r = receiver();
  const port = await r.listening;
  await r.close();
  return port;
};

describe('notifications', () => {
  let h: TemporalHarness;
  const store = `sched_n_${uniqueSuffix()}`;
  const hookVar = `SCHED_HOOK_URL_${uniqueSuffix()}`;

  beforeAll(async () => {
    h = await startHarness('sched-notify');
    seedSource(store, 40);
    process.env.SCHED_HOOK_KEY = KEY;
  });
  afterAll(async () => h?.stop());

  const hook = (port: number, events: string[] = ['completed', 'failed']) => {
    process.env[hookVar] = `http://127.0.0.1:${port}/hook/${TOKEN}`;
    return { notify: [{ url: { env: hookVar }, secret: { env: 'SCHED_HOOK_KEY' }, events }] } as Partial<JobSpecInput>;
  };
  const start = (name: string, spec: JobSpecInput) =>
    h.client.workflow.start('migrationWorkflow', { taskQueue: h.taskQueue, workflowId: `${name}-${uniqueSuffix()}`, args: [{ spec: parsed(spec) }] });

  test('completion: one signed POST with counts and no secrets; recorded in the report', async () => {
    const r = receiver();
    const port = await r.listening;
    const handle = await start('sched-ok', memorySpec('sched-ok', store, hook(port)));
    const report: MigrationReport = await handle.result();
    await r.close();
    expect(report.rows).toBe(40);
    expect(report.notifications).toEqual([{ index: 0, event: 'completed', delivered: true, status: 200, attempts: 1 }]);
    expect(r.got).toHaveLength(1);
    const [req] = r.got;
    expect(req!.verified).toBe(true);
    expect(req!.headers[EVENT_HEADER]).toBe('completed');
    expect(req!.headers[DELIVERY_HEADER]).toBe(`${handle.workflowId}:completed:0`);
    const body = JSON.parse(req!.body) as NotifyPayload;
    expect(body).toMatchObject({
      event: 'completed',
      job: 'sched-ok',
      migrationId: handle.workflowId,
      counts: { rows: 40, quarantined: 0 },
      validation: 'match',
    });
    // A tampered body fails verification: the test's check is not vacuous.
    expect(
      verifySignature(
        KEY,
        { signature: req!.headers[SIGNATURE_HEADER] as string, timestamp: req!.headers[TIMESTAMP_HEADER] as string },
        req!.body.replace('40', '41'),
      ),
    ).toBe(false);
    for (const secret of [KEY, TOKEN]) {
      expect(req!.body).not.toContain(secret);
      expect(await historyJson(handle)).not.toContain(secret);
    }
  });

  test('failure: a signed "failed" event, and the migration fails exactly as without webhooks', async () => {
    const r = receiver();
    const port = await r.listening;
    const denied = { source: { type: 'memory', connection: { store: 'denied' }, object: 'src' } } as Partial<JobSpecInput>;
    const handle = await start('sched-fail', memorySpec('sched-fail', store, { ...hook(port), ...denied }));
    const err = await handle.result().catch((e) => e);
    await r.close();
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err.cause as { type?: string }).type).toBe('AuthError');
    expect(r.got).toHaveLength(1);
    expect(r.got[0]!.verified).toBe(true);
    const body = JSON.parse(r.got[0]!.body) as NotifyPayload;
    expect(body).toMatchObject({ event: 'failed', job: 'sched-fail', error: { type: 'AuthError' } });
  });

  test('a receiver refusing connections, then answering 500, is retried until it takes the event', async () => {
    const port = await freePort();
    const handle = await start('sched-retry', memorySpec('sched-retry', store, hook(port)));
    // Nothing listens for the first ~2.5 s (connection refused), then two 500s, then 200.
    await new Promise((res) => setTimeout(res, 2_500));
    const r = receiver([500, 500], port);
    await r.listening;
    const t0 = Date.now();
    const report: MigrationReport = await handle.result();
    await r.close();
    const n = report.notifications![0]!;
    console.log(JSON.stringify({ notification: n, receivedRequests: r.got.length, msAfterReceiverUp: Date.now() - t0 }));
    expect(report.rows).toBe(40);
    expect(n).toMatchObject({ delivered: true, status: 200 });
    expect(n.attempts).toBeGreaterThanOrEqual(4); // ≥ 1 refused + 2 × 500 + the 200
    expect(r.got.map((g) => g.verified)).toEqual([true, true, true]);
    // Every attempt carries the same delivery id so the receiver can drop duplicates.
    expect(new Set(r.got.map((g) => g.headers[DELIVERY_HEADER])).size).toBe(1);
  });

  test('a receiver that refuses the event (4xx) is given up at once and the migration still completes', async () => {
    const r = receiver([410]);
    const port = await r.listening;
    const report: MigrationReport = await (await start('sched-gone', memorySpec('sched-gone', store, hook(port)))).result();
    await r.close();
    expect(report.status).toBe('completed');
    expect(report.rows).toBe(40);
    expect(report.notifications).toEqual([{ index: 0, event: 'completed', delivered: false, error: expect.stringContaining('HTTP 410') }]);
    expect(report.notifications![0]!.error).not.toContain(TOKEN);
    expect(r.got).toHaveLength(1);
  });
  test('a many-object job notifies once for the job (its children do not), with the objects summed', async () => {
    const r = receiver();
    const port = await r.listening;
    const endpoint = { type: 'memory', connection: { store } };
    const spec = {
      name: 'sched-job',
      source: endpoint,
      target: endpoint,
      objects: [
        { source: { object: 'src' }, target: { object: 'job_a' } },
        { source: { object: 'src' }, target: { object: 'job_b' } },
      ],
      ...hook(port),
    };
    const handle = await h.client.workflow.start('jobWorkflow', {
      taskQueue: h.taskQueue,
      workflowId: `sched-job-${uniqueSuffix()}`,
      args: [{ spec: parseMultiJobSpecOrThrow(spec) }],
    });
    const report = (await handle.result()) as { status: string; rows: number; notifications?: unknown[] };
    await r.close();
    expect(report.status).toBe('completed');
    expect(report.rows).toBe(80);
    expect(report.notifications).toEqual([{ index: 0, event: 'completed', delivered: true, status: 200, attempts: 1 }]);
    expect(r.got).toHaveLength(1);
    expect(r.got[0]!.verified).toBe(true);
    const body = JSON.parse(r.got[0]!.body) as NotifyPayload;
    expect(body).toMatchObject({ event: 'completed', job: 'sched-job', counts: { rows: 80 }, validation: 'match' });
  });
});
