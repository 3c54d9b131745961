import type { KeyRange, KeyValue } from '../../model/types';

/**
 * RTDB key rules and order, pure. Keys are non-empty UTF-8 text of at most 768 bytes without
 * . $ # [ ] / or control characters. orderByKey sorts keys that are 32-bit integers first (numerically),
 * then the rest as strings — the comparison below is the SDK's own nameCompare, so client-side bounds
 * agree with what a server returns.
 */

// eslint-disable-next-line no-control-regex -- RTDB forbids control characters in keys
export const INVALID_KEY = /[[\].#$/\u0000-\u001f\u007f]/;
/** What percent encoding replaces: the forbidden characters and % itself (so decoding is exact). */
// eslint-disable-next-line no-control-regex -- RTDB forbids control characters in keys
const ENCODED = /[[\].#$/%\u0000-\u001f\u007f]/g;
const DECODED = /%(2E|24|23|5B|5D|2F|25|[01][0-9A-F]|7F)/g;
export const MAX_KEY_BYTES = 768;

const INT_KEY = /^-?(0*)\d{1,10}$/;
function int32Of(key: string): number | null {
  if (!INT_KEY.test(key)) return null;
  const n = Number(key);
  return n >= -2147483648 && n <= 2147483647 ? n : null;
}

/** RTDB's key order (orderByKey). */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  const x = int32Of(a);
  const y = int32Of(b);
  if (x !== null) return y !== null ? x - y || a.length - b.length : -1;
  if (y !== null) return 1;
  return a < b ? -1 : 1;
}

export type KeyEncoding = 'percent' | 'reject';

/** The RTDB key of a record's key text; throws (a rejected record) when it cannot be one. */
export function encodeKey(text: string, mode: KeyEncoding): string {
  if (text === '') throw new Error('an empty key cannot be an RTDB key');
  let key = text;
  if (INVALID_KEY.test(text)) {
    if (mode === 'reject') throw new Error(`key ${JSON.stringify(text.slice(0, 60))} holds . $ # [ ] / or a control character (keyEncoding: reject)`);
    key = text.replace(ENCODED, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
  } else if (mode === 'percent' && text.includes('%')) key = text.replace(/%/g, '%25');
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) throw new Error(`key of ${Buffer.byteLength(key, 'utf8')} bytes exceeds RTDB's ${MAX_KEY_BYTES}`);
  return key;
}

/** The record's key text of an RTDB key (the inverse of encodeKey). */
export const decodeKey = (key: string, mode: KeyEncoding): string =>
  mode === 'percent' ? key.replace(DECODED, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))) : key;

/** True when a key lies in (lower, upper] (null bound = unbounded). */
export const inRange = (key: string, lower: string | null, upper: string | null): boolean =>
  (lower === null || compareKeys(key, lower) > 0) && (upper === null || compareKeys(key, upper) <= 0);

/**
 * About `count` ranges over sorted keys, split at quantiles: (null, b1], (b1, b2], …, (bk, null).
 * The first and last are open so keys added after planning are still read.
 */
export function rangesOfKeys(keys: readonly string[], count: number): KeyRange[] {
  const sorted = [...keys].sort(compareKeys);
  const n = Math.max(1, Math.min(count, sorted.length));
  const bounds: KeyValue[] = [];
  for (let i = 1; i < n; i++) {
    const b = sorted[Math.floor((i * sorted.length) / n) - 1]!;
    if (bounds[bounds.length - 1] !== b) bounds.push(b);
  }
  const edges: (KeyValue | null)[] = [null, ...bounds, null];
  return edges.slice(1).map((upper, i) => ({ id: i, lower: edges[i]!, upper, estimatedRows: Math.round(sorted.length / (edges.length - 1)) }));
}
