import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signing, the GitHub/Stripe way: HMAC-SHA256 over `<timestamp>.<body>` with a shared key. The
 * timestamp is signed too so a receiver can refuse replays older than a few minutes.
 */
export const SIGNATURE_HEADER = 'x-datamigrato-signature';
export const TIMESTAMP_HEADER = 'x-datamigrato-timestamp';
export const EVENT_HEADER = 'x-datamigrato-event';
export const DELIVERY_HEADER = 'x-datamigrato-delivery';

export function signBody(key: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** For receivers (and tests): constant-time check, plus a freshness window on the timestamp. */
export function verifySignature(
  key: string,
  headers: { signature?: string; timestamp?: string },
  body: string,
  opts: { now?: number; toleranceSeconds?: number } = {},
): boolean {
  const ts = Number(headers.timestamp);
  if (!headers.signature || !Number.isInteger(ts)) return false;
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - ts) > (opts.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signBody(key, ts, body));
  const given = Buffer.from(headers.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
