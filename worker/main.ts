import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import { logger } from '../src/logging';
import { temporalConfig } from './config';
import { createWorker } from './create-worker';

async function main() {
  Runtime.install({ logger: new DefaultLogger((process.env.TEMPORAL_LOG_LEVEL as LogLevel | undefined) ?? 'INFO') });
  const cfg = temporalConfig();
  const { worker, connection } = await createWorker();
  logger.info({ address: cfg.address, namespace: cfg.namespace, taskQueue: cfg.taskQueue, pid: process.pid }, 'worker started');
  // Ctrl-C / SIGTERM: Worker.run() resolves after in-flight activities are cancelled and have reported.
  await worker.run();
  await connection.close();
}

main().catch((err) => {
  logger.error({ err: err?.message }, 'worker failed');
  process.exit(1);
});
