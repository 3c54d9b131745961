import { DocumentReference, GeoPoint, Timestamp } from 'firebase-admin/firestore';

/**
 * Firestore's write limits, checked before a document is sent so an oversized or too deep document is a
 * rejected record naming the limit (the server would fail the whole request otherwise).
 * Sizes follow https://firebase.google.com/docs/firestore/storage-size.
 */
export const MAX_DEPTH = 20;
/** A request (one BulkWriter batch) may carry at most 10 MiB: batches are cut below that. */
export const MAX_REQUEST_BYTES = 9 * 1024 * 1024;

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

/** Storage size of a document name: each path segment + 1, + 16. */
export const nameSize = (path: string) => path.split('/').reduce((n, s) => n + utf8(s) + 1, 16);

export function valueSize(v: unknown): number {
  if (v === null || v === undefined) return 1;
  switch (typeof v) {
    case 'string':
      return utf8(v) + 1;
    case 'boolean':
      return 1;
    case 'number':
    case 'bigint':
      return 8;
  }
  if (v instanceof Timestamp) return 8;
  if (v instanceof GeoPoint) return 16;
  if (v instanceof DocumentReference) return nameSize(v.path);
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return v.length;
  if (Array.isArray(v)) return v.reduce((n: number, x) => n + valueSize(x), 0);
  return Object.entries(v as Record<string, unknown>).reduce((n, [k, x]) => n + utf8(k) + 1 + valueSize(x), 0);
}

export const documentSize = (path: string, data: Record<string, unknown>) => nameSize(path) + valueSize(data) + 32;

const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' &&
  v !== null &&
  !Array.isArray(v) &&
  !(v instanceof Timestamp || v instanceof GeoPoint || v instanceof DocumentReference || v instanceof Uint8Array);

/** Throws naming the field when the data nests deeper than 20 levels or holds an array directly in an array. */
export function checkShape(data: Record<string, unknown>): void {
  const walk = (v: unknown, path: string, depth: number, inArray: boolean): void => {
    if (Array.isArray(v)) {
      if (inArray) throw new Error(`${path}: Firestore arrays cannot hold arrays directly (nested arrays)`);
      if (depth > MAX_DEPTH) throw new Error(`${path}: nested ${depth} levels deep; Firestore allows ${MAX_DEPTH}`);
      v.forEach((x, i) => walk(x, `${path}[${i}]`, depth + 1, true));
    } else if (isMap(v)) {
      if (depth > MAX_DEPTH) throw new Error(`${path}: nested ${depth} levels deep; Firestore allows ${MAX_DEPTH}`);
      for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k, depth + 1, false);
    }
  };
  for (const [k, x] of Object.entries(data)) walk(x, k, 1, false);
}
