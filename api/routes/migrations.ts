import { Router, type Request } from 'express';
import {
  cancelMigration,
  checkAny,
  getDiff,
  getMigration,
  repairMigration,
  listMigrations,
  MIGRATION_ID_PATTERN,
  MIGRATION_ID_RULE,
  pauseMigration,
  resumeMigration,
  retryJob,
  startAny,
  uiLink,
  validateAnySpec,
} from '../../client';
import { InvalidRequestError, InvalidSpecError } from '../../client/errors';
import type { AppDeps } from '../app';
import { asyncRoute, bodyOf, methodNotAllowed, resource } from '../http';
import { HttpProblem } from '../problems';
import { DiffQuery, ListQuery, RepairRequest } from '../schemas';

type Links = { self: string; ui: string };

/** What POST /migrations asks for: a bare spec, or { spec, id } (a spec never has a `spec` field: the schema is strict). */
function startRequest(req: Request): { specInput: unknown; id: string | undefined; envelope: boolean } {
  const body = bodyOf(req);
  const envelope = body !== null && typeof body === 'object' && !Array.isArray(body) && 'spec' in body;
  let bodyId: string | undefined;
  let specInput: unknown = body;
  if (envelope) {
    const { spec, id, ...rest } = body as { spec: unknown; id?: unknown };
    const extra = Object.keys(rest);
    if (extra.length) throw new InvalidSpecError(extra.map((k) => ({ path: k, message: `unknown field "${k}" (the body is a spec, or { spec, id })` })));
    if (id !== undefined && typeof id !== 'string') throw new InvalidRequestError([{ path: 'id', message: 'must be a string' }]);
    bodyId = id;
    specInput = spec;
  }
  const headerId = req.get('idempotency-key');
  if (headerId !== undefined && !MIGRATION_ID_PATTERN.test(headerId)) {
    throw new InvalidRequestError([{ path: 'Idempotency-Key', message: `${MIGRATION_ID_RULE} (it becomes the migration id)` }]);
  }
  if (bodyId !== undefined && !MIGRATION_ID_PATTERN.test(bodyId)) throw new InvalidRequestError([{ path: 'id', message: MIGRATION_ID_RULE }]);
  if (headerId !== undefined && bodyId !== undefined && headerId !== bodyId) {
    throw new InvalidRequestError([{ path: 'id', message: 'differs from the Idempotency-Key header; send one or make them equal' }]);
  }
  return { specInput, id: bodyId ?? headerId, envelope };
}

function collectionRoutes(router: Router, deps: AppDeps, links: (id: string) => Links): void {
  const { client, connectors } = deps;
  resource(router, '/migrations', {
    get: asyncRoute(async (req, res) => {
      const q = ListQuery.safeParse(req.query);
      if (!q.success) {
        throw new InvalidRequestError(
          q.error.issues.map((i) => ({ path: i.path.join('.') || (i.code === 'unrecognized_keys' ? i.keys.join(', ') : '(query)'), message: i.message })),
        );
      }
      const page = await listMigrations(client, q.data);
      res.json({ ...page, items: page.items.map((m) => ({ ...m, links: links(m.id) })) });
    }),
    post: asyncRoute(async (req, res) => {
      const { specInput, id, envelope } = startRequest(req);
      // A spec with objects or include starts a many-object job (jobWorkflow); any other a single migration.
      const checked = validateAnySpec(specInput, { prefix: envelope ? 'spec' : '', connectors });
      if (!checked.ok) throw new InvalidSpecError(checked.issues);
      const started = await startAny(client, checked, { taskQueue: deps.taskQueue, id, connectors });
      res.locals.auditId = started.id;
      if (started.created) res.setHeader('Location', links(started.id).self);
      res
        .status(started.created ? 201 : 200)
        .json({ id: started.id, runId: started.runId, created: started.created, summary: started.summary, links: links(started.id) });
    }),
  });
  // Before /migrations/:id, which still serves GET here: "check" is a valid migration id.
  router
    .route('/migrations/check')
    .post(
      asyncRoute(async (req, res) => {
        // A spec with objects or include is checked object by object (client/dry-run-job.ts).
        const checked = validateAnySpec(bodyOf(req), { connectors });
        if (!checked.ok) throw new InvalidSpecError(checked.issues);
        res.json(await checkAny(checked, { connectors }));
      }),
    )
    .get((_req, _res, next) => next('route'))
    .all(methodNotAllowed(['POST']));
}

function itemRoutes(router: Router, deps: AppDeps, links: (id: string) => Links): void {
  const view = (id: string) => getMigration(deps.client, id, { queryTimeoutMs: deps.queryTimeoutMs });
  resource(router, '/migrations/:id', {
    get: asyncRoute(async (req, res) => {
      const id = String(req.params.id);
      res.json({ ...(await view(id)), links: links(id) });
    }),
  });
  resource(router, '/migrations/:id/report', {
    get: asyncRoute(async (req, res) => {
      const id = String(req.params.id);
      const v = await view(id);
      if (v.jobReport) {
        res.json(v.jobReport);
        return;
      }
      if (!v.report) {
        throw new HttpProblem(
          409,
          'no-report',
          'No report',
          `migration "${id}" is ${v.status.toLowerCase()}: a report exists once it completed${v.failure ? ` (failure: ${v.failure.message})` : ''}`,
        );
      }
      res.json(v.report);
    }),
  });
  resource(router, '/migrations/:id/diff', {
    get: asyncRoute(async (req, res) => {
      const q = DiffQuery.safeParse(req.query);
      if (!q.success) throw new InvalidRequestError(q.error.issues.map((i) => ({ path: i.path.join('.') || '(query)', message: i.message })));
      res.json(await getDiff(deps.client, String(req.params.id), q.data));
    }),
  });
  resource(router, '/migrations/:id/repair', {
    post: asyncRoute(async (req, res) => {
      // The body is optional: none at all means the defaults.
      const empty = !req.get('content-type') && !Number(req.get('content-length') ?? 0) && req.get('transfer-encoding') === undefined;
      const body = empty ? {} : bodyOf(req);
      const r = RepairRequest.safeParse(body === undefined || body === null || body === '' ? {} : body);
      if (!r.success) throw new InvalidRequestError(r.error.issues.map((i) => ({ path: i.path.join('.') || '(body)', message: i.message })));
      const started = await repairMigration(deps.client, String(req.params.id), { taskQueue: deps.taskQueue, deleteExtra: r.data.deleteExtra });
      res.status(202).json({ ...started, links: { diff: `/migrations/${encodeURIComponent(started.id)}/diff` } });
    }),
  });
  resource(router, '/migrations/:id/retry', {
    post: asyncRoute(async (req, res) => {
      const started = await retryJob(deps.client, String(req.params.id), { taskQueue: deps.taskQueue });
      res.status(201).setHeader('Location', links(started.id).self);
      res.json({
        id: started.id,
        runId: started.runId,
        created: started.created,
        summary: started.summary,
        of: started.of,
        objects: started.objects,
        links: links(started.id),
      });
    }),
  });
  const actions = { pause: pauseMigration, resume: resumeMigration, cancel: cancelMigration };
  for (const [action, fn] of Object.entries(actions)) {
    resource(router, `/migrations/:id/${action}`, {
      post: asyncRoute(async (req, res) => {
        const id = String(req.params.id);
        res.status(202).json({ ...(await fn(deps.client, id)), links: links(id) });
      }),
    });
  }
}

export function migrationsRouter(deps: AppDeps): Router {
  const router = Router();
  const namespace = deps.client.options.namespace;
  const links = (id: string): Links => ({ self: `/migrations/${encodeURIComponent(id)}`, ui: uiLink(deps.uiUrl, namespace, id) });
  collectionRoutes(router, deps, links);
  itemRoutes(router, deps, links);
  return router;
}
