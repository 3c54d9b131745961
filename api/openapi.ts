import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { MIGRATION_ID_PATTERN } from '../src/names';
import { requiredRole } from './auth';
import {
  ConnectorList,
  ControlResponse,
  DiffPageSchema,
  DiffQuery,
  RepairRequest,
  RepairStartSchema,
  DryRunResponse,
  JobDryRunResponse,
  Health,
  IdParams,
  JobSpec,
  ListQuery,
  MigrationListSchema,
  MigrationReportSchema,
  MigrationViewSchema,
  Problem,
  StartRequest,
  StartResponse,
  JobParams,
  WatermarkListSchema,
  WatermarkResetSchema,
} from './schemas';
import { registerJobPaths, registerSchedulePaths } from './openapi-jobs';
import { JobReportSchema, ManyObjectJobSpec, RetryStartSchema } from './job-schemas';

/**
 * The OpenAPI 3.1 document, generated from the zod schemas in api/schemas.ts (which reuse the engine's
 * JobSpecSchema). Nothing here is written by hand but the route list and its wording.
 */

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: Problem } } });
const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });

const common = {
  503: problem('Temporal is not reachable'),
};

const controlDown = problem('The control store (DATAMIGRATO_CONTROL_URL) is not set or not reachable');
type PathDef = Parameters<OpenAPIRegistry['registerPath']>[0];

/**
 * Each route's security from the same table the API enforces (api/auth.ts ROUTE_RULES): the role goes in the
 * security requirement (OpenAPI 3.1 lets non-OAuth schemes list roles there), with the 401 and 403 answers.
 */
function secured(def: PathDef): PathDef {
  const role = requiredRole(def.method, def.path.replace(/\{[^}]+\}/g, 'x'));
  if (role === null) return { ...def, security: [] };
  return {
    ...def,
    description: `${def.description ? `${def.description}\n\n` : ''}Requires the role \`${role}\` (or higher: viewer < operator < admin) when auth is configured.`,
    security: [{ bearerAuth: [role] }],
    responses: {
      ...def.responses,
      401: problem('Auth is configured and the request has no valid `Authorization: Bearer` token (static token or JWT)'),
      403: problem(`The token is valid but its role is below \`${role}\``),
    },
  };
}

export function buildOpenApiDocument(opts: { version?: string; serverUrl?: string } = {}) {
  const registry = new OpenAPIRegistry();
  const r = { registerPath: (def: PathDef) => registry.registerPath(secured(def)) };
  const bearer = registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description:
      'A static token (API_TOKEN, API_TOKENS, API_TOKENS_FILE) or, when configured, a JWT from the OIDC issuer (API_JWT_*). ' +
      'Roles: viewer (read), operator (start, check, pause, resume, cancel, repair, retry), admin (saved jobs and schedules writes). ' +
      'Required on every route but /healthz whenever any auth is configured; without auth the API listens on loopback only.',
  });
  const idParams = IdParams;

  r.registerPath({
    method: 'post',
    path: '/migrations',
    summary: 'Start a migration',
    description:
      'Validates the spec (schema and connector roles) and starts the migration workflow. With a client id — the body-level `id` ' +
      'or the Idempotency-Key header — the start is idempotent: the same id again returns the existing migration (200) instead of ' +
      'starting another; the same id with a different spec is a 409.',
    request: {
      headers: z.object({ 'idempotency-key': z.string().regex(MIGRATION_ID_PATTERN).optional().describe('used as the migration id') }),
      body: {
        required: true,
        content: {
          'application/json': { schema: z.union([JobSpec, ManyObjectJobSpec, StartRequest]) },
          'application/yaml': { schema: z.union([JobSpec, ManyObjectJobSpec, StartRequest]) },
        },
      },
    },
    responses: {
      201: { ...json(StartResponse, 'Started'), headers: z.object({ Location: z.string() }) },
      200: json(StartResponse, 'The id already named this migration: nothing new was started'),
      400: problem('Invalid spec, bad JSON or a bad id; `errors` names each failing field by path'),
      409: problem('The id is taken by a migration with a different spec'),
      413: problem('Body over the size limit'),
      415: problem('Body is neither JSON nor YAML'),
      ...common,
    },
  });

  r.registerPath({
    method: 'get',
    path: '/migrations',
    summary: 'List migrations (Temporal visibility), newest first',
    request: { query: ListQuery },
    responses: { 200: json(MigrationListSchema, 'One page'), 400: problem('Bad filter or page token'), ...common },
  });

  r.registerPath({
    method: 'post',
    path: '/migrations/check',
    summary: 'Dry run: validate, connect to both ends, describe the source, return a transformed sample. Nothing is written.',
    description:
      'A many-object spec (objects or include) is planned as a run would plan it (patterns resolved by listing the source) and each ' +
      'object is checked; any failing object fails the check (422), with one entry in `errors` per failed object.',
    request: {
      body: {
        required: true,
        content: {
          'application/json': { schema: z.union([JobSpec, ManyObjectJobSpec]) },
          'application/yaml': { schema: z.union([JobSpec, ManyObjectJobSpec]) },
        },
      },
    },
    responses: {
      200: json(z.union([DryRunResponse, JobDryRunResponse]), 'Everything checked out'),
      400: problem('Invalid spec'),
      422: problem('A database rejected the spec (auth, missing table, unknown transform field); `step` and `errors` say where'),
      502: problem('A database could not be reached'),
      ...common,
    },
  });

  r.registerPath({
    method: 'get',
    path: '/migrations/{id}',
    summary: 'Status, live progress (the `progress` query) and the report once completed',
    request: { params: idParams },
    responses: { 200: json(MigrationViewSchema, 'The migration'), 404: problem('No migration with this id'), ...common },
  });

  r.registerPath({
    method: 'get',
    path: '/watermarks/{job}',
    summary: "An incremental job's watermarks (one per source and target object), from the control store",
    request: { params: JobParams },
    responses: { 200: json(WatermarkListSchema, 'The watermarks (none before its first run)'), ...common, 503: controlDown },
  });

  r.registerPath({
    method: 'post',
    path: '/watermarks/{job}/reset',
    summary: "Forget a job's watermarks: its next run copies everything again",
    request: { params: JobParams },
    responses: { 200: json(WatermarkResetSchema, 'How many were removed'), ...common, 503: controlDown },
  });

  r.registerPath({
    method: 'get',
    path: '/migrations/{id}/report',
    summary: 'The final report of a completed migration',
    request: { params: idParams },
    responses: {
      200: json(z.union([MigrationReportSchema, JobReportSchema]), 'The report (a many-object job: its JobReport)'),
      404: problem('No migration with this id'),
      409: problem('Not completed (still running, failed or canceled)'),
      ...common,
    },
  });

  r.registerPath({
    method: 'get',
    path: '/migrations/{id}/diff',
    summary: 'Keys the last validation found different (validate.mode full or sample, or after repair)',
    description:
      'Missing in the target, extra in the target, or different (with the field names), read from the diff list the workers wrote to ' +
      'DATAMIGRATO_DIFF_DIR (the API must share that directory). After a repair, the list of the validation that followed it.',
    request: { params: idParams, query: DiffQuery },
    responses: {
      200: json(DiffPageSchema, 'A page of the list'),
      404: problem('No migration with this id'),
      400: problem('Bad query parameter (unknown, or out of range); `errors` names it'),
      409: problem('Still running, failed, validated without a diff list, or matched'),
      ...common,
    },
  });

  r.registerPath({
    method: 'post',
    path: '/migrations/{id}/retry',
    summary: "Re-run a many-object job's failed objects",
    description:
      'Starts a new job run (`<id>-retry-<n>`, linked by `retryOf`) restricted to the objects the closed job did not complete: failed, ' +
      'canceled, never started, or validated as a mismatch. The others are reported as skipped.',
    request: { params: idParams },
    responses: {
      201: json(RetryStartSchema, 'The retry started'),
      404: problem('No job with this id'),
      409: problem('Still running, a single-object migration, or nothing failed'),
      ...common,
    },
  });

  r.registerPath({
    method: 'post',
    path: '/migrations/{id}/repair',
    summary: 'Re-copy the keys of the last diff list and validate again',
    description:
      'Starts a repair workflow (`<id>-repair-<n>`): the missing and different keys are read from the source and written again through the ' +
      'transforms; extra target rows are deleted only with `deleteExtra: true`. Its diff is at `/migrations/{repair id}/diff`.',
    request: { params: idParams, body: { required: false, content: { 'application/json': { schema: RepairRequest } } } },
    responses: {
      202: json(RepairStartSchema, 'Started'),
      400: problem('Bad body (not JSON, unknown field); `errors` names it'),
      404: problem('No migration with this id'),
      409: problem('No diff list to repair, or nothing differs'),
      ...common,
    },
  });

  for (const [action, what] of [
    ['pause', 'Pause between chunks (signal `pause`; same as `temporal workflow signal --name pause`)'],
    ['resume', 'Resume a paused migration (signal `resume`)'],
    ['cancel', 'Cancel: running chunks stop after their batch in hand; the partial report goes to the memo'],
  ] as const) {
    r.registerPath({
      method: 'post',
      path: `/migrations/{id}/${action}`,
      summary: what,
      request: { params: idParams },
      responses: {
        202: json(ControlResponse, 'Sent; the change is asynchronous'),
        404: problem('No migration with this id'),
        409: problem('The migration is no longer running'),
        ...common,
      },
    });
  }

  registerJobPaths(r);
  registerSchedulePaths(r);

  r.registerPath({
    method: 'get',
    path: '/connectors',
    summary: 'Connector types and what each supports',
    responses: { 200: json(ConnectorList, 'Registered connectors') },
  });

  r.registerPath({
    method: 'get',
    path: '/healthz',
    summary: 'Liveness and Temporal reachability (never needs a token)',
    security: [],
    responses: { 200: json(Health, 'Temporal answers'), 503: json(Health, 'Temporal does not answer') },
  });

  r.registerPath({
    method: 'get',
    path: '/openapi.json',
    summary: 'This document',
    responses: { 200: json(z.record(z.string(), z.any()), 'OpenAPI 3.1 document') },
  });

  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'datamigrato API',
      version: opts.version ?? '0.1.0',
      description: 'Start, watch, pause, resume and cancel durable data migrations running on Temporal. Errors are application/problem+json.',
    },
    servers: opts.serverUrl ? [{ url: opts.serverUrl }] : undefined,
    security: [{ [bearer.name]: [] }],
  });
}

export type OpenApiDocument = ReturnType<typeof buildOpenApiDocument>;
