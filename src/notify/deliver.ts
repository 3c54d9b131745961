import { configError, transientError } from '../errors';
import { resolveConnection, resolveRef } from '../secrets/resolve';
import type { NotifyRequest } from './payload';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signBody } from './sign';

export interface DeliverOptions {
  /** Per-attempt HTTP deadline. */
  timeoutMs?: number;
  /** Stable across retries so receivers can drop duplicates (a retried attempt may follow a lost 2xx). */
  deliveryId: string;
  now?: () => number;
}

/** The webhook URL from its reference; a named connection's `url` field. Never echoed in errors. */
async function resolveUrl(req: NotifyRequest): Promise<string> {
  const where = `notify[${req.index}].url`;
  const ref = req.target.url;
  const url = 'name' in ref ? (await resolveConnection(ref, where)).connection.url : await resolveRef(ref, where);
  if (typeof url !== 'string' || !/^https?:\/\//i.test(url)) throw configError(`${where}: the resolved value is not an http(s) URL`);
  return url;
}

/**
 * One POST of the signed payload. 2xx is delivered; 408, 429, 5xx and network errors are transient (the
 * activity's retry policy backs off); other 4xx mean the receiver refuses this request and are not retried.
 * Messages name the notify entry, never the URL, because webhook URLs carry tokens.
 */
export async function deliverNotification(req: NotifyRequest, opts: DeliverOptions): Promise<{ status: number }> {
  const url = await resolveUrl(req);
  const key = await resolveRef(req.target.secret, `notify[${req.index}].secret`);
  const body = JSON.stringify(req.payload);
  const timestamp = Math.floor((opts.now ?? Date.now)() / 1000);
  const where = `webhook notify[${req.index}] (${req.payload.event})`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'datamigrato-webhook',
        [SIGNATURE_HEADER]: signBody(key, timestamp, body),
        [TIMESTAMP_HEADER]: String(timestamp),
        [EVENT_HEADER]: req.payload.event,
        [DELIVERY_HEADER]: opts.deliveryId,
      },
      body,
      redirect: 'error', // a redirect could carry the signed body somewhere the spec never named
      signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
    });
  } catch (err) {
    // Only the error code: undici's messages can quote the URL.
    const e = err as Error & { cause?: { code?: string } };
    const code = e.cause?.code ?? (e.name === 'TimeoutError' ? 'timeout' : e.name);
    throw transientError(`${where}: not reachable (${code})`);
  }
  await res.body?.cancel().catch(() => undefined);
  if (res.ok) return { status: res.status };
  const retryable = res.status === 408 || res.status === 429 || res.status >= 500;
  const msg = `${where}: receiver answered HTTP ${res.status}`;
  throw retryable ? transientError(msg) : configError(msg);
}
