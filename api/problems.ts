import type { ErrorRequestHandler, Response } from 'express';
import { CheckFailedError, ClientError } from '../client/errors';
import type { Logger } from '../src/logging';
import type { SpecIssue } from '../src/job/job-spec';

/** RFC 9457 problem details. Every error the API returns has this shape and `application/problem+json`. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: SpecIssue[];
  step?: string;
  kind?: string;
}

const TYPE_BASE = 'urn:datamigrato:problem:';
export const problemType = (slug: string) => `${TYPE_BASE}${slug}`;

/** Thrown by handlers for a ready-made problem response. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    readonly detail?: string,
    readonly errors?: SpecIssue[],
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? title);
  }
}

export function sendProblem(res: Response, body: ProblemBody, headers: Record<string, string> = {}): void {
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.status(body.status).type('application/problem+json').send(JSON.stringify(body));
}

/** body-parser error types → status and wording. */
const BODY_ERRORS: Record<string, { status: number; slug: string; title: string }> = {
  'entity.parse.failed': { status: 400, slug: 'malformed-body', title: 'Request body is not valid JSON' },
  'entity.too.large': { status: 413, slug: 'body-too-large', title: 'Request body too large' },
  'encoding.unsupported': { status: 415, slug: 'unsupported-encoding', title: 'Unsupported content encoding' },
  'charset.unsupported': { status: 415, slug: 'unsupported-charset', title: 'Unsupported charset' },
  'request.aborted': { status: 400, slug: 'request-aborted', title: 'Request aborted' },
  'request.size.invalid': { status: 400, slug: 'malformed-body', title: 'Request size did not match Content-Length' },
  'stream.encoding.set': { status: 500, slug: 'internal', title: 'Internal error' },
};

export function errorHandler(log?: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const instance = req.originalUrl;
    if (res.headersSent) return;
    if (err instanceof HttpProblem) {
      return sendProblem(
        res,
        { type: problemType(err.slug), title: err.title, status: err.status, detail: err.detail, instance, errors: err.errors },
        err.headers,
      );
    }
    const bodyError = typeof err?.type === 'string' ? BODY_ERRORS[err.type] : undefined;
    if (bodyError) {
      const detail =
        err.type === 'entity.too.large'
          ? `the body is ${err.length ?? 'over'} bytes; the limit is ${err.limit} bytes`
          : err.type === 'entity.parse.failed'
            ? `invalid JSON: ${err.message}`
            : String(err.message);
      return sendProblem(res, {
        type: problemType(bodyError.slug),
        title: bodyError.title,
        status: bodyError.status,
        detail,
        instance,
        errors: [{ path: '(body)', message: detail }],
      });
    }
    if (err instanceof ClientError) {
      const map: Record<ClientError['code'], [number, string]> = {
        invalid_spec: [400, 'Invalid job spec'],
        invalid_request: [400, 'Invalid request'],
        not_found: [404, 'Migration not found'],
        conflict: [409, 'Conflict'],
        check_failed: [422, 'Dry run failed'],
        unavailable: [503, 'Temporal unavailable'],
      };
      let [status, title] = map[err.code];
      // Errors of other resources (saved jobs, schedules) carry their own title.
      if ('title' in err && typeof err.title === 'string') title = err.title;
      const extra: Partial<ProblemBody> = {};
      if (err instanceof CheckFailedError) {
        extra.step = err.step;
        extra.kind = err.kind;
        // The database is unreachable or busy: not the spec's fault, a gateway problem.
        if (err.retryable) [status, title] = [502, 'Dry run could not reach a database'];
      }
      return sendProblem(res, {
        type: problemType(err.code.replace(/_/g, '-')),
        title,
        status,
        detail: err.message,
        instance,
        ...(err.issues.length ? { errors: err.issues } : {}),
        ...extra,
      });
    }
    log?.error({ err: err?.message, stack: err?.stack, url: instance }, 'unhandled API error');
    sendProblem(res, {
      type: problemType('internal'),
      title: 'Internal error',
      status: 500,
      detail: 'an unexpected error occurred; see the API log',
      instance,
    });
  };
}
