import { promises as fs } from 'node:fs';
import YAML from 'yaml';
import { loadConfig } from '../config';
import { configError } from '../errors';
import type { ResolvedConnection } from '../connectors/contract';
import { isSecretRef, type SecretRef } from '../job/secret-ref';
import { CONNECTIONS_ONLY_MESSAGE, checkRef, isNamedOnly, secretPolicy, type SecretPolicy } from './confine';

export interface Resolution {
  connection: ResolvedConnection;
  /** Every secret value that was resolved, so errors and logs can be scrubbed of them. */
  secrets: string[];
}

/**
 * How a reference is resolved: `policy` fences what a spec may read (src/secrets/confine.ts); `trusted` is for
 * references the operator wrote in the connections file, which the fence does not apply to.
 */
export interface ResolveOptions {
  policy?: SecretPolicy;
  trusted?: boolean;
}

/** One secret reference's value, on the worker (mask keys use it directly). Outside the fence: a ConfigError, nothing read. */
export async function resolveRef(ref: SecretRef, where: string, opts: ResolveOptions = {}): Promise<string> {
  let file = 'file' in ref ? ref.file : undefined;
  if (!opts.trusted) {
    const check = checkRef(ref, opts.policy ?? secretPolicy());
    if (!check.ok) throw configError(`${where}: ${check.message}`);
    file = check.file;
  }
  if ('env' in ref) {
    const value = process.env[ref.env];
    if (value === undefined || value === '') throw configError(`${where}: environment variable ${ref.env} is not set on the worker`);
    return value;
  }
  try {
    return (await fs.readFile(file!, 'utf8')).trim();
  } catch (err) {
    throw configError(`${where}: cannot read secret file ${ref.file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

/**
 * Named connections live in a YAML/JSON file on the worker (DATAMIGRATO_CONNECTIONS_FILE), so
 * literal URLs there never reach workflow history. Values in it may themselves be secret references.
 */
async function loadNamedConnection(name: string, where: string): Promise<Record<string, unknown>> {
  const file = loadConfig().DATAMIGRATO_CONNECTIONS_FILE;
  if (!file) throw configError(`${where}: named connection "${name}" requested but DATAMIGRATO_CONNECTIONS_FILE is not set on the worker`);
  let parsed: unknown;
  try {
    parsed = YAML.parse(await fs.readFile(file, 'utf8'));
  } catch (err) {
    throw configError(`${where}: cannot read connections file: ${(err as Error).message}`);
  }
  const entry = (parsed as Record<string, unknown> | null)?.[name];
  if (!entry || typeof entry !== 'object') throw configError(`${where}: no connection named "${name}" in the worker connections file`);
  return entry as Record<string, unknown>;
}

const USER_NAME_FIELD = /\.(user|username|login)$/i;

async function resolveDeep(value: unknown, where: string, secrets: string[], opts: ResolveOptions): Promise<unknown> {
  if (isSecretRef(value)) {
    const secret = await resolveRef(value, where, opts);
    // A user name is not a secret, and scrubbing a common one ("cassandra", "postgres") would also erase
    // the connector and object names from every error message.
    if (!USER_NAME_FIELD.test(where)) secrets.push(secret);
    return secret;
  }
  if (Array.isArray(value)) return Promise.all(value.map((v, i) => resolveDeep(v, `${where}[${i}]`, secrets, opts)));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = await resolveDeep(v, `${where}.${k}`, secrets, opts);
    return out;
  }
  return value;
}

/** Turns an endpoint's connection block into real values, on the worker, at the last moment. */
export async function resolveConnection(connection: unknown, where: string, policy: SecretPolicy = secretPolicy()): Promise<Resolution> {
  const secrets: string[] = [];
  let block = connection as Record<string, unknown>;
  const named = isNamedOnly(block);
  if (!named && policy.connectionsOnly) throw configError(`${where}: ${CONNECTIONS_ONLY_MESSAGE}`);
  if (named) {
    block = await loadNamedConnection(block.name as string, where);
    // Everything in a named connection is treated as secret: it may be a literal URL with a password.
    for (const v of Object.values(block)) if (typeof v === 'string') secrets.push(v);
  }
  const resolved = (await resolveDeep(block, where, secrets, { policy, trusted: named })) as ResolvedConnection;
  return { connection: resolved, secrets };
}
