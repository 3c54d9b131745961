import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response, Router } from 'express';
import { parseSpecText } from '../client';
import type { Logger } from '../src/logging';
import { HttpProblem } from './problems';

/** Request plumbing shared by the routers: auth, body decoding, async handlers, 404/405. */

export const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'];
export const JSON_TYPES = ['application/json', 'application/*+json'];

/** Constant-time token comparison: hash both sides so lengths match and timing says nothing about the token. */
export function tokenMatches(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export function requestLog(log: Logger): RequestHandler {
  return (req, res, next) => {
    const t0 = Date.now();
    res.on('finish', () => log.info({ method: req.method, path: req.originalUrl, status: res.statusCode, ms: Date.now() - t0 }, 'request'));
    next();
  };
}

/** The request body: JSON (parsed by express.json) or YAML text; anything else is 415, nothing at all 400. */
export function bodyOf(req: Request): unknown {
  if (typeof req.body === 'string' && req.is(YAML_TYPES)) {
    return parseSpecText(req.body, '(body)');
  }
  if (req.body !== undefined && req.is(JSON_TYPES)) return req.body;
  const hasBody = Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;
  if (hasBody && !req.is([...JSON_TYPES, ...YAML_TYPES])) {
    throw new HttpProblem(
      415,
      'unsupported-media-type',
      'Unsupported Media Type',
      `send the spec as application/json or application/yaml, not ${req.get('content-type') ?? 'no content type'}`,
      [{ path: '(body)', message: 'unsupported content type' }],
    );
  }
  throw new HttpProblem(400, 'missing-body', 'Missing request body', 'the body must be a job spec (JSON or YAML)', [{ path: '(body)', message: 'required' }]);
}

export const asyncRoute =
  (fn: (req: Request, res: Response) => Promise<void>): RequestHandler =>
  (req, res, next) =>
    fn(req, res).catch(next);

export const methodNotAllowed =
  (allow: string[]): RequestHandler =>
  (req, _res, next) =>
    next(
      new HttpProblem(
        405,
        'method-not-allowed',
        'Method Not Allowed',
        `${req.method} is not supported on ${req.path}; allowed: ${allow.join(', ')}`,
        undefined,
        { Allow: allow.join(', ') },
      ),
    );

/** One path's handlers; every other method on it is 405 with an Allow header naming these. */
export function resource(
  router: Router,
  path: string,
  handlers: { get?: RequestHandler; post?: RequestHandler; put?: RequestHandler; delete?: RequestHandler },
): void {
  const route = router.route(path);
  const methods = (['get', 'post', 'put', 'delete'] as const).filter((m) => handlers[m]);
  for (const m of methods) route[m](handlers[m]!);
  route.all(methodNotAllowed(methods.map((m) => m.toUpperCase())));
}

export const notFound: RequestHandler = (req, _res, next) => next(new HttpProblem(404, 'not-found', 'Not Found', `no route ${req.method} ${req.path}`));
