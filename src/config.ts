import { z } from 'zod';
import { temporalSecurityShape } from './config-temporal';
import { configError } from './errors';
import { DEFAULT_TASK_QUEUE } from './names';

/**
 * Every environment variable datamigrato reads, declared once. Each entry point calls loadConfig() at
 * start, so a wrong value stops the process with the variable's name instead of becoming NaN later.
 * Secret references ({ env: VAR } in a spec) are data and are read by src/secrets/resolve.ts, not here.
 */

const integer = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .refine((s) => /^\d+$/.test(s) && Number(s) >= min && Number(s) <= max, {
      error: max === Number.MAX_SAFE_INTEGER ? `expected an integer ≥ ${min}` : `expected an integer from ${min} to ${max}`,
    })
    .transform(Number);

/** What Temporal accepts as a Duration string ("100ms", "2s", "1.5 minutes"). */
const duration = z.string().regex(/^\d+(\.\d+)?\s*(ms|milliseconds?|s|seconds?|m|minutes?|h|hours?)$/i, {
  error: 'expected a duration such as "100ms" or "2s"',
});

/** What express.json({ limit }) accepts ("1mb", "512kb", a byte count). */
const byteSize = z.string().regex(/^\d+(\.\d+)?\s*(b|kb|mb|gb)?$/i, { error: 'expected a size such as "1mb" or "512kb"' });

/** "true"/"false"/"1"/"0" → boolean; anything else names the variable. */
const bool = z.enum(['true', 'false', '1', '0'], { error: 'expected true or false' }).transform((v) => v === 'true' || v === '1');

const oneOf = <const T extends readonly [string, ...string[]]>(values: T) => z.enum(values, { error: `expected one of ${values.join(', ')}` });

export const ConfigSchema = z.object({
  LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('pino log level'),
  TEMPORAL_LOG_LEVEL: oneOf(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO').describe('Temporal SDK (Rust core) log level, worker only'),
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233').describe('Temporal frontend host:port'),
  TEMPORAL_NAMESPACE: z.string().default('default').describe('Temporal namespace'),
  DATAMIGRATO_TASK_QUEUE: z.string().default(DEFAULT_TASK_QUEUE).describe('task queue the workers poll'),
  TEMPORAL_UI_URL: z.url({ error: 'expected a URL' }).default('http://127.0.0.1:8233').describe('Temporal Web UI, for links'),
  DATAMIGRATO_CONNECTIONS_FILE: z.string().optional().describe('YAML/JSON file of named connections, on the worker'),
  DATAMIGRATO_WORKFLOW_BUNDLE: z.string().optional().describe('prebuilt workflow bundle (scripts/bundle-workflows.ts)'),
  DATAMIGRATO_MAX_ACTIVITIES: integer(1).default(8).describe('chunks (activities) one worker process runs at once'),
  DATAMIGRATO_HEARTBEAT_THROTTLE: duration.default('1s').describe('heartbeat throttle; bounds how much a crash re-copies'),
  DATAMIGRATO_DIFF_DIR: z
    .string()
    .optional()
    .describe('directory of validation diff lists, shared by workers, API and CLI (default ~/.cache/datamigrato/diffs)'),
  DATAMIGRATO_CONTROL_URL: z
    .string()
    .optional()
    .describe('PostgreSQL URL of the control store (saved jobs, schedules, incremental watermarks); src/control/db.ts'),
  DATAMIGRATO_CONTROL_SCHEMA: z.string().default('datamigrato_control').describe('schema of the control store'),
  DATAMIGRATO_MEMLOG: integer(1).optional().describe('log worker memory every N ms (benchmarks)'),
  PORT: integer(0, 65_535).default(3000).describe('API port'),
  HOST: z.string().default('127.0.0.1').describe('API bind address; a non-loopback one needs API auth configured (api/auth-config.ts)'),
  API_TOKEN: z.string().optional().describe('one bearer token with the admin role (compatibility); API_TOKENS / API_TOKENS_FILE for several'),
  API_TOKENS: z.string().optional().describe('API tokens inline: comma-separated name:role:token'),
  API_TOKENS_FILE: z.string().optional().describe('YAML/JSON list of API tokens: [{ name, role, token | sha256 }]'),
  API_JWT_ISSUER: z.string().optional().describe('OIDC/JWT: expected issuer (iss); enables JWT bearer tokens with API_JWT_JWKS'),
  API_JWT_AUDIENCE: z.string().optional().describe('OIDC/JWT: expected audience (aud)'),
  API_JWT_JWKS: z.string().optional().describe('OIDC/JWT: JWKS as a file path or an https URL'),
  API_JWT_ROLES_CLAIM: z.string().default('roles').describe('OIDC/JWT: claim holding the role(s) (viewer, operator, admin)'),
  API_AUDIT_FILE: z.string().optional().describe('also append the audit lines (one JSON object each) to this file'),
  DATAMIGRATO_SECRET_ENV_ALLOW: z
    .string()
    .optional()
    .describe('env vars a spec may reference, besides DATAMIGRATO_SECRET_*: comma-separated names or PREFIX_* (src/secrets/confine.ts)'),
  DATAMIGRATO_SECRETS_DIR: z.string().optional().describe('the only directory { file } references may point into; unset = no file references'),
  DATAMIGRATO_CONNECTIONS_ONLY: bool.default(false).describe('true: specs may use named connections only (no caller-chosen hosts)'),
  API_BODY_LIMIT: byteSize.default('1mb').describe('largest API request body'),
  DATAMIGRATO_RPC_TIMEOUT_MS: integer(1).default(10_000).describe('deadline of one Temporal call from the API/CLI, ms'),
  ...temporalSecurityShape,
});

export type Config = z.infer<typeof ConfigSchema>;

function describeIssue(issue: z.core.$ZodIssue, env: NodeJS.ProcessEnv): string {
  const name = String(issue.path[0]);
  return `${name}: ${issue.message}, got ${JSON.stringify(env[name])}`;
}

/** Parses an environment; empty values count as unset (`API_TOKEN=` turns auth off). Throws a ConfigError. */
export function parseConfig(env: NodeJS.ProcessEnv): Config {
  const set = Object.fromEntries(Object.keys(ConfigSchema.shape).flatMap((k) => (env[k] ? [[k, env[k]]] : [])));
  const result = ConfigSchema.safeParse(set);
  if (result.success) return result.data;
  throw configError(`invalid configuration: ${result.error.issues.map((i) => describeIssue(i, env)).join('; ')}`);
}

let cached: Config | undefined;

/** The process's configuration, parsed on first use; a different env (tests) is parsed and not cached. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  if (env !== process.env) return parseConfig(env);
  cached ??= parseConfig(env);
  return cached;
}
