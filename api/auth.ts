import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { RequestHandler, Response } from 'express';
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { configError } from '../src/errors';
import { ROLES, authEnabled, roleRank, sha256, type AuthSettings, type JwtSettings, type Role } from './auth-config';
import { HttpProblem } from './problems';

/** Who made a request: a token's name or a JWT's subject, and the role it carries. */
export interface Principal {
  kind: 'token' | 'jwt' | 'anonymous';
  name: string;
  role: Role;
}

/**
 * The route → role table: the first rule whose method and path match decides. `null` = no token needed.
 * Anything no rule names needs admin, so a route added without a rule is closed, not open. The OpenAPI
 * document is generated from this table (api/openapi.ts), so it states the same rules.
 */
export const ROUTE_RULES: readonly { method: string; path: string; role: Role | null }[] = [
  { method: 'GET', path: '/healthz', role: null },
  { method: 'POST', path: '/migrations', role: 'operator' },
  { method: 'POST', path: '/migrations/check', role: 'operator' },
  { method: 'POST', path: '/migrations/:id/pause', role: 'operator' },
  { method: 'POST', path: '/migrations/:id/resume', role: 'operator' },
  { method: 'POST', path: '/migrations/:id/cancel', role: 'operator' },
  { method: 'POST', path: '/migrations/:id/repair', role: 'operator' },
  { method: 'POST', path: '/migrations/:id/retry', role: 'operator' },
  // The payload codec: decode shows what `GET /migrations/:id` shows, so a viewer (the Web UI) may use it.
  { method: 'POST', path: '/codec/**', role: 'viewer' },
  // The same endpoints served alone by `datamigrato codec-server`.
  { method: 'POST', path: '/encode', role: 'viewer' },
  { method: 'POST', path: '/decode', role: 'viewer' },
  { method: 'GET', path: '/jobs/**', role: 'viewer' },
  { method: 'GET', path: '/schedules/**', role: 'viewer' },
  { method: '*', path: '/jobs/**', role: 'admin' },
  { method: '*', path: '/schedules/**', role: 'admin' },
  { method: 'GET', path: '/**', role: 'viewer' },
  { method: '*', path: '/**', role: 'admin' },
];

/** `:id` is one segment; a trailing `/**` is the path itself and anything below it. */
const compile = (p: string) =>
  new RegExp(
    `^${p
      .replace(/\/\*\*$/, '')
      .split('/')
      .map((s) => (s.startsWith(':') ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/')}${p.endsWith('/**') ? '(/.*)?' : ''}/?$`,
  );
const COMPILED = ROUTE_RULES.map((r) => ({ ...r, re: compile(r.path) }));

export function requiredRole(method: string, path: string): Role | null {
  const m = method.toUpperCase() === 'HEAD' ? 'GET' : method.toUpperCase();
  return COMPILED.find((r) => (r.method === '*' || r.method === m) && r.re.test(path))!.role;
}

/** Constant time over all tokens: the presented one is hashed once and compared with every digest, no early exit. */
function matchToken(presented: string, auth: AuthSettings): Principal | undefined {
  const digest = sha256(presented);
  let found: Principal | undefined;
  for (const t of auth.tokens) if (timingSafeEqual(digest, t.sha256) && !found) found = { kind: 'token', name: t.name, role: t.role };
  return found;
}

function keySet(jwt: JwtSettings): JWTVerifyGetKey {
  if (/^https?:\/\//i.test(jwt.jwks)) return createRemoteJWKSet(new URL(jwt.jwks), { timeoutDuration: 5_000 });
  try {
    return createLocalJWKSet(JSON.parse(readFileSync(jwt.jwks, 'utf8')));
  } catch (err) {
    throw configError(`API_JWT_JWKS: cannot load the key set from ${jwt.jwks}: ${(err as Error).message}`);
  }
}

/** The highest known role in the claim (a string, or an array of strings); unknown values are ignored. */
function roleOf(claim: unknown): Role | undefined {
  const values = (Array.isArray(claim) ? claim : [claim]).filter((v): v is Role => ROLES.includes(v as Role));
  return values.sort((a, b) => roleRank(b) - roleRank(a))[0];
}

const unauthorized = (detail: string) =>
  new HttpProblem(401, 'unauthorized', 'Unauthorized', detail, undefined, { 'WWW-Authenticate': 'Bearer realm="datamigrato"' });

export function principalOf(res: Response): Principal | undefined {
  return res.locals.principal as Principal | undefined;
}

/**
 * Authentication then authorization, before any body is parsed. Without any auth configured (the API then
 * listens on loopback only, see assertSafeBind) every caller is an anonymous admin.
 */
export function authMiddleware(auth: AuthSettings | undefined): RequestHandler {
  const enabled = authEnabled(auth);
  const jwks = auth?.jwt ? keySet(auth.jwt) : undefined;
  return (req, res, next) => {
    // baseUrl: the same rules hold inside a router mounted under a prefix (/codec).
    const needed = requiredRole(req.method, req.baseUrl + req.path);
    if (!enabled) {
      res.locals.principal = { kind: 'anonymous', name: 'anonymous', role: 'admin' } satisfies Principal;
      return next();
    }
    if (needed === null) return next();
    const m = /^Bearer[ ]+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
    if (!m) return next(unauthorized('this API requires `Authorization: Bearer <token>`'));
    const token = m[1]!;
    const decide = (p: Principal | undefined) => {
      if (!p) return next(unauthorized('invalid bearer token'));
      res.locals.principal = p;
      if (needed && roleRank(p.role) < roleRank(needed)) {
        return next(new HttpProblem(403, 'forbidden', 'Forbidden', `${p.name} has the role ${p.role}; ${req.method} ${req.path} needs ${needed}`));
      }
      next();
    };
    const asToken = matchToken(token, auth!);
    if (asToken || !jwks || token.split('.').length !== 3) return decide(asToken);
    const jwt = auth!.jwt!;
    jwtVerify(token, jwks, { issuer: jwt.issuer, audience: jwt.audience }).then(
      ({ payload }) => {
        const name = payload.sub ?? '(no sub)';
        const role = roleOf(payload[jwt.rolesClaim]);
        if (role) return decide({ kind: 'jwt', name, role });
        // Authenticated, but no known role: may do nothing (403, not 401: a new token would not help).
        res.locals.principal = { kind: 'jwt', name, role: 'viewer' } satisfies Principal;
        next(new HttpProblem(403, 'forbidden', 'Forbidden', `${name} has no role (${ROLES.join(', ')}) in the "${jwt.rolesClaim}" claim`));
      },
      () => decide(undefined),
    );
  };
}
