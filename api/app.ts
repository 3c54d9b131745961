import type { Client } from '@temporalio/client';
import express from 'express';
import type { ConnectorRoles } from '../client';
import type { Logger } from '../src/logging';
import { auditLog } from './audit';
import { authMiddleware } from './auth';
import { authEnabled, sha256, type AuthSettings } from './auth-config';
import { JSON_TYPES, YAML_TYPES, notFound, requestLog } from './http';
import { errorHandler, problemType, sendProblem } from './problems';
import { codecRouter, type CodecRouterOptions } from './routes/codec';
import { connectorsRouter } from './routes/connectors';
import { health, metaRouter } from './routes/meta';
import { migrationsRouter } from './routes/migrations';
import { watermarksRouter } from './routes/watermarks';
import { controlStoreOf, jobsRouter } from './routes/jobs';
import { schedulesRouter } from './routes/schedules';
import type { ControlDb } from '../src/control/db';

export interface AppDeps {
  /** Temporal client (its namespace is the one used). */
  client: Client;
  /** Task queue new migrations are started on (the workers' DATAMIGRATO_TASK_QUEUE). */
  taskQueue: string;
  /** Temporal Web UI base URL, for links. */
  uiUrl: string;
  /** Shown by /healthz. */
  temporalAddress?: string;
  /** Compatibility: one admin token (as API_TOKEN). Added to `auth`. */
  apiToken?: string;
  /** Tokens and JWT settings (api/auth-config.ts); none at all = no auth (the API then binds loopback only). */
  auth?: AuthSettings;
  /** Also append audit lines to this file. */
  auditFile?: string;
  /** Request body limit (bytes or a size string); default 1mb. */
  bodyLimit?: string | number;
  /** Progress query / result deadline for GET /migrations/:id. */
  queryTimeoutMs?: number;
  /** Connector roles to enforce (tests inject; default: the registry). */
  connectors?: readonly ConnectorRoles[];
  log?: Logger;
  /** Payload codec endpoint for the Web UI at /codec (DATAMIGRATO_CODEC_KEYS); `authorize` defaults to the API's bearer token. */
  codec?: CodecRouterOptions;
  /** The control store for /jobs and /schedules (tests inject; default: DATAMIGRATO_CONTROL_URL, opened on first use). */
  controlDb?: () => Promise<ControlDb>;
}

/**
 * The HTTP API. Order matters: the audit hook before auth (denied calls are audited too), health before auth,
 * auth before body parsing, 404 and problems last.
 */
export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('json spaces', 0);
  const limit = deps.bodyLimit ?? '1mb';
  if (deps.log) app.use(requestLog(deps.log));
  app.use(auditLog(deps.log, deps.auditFile));
  app.get('/healthz', health(deps));
  const auth = authOf(deps);
  // Before the API's auth: the codec answers CORS preflights (which carry no credentials) and then runs the API's own
  // auth (decode hands out plaintext, so it is at least a viewer's right: ROUTE_RULES).
  if (deps.codec) app.use('/codec', codecRouter({ authorize: authEnabled(auth) ? authMiddleware(auth) : undefined, ...deps.codec }));
  app.use(authMiddleware(auth));
  app.use(express.json({ limit, strict: false, type: JSON_TYPES }));
  app.use(express.text({ limit, type: YAML_TYPES }));
  // One control-store pool for both routers.
  const control = { ...deps, controlDb: controlStoreOf(deps) };
  app.use(metaRouter(), connectorsRouter(), migrationsRouter(deps), watermarksRouter(), jobsRouter(control), schedulesRouter(control));
  app.use(notFound);
  app.use(errorHandler(deps.log));
  return app;
}

function authOf(deps: AppDeps): AuthSettings | undefined {
  if (!deps.apiToken) return deps.auth;
  const admin = { name: 'api-token', role: 'admin' as const, sha256: sha256(deps.apiToken) };
  return { tokens: [admin, ...(deps.auth?.tokens ?? [])], jwt: deps.auth?.jwt };
}

export { tokenMatches } from './http';
export { sendProblem, problemType };
