import { realpathSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, type Config } from '../config';
import { formatPath, type SpecIssue } from '../job/job-spec';
import { isSecretRef, type SecretRef } from '../job/secret-ref';

/**
 * What a spec may read on the worker. A spec comes from an API caller, so without a fence a reference
 * like { env: AWS_SECRET_ACCESS_KEY } or { file: /etc/shadow } would hand the worker's own secrets to a
 * connection whose host the caller chose. The API/CLI check this before starting (400 with the path) and
 * the worker checks it again before resolving (a start that bypassed the API, e.g. `temporal workflow start`).
 * Named connections and the references inside the operator's connections file are not fenced: the operator
 * wrote them.
 */
export interface SecretPolicy {
  /** Exact names, or prefixes written `PREFIX_*`. */
  envAllow: readonly string[];
  /** Real path of the only directory { file } references may point into; undefined = no file references. */
  secretsDir?: string;
  /** Endpoints must be named connections: hosts come from the operator, never from the caller (SSRF). */
  connectionsOnly: boolean;
}

export const DEFAULT_ENV_ALLOW = 'DATAMIGRATO_SECRET_*';

export function secretPolicy(cfg: Config = loadConfig()): SecretPolicy {
  const extra = (cfg.DATAMIGRATO_SECRET_ENV_ALLOW ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const dir = cfg.DATAMIGRATO_SECRETS_DIR;
  return {
    envAllow: [DEFAULT_ENV_ALLOW, ...extra],
    secretsDir: dir ? realOrSelf(path.resolve(dir)) : undefined,
    connectionsOnly: cfg.DATAMIGRATO_CONNECTIONS_ONLY,
  };
}

function realOrSelf(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

export const envAllowed = (name: string, allow: readonly string[]) => allow.some((a) => (a.endsWith('*') ? name.startsWith(a.slice(0, -1)) : name === a));

const inside = (dir: string, p: string) => p === dir || p.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep);

export type RefCheck = { ok: true; file?: string } | { ok: false; message: string };

/**
 * Whether one reference is inside the fence; for a file, the path to read (relative paths are taken inside
 * the secrets directory). Only metadata is touched (realpath), never the file's content. A file that does
 * not exist passes here: the API may not share the worker's disk, and the worker reports it when reading.
 */
export function checkRef(ref: SecretRef, policy: SecretPolicy): RefCheck {
  if ('env' in ref) {
    if (envAllowed(ref.env, policy.envAllow)) return { ok: true };
    return {
      ok: false,
      message: `environment variable "${ref.env}" is not allowed as a secret: allowed are ${DEFAULT_ENV_ALLOW} and the names in DATAMIGRATO_SECRET_ENV_ALLOW`,
    };
  }
  const dir = policy.secretsDir;
  if (!dir) return { ok: false, message: 'file secret references are not allowed: DATAMIGRATO_SECRETS_DIR is not set' };
  if (ref.file.includes('\0') || ref.file.split(/[\\/]/).includes('..')) {
    return { ok: false, message: `secret file path "${ref.file}" must not contain ".." segments` };
  }
  const target = path.resolve(dir, ref.file);
  if (!inside(dir, target)) return { ok: false, message: `secret file "${ref.file}" is outside the secrets directory (DATAMIGRATO_SECRETS_DIR)` };
  let real: string;
  try {
    real = realpathSync(target);
  } catch {
    return { ok: true, file: target };
  }
  if (!inside(dir, real)) return { ok: false, message: `secret file "${ref.file}" is a link that leads outside the secrets directory` };
  return { ok: true, file: real };
}

/**
 * Every reference in a spec, wherever it sits (connection fields, mask keys, headers, fields added later):
 * found by shape rather than by a list of known places, so a new field is fenced without touching this.
 */
export function confinementIssues(spec: unknown, policy: SecretPolicy): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const walk = (v: unknown, at: PropertyKey[]) => {
    if (isSecretRef(v)) {
      const r = checkRef(v, policy);
      if (!r.ok) issues.push({ path: formatPath(at), message: r.message });
    } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...at, i]));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...at, k]);
  };
  walk(spec, []);
  if (policy.connectionsOnly && spec && typeof spec === 'object') {
    for (const side of ['source', 'target'] as const) {
      const conn = (spec as Record<string, { connection?: unknown } | undefined>)[side]?.connection;
      if (!isNamedOnly(conn)) issues.push({ path: `${side}.connection`, message: CONNECTIONS_ONLY_MESSAGE });
    }
  }
  return issues;
}

export const CONNECTIONS_ONLY_MESSAGE =
  'only named connections are allowed here (DATAMIGRATO_CONNECTIONS_ONLY): give { "name": "…" } from the operator\'s connections file';

export const isNamedOnly = (conn: unknown): boolean =>
  !!conn && typeof conn === 'object' && Object.keys(conn).length === 1 && typeof (conn as { name?: unknown }).name === 'string';
