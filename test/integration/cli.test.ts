import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import YAML from 'yaml';
import type { MigrationProgress } from '../../workflows/types';
import { env, uniqueSuffix } from '../helpers/env';
import { countRows, createSimpleSource } from '../helpers/pg';
import { startHarness, waitFor, type TemporalHarness } from '../helpers/temporal';

/**
 * The `datamigrato` CLI as a user runs it: the real bin/datamigrato executable in child processes, talking to the
 * real Temporal dev server; an in-process worker on a unique task queue runs the workflows. `watch` is drawn in a
 * real terminal (tmux) and read back with capture-pane. Pauses are checked through the workflow's progress query.
 */
const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin/datamigrato');
const TEMPORAL_BIN = process.env.DATAMIGRATO_TEMPORAL_BIN ?? path.join(os.homedir(), '.cache/datamigrato/bin/temporal');
const SCHEMA = 'dm_api';
const execFileP = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function exec(file: string, args: string[], extraEnv: Record<string, string> = {}): Promise<Run> {
  try {
    const { stdout, stderr } = await execFileP(file, args, {
      cwd: os.tmpdir(),
      env: { ...process.env, ...extraEnv },
      timeout: 300_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const tmux = (...args: string[]) => exec('tmux', args);
const temporalCli = (...args: string[]) => exec(TEMPORAL_BIN, [...args, '--address', env.temporalAddress, '--namespace', env.namespace]);

describe('datamigrato CLI on the real stack', () => {
  let h: TemporalHarness;
  let dir: string;
  const big = `cli_big_${uniqueSuffix()}`;
  const small = `cli_small_${uniqueSuffix()}`;
  const sessions: string[] = [];
  const cli = (...args: string[]) => exec(BIN, args, { DATAMIGRATO_TASK_QUEUE: h.taskQueue });
  const onQueue = async () => (await h.client.workflow.count(`TaskQueue = '${h.taskQueue}'`)).count;
  const progress = (id: string) => h.client.workflow.getHandle(id).query<MigrationProgress>('progress');

  const writeSpec = async (file: string, spec: unknown) => {
    const p = path.join(dir, file);
    await fs.writeFile(p, file.endsWith('.json') ? JSON.stringify(spec) : YAML.stringify(spec));
    return p;
  };
  const pg = (table: string) => ({ type: 'postgres', connection: { url: { env: 'PG_URL' } }, schema: SCHEMA, table });
  const bigSpec = (name: string) => ({
    name,
    source: pg(big),
    target: pg(`${name.replace(/-/g, '_')}_tgt`),
    batchSize: 50,
    parallelism: 2,
    partitions: 4,
    chunk: { maxSeconds: 1 },
  });

  beforeAll(async () => {
    h = await startHarness('cli');
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dm-cli-'));
    // Big enough that the copy is still running after every pause and resume below (the runs end cancelled):
    // 200,000 rows finished in 8 s once reads went through COPY and validation into the databases.
    await Promise.all([createSimpleSource(SCHEMA, big, 1_000_000), createSimpleSource(SCHEMA, small, 2_000)]);
  }, 180_000);
  afterAll(async () => {
    for (const s of sessions) await tmux('kill-session', '-t', s).catch(() => undefined);
    await h?.stop();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  test('invalid spec: run and check exit 2 with the failing paths; nothing starts', async () => {
    const bad = await writeSpec('bad.yaml', {
      name: 'cli bad',
      source: { type: 'postgres', connection: { url: 'postgres://admin:hunter2@db/prod' }, table: 'a' },
      target: { type: 'nosuchdb', table: 'b' },
    });
    for (const cmd of ['run', 'check']) {
      const r = await cli(cmd, bad);
      expect({ cmd, code: r.code }).toEqual({ cmd, code: 2 });
      expect(r.stderr).toMatch(/source\.connection\.url: must be a secret reference .*not a literal value/);
      expect(r.stderr).toMatch(/name: letters, digits/);
      expect(r.stderr).toMatch(/target\.type: unknown connector type "nosuchdb"/);
      expect(r.stderr).not.toContain('hunter2');
    }
    expect((await cli('run', path.join(dir, 'missing.yaml'))).code).toBe(2);
    const json = await writeSpec('broken.json', 'x');
    await fs.writeFile(json, '{"name": ');
    const broken = await cli('run', json);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/not valid YAML\/JSON/);
    expect((await cli('run')).code).toBe(2); // missing argument
    expect((await cli('frobnicate')).code).toBe(2);
    await sleep(1_000);
    expect(await onQueue()).toBe(0);
  }, 120_000);

  test('check: dry run prints the transformed sample and writes nothing', async () => {
    const tgt = `cli_check_tgt_${uniqueSuffix()}`;
    const spec = await writeSpec('check.yaml', {
      name: 'cli-check',
      source: pg(small),
      target: pg(tgt),
      transform: [{ op: 'rename', fields: { payload: 'body' } }],
    });
    const r = await cli('check', spec);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`spec ok: postgres ${SCHEMA}.${small} → postgres ${SCHEMA}.${tgt}`);
    expect(r.stdout).toMatch(/does not exist \(a run creates it\)/);
    expect(r.stdout).toMatch(/sample \(5 rows after transforms; nothing was written\)/);
    expect(r.stdout).toContain('"body":');
    await expect(countRows(`${SCHEMA}.${tgt}`)).rejects.toThrow(/does not exist/);
    const j = await cli('check', spec, '--json', '--sample', '3');
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: true, sample: [expect.any(Object), expect.any(Object), expect.any(Object)] });
    const missingTable = await writeSpec('check2.yaml', { name: 'cli-check2', source: pg(`nope_${uniqueSuffix()}`), target: pg(tgt) });
    const f = await cli('check', missingTable);
    expect(f.code).toBe(1);
    expect(f.stderr).toMatch(/dry run failed at source\.describe \(SchemaError\)/);
    expect(f.stderr).toMatch(/source\.table: .*not found/);
  }, 120_000);

  test('run --watch (no TTY) to completion, then status / list; idempotent --id', async () => {
    const name = `cli-small-${uniqueSuffix()}`;
    const spec = await writeSpec('small.json', { name, source: pg(small), target: pg(`${name.replace(/-/g, '_')}_tgt`) });
    const r = await cli('run', spec, '--watch');
    expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
    expect(r.stdout).toMatch(/^started migration-cli-small-/m);
    expect(r.stdout).toMatch(/status: +Completed/);
    expect(r.stdout).toMatch(/report: +2,000 rows, .*validation match \(source 2,000 \/ target 2,000\)/);
    const id = /^started (\S+)/m.exec(r.stdout)![1]!;

    const st = await cli('status', id, '--json');
    expect(st.code).toBe(0);
    expect(JSON.parse(st.stdout)).toMatchObject({ id, status: 'Completed', report: { rows: 2_000, validation: { status: 'match' } } });
    const ls = await waitFor(
      () => cli('list', '--name', name),
      (x) => x.stdout.includes(id),
      15_000,
      500,
    );
    expect(ls.stdout).toMatch(new RegExp(`${id} +Completed +${name} +postgres→postgres +2,000`));

    const fixed = `cli-fixed-${uniqueSuffix()}`;
    const a = await cli('run', spec, '--id', fixed);
    const b = await cli('run', spec, '--id', fixed);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(a.stdout).toMatch(`started ${fixed}`);
    expect(b.stdout).toMatch(`already started with this id and spec: ${fixed}`);
    expect((await h.client.workflow.count(`WorkflowId = '${fixed}'`)).count).toBe(1);
    expect((await cli('watch', fixed)).code).toBe(0); // and let it finish while this file's worker is up
  }, 180_000);

  test('watch in a real terminal (tmux): bars move; CLI pause and `temporal workflow signal --name pause` both pause; `temporal workflow cancel` ends watch non-zero', async () => {
    const name = `cli-tmux-${uniqueSuffix()}`;
    const started = await cli('run', await writeSpec('big.yaml', bigSpec(name)), '--json');
    expect(started.code).toBe(0);
    const { id } = JSON.parse(started.stdout) as { id: string };
    const session = `dmcli-${uniqueSuffix()}`;
    sessions.push(session);
    const envs = ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TEMPORAL_UI_URL', 'PG_URL'].filter((k) => process.env[k]).map((k) => `${k}=${process.env[k]}`);
    const cmd = `env ${envs.join(' ')} DATAMIGRATO_TASK_QUEUE=${h.taskQueue} ${BIN} watch ${id}; echo EXIT=$?; sleep 600`;
    expect((await tmux('new-session', '-d', '-s', session, '-x', '160', '-y', '40', cmd)).code).toBe(0);
    const pane = async () => (await tmux('capture-pane', '-p', '-t', session)).stdout;
    const totalRows = (screen: string) => {
      const m = /total\s+\[[^\]]*\]\s+(\d+)%\s+\|\s+([\d,]+)\/[\d,?]+ rows \| ([\d,]+) rows\/s \| ETA (\S+) \| (.+)$/m.exec(screen);
      return m ? { pct: Number(m[1]), rows: Number(m[2]!.replace(/,/g, '')), rps: m[3], eta: m[4], state: m[5]!.trim() } : null;
    };

    const first = await waitFor(pane, (s) => (totalRows(s)?.rows ?? 0) > 0 && /p3\s+\[/.test(s), 60_000, 300);
    const a = totalRows(first)!;
    await sleep(3_000);
    const second = await pane();
    const b = totalRows(second)!;
    console.log(`tmux capture 1:\n${first.trimEnd()}\n\ntmux capture 2:\n${second.trimEnd()}`);
    expect(a.rows).toBeGreaterThan(0);
    expect(b.rows).toBeGreaterThan(a.rows); // the bar moved
    expect(b.pct).toBeGreaterThanOrEqual(a.pct);
    expect(b.state).toBe('copying');
    for (const p of ['p0', 'p1', 'p2', 'p3'])
      expect(second).toMatch(new RegExp(`${p}\\s+\\[[█░]+\\]\\s+\\d+% \\| [\\d,]+/[\\d,]+ rows \\| [\\d,]+ rows/s \\| ETA \\S+ \\| (pending|copying|done)`));

    // CLI pause → the workflow reports paused; the bar says so.
    const p1 = await cli('pause', id);
    expect(p1).toMatchObject({ code: 0 });
    expect(p1.stdout).toMatch(`pause sent to ${id}`);
    expect(
      (
        await waitFor(
          () => progress(id),
          (p) => p.paused,
          15_000,
          200,
        )
      ).paused,
    ).toBe(true);
    const pausedScreen = await waitFor(pane, (s) => totalRows(s)?.state === 'PAUSED', 15_000, 300);
    expect(totalRows(pausedScreen)!.state).toBe('PAUSED');
    expect((await cli('resume', id)).code).toBe(0);
    expect(
      (
        await waitFor(
          () => progress(id),
          (p) => !p.paused,
          15_000,
          200,
        )
      ).paused,
    ).toBe(false);

    // The README's Temporal CLI equivalents do the same.
    const sig = await temporalCli('workflow', 'signal', '--workflow-id', id, '--name', 'pause');
    expect(sig).toMatchObject({ code: 0 });
    expect(
      (
        await waitFor(
          () => progress(id),
          (p) => p.paused,
          15_000,
          200,
        )
      ).paused,
    ).toBe(true);
    const st = await cli('status', id);
    expect(st.stdout).toMatch(/status: +Paused \(running\)/);
    expect((await temporalCli('workflow', 'signal', '--workflow-id', id, '--name', 'resume')).code).toBe(0);
    expect(
      (
        await waitFor(
          () => progress(id),
          (p) => !p.paused,
          15_000,
          200,
        )
      ).paused,
    ).toBe(false);

    const can = await temporalCli('workflow', 'cancel', '--workflow-id', id);
    expect(can).toMatchObject({ code: 0 });
    const end = await waitFor(pane, (s) => /EXIT=\d+/.test(s), 60_000, 500);
    expect(end).toMatch(/status: +Canceled/);
    expect(end).toMatch(/EXIT=3/);
  }, 300_000);

  test('CLI cancel; exit codes for canceled, not found, conflict and Temporal unreachable', async () => {
    const name = `cli-cancel-${uniqueSuffix()}`;
    const started = await cli('run', await writeSpec('big2.yaml', bigSpec(name)), '--json');
    const { id } = JSON.parse(started.stdout) as { id: string };
    await waitFor(
      () => progress(id).catch(() => null),
      (p) => (p?.rows ?? 0) > 0,
      60_000,
      200,
    );
    const c = await cli('cancel', id);
    expect(c).toMatchObject({ code: 0 });
    const w = await cli('watch', id);
    expect(w.code).toBe(3);
    expect(w.stdout).toMatch(/status: +Canceled/);
    expect((await cli('status', id)).code).toBe(3);
    const again = await cli('cancel', id);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/is canceled; cannot cancel it/);
    const nf = await cli('status', `no-such-${uniqueSuffix()}`);
    expect(nf.code).toBe(4);
    expect(nf.stderr).toMatch(/no migration with id/);
    const down = await exec(BIN, ['--address', '127.0.0.1:1', 'list']);
    expect(down.code).toBe(5);
    expect(down.stderr).toMatch(/Temporal is not reachable/);
  }, 180_000);
});
