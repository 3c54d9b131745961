import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import YAML from 'yaml';
import { z } from 'zod';
import type { Config } from '../src/config';
import { configError } from '../src/errors';

/**
 * Who may call the API, read once at start from the configuration: static bearer tokens (API_TOKEN, API_TOKENS,
 * API_TOKENS_FILE) and optionally JWTs from an OIDC issuer. Only SHA-256 digests of the tokens are kept, so a
 * heap dump or a log of this object shows no token.
 */

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];
/** Each role can do what the ones before it can. */
export const roleRank = (r: Role) => ROLES.indexOf(r);

export interface StaticToken {
  name: string;
  role: Role;
  sha256: Buffer;
}

export interface JwtSettings {
  issuer: string;
  audience?: string;
  /** A file path (a JWKS JSON document) or an http(s) URL. */
  jwks: string;
  rolesClaim: string;
}

export interface AuthSettings {
  tokens: StaticToken[];
  jwt?: JwtSettings;
}

export const authEnabled = (a: AuthSettings | undefined) => !!a && (a.tokens.length > 0 || !!a.jwt);

export const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();

const TokenEntry = z
  .object({
    name: z.string().regex(/^[\w.@-]{1,64}$/, { error: 'letters, digits, . _ @ -, at most 64' }),
    role: z.enum(ROLES, { error: `expected one of ${ROLES.join(', ')}` }),
    token: z.string().min(16, { error: 'at least 16 characters' }).optional(),
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/i, { error: 'the hex SHA-256 of the token' })
      .optional(),
  })
  .strict()
  .refine((t) => (t.token ? 1 : 0) + (t.sha256 ? 1 : 0) === 1, { error: 'give exactly one of token or sha256', path: ['token'] });
const TokenFile = z.array(TokenEntry);

function parseTokens(input: unknown, source: string): StaticToken[] {
  const r = TokenFile.safeParse(input);
  if (!r.success) {
    // The issue names the entry and field, never the value: it may be a token.
    const msg = r.error.issues.map((i) => `${source}[${i.path.join('].')}: ${i.message}`.replace(/\[(\d+)\]\.?$/, '[$1]')).join('; ');
    throw configError(`invalid API tokens: ${msg}`);
  }
  return r.data.map((t) => ({ name: t.name, role: t.role, sha256: t.token ? sha256(t.token) : Buffer.from(t.sha256!, 'hex') }));
}

/** API_TOKENS: `name:role:token,name:role:token`. */
function inlineTokens(value: string): unknown[] {
  return value
    .split(',')
    .filter((s) => s.trim())
    .map((entry) => {
      const [name, role, ...rest] = entry.trim().split(':');
      return { name, role, token: rest.join(':') };
    });
}

function fileTokens(file: string): unknown {
  try {
    return YAML.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw configError(`API_TOKENS_FILE: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

export function authSettings(cfg: Config): AuthSettings {
  const tokens: StaticToken[] = [];
  // Compatibility: the single token of earlier versions is an admin, as it could do everything.
  if (cfg.API_TOKEN) tokens.push({ name: 'api-token', role: 'admin', sha256: sha256(cfg.API_TOKEN) });
  if (cfg.API_TOKENS) tokens.push(...parseTokens(inlineTokens(cfg.API_TOKENS), 'API_TOKENS'));
  if (cfg.API_TOKENS_FILE) tokens.push(...parseTokens(fileTokens(cfg.API_TOKENS_FILE), 'API_TOKENS_FILE'));
  const names = tokens.map((t) => t.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw configError(`invalid API tokens: the name "${dup}" is used twice (audit lines name the caller by it)`);
  return { tokens, jwt: jwtSettings(cfg) };
}

function jwtSettings(cfg: Config): JwtSettings | undefined {
  const { API_JWT_ISSUER: issuer, API_JWT_JWKS: jwks, API_JWT_AUDIENCE: audience } = cfg;
  if (!issuer && !jwks) return undefined;
  if (!issuer || !jwks) throw configError('API_JWT_ISSUER and API_JWT_JWKS go together: set both to accept JWTs, or neither');
  if (/^http:/i.test(jwks) && !/^http:\/\/(127\.|localhost[:/])/i.test(jwks)) throw configError('API_JWT_JWKS: a remote JWKS must be https');
  return { issuer, audience, jwks, rolesClaim: cfg.API_JWT_ROLES_CLAIM };
}

/** Loopback addresses: reachable from this machine only. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/**
 * Secure by default: the API binds 127.0.0.1 unless HOST says otherwise, and a non-loopback HOST without any
 * auth configured is refused at start — an open port that starts and cancels migrations is never an accident.
 */
export function assertSafeBind(host: string, auth: AuthSettings): void {
  if (!isLoopback(host) && !authEnabled(auth)) {
    throw configError(
      `HOST=${host} is not a loopback address and no API auth is configured: set API_TOKEN, API_TOKENS, API_TOKENS_FILE or API_JWT_ISSUER + API_JWT_JWKS, or bind HOST=127.0.0.1`,
    );
  }
}
