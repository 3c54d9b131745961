import type { JsonValue, Row, Value } from './types';

/** Rows as JSON for dead-letter storage and samples: bytes as base64, bigints as strings, dates as ISO. */
export function toJsonSafe(value: Value | unknown): JsonValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return value.toString();
  if (Buffer.isBuffer(value)) return { $base64: value.toString('base64') };
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (Array.isArray(value)) return value.map(toJsonSafe);
  if (typeof value === 'object') {
    const maybe = value as { toHexString?: () => string; toJSON?: () => unknown };
    if (typeof maybe.toHexString === 'function') return maybe.toHexString();
    const out: Record<string, JsonValue> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toJsonSafe(v);
    return out;
  }
  return value as JsonValue;
}

export const rowToJsonSafe = (row: Row) => toJsonSafe(row) as Record<string, JsonValue>;
