import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';

/**
 * Determinism guard: histories recorded from real runs (scripts/record-histories.ts) must replay
 * against today's workflow code. A change that alters the command sequence needs a patch() gate.
 */
const DIR = path.resolve(__dirname, '../fixtures/histories');
const histories = readdirSync(DIR).filter((f) => f.endsWith('.json'));
const load = (f: string) => JSON.parse(readFileSync(path.join(DIR, f), 'utf8'));

describe('replay of recorded histories', () => {
  test('there are recorded histories to replay', () => {
    expect(histories).toEqual(expect.arrayContaining(['completed.json', 'paused-resumed.json', 'canceled.json']));
  });

  test.each(histories)(
    '%s replays against the current workflow code',
    async (file) => {
      await Worker.runReplayHistory({ workflowsPath: require.resolve('../../workflows') }, load(file));
    },
    60_000,
  );

  test('a non-deterministic change is caught', async () => {
    await expect(Worker.runReplayHistory({ workflowsPath: require.resolve('../fixtures/nondeterministic') }, load('completed.json'))).rejects.toBeInstanceOf(
      DeterminismViolationError,
    );
  }, 60_000);
});
