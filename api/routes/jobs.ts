import { Router, type Request } from 'express';
import { uiLink } from '../../client';
import { InvalidRequestError } from '../../client/errors';
import {
  deleteJobDefinition,
  getJobDefinition,
  listJobDefinitions,
  listJobVersions,
  openControlStore,
  runSavedJob,
  saveJobDefinition,
} from '../../client/saved-jobs';
import { lazyControlDb } from '../../src/control/lazy';
import { MIGRATION_ID_PATTERN, MIGRATION_ID_RULE } from '../../src/names';
import type { AppDeps } from '../app';
import { asyncRoute, bodyOf, resource } from '../http';

/** The control store the routes use: injected (tests), or opened from DATAMIGRATO_CONTROL_URL on first use. */
export const controlStoreOf = (deps: AppDeps) => deps.controlDb ?? lazyControlDb(() => openControlStore());

function versionOf(req: Request): number | undefined {
  const v = req.query.version;
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isInteger(n) || n < 1)
    throw new InvalidRequestError([{ path: 'version', message: 'a positive integer' }], 'invalid query');
  return n;
}

/** /jobs: saved job definitions, versioned, in the control store; POST /jobs/:name/runs starts the latest. */
export function jobsRouter(deps: AppDeps): Router {
  const router = Router();
  const db = controlStoreOf(deps);
  const self = (name: string) => `/jobs/${encodeURIComponent(name)}`;
  resource(router, '/jobs', {
    get: asyncRoute(async (_req, res) => {
      const items = await listJobDefinitions(await db());
      res.json({ items: items.map((j) => ({ ...j, links: { self: self(j.name) } })) });
    }),
  });
  resource(router, '/jobs/:name', {
    put: asyncRoute(async (req, res) => {
      const name = String(req.params.name);
      const saved = await saveJobDefinition(await db(), name, bodyOf(req), deps.connectors);
      if (saved.created) res.setHeader('Location', `${self(name)}?version=${saved.version}`);
      res.status(saved.created ? 201 : 200).json({ ...saved, links: { self: self(name) } });
    }),
    get: asyncRoute(async (req, res) => {
      const name = String(req.params.name);
      res.json({ ...(await getJobDefinition(await db(), name, versionOf(req))), links: { self: self(name) } });
    }),
    delete: asyncRoute(async (req, res) => {
      await deleteJobDefinition(await db(), String(req.params.name));
      res.status(204).end();
    }),
  });
  resource(router, '/jobs/:name/versions', {
    get: asyncRoute(async (req, res) => {
      res.json({ items: await listJobVersions(await db(), String(req.params.name)) });
    }),
  });
  resource(router, '/jobs/:name/runs', {
    post: asyncRoute(async (req, res) => {
      const id = req.get('idempotency-key');
      if (id !== undefined && !MIGRATION_ID_PATTERN.test(id)) throw new InvalidRequestError([{ path: 'Idempotency-Key', message: MIGRATION_ID_RULE }]);
      const started = await runSavedJob(await db(), deps.client, String(req.params.name), { taskQueue: deps.taskQueue, id, connectors: deps.connectors });
      const links = { self: `/migrations/${encodeURIComponent(started.id)}`, ui: uiLink(deps.uiUrl, deps.client.options.namespace, started.id) };
      if (started.created) res.setHeader('Location', links.self);
      res.status(started.created ? 201 : 200).json({
        id: started.id,
        runId: started.runId,
        created: started.created,
        summary: started.summary,
        job: started.spec.name,
        version: started.version,
        links,
      });
    }),
  });
  return router;
}
