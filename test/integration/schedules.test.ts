import { controlAvailable, memorySpec, openTestControl, seedSource } from '../helpers/control';
import { execFile } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { createApp } from '../../api/app';
import type { ControlDb } from '../../src/control/db';
import { saveJobDefinition } from '../../client/saved-jobs';
import { env, uniqueSuffix } from '../helpers/env';
import { startHarness, waitFor, type TemporalHarness } from '../helpers/temporal';
import type { ScheduledJobResult } from '../../workflows/scheduled-job';
import { expectConforms } from '../helpers/openapi-conformance';

/**
 * Schedules on the real Temporal dev server, checked with the stock `temporal schedule describe`. The
 * "three runs" part uses a 3-second interval to keep the file short; the one-minute cron schedule is
 * created and described (its next times a minute apart) but not waited for.
 */
const run = controlAvailable('schedules.test.ts') ? describe : describe.skip;
const TEMPORAL_BIN = process.env.DATAMIGRATO_TEMPORAL_BIN ?? path.join(os.homedir(), '.cache/datamigrato/bin/temporal');
const exec = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface CliSchedule {
  schedule: { spec: { interval?: { interval: string }[]; structuredCalendar?: unknown[] }; state: { paused?: boolean }; policies: { overlapPolicy?: string } };
  info: { actionCount?: string; recentActions?: { startWorkflowResult: { workflowId: string } }[]; futureActionTimes?: string[] };
}

async function cliDescribe(id: string): Promise<CliSchedule> {
  const { stdout } = await exec(TEMPORAL_BIN, [
    'schedule',
    'describe',
    '--schedule-id',
    id,
    '--address',
    env.temporalAddress,
    '--namespace',
    env.namespace,
    '-o',
    'json',
  ]);
  return JSON.parse(stdout) as CliSchedule;
}
const actions = async (id: string) => Number((await cliDescribe(id)).info.actionCount ?? 0);

run('schedules', () => {
  let h: TemporalHarness;
  let db: ControlDb;
  let api: ReturnType<typeof createApp>;
  const store = `sched_s_${uniqueSuffix()}`;
  const job = `sched_sjob-${uniqueSuffix()}`;
  const every = `sched_every-${uniqueSuffix()}`;
  const cron = `sched_cron-${uniqueSuffix()}`;

  beforeAll(async () => {
    h = await startHarness('sched-sched');
    db = await openTestControl();
    api = createApp({ client: h.client, taskQueue: h.taskQueue, uiUrl: 'http://ui', controlDb: async () => db });
    seedSource(store, 30);
    await saveJobDefinition(db, job, memorySpec(job, store));
  });
  afterAll(async () => {
    for (const id of [every, cron])
      await h?.client.schedule
        .getHandle(id)
        .delete()
        .catch(() => undefined);
    // Runs a schedule started that the test did not wait for would stay Running on the dev server once the worker
    // stops. Backfilled runs may still be starting (and visibility lags), so look again until two looks find none.
    for (let round = 0, quiet = 0; h && round < 10 && quiet < 2; round++) {
      let found = 0;
      for (const id of [every, cron])
        for await (const w of h.client.workflow.list({ query: `WorkflowId STARTS_WITH '${id}' AND ExecutionStatus = 'Running'` })) {
          found++;
          await h.client.workflow
            .getHandle(w.workflowId)
            .terminate('schedules test clean-up')
            .catch(() => undefined);
        }
      quiet = found ? 0 : quiet + 1;
      await new Promise((r) => setTimeout(r, 1000));
    }
    await db?.query(`DELETE FROM $schema.saved_job WHERE name = $1`, [job]).catch(() => undefined);
    await db?.close();
    await h?.stop();
  });

  test('bad requests name the field', async () => {
    const post = (body: object) => request(api).post('/schedules').send(body);
    const paths = async (body: object) => ((await post(body)).body.errors as { path: string }[]).map((e) => e.path);
    expect(await paths({ id: every, job, cron: '* * * * *', every: '5s' })).toEqual(['cron']);
    expect(await paths({ id: every, job, every: '5 seconds' })).toEqual(['every']);
    expect(await paths({ id: every, job, every: '5s', timezone: 'Mars/Olympus' })).toEqual(['timezone']);
    expect(await paths({ id: every, job: 'sched_no-such-job', every: '5s' })).toEqual(['job']);
    const badCron = await post({ id: every, job, cron: 'every tuesday-ish' });
    expect([badCron.status, badCron.body.errors?.[0]?.path]).toEqual([400, 'cron']);
    expect((await request(api).get('/schedules/sched_none')).status).toBe(404);
  });

  test('an interval schedule runs the saved job; three runs show in `temporal schedule describe`', async () => {
    const res = await request(api).post('/schedules').send({ id: every, job, every: '3s' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ id: every, job, every: '3s', overlap: 'skip', paused: false, timezone: 'UTC' });
    expectConforms('Schedule', res.body);
    const t0 = Date.now();
    const n = await waitFor(
      () => actions(every),
      (c) => c >= 3,
      30_000,
      500,
    );
    console.log(JSON.stringify({ schedule: every, actions: n, ms: Date.now() - t0 }));
    expect(n).toBeGreaterThanOrEqual(3);
    const described = await cliDescribe(every);
    expect(described.schedule.spec.interval?.[0]?.interval).toBe('3s');
    expect(described.schedule.policies.overlapPolicy ?? 'ScheduleOverlapPolicySkip').toMatch(/Skip/i);
    // Each run loaded the job and ran it as a child migration.
    const first = described.info.recentActions![0]!.startWorkflowResult.workflowId;
    const result: ScheduledJobResult = await h.client.workflow.getHandle(first).result();
    expect(result).toMatchObject({ job, version: 1, status: 'completed', rows: 30, validation: 'match', migrationId: `${first}.run` });
    expect((await request(api).get(`/migrations/${result.migrationId}`)).body.status).toBe('Completed');
    const listed = await request(api).get(`/schedules?job=${job}`);
    expect(listed.body.items.map((s: { id: string }) => s.id)).toContain(every);
    expectConforms('ScheduleList', listed.body);
  });

  test('pause holds, trigger runs at once, unpause resumes, backfill runs a past range', async () => {
    expect((await request(api).post(`/schedules/${every}/pause`).send({ note: 'test hold' })).status).toBe(202);
    await sleep(1_000); // an action already due when the pause arrived may still start
    const held = await actions(every);
    await sleep(7_000); // more than two intervals
    const afterHold = await cliDescribe(every);
    expect(afterHold.schedule.state.paused).toBe(true);
    expect(Number(afterHold.info.actionCount)).toBe(held);
    console.log(JSON.stringify({ paused: true, actionsBefore: held, actionsAfter7s: Number(afterHold.info.actionCount) }));

    const t0 = Date.now();
    expect((await request(api).post(`/schedules/${every}/trigger`)).status).toBe(202);
    const triggered = await waitFor(
      () => actions(every),
      (c) => c === held + 1,
      10_000,
      200,
    );
    console.log(JSON.stringify({ triggerToActionMs: Date.now() - t0 }));
    expect(triggered).toBe(held + 1);
    const view = (await request(api).get(`/schedules/${every}`)).body;
    expect(view).toMatchObject({ paused: true, note: 'test hold', numActionsTaken: held + 1 });
    expectConforms('Schedule', view);

    expect((await request(api).post(`/schedules/${every}/unpause`)).status).toBe(202);
    expect(
      await waitFor(
        () => actions(every),
        (c) => c > held + 1,
        10_000,
        500,
      ),
    ).toBeGreaterThan(held + 1);
    await request(api).post(`/schedules/${every}/pause`);
    await sleep(1_000);

    const before = await actions(every);
    const end = new Date(Date.now() - 60_000);
    const start = new Date(end.getTime() - 9_000);
    const bad = await request(api).post(`/schedules/${every}/backfill`).send({ start: end.toISOString(), end: start.toISOString() });
    expect(bad.body.errors?.[0]?.path).toBe('end');
    expect((await request(api).post(`/schedules/${every}/backfill`).send({ start: start.toISOString(), end: end.toISOString() })).status).toBe(202);
    // 9 s of a 3 s interval: three due times, give or take the edges.
    const filled = await waitFor(
      () => actions(every),
      (c) => c >= before + 2,
      15_000,
      500,
    );
    expect(filled - before).toBeGreaterThanOrEqual(2);
    expect(filled - before).toBeLessThanOrEqual(4);
  });

  test('a one-minute cron schedule in a time zone is described by the temporal CLI; delete removes it', async () => {
    const res = await request(api).post('/schedules').send({ id: cron, job, cron: '* * * * *', timezone: 'Europe/Berlin', paused: true });
    expect(res.status).toBe(201);
    const d = await cliDescribe(cron);
    expect(d.schedule.spec.structuredCalendar?.length).toBe(1);
    expect(d.schedule.state.paused).toBe(true);
    const next = (await request(api).get(`/schedules/${cron}`)).body.nextActionTimes as string[];
    // Paused schedules still list their next times: a minute apart, on the minute.
    expect(next.length).toBeGreaterThan(1);
    expect(Date.parse(next[1]!) - Date.parse(next[0]!)).toBe(60_000);
    expect(new Date(next[0]!).getUTCSeconds()).toBe(0);
    expect((await request(api).delete(`/schedules/${cron}`)).status).toBe(204);
    expect((await request(api).get(`/schedules/${cron}`)).status).toBe(404);
    await expect(cliDescribe(cron)).rejects.toThrow();
  });
});
