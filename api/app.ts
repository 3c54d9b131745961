import { createHash, timingSafeEqual } from 'node:crypto';
import type { Client } from '@temporalio/client';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import {
  cancelMigration,
  dryRunCheck,
  getMigration,
  listMigrations,
  MIGRATION_ID_PATTERN,
  MIGRATION_ID_RULE,
  parseSpecText,
  pauseMigration,
  resumeMigration,
  startMigration,
  temporalHealth,
  uiLink,
  validateSpec,
  type ConnectorRoles,
} from '../client';
import { InvalidRequestError, InvalidSpecError } from '../client/errors';
import { listConnectors } from '../src/connectors/registry';
import type { Logger } from '../src/logging';
import { buildOpenApiDocument } from './openapi';
import { HttpProblem, errorHandler, sendProblem, problemType } from './problems';
import { ListQuery } from './schemas';

export interface AppDeps {
  /** Temporal client (its namespace is the one used). */
  client: Client;
  /** Task queue new migrations are started on (the workers' DATAMIGRATO_TASK_QUEUE). */
  taskQueue: string;
  /** Temporal Web UI base URL, for links. */
  uiUrl: string;
  /** Shown by /healthz. */
  temporalAddress?: string;
  /** When set, every route but /healthz requires `Authorization: Bearer <apiToken>`. */
  apiToken?: string;
  /** Request body limit (bytes or a size string); default 1mb. */
  bodyLimit?: string | number;
  /** Progress query / result deadline for GET /migrations/:id. */
  queryTimeoutMs?: number;
  /** Connector roles to enforce (tests inject; default: the registry). */
  connectors?: readonly ConnectorRoles[];
  log?: Logger;
}

const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'];
const JSON_TYPES = ['application/json', 'application/*+json'];

/** Constant-time token comparison: hash both sides so lengths match and timing says nothing about the token. */
export function tokenMatches(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function bearerAuth(token: string): RequestHandler {
  return (req, _res, next) => {
    const header = req.get('authorization') ?? '';
    const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
    if (!m || !tokenMatches(m[1]!, token)) {
      return next(
        new HttpProblem(401, 'unauthorized', 'Unauthorized', m ? 'invalid bearer token' : 'this API requires `Authorization: Bearer <token>`', undefined, {
          'WWW-Authenticate': 'Bearer realm="datamigrato"',
        }),
      );
    }
    next();
  };
}

/** The request body: JSON (parsed by express.json) or YAML text; anything else is 415, nothing at all 400. */
function bodyOf(req: Request): unknown {
  if (typeof req.body === 'string' && req.is(YAML_TYPES)) {
    return parseSpecText(req.body, '(body)');
  }
  if (req.body !== undefined && req.is(JSON_TYPES)) return req.body;
  const hasBody = Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;
  if (hasBody && !req.is([...JSON_TYPES, ...YAML_TYPES])) {
    throw new HttpProblem(415, 'unsupported-media-type', 'Unsupported Media Type', `send the spec as application/json or application/yaml, not ${req.get('content-type') ?? 'no content type'}`, [
      { path: '(body)', message: 'unsupported content type' },
    ]);
  }
  throw new HttpProblem(400, 'missing-body', 'Missing request body', 'the body must be a job spec (JSON or YAML)', [{ path: '(body)', message: 'required' }]);
}

const asyncRoute =
  (fn: (req: Request, res: Response) => Promise<void>): RequestHandler =>
  (req, res, next) =>
    fn(req, res).catch(next);

export function createApp(deps: AppDeps): express.Express {
  const { client } = deps;
  const namespace = client.options.namespace;
  const app = express();
  app.disable('x-powered-by');
  app.set('json spaces', 0);
  const limit = deps.bodyLimit ?? '1mb';
  let openapi: unknown;

  const links = (id: string) => ({ self: `/migrations/${encodeURIComponent(id)}`, ui: uiLink(deps.uiUrl, namespace, id) });

  if (deps.log) {
    const log = deps.log;
    app.use((req, res, next) => {
      const t0 = Date.now();
      res.on('finish', () => log.info({ method: req.method, path: req.originalUrl, status: res.statusCode, ms: Date.now() - t0 }, 'request'));
      next();
    });
  }

  // Health first: never behind the token, so load balancers and probes need no secret.
  app.get('/healthz', async (_req, res) => {
    const t = await temporalHealth(client);
    res.status(t.ok ? 200 : 503).json({
      status: t.ok ? 'ok' : 'unavailable',
      temporal: { ok: t.ok, address: deps.temporalAddress ?? '', namespace, ...(t.ok ? {} : { error: t.error }) },
    });
  });

  if (deps.apiToken) app.use(bearerAuth(deps.apiToken));

  app.use(express.json({ limit, strict: false, type: JSON_TYPES }));
  app.use(express.text({ limit, type: YAML_TYPES }));

  app.get('/openapi.json', (_req, res) => {
    openapi ??= buildOpenApiDocument();
    res.json(openapi);
  });

  app.get('/connectors', (_req, res) => {
    res.json({
      items: listConnectors().map((c) => ({
        type: c.type,
        description: c.description,
        capabilities: c.capabilities,
        endpointSchema: z.toJSONSchema(c.endpointSchema, { io: 'input', unrepresentable: 'any' }),
      })),
    });
  });

  app.post(
    '/migrations',
    asyncRoute(async (req, res) => {
      const body = bodyOf(req);
      // A bare spec, or { spec, id } (a spec never has a `spec` field: the schema is strict).
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
      const checked = validateSpec(specInput, { prefix: envelope ? 'spec' : '', connectors: deps.connectors });
      if (!checked.ok) throw new InvalidSpecError(checked.issues);
      const started = await startMigration(client, checked.spec, { taskQueue: deps.taskQueue, id: bodyId ?? headerId, connectors: deps.connectors });
      if (started.created) res.setHeader('Location', links(started.id).self);
      res.status(started.created ? 201 : 200).json({
        id: started.id,
        runId: started.runId,
        created: started.created,
        summary: started.summary,
        links: links(started.id),
      });
    }),
  );

  app.get(
    '/migrations',
    asyncRoute(async (req, res) => {
      const q = ListQuery.safeParse(req.query);
      if (!q.success) {
        throw new InvalidRequestError(q.error.issues.map((i) => ({ path: i.path.join('.') || (i.code === 'unrecognized_keys' ? i.keys.join(', ') : '(query)'), message: i.message })));
      }
      const page = await listMigrations(client, q.data);
      res.json({ ...page, items: page.items.map((m) => ({ ...m, links: links(m.id) })) });
    }),
  );

  app.post(
    '/migrations/check',
    asyncRoute(async (req, res) => {
      const body = bodyOf(req);
      const checked = validateSpec(body, { connectors: deps.connectors });
      if (!checked.ok) throw new InvalidSpecError(checked.issues);
      res.json(await dryRunCheck(checked.spec, { connectors: deps.connectors }));
    }),
  );

  app.get(
    '/migrations/:id',
    asyncRoute(async (req, res) => {
      const id = String(req.params.id);
      const view = await getMigration(client, id, { queryTimeoutMs: deps.queryTimeoutMs });
      res.json({ ...view, links: links(id) });
    }),
  );

  app.get(
    '/migrations/:id/report',
    asyncRoute(async (req, res) => {
      const id = String(req.params.id);
      const view = await getMigration(client, id, { queryTimeoutMs: deps.queryTimeoutMs });
      if (!view.report) {
        throw new HttpProblem(409, 'no-report', 'No report', `migration "${id}" is ${view.status.toLowerCase()}: a report exists once it completed${view.failure ? ` (failure: ${view.failure.message})` : ''}`);
      }
      res.json(view.report);
    }),
  );

  for (const [action, fn] of [
    ['pause', pauseMigration],
    ['resume', resumeMigration],
    ['cancel', cancelMigration],
  ] as const) {
    app.post(
      `/migrations/:id/${action}`,
      asyncRoute(async (req, res) => {
        const id = String(req.params.id);
        const r = await fn(client, id);
        res.status(202).json({ ...r, links: links(id) });
      }),
    );
  }

  // Known paths with a wrong method: 405 with Allow; anything else: 404. Both as problems.
  const allowed: [RegExp, string][] = [
    [/^\/migrations\/?$/, 'GET, POST'],
    [/^\/migrations\/check\/?$/, 'POST'],
    [/^\/migrations\/[^/]+\/(pause|resume|cancel)\/?$/, 'POST'],
    [/^\/migrations\/[^/]+(\/report)?\/?$/, 'GET'],
    [/^\/(connectors|healthz|openapi\.json)\/?$/, 'GET'],
  ];
  app.use((req: Request, _res: Response, next: NextFunction) => {
    const hit = allowed.find(([re]) => re.test(req.path));
    if (hit) return next(new HttpProblem(405, 'method-not-allowed', 'Method Not Allowed', `${req.method} is not supported on ${req.path}; allowed: ${hit[1]}`, undefined, { Allow: hit[1] }));
    next(new HttpProblem(404, 'not-found', 'Not Found', `no route ${req.method} ${req.path}`));
  });

  app.use(errorHandler(deps.log));
  return app;
}

export { sendProblem, problemType };
