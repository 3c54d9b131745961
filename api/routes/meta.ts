import { Router, type RequestHandler } from 'express';
import { temporalHealth } from '../../client';
import type { AppDeps } from '../app';
import { methodNotAllowed, resource } from '../http';
import { secretPolicy } from '../../src/secrets/confine';
import { buildOpenApiDocument } from '../openapi';
import { stateFence } from '../openapi-fence';

/** GET /healthz; the app mounts it before auth so load balancers and probes need no secret. */
export function health(deps: AppDeps): RequestHandler {
  const namespace = deps.client.options.namespace;
  return async (_req, res) => {
    const t = await temporalHealth(deps.client);
    res.status(t.ok ? 200 : 503).json({
      status: t.ok ? 'ok' : 'unavailable',
      temporal: { ok: t.ok, address: deps.temporalAddress ?? '', namespace, ...(t.ok ? {} : { error: t.error }) },
    });
  };
}

/** /openapi.json, and the 405 for /healthz (behind auth, as every answer but the health check itself). */
export function metaRouter(): Router {
  const router = Router();
  let openapi: unknown;
  resource(router, '/openapi.json', {
    get: (_req, res) => {
      openapi ??= stateFence(buildOpenApiDocument(), secretPolicy());
      res.json(openapi);
    },
  });
  router.all('/healthz', methodNotAllowed(['GET']));
  return router;
}
