import { createWriteStream, type WriteStream } from 'node:fs';
import type { RequestHandler } from 'express';
import type { Logger } from '../src/logging';
import { principalOf } from './auth';

/** One line per state-changing call: who, what, on which migration/job, and how it ended. */
export interface AuditLine {
  audit: true;
  time: string;
  who: string;
  kind: string;
  role?: string;
  action: string;
  id?: string;
  outcome: 'ok' | 'denied' | 'rejected' | 'failed';
  status: number;
}

const READ_ONLY = new Set(['GET', 'HEAD', 'OPTIONS']);

/** `POST /migrations/x/pause` → action `pause`, id `x`; `POST /migrations` → `start`; `/jobs/...` likewise. */
function describe(method: string, path: string): { action: string; id?: string } {
  const [resource, id, verb] = path.split('/').filter(Boolean).map(decodeSegment);
  if (resource === 'migrations' && !id) return { action: 'start' };
  if (resource === 'migrations' && id === 'check' && !verb) return { action: 'check' };
  return { action: verb ?? `${method.toLowerCase()} ${resource ?? '/'}`, id };
}

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

const outcomeOf = (status: number): AuditLine['outcome'] =>
  status === 401 || status === 403 ? 'denied' : status < 400 ? 'ok' : status < 500 ? 'rejected' : 'failed';

/**
 * Written when the response is finished, so the outcome is known; denied calls are audited too. Only names
 * and ids go in — never a header, a body or a token. The started id of POST /migrations is in the response,
 * which is read from res.locals where the route leaves it.
 */
export function auditLog(log: Logger | undefined, file?: string): RequestHandler {
  const out: WriteStream | undefined = file ? createWriteStream(file, { flags: 'a', mode: 0o600 }) : undefined;
  out?.on('error', (err) => log?.error({ err: err.message, file }, 'audit file not writable'));
  return (req, res, next) => {
    if (READ_ONLY.has(req.method)) return next();
    res.on('finish', () => {
      const p = principalOf(res);
      const { action, id } = describe(req.method, req.path);
      const line: AuditLine = {
        audit: true,
        time: new Date().toISOString(),
        who: p?.name ?? 'unauthenticated',
        kind: p?.kind ?? 'none',
        ...(p ? { role: p.role } : {}),
        action,
        ...((res.locals.auditId ?? id) ? { id: String(res.locals.auditId ?? id) } : {}),
        outcome: outcomeOf(res.statusCode),
        status: res.statusCode,
      };
      log?.info(line, 'audit');
      out?.write(`${JSON.stringify(line)}\n`);
    });
    next();
  };
}
