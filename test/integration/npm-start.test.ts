import { spawnSync } from 'node:child_process';
import path from 'node:path';

/**
 * `npm start` end to end, in one-shot mode: stack (already up: a no-op), worker, API, the sample
 * migration drawn by the CLI, then everything it started is stopped again.
 */
test('npm start runs the sample migration to a validated report and stops what it started', () => {
  const root = path.resolve(__dirname, '../..');
  const run = spawnSync('bash', ['scripts/start.sh'], {
    cwd: root,
    env: { ...process.env, DATAMIGRATO_START_ONESHOT: '1', PORT: '3917' },
    encoding: 'utf8',
    timeout: 240_000,
  });
  const out = `${run.stdout}\n${run.stderr}`;
  expect({ status: run.status, tail: out.slice(-1500) }).toMatchObject({ status: 0 });
  expect(out).toContain('Temporal Web UI  http://');
  expect(out).toMatch(/report: +100,000 rows, .*validation match/);
  expect(out).toContain('[start] stopping worker and API');
  // The stack was up before, so the one-shot run must leave it up.
  const status = spawnSync('bash', ['scripts/stack.sh', 'status'], { cwd: root, encoding: 'utf8' }).stdout;
  expect(status).toMatch(/^temporal +up/m);
  expect(status).toMatch(/^postgres +up/m);
}, 300_000);
