import express from 'express';
import { authMiddleware } from '../api/auth';
import { authEnabled, authSettings } from '../api/auth-config';
import { errorHandler } from '../api/problems';
import { codecOptionsFromConfig, codecRouter } from '../api/routes/codec';
import { loadConfig } from '../src/config';
import { configError } from '../src/errors';
import { logger } from '../src/logging';

/**
 * `datamigrato codec-server`: the payload codec endpoint alone (POST /encode, /decode), for a Web UI that should
 * not reach the API. Same keys (DATAMIGRATO_CODEC_KEYS), CORS origins and auth hook (API_TOKEN) as the API's /codec.
 * Resolves when SIGINT/SIGTERM stops it.
 */
export async function serveCodec(port: number, host: string): Promise<void> {
  const options = codecOptionsFromConfig();
  if (!options) throw configError('DATAMIGRATO_CODEC_KEYS is not set: there is no codec to serve');
  const auth = authSettings(loadConfig());
  const app = express();
  app.disable('x-powered-by');
  app.use(codecRouter({ authorize: authEnabled(auth) ? authMiddleware(auth) : undefined, ...options }));
  app.use(errorHandler());
  const server = app.listen(port, host);
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  logger.info({ port, host, origins: options.origins, auth: authEnabled(auth) }, 'codec server listening');
  await new Promise<void>((resolve) => {
    const stop = () => server.close(() => resolve());
    process.once('SIGINT', stop).once('SIGTERM', stop);
  });
}
