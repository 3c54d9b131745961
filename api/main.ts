import { connectTemporal } from '../client';
import { loadConfig } from '../src/config';
import { logger } from '../src/logging';
import { temporalConfig } from '../worker/config';
import { createApp } from './app';
import { codecOptionsFromConfig } from './routes/codec';
import { assertSafeBind, authEnabled, authSettings } from './auth-config';

/**
 * `npm run api`: the HTTP API on PORT (default 3000). Same Temporal variables as the worker
 * (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, DATAMIGRATO_TASK_QUEUE, TEMPORAL_UI_URL). Auth: API_TOKEN(S), API_TOKENS_FILE,
 * API_JWT_* (api/auth-config.ts); without any, only a loopback HOST is accepted.
 * The Temporal connection is lazy: the API starts while Temporal is down and /healthz says 503 until it is up.
 */
async function main() {
  const config = loadConfig();
  const { PORT: port, HOST: host, API_BODY_LIMIT } = config;
  const auth = authSettings(config);
  assertSafeBind(host, auth);
  const cfg = temporalConfig();
  const client = await connectTemporal(cfg, { lazy: true });
  const app = createApp({
    client,
    taskQueue: cfg.taskQueue,
    uiUrl: cfg.uiUrl,
    temporalAddress: cfg.address,
    auth,
    auditFile: config.API_AUDIT_FILE,
    bodyLimit: API_BODY_LIMIT,
    log: logger.child({ component: 'api' }),
    codec: codecOptionsFromConfig(),
  });
  const server = app.listen(port, host, () => {
    logger.info(
      {
        port,
        host,
        address: cfg.address,
        namespace: cfg.namespace,
        taskQueue: cfg.taskQueue,
        auth: authEnabled(auth),
        tokens: auth.tokens.map((t) => `${t.name}:${t.role}`),
        jwt: auth.jwt?.issuer ?? null,
      },
      'api listening',
    );
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
