import { execFile } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { createApp } from '../../api/app';
import { env, uniqueSuffix } from '../helpers/env';
import { countRows, createMixedSource, createSimpleSource, pgQuery, rowDiff } from '../helpers/pg';
import { startHarness, waitFor, type TemporalHarness } from '../helpers/temporal';
import { expectConforms } from '../helpers/openapi-conformance';

/**
 * The API against the real stack: supertest drives the Express app, an in-process worker on a unique task
 * queue runs the workflows on the real Temporal dev server, PostgreSQL holds real tables, and the state the
 * API claims is checked with the real `temporal` CLI.
 */
const SCHEMA = 'dm_api';
const UI = process.env.TEMPORAL_UI_URL ?? 'http://127.0.0.1:8233';
const TEMPORAL_BIN = process.env.DATAMIGRATO_TEMPORAL_BIN ?? path.join(os.homedir(), '.cache/datamigrato/bin/temporal');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const run = promisify(execFile);

/** `temporal workflow describe -o json`, with search attributes decoded from their payloads. */
async function temporalDescribe(id: string): Promise<{ status: string; sa: Record<string, unknown> }> {
  const { stdout } = await run(TEMPORAL_BIN, [
    'workflow',
    'describe',
    '--workflow-id',
    id,
    '--address',
    env.temporalAddress,
    '--namespace',
    env.namespace,
    '-o',
    'json',
  ]);
  const info = JSON.parse(stdout).workflowExecutionInfo;
  const fields = (info.searchAttributes?.indexedFields ?? {}) as Record<string, { data: string }>;
  const sa = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, JSON.parse(Buffer.from(v.data, 'base64').toString('utf8'))]));
  return { status: info.status as string, sa };
}

const pgEndpoint = (table: string) => ({ type: 'postgres', connection: { url: { env: 'PG_URL' } }, schema: SCHEMA, table });

describe('API on the real stack', () => {
  let h: TemporalHarness;
  let app: ReturnType<typeof createApp>;
  const mixed = `api_mixed_${uniqueSuffix()}`;
  const simple = `api_simple_${uniqueSuffix()}`;
  const small = `api_small_${uniqueSuffix()}`;

  beforeAll(async () => {
    h = await startHarness('api');
    app = createApp({ client: h.client, taskQueue: h.taskQueue, uiUrl: UI, temporalAddress: env.temporalAddress });
    await Promise.all([createMixedSource(SCHEMA, mixed, 20_000), createSimpleSource(SCHEMA, simple, 200_000), createSimpleSource(SCHEMA, small, 1_000)]);
  }, 180_000);
  afterAll(async () => h?.stop());

  test('healthz: Temporal reachable → 200', async () => {
    const res = await request(app).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', temporal: { ok: true, namespace: env.namespace } });
    expectConforms('Health', res.body);
  });

  test('PG→PG 20k rows: start (201), poll progress to completion, report validates', async () => {
    const tgt = `api_mixed_tgt_${uniqueSuffix()}`;
    const started = await request(app)
      .post('/migrations')
      .send({ name: `api-e2e-${tgt}`, source: pgEndpoint(mixed), target: pgEndpoint(tgt), batchSize: 500, parallelism: 2, chunk: { maxSeconds: 1 } });
    expect(started.status).toBe(201);
    expectConforms('StartResponse', started.body);
    const { id, runId } = started.body;
    expect(id).toMatch(new RegExp(`^migration-api-e2e-${tgt}-[0-9a-f-]{36}$`));
    expect(runId).toEqual(expect.any(String));
    expect(started.body.links.ui).toBe(`${UI}/namespaces/${env.namespace}/workflows/${id}`);
    expect(started.headers.location).toBe(`/migrations/${id}`);

    const seen: { status: string; rows: number | null }[] = [];
    const final = await waitFor(
      async () => {
        const r = await request(app).get(`/migrations/${id}`);
        expect(r.status).toBe(200);
        seen.push({ status: r.body.status, rows: r.body.progress?.rows ?? null });
        if (seen.length === 3) expectConforms('Migration', r.body);
        return r.body;
      },
      (b) => b.closed,
      180_000,
      150,
    );
    expectConforms('Migration', final);
    expect(final).toMatchObject({
      id,
      status: 'Completed',
      executionStatus: 'COMPLETED',
      job: `api-e2e-${tgt}`,
      source: 'postgres',
      target: 'postgres',
      failure: null,
    });
    expect(final.summary).toBe(`postgres ${SCHEMA}.${mixed} → postgres ${SCHEMA}.${tgt}`);
    expect(final.progress).toMatchObject({ phase: 'completed', rows: 20_000, partitions: expect.any(Array) });
    expect(final.report).toMatchObject({
      status: 'completed',
      rows: 20_000,
      validation: { status: 'match', source: { count: 20_000 }, target: { count: 20_000 } },
    });
    // Progress was live: some poll saw the run before it closed, with a row count between the ends.
    expect(seen.some((s) => s.status !== 'Completed')).toBe(true);
    console.log(JSON.stringify({ polls: seen.length, distinctRowCounts: [...new Set(seen.map((s) => s.rows))] }));

    const report = await request(app).get(`/migrations/${id}/report`);
    expect(report.status).toBe(200);
    expectConforms('MigrationReport', report.body);
    expect(report.body.validation.status).toBe('match');
    expect(await rowDiff(`${SCHEMA}.${mixed}`, `${SCHEMA}.${tgt}`)).toEqual({ onlyA: 0, onlyB: 0 });

    const t = await temporalDescribe(id);
    expect(t.status).toBe('WORKFLOW_EXECUTION_STATUS_COMPLETED');
    expect(t.sa).toMatchObject({
      DatamigratoStatus: 'Completed',
      DatamigratoJob: `api-e2e-${tgt}`,
      DatamigratoSource: 'postgres',
      DatamigratoTarget: 'postgres',
      DatamigratoRows: 20_000,
    });
  }, 300_000);

  test('pause / resume / cancel via the API change the workflow as `temporal workflow describe` sees it', async () => {
    const tgt = `api_ctl_tgt_${uniqueSuffix()}`;
    const started = await request(app)
      .post('/migrations')
      .send({
        name: `api-ctl-${tgt}`,
        source: pgEndpoint(simple),
        target: pgEndpoint(tgt),
        batchSize: 100,
        parallelism: 1,
        partitions: 4,
        chunk: { maxSeconds: 1 },
      });
    expect(started.status).toBe(201);
    const { id } = started.body;
    const view = async () => (await request(app).get(`/migrations/${id}`)).body;
    await waitFor(view, (b) => (b.progress?.rows ?? 0) > 0, 120_000, 200);

    const paused = await request(app).post(`/migrations/${id}/pause`);
    expect(paused.status).toBe(202);
    expectConforms('ControlResponse', paused.body);
    expect(paused.body).toMatchObject({ id, action: 'pause', status: 'Copying' });
    const tPaused = await waitFor(
      () => temporalDescribe(id),
      (d) => d.sa.DatamigratoStatus === 'Paused',
      30_000,
      300,
    );
    expect(tPaused).toMatchObject({ status: 'WORKFLOW_EXECUTION_STATUS_RUNNING', sa: { DatamigratoStatus: 'Paused' } });
    // The chunk in flight ends within maxSeconds; after that nothing moves.
    await sleep(2_500);
    const a = await view();
    expect(a).toMatchObject({ status: 'Paused', progress: { paused: true, phase: 'paused' } });
    const rowsAtPause = await countRows(`${SCHEMA}.${tgt}`);
    await sleep(3_000);
    expect(await countRows(`${SCHEMA}.${tgt}`)).toBe(rowsAtPause);
    expect(rowsAtPause).toBeLessThan(200_000);

    const resumed = await request(app).post(`/migrations/${id}/resume`);
    expect(resumed.status).toBe(202);
    const tResumed = await waitFor(
      () => temporalDescribe(id),
      (d) => d.sa.DatamigratoStatus === 'Copying',
      30_000,
      300,
    );
    expect(tResumed.sa.DatamigratoStatus).toBe('Copying');
    await waitFor(
      () => countRows(`${SCHEMA}.${tgt}`),
      (n) => n > rowsAtPause,
      30_000,
      200,
    );
    expect((await view()).progress.paused).toBe(false);

    const canceled = await request(app).post(`/migrations/${id}/cancel`);
    expect(canceled.status).toBe(202);
    const tCanceled = await waitFor(
      () => temporalDescribe(id),
      (d) => d.status === 'WORKFLOW_EXECUTION_STATUS_CANCELED',
      60_000,
      300,
    );
    expect(tCanceled).toMatchObject({ status: 'WORKFLOW_EXECUTION_STATUS_CANCELED', sa: { DatamigratoStatus: 'Canceled' } });
    const end = await view();
    expect(end).toMatchObject({ status: 'Canceled', closed: true, report: null, outcome: { status: 'canceled' } });
    expect(end.outcome.rows).toBe(await countRows(`${SCHEMA}.${tgt}`));
    expect(end.outcome.rows).toBeLessThan(200_000);

    // A closed migration cannot be steered; its report does not exist.
    for (const action of ['pause', 'resume', 'cancel']) {
      const r = await request(app).post(`/migrations/${id}/${action}`);
      expect(r.status).toBe(409);
      expect(r.body.detail).toMatch(/is canceled; cannot/);
    }
    expect((await request(app).get(`/migrations/${id}/report`)).status).toBe(409);
  }, 300_000);

  test('unknown id → 404 problem on every id route', async () => {
    const id = `never-started-${uniqueSuffix()}`;
    for (const [method, p] of [
      ['get', `/migrations/${id}`],
      ['get', `/migrations/${id}/report`],
      ['post', `/migrations/${id}/pause`],
      ['post', `/migrations/${id}/resume`],
      ['post', `/migrations/${id}/cancel`],
    ] as const) {
      const r = await request(app)[method](p);
      expect(r.status).toBe(404);
      expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
      expectConforms('Problem', r.body);
      expect(r.body.detail).toBe(`no migration with id "${id}"`);
    }
  });

  test('idempotent start: the same id twice (header or body) starts one workflow; a different spec is 409', async () => {
    const tgt = `api_idem_tgt_${uniqueSuffix()}`;
    const spec = { name: `api-idem-${tgt}`, source: pgEndpoint(small), target: pgEndpoint(tgt) };
    const key = `idem-${uniqueSuffix()}`;
    const first = await request(app).post('/migrations').set('Idempotency-Key', key).send(spec);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ id: key, created: true });
    // Key order and defaults do not matter: the parsed spec is what is compared.
    const again = await request(app)
      .post('/migrations')
      .set('Idempotency-Key', key)
      .send({ target: spec.target, batchSize: 1000, source: spec.source, name: spec.name });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ ...first.body, created: false });
    const viaBody = await request(app).post('/migrations').send({ spec, id: key });
    expect(viaBody.status).toBe(200);
    expect(viaBody.body.runId).toBe(first.body.runId);
    // Concurrent duplicates: exactly the one above exists.
    const burst = await Promise.all(Array.from({ length: 5 }, () => request(app).post('/migrations').set('Idempotency-Key', key).send(spec)));
    expect(burst.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    const other = await request(app)
      .post('/migrations')
      .set('Idempotency-Key', key)
      .send({ ...spec, batchSize: 7 });
    expect(other.status).toBe(409);
    expect(other.body.detail).toMatch(/different spec/);
    // Once it completed, the same id still returns it (REJECT_DUPLICATE), it does not start again.
    await waitFor(
      async () => (await request(app).get(`/migrations/${key}`)).body,
      (b) => b.closed,
      120_000,
      300,
    );
    const afterDone = await request(app).post('/migrations').set('Idempotency-Key', key).send(spec);
    expect(afterDone.status).toBe(200);
    expect(afterDone.body.runId).toBe(first.body.runId);
    const runs = await h.client.workflow.count(`WorkflowId = '${key}'`);
    expect(runs.count).toBe(1);

    // A fresh concurrent burst with a new key: one 201, the rest 200, one workflow.
    const key2 = `idem2-${uniqueSuffix()}`;
    const burst2 = await Promise.all(
      Array.from({ length: 4 }, () =>
        request(app)
          .post('/migrations')
          .send({ spec: { ...spec, target: pgEndpoint(`${tgt}_2`) }, id: key2 }),
      ),
    );
    expect(burst2.map((r) => r.status).sort()).toEqual([200, 200, 200, 201]);
    expect(new Set(burst2.map((r) => r.body.runId)).size).toBe(1);
    expect((await h.client.workflow.count(`WorkflowId = '${key2}'`)).count).toBe(1);
    // Leave nothing running on this test's queue once its worker is gone.
    await waitFor(
      async () => (await request(app).get(`/migrations/${key2}`)).body,
      (b) => b.closed,
      120_000,
      300,
    );
  }, 300_000);

  test('list: filter by name and status, paginate with a page token', async () => {
    const name = `api-list-${uniqueSuffix()}`;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await request(app)
        .post('/migrations')
        .send({ name, source: pgEndpoint(small), target: pgEndpoint(`api_list_tgt_${uniqueSuffix()}`) });
      expect(r.status).toBe(201);
      ids.push(r.body.id);
    }
    const all = await waitFor(
      async () => (await request(app).get(`/migrations?name=${name}&pageSize=10`)).body,
      (b) => b.items.length === 3,
      30_000,
      300,
    );
    expectConforms('MigrationList', all);
    expect(all.items.map((m: { id: string }) => m.id).sort()).toEqual([...ids].sort());
    expect(all.query).toBe(`WorkflowType IN ('migrationWorkflow', 'jobWorkflow') AND DatamigratoJob = '${name}'`);
    expect(all.items[0].links.ui).toMatch(new RegExp(`/namespaces/${env.namespace}/workflows/`));

    const p1 = (await request(app).get(`/migrations?name=${name}&pageSize=2`)).body;
    expect(p1.items).toHaveLength(2);
    expect(p1.nextPageToken).toEqual(expect.any(String));
    const p2 = (await request(app).get(`/migrations?name=${name}&pageSize=2&pageToken=${encodeURIComponent(p1.nextPageToken)}`)).body;
    expect(p2.items).toHaveLength(1);
    expect(new Set([...p1.items, ...p2.items].map((m: { id: string }) => m.id)).size).toBe(3);

    const done = await waitFor(
      async () => (await request(app).get(`/migrations?name=${name}&status=completed`)).body,
      (b) => b.items.length === 3,
      120_000,
      500,
    );
    expect(done.items.every((m: { status: string }) => m.status === 'Completed')).toBe(true);
    expect((await request(app).get(`/migrations?name=${name}&status=copying`)).body.items).toEqual([]);
    const badToken = await request(app).get(`/migrations?pageToken=${Buffer.from('garbage').toString('base64url')}`);
    expect(badToken.status).toBe(400);
    expect(badToken.body.errors[0].path).toBe('pageToken');
    // A real token used with another filter is refused too, rather than sent to Temporal with the wrong query.
    const crossed = await request(app).get(`/migrations?name=${name}-other&pageSize=2&pageToken=${encodeURIComponent(p1.nextPageToken)}`);
    expect(crossed.status).toBe(400);
    expect(crossed.body.errors[0].message).toMatch(/different filter/);
  }, 300_000);

  test('dry run: sample transformed, nothing written; failures name the step and path', async () => {
    const tgt = `api_check_tgt_${uniqueSuffix()}`;
    const spec = {
      name: 'api-check',
      source: pgEndpoint(mixed),
      target: pgEndpoint(tgt),
      transform: [
        { op: 'rename', fields: { label: 'title' } },
        { op: 'drop', fields: ['payload'] },
      ],
    };
    const res = await request(app).post('/migrations/check').send(spec);
    expect(res.status).toBe(200);
    expectConforms('DryRunResult', res.body);
    expect(res.body).toMatchObject({ ok: true, source: { object: `${SCHEMA}.${mixed}`, schema: { key: ['id'] } }, target: { exists: false, schema: null } });
    expect(res.body.sample).toHaveLength(5);
    expect(res.body.sample[0]).toHaveProperty('title');
    expect(res.body.sample[0]).not.toHaveProperty('label');
    expect(res.body.sample[0]).not.toHaveProperty('payload');
    expect(res.body.targetSchema.fields.map((f: { name: string }) => f.name)).toContain('title');
    const [exists] = await pgQuery<{ t: string | null }>(`SELECT to_regclass($1)::text AS t`, [`${SCHEMA}.${tgt}`]);
    expect(exists!.t).toBeNull(); // nothing was created

    const missing = await request(app)
      .post('/migrations/check')
      .send({ ...spec, source: pgEndpoint(`no_such_${uniqueSuffix()}`) });
    expect(missing.status).toBe(422);
    expect(missing.body).toMatchObject({
      step: 'source.describe',
      kind: 'SchemaError',
      errors: [{ path: 'source.table', message: expect.stringMatching(/not found/) }],
    });
    const badField = await request(app)
      .post('/migrations/check')
      .send({ ...spec, transform: [{ op: 'drop', fields: ['nope'] }] });
    expect(badField.status).toBe(422);
    expect(badField.body).toMatchObject({ step: 'transform', errors: [{ path: 'transform[0]', message: expect.stringMatching(/unknown field\(s\) nope/) }] });
    const noEnv = await request(app)
      .post('/migrations/check')
      .send({ ...spec, target: { ...pgEndpoint(tgt), connection: { url: { env: 'DM_NOT_SET_ANYWHERE' } } } });
    expect(noEnv.status).toBe(422);
    expect(noEnv.body.errors[0]).toMatchObject({ path: 'target.connection', message: expect.stringMatching(/DM_NOT_SET_ANYWHERE is not set/) });
    process.env.DM_API_DEAD_PG = 'postgres://postgres:pw-not-shown@127.0.0.1:1/postgres';
    const dead = await request(app)
      .post('/migrations/check')
      .send({ ...spec, source: { ...pgEndpoint(mixed), connection: { url: { env: 'DM_API_DEAD_PG' } } } });
    expect(dead.status).toBe(502);
    expect(dead.body).toMatchObject({ step: 'source.check', kind: 'TransientError', errors: [{ path: 'source.connection' }] });
    expect(JSON.stringify(dead.body)).not.toContain('pw-not-shown');
  }, 120_000);

  test('connectors: types and capabilities from the registry', async () => {
    const res = await request(app).get('/connectors');
    expect(res.status).toBe(200);
    expectConforms('ConnectorList', res.body);
    expect(res.body.items.map((c: { type: string }) => c.type)).toContain('postgres');
  });
});
