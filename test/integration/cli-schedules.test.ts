import { CONTROL_SCHEMA, controlAvailable, openTestControl } from '../helpers/control';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { env, uniqueSuffix } from '../helpers/env';

/**
 * `datamigrato job …` and `datamigrato schedule …` as a user runs them: the real bin/datamigrato in child
 * processes against the control store and the dev server. The schedule is created paused, so no worker is needed.
 * Each call starts a node process (~5 s on a busy 2-core machine), so the API tests cover the variants.
 */
const run = controlAvailable('cli-schedules.test.ts') ? describe : describe.skip;
const BIN = path.join(__dirname, '../../bin/datamigrato');

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(BIN, args, { env: { ...process.env, DATAMIGRATO_CONTROL_SCHEMA: CONTROL_SCHEMA }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

run('job and schedule commands', () => {
  const name = `sched_cli-${uniqueSuffix()}`;
  const id = `sched_cli-s-${uniqueSuffix()}`;
  let dir: string;
  let client: Client;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sched-cli-'));
    client = new Client({ connection: await Connection.connect({ address: env.temporalAddress }), namespace: env.namespace });
  });
  afterAll(async () => {
    await client?.schedule
      .getHandle(id)
      .delete()
      .catch(() => undefined);
    await client?.connection.close();
    const db = await openTestControl();
    await db.query(`DELETE FROM $schema.saved_job WHERE name = $1`, [name]);
    await db.close();
  });

  test('save (twice, then changed), show, a bad spec; a schedule created, paused with a note, described, deleted', async () => {
    const spec = path.join(dir, 'job.yaml');
    const endpoint = (o: string) => `{ type: memory, connection: { store: sched_cli }, object: ${o} }`;
    await fs.writeFile(spec, `source: ${endpoint('src')}\ntarget: ${endpoint('dst')}\nbatchSize: 10\n`);
    expect(await cli(['job', 'save', name, spec])).toMatchObject({ code: 0, stdout: `${name}: version 1 saved\n` });
    expect((await cli(['job', 'save', name, spec])).stdout).toContain('version 1 unchanged');
    await fs.writeFile(spec, `source: ${endpoint('src')}\ntarget: ${endpoint('dst')}\nbatchSize: 20\n`);
    expect((await cli(['job', 'save', name, spec])).stdout).toContain('version 2 saved');
    const shown = JSON.parse((await cli(['job', 'show', name, '--version', '1'])).stdout);
    expect(shown).toMatchObject({ name, version: 1, spec: { batchSize: 10 } });

    await fs.writeFile(spec, `source: { type: postgres, connection: { url: "postgres://u:pw@h/d" }, table: t }\n`);
    const bad = await cli(['job', 'save', name, spec]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('source.connection.url');
    expect(bad.stderr).not.toContain('u:pw');

    const created = await cli(['schedule', 'create', id, '--job', name, '--cron', '*/5 * * * *', '--timezone', 'America/New_York', '--paused', '--json']);
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ id, job: name, cron: '*/5 * * * *', timezone: 'America/New_York', overlap: 'skip', paused: true });
    expect((await cli(['schedule', 'pause', id, '--note', 'maintenance'])).code).toBe(0);
    const described = await cli(['schedule', 'describe', id]);
    expect(described.stdout).toContain('PAUSED');
    expect(described.stdout).toContain('note: maintenance');
    expect((await cli(['schedule', 'delete', id])).code).toBe(0);
    expect((await cli(['schedule', 'describe', id])).code).toBe(4);
  });
});
