import { connectTemporal } from '../client';
import { loadConfig } from '../src/config';
import { logger } from '../src/logging';
import { temporalConfig } from '../worker/config';
import { createApp } from './app';
import { codecOptionsFromConfig } from './routes/codec';

/**
 * `npm run api`: the HTTP API on PORT (default 3000). Same Temporal variables as the worker
 * (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, DATAMIGRATO_TASK_QUEUE, TEMPORAL_UI_URL); API_TOKEN turns on bearer auth.
 * The Temporal connection is lazy: the API starts while Temporal is down and /healthz says 503 until it is up.
 */
async function main() {
  const { PORT: port, HOST: host, API_TOKEN, API_BODY_LIMIT } = loadConfig();
  const cfg = temporalConfig();
  const client = await connectTemporal(cfg, { lazy: true });
  const app = createApp({
    client,
    taskQueue: cfg.taskQueue,
    uiUrl: cfg.uiUrl,
    temporalAddress: cfg.address,
    apiToken: API_TOKEN,
    bodyLimit: API_BODY_LIMIT,
    log: logger.child({ component: 'api' }),
    codec: codecOptionsFromConfig(),
  });
  const server = app.listen(port, host, () => {
    logger.info({ port, host, address: cfg.address, namespace: cfg.namespace, taskQueue: cfg.taskQueue, auth: Boolean(API_TOKEN) }, 'api listening');
  });
  server.on('error', (err) => {
    logger.error({ err: err.message }, 'api failed to listen');
    process.exit(1);
  });
  const stop = () => {
    logger.info('api stopping');
    server.close(() => {
      void client.connection.close().finally(() => process.exit(0));
    });
    setTimeout(() => process.exit(0), 5_000).unref();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  logger.error({ err: err?.message }, 'api failed');
  process.exit(1);
});
