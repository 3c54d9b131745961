import { DefaultLogger, Runtime } from '@temporalio/worker';
import { loadConfig } from '../src/config';
import { logger } from '../src/logging';
import { describeTemporalSecurity, temporalConnectionOptions } from '../temporal/connection';
import { temporalConfig } from './config';
import { createWorker } from './create-worker';

async function main() {
  const { TEMPORAL_LOG_LEVEL, DATAMIGRATO_MEMLOG } = loadConfig();
  Runtime.install({ logger: new DefaultLogger(TEMPORAL_LOG_LEVEL) });
  const cfg = temporalConfig();
  const { worker, connection } = await createWorker();
  const security = describeTemporalSecurity(temporalConnectionOptions(cfg.address));
  const codec = Boolean(loadConfig().DATAMIGRATO_CODEC_KEYS);
  logger.info({ address: cfg.address, namespace: cfg.namespace, taskQueue: cfg.taskQueue, ...security, codec, pid: process.pid }, 'worker started');
  if (DATAMIGRATO_MEMLOG) {
    // Memory flatness check for benchmarks: heap vs RSS every few seconds.
    setInterval(() => {
      const m = process.memoryUsage();
      logger.info(
        {
          rssMb: Math.round(m.rss / 2 ** 20),
          heapUsedMb: Math.round(m.heapUsed / 2 ** 20),
          externalMb: Math.round(m.external / 2 ** 20),
          arrayBuffersMb: Math.round(m.arrayBuffers / 2 ** 20),
        },
        'memory',
      );
    }, DATAMIGRATO_MEMLOG).unref();
  }
  // Ctrl-C / SIGTERM: Worker.run() resolves after in-flight activities are cancelled and have reported.
  await worker.run();
  await connection.close();
}

main().catch((err) => {
  logger.error({ err: err?.message }, 'worker failed');
  process.exit(1);
});
