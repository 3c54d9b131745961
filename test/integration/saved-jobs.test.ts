import { controlAvailable, memorySpec, openTestControl, seedSource } from '../helpers/control';
import request from 'supertest';
import { createApp } from '../../api/app';
import { memoryRows } from '../../src/connectors/memory/store';
import type { ControlDb } from '../../src/control/db';
import { uniqueSuffix } from '../helpers/env';
import { startHarness, type TemporalHarness } from '../helpers/temporal';
import type { MigrationReport } from '../../workflows/types';
import { expectConforms } from '../helpers/openapi-conformance';

/**
 * Saved job definitions through the API on the real stack: versions in the control store (PostgreSQL),
 * a second API instance with its own pool sees them, and POST /jobs/:name/runs runs the latest version
 * on a real Temporal worker.
 */
const run = controlAvailable('saved-jobs.test.ts') ? describe : describe.skip;

run('saved jobs', () => {
  let h: TemporalHarness;
  let db: ControlDb;
  let db2: ControlDb;
  let api: ReturnType<typeof createApp>;
  let api2: ReturnType<typeof createApp>;
  const store = `sched_jobs_${uniqueSuffix()}`;
  const name = `sched_job-${uniqueSuffix()}`;

  beforeAll(async () => {
    h = await startHarness('sched-jobs');
    db = await openTestControl();
    db2 = await openTestControl();
    const deps = { client: h.client, taskQueue: h.taskQueue, uiUrl: 'http://ui' };
    api = createApp({ ...deps, controlDb: async () => db });
    api2 = createApp({ ...deps, controlDb: async () => db2 });
    seedSource(store, 120);
  });
  afterAll(async () => {
    await db?.query(`DELETE FROM $schema.saved_job WHERE name LIKE 'sched_job-%'`).catch(() => undefined);
    await db?.close();
    await db2?.close();
    await h?.stop();
  });

  test('an invalid spec is a 400 naming each field; a literal URL is refused and not echoed', async () => {
    const res = await request(api)
      .put(`/jobs/${name}`)
      .send({
        source: { type: 'postgres', connection: { url: 'postgres://u:hunter2@db/x' }, table: 't' },
        target: { type: 'memory', connection: { store }, object: 'dst' },
        batchSize: 'many',
        notify: [{ url: 'https://hooks.example/T0KEN', secret: { env: 'K' } }],
      });
    expect(res.status).toBe(400);
    expect(res.type).toBe('application/problem+json');
    const paths = (res.body.errors as { path: string }[]).map((e) => e.path).sort();
    expect(paths).toEqual(['batchSize', 'notify[0].url', 'source.connection.url']);
    expect(res.text).not.toContain('hunter2');
    expect(res.text).not.toContain('T0KEN');
    const mismatch = await request(api).put(`/jobs/${name}`).send(memorySpec('another-name', store));
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.errors).toEqual([{ path: 'name', message: expect.stringContaining(name) }]);
    expect((await request(api).get(`/jobs/${name}`)).status).toBe(404);
  });

  test('each changed PUT is a new version, an identical one is not; every instance sees them', async () => {
    const v1 = await request(api).put(`/jobs/${name}`).send(memorySpec(name, store));
    expect(v1.status).toBe(201);
    expect(v1.body).toMatchObject({ name, version: 1, created: true });
    expectConforms('SavedJobSaved', v1.body);
    // Same spec, keys in another order and the name left out: still version 1.
    const { name: _n, ...rest } = memorySpec(name, store);
    const again = await request(api2)
      .put(`/jobs/${name}`)
      .send(Object.fromEntries(Object.entries(rest).reverse()));
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ version: 1, created: false });
    const v2 = await request(api2)
      .put(`/jobs/${name}`)
      .set('content-type', 'application/yaml')
      .send(
        `batchSize: 7\nparallelism: 1\nsource: {type: memory, connection: {store: ${store}}, object: src}\ntarget: {type: memory, connection: {store: ${store}}, object: dst}\n`,
      );
    expect(v2.status).toBe(201);
    expect(v2.body.version).toBe(2);

    const latest = await request(api).get(`/jobs/${name}`);
    expect(latest.body).toMatchObject({ name, version: 2, spec: { name, batchSize: 7 } });
    expectConforms('SavedJob', latest.body);
    expect((await request(api).get(`/jobs/${name}?version=1`)).body.spec.batchSize).toBe(50);
    expect((await request(api).get(`/jobs/${name}?version=9`)).status).toBe(404);
    expect((await request(api).get(`/jobs/${name}?version=x`)).body.errors[0].path).toBe('version');
    const versions = await request(api).get(`/jobs/${name}/versions`);
    expect(versions.body.items.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    expectConforms('SavedJobVersions', versions.body);
    const list = await request(api2).get('/jobs');
    expect(list.body.items).toContainEqual(expect.objectContaining({ name, latestVersion: 2 }));
    expectConforms('SavedJobList', list.body);
  });

  test('concurrent saves of different specs get distinct versions', async () => {
    const other = `${name}-race`;
    const puts = await Promise.all(
      [11, 12, 13].map((b, i) =>
        request(i % 2 ? api : api2)
          .put(`/jobs/${other}`)
          .send(memorySpec(other, store, { batchSize: b })),
      ),
    );
    expect(puts.map((p) => p.status)).toEqual([201, 201, 201]);
    expect(puts.map((p) => p.body.version).sort()).toEqual([1, 2, 3]);
  });

  test('POST /jobs/:name/runs runs the latest version as a migration', async () => {
    const res = await request(api).post(`/jobs/${name}/runs`);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ job: name, version: 2, created: true, links: { self: `/migrations/${res.body.id}` } });
    expectConforms('SavedJobRun', res.body);
    const report: MigrationReport = await h.client.workflow.getHandle(res.body.id).result();
    expect(report.rows).toBe(120);
    expect(report.validation).toMatchObject({ status: 'match' });
    expect(memoryRows(store, 'dst')).toHaveLength(120);
    // The run is an ordinary migration: GET /migrations/:id knows it.
    expect((await request(api).get(`/migrations/${res.body.id}`)).body.status).toBe('Completed');
  });

  test('a many-object spec is saved and its run starts the parent job workflow', async () => {
    const multi = `${name}-multi`;
    const endpoint = { type: 'memory', connection: { store } };
    const body = { source: endpoint, target: endpoint, include: ['*.src'], targetPrefix: 'multi_' };
    const put = await request(api).put(`/jobs/${multi}`).send(body);
    expect(put.status).toBe(201);
    const res = await request(api).post(`/jobs/${multi}/runs`);
    expect(res.status).toBe(201);
    const desc = await h.client.workflow.getHandle(res.body.id).describe();
    expect(desc.type).toBe('jobWorkflow');
    const report = (await h.client.workflow.getHandle(res.body.id).result()) as { status: string; rows: number; objects: { target: string }[] };
    expect(report).toMatchObject({ status: 'completed', rows: 120 });
    expect(report.objects.map((o) => o.target)).toEqual([`${store}.multi_src`]);
    expect(memoryRows(store, 'multi_src')).toHaveLength(120);
    expect((await request(api).delete(`/jobs/${multi}`)).status).toBe(204);
  });

  test('DELETE removes the job and its versions', async () => {
    expect((await request(api).delete(`/jobs/${name}`)).status).toBe(204);
    expect((await request(api2).get(`/jobs/${name}`)).status).toBe(404);
    expect((await request(api).get(`/jobs/${name}/versions`)).status).toBe(404);
    const runGone = await request(api).post(`/jobs/${name}/runs`);
    expect(runGone.status).toBe(404);
    expect(runGone.body.title).toBe('Saved job not found');
    expect((await request(api).delete(`/jobs/${name}`)).status).toBe(404);
  });
});
