/**
 * Records workflow histories for the replay test (test/integration/replay.test.ts): a completed run,
 * a paused-and-resumed run and a canceled run, on the local stack. Re-run after an intentional
 * workflow change (with a patch/version gate), then commit the files.
 *   eval "$(bash scripts/stack.sh env)"; npx tsx scripts/record-histories.ts
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { createSimpleSource } from '../test/helpers/pg';
import { parsed, pgSpec } from '../test/helpers/specs';
import { startHarness, waitFor } from '../test/helpers/temporal';

const OUT = path.resolve(__dirname, '../test/fixtures/histories');

const TEMPORAL_BIN = process.env.DATAMIGRATO_TEMPORAL_BIN ?? path.join(os.homedir(), '.cache/datamigrato/bin/temporal');

/** The CLI writes the standard JSON history format (the SDK's historyToJSON trips over duplicate protobufjs copies). */
async function save(name: string, handle: WorkflowHandle) {
  const json = execFileSync(
    TEMPORAL_BIN,
    ['workflow', 'show', '--workflow-id', handle.workflowId, '--address', process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233', '--output', 'json'],
    { maxBuffer: 64 << 20 },
  );
  writeFileSync(path.join(OUT, `${name}.json`), json);
  console.log(`recorded ${name}`);
}

async function main() {
  const h = await startHarness('record');
  const tag = Date.now().toString(36);
  const src = `replay_src_${tag}`;
  await createSimpleSource('dm_test', src, 20_000);
  const start = (name: string, extra: Parameters<typeof pgSpec>[3] = {}) =>
    h.client.workflow.start('migrationWorkflow', {
      taskQueue: h.taskQueue,
      workflowId: `record-${name}-${tag}`,
      args: [
        {
          spec: parsed(
            pgSpec(`record-${name}`, src, `replay_${name}_${tag}`, { batchSize: 500, parallelism: 2, chunk: { maxBatches: 4, maxSeconds: 5 }, ...extra }),
          ),
        },
      ],
    });
  try {
    const done = await start('completed');
    await done.result();
    await save('completed', done);

    const paused = await start('paused');
    await waitFor(
      () => paused.query<{ rows: number }>('progress'),
      (p) => p.rows > 0,
      60_000,
    );
    await paused.signal('pause');
    await new Promise((r) => setTimeout(r, 3_000));
    await paused.signal('resume');
    await paused.result();
    await save('paused-resumed', paused);

    const canceled = await start('canceled', { batchSize: 200 });
    await waitFor(
      () => canceled.query<{ rows: number }>('progress'),
      (p) => p.rows > 0,
      60_000,
    );
    await canceled.cancel();
    await canceled.result().catch(() => undefined);
    await save('canceled', canceled);
  } finally {
    await h.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
