import type { FieldType, Value } from '../../model/types';
import type { DateEncoding } from './spec';

/**
 * SQLite types are declared names with an affinity, not enforced types: any column can hold any storage class.
 * Reading runs with safe integers on, so a value's JS type tells its storage class exactly.
 */
export type StorageClass = 'null' | 'integer' | 'real' | 'text' | 'blob';

export function storageClassOf(v: unknown): StorageClass {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'bigint') return 'integer';
  if (typeof v === 'number') return 'real';
  if (typeof v === 'string') return 'text';
  return 'blob';
}

/**
 * Declared type → neutral type, first match wins. The semantic names (BOOL, dates, JSON, UUID, DECIMAL) come
 * first; then SQLite's own affinity rules in their documented order (datatype3.html §3.1): INT → INTEGER,
 * CHAR/CLOB/TEXT → TEXT, BLOB or none → BLOB, REAL/FLOA/DOUB → REAL, anything else → NUMERIC.
 */
export const DECLARED_TYPE_RULES: readonly { match: RegExp; type: FieldType | 'datetime'; affinity: string }[] = [
  { match: /BOOL/, type: 'boolean', affinity: 'NUMERIC' },
  { match: /TIMESTAMPTZ|DATETIMETZ/, type: 'timestamptz', affinity: 'date/time' },
  { match: /DATETIME|TIMESTAMP/, type: 'datetime', affinity: 'date/time' },
  { match: /DATE/, type: 'date', affinity: 'date/time' },
  { match: /JSON/, type: 'json', affinity: 'NUMERIC' },
  { match: /UUID|GUID/, type: 'uuid', affinity: 'NUMERIC' },
  { match: /DECIMAL|NUMERIC|MONEY/, type: 'decimal', affinity: 'NUMERIC' },
  { match: /INT/, type: 'int64', affinity: 'INTEGER' },
  { match: /CHAR|CLOB|TEXT/, type: 'string', affinity: 'TEXT' },
  { match: /BLOB|^$/, type: 'bytes', affinity: 'BLOB' },
  { match: /REAL|FLOA|DOUB/, type: 'float64', affinity: 'REAL' },
  { match: /.*/, type: 'decimal', affinity: 'NUMERIC' },
];

/** The neutral type of a declared type; `datetime` is resolved later from the column's date encoding. */
export function declaredTypeOf(declared: string | null): FieldType | 'datetime' {
  const upper = (declared ?? '').trim().toUpperCase();
  return DECLARED_TYPE_RULES.find((r) => r.match.test(upper))!.type;
}

/** A column with no declared type (an expression of a query): its type is the storage class the sample saw. */
export const STORAGE_CLASS_TYPE: Record<Exclude<StorageClass, 'null'>, FieldType> = {
  integer: 'int64',
  real: 'float64',
  text: 'string',
  blob: 'bytes',
};

/**
 * Neutral type → declared type of a created column. Each name maps back to the same neutral type through
 * DECLARED_TYPE_RULES, and the `_TEXT` suffix gives TEXT affinity, so decimals keep every digit (NUMERIC
 * affinity would turn `0.10` into the real 0.1) and timestamps, UUIDs and JSON stay the text written.
 */
export const TARGET_DECLARED_TYPE: Record<FieldType, string> = {
  string: 'TEXT',
  objectid: 'TEXT',
  int32: 'INTEGER',
  int64: 'INTEGER',
  float64: 'REAL',
  decimal: 'DECIMAL_TEXT',
  boolean: 'BOOLEAN',
  timestamptz: 'TIMESTAMPTZ_TEXT',
  timestamp: 'TIMESTAMP_TEXT',
  date: 'DATE_TEXT',
  uuid: 'UUID_TEXT',
  json: 'JSON_TEXT',
  bytes: 'BLOB',
};

/** The storage classes each neutral type accepts when read; anything else is drift and rejects the row. */
export const ACCEPTED_CLASSES: Record<Exclude<FieldType, 'timestamptz' | 'timestamp' | 'date'>, readonly StorageClass[]> = {
  string: ['text', 'integer', 'real'],
  objectid: ['text'],
  int32: ['integer'],
  int64: ['integer'],
  float64: ['real', 'integer'],
  decimal: ['integer', 'real', 'text'],
  boolean: ['integer'],
  uuid: ['text', 'blob'],
  json: ['text', 'integer', 'real'],
  bytes: ['blob'],
};

/** Storage classes a date encoding is written in. */
export const ENCODING_CLASSES: Record<DateEncoding, readonly StorageClass[]> = {
  iso: ['text'],
  epochSeconds: ['integer', 'real'],
  epochMillis: ['integer', 'real'],
  julianDay: ['real', 'integer'],
};

/**
 * The encoding a stored date/time value looks like: text is ISO; a number by its magnitude (Julian days of
 * years 0–9000 are 1.7e6–5e6, epoch seconds of 1973–5138 are 1e8–1e11, epoch milliseconds from 1973 on are ≥ 1e11).
 */
export function encodingOfValue(v: unknown): DateEncoding | null {
  const cls = storageClassOf(v);
  if (cls === 'text') return 'iso';
  if (cls !== 'integer' && cls !== 'real') return null;
  const n = Math.abs(Number(v));
  if (n >= 1e6 && n < 1e7) return 'julianDay';
  if (n >= 1e11) return 'epochMillis';
  return 'epochSeconds';
}

/** The most frequent encoding in a sample (ISO when the sample is empty: what SQLite's date functions write). */
export function detectEncoding(sample: readonly unknown[]): DateEncoding {
  const counts = new Map<DateEncoding, number>();
  for (const v of sample) {
    const e = encodingOfValue(v);
    if (e) counts.set(e, (counts.get(e) ?? 0) + 1);
  }
  let best: DateEncoding = 'iso';
  let most = 0;
  for (const [e, n] of counts) if (n > most) [best, most] = [e, n];
  return best;
}

const ISO = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?\s*(Z|[+-]\d{2}:?\d{2})?$/i;
const JULIAN_UNIX_EPOCH = 2440587.5;

/** A stored instant as epoch milliseconds, or null when the value is not of the encoding. */
function instantMillis(v: unknown, encoding: Exclude<DateEncoding, 'iso'>): number | null {
  const n = Number(v);
  if (!Number.isFinite(n)) return null;
  const ms = encoding === 'epochMillis' ? n : encoding === 'epochSeconds' ? n * 1000 : (n - JULIAN_UNIX_EPOCH) * 86_400_000;
  return Math.abs(ms) <= 8.64e15 ? Math.round(ms) : null;
}

/**
 * A stored date/time value as the neutral text of `type`: epochs and Julian days are instants (UTC); ISO text
 * without a zone is wall time, which SQLite's own functions write in UTC. Returns null when it is not a date.
 */
export function dateValue(v: unknown, encoding: DateEncoding, type: 'timestamptz' | 'timestamp' | 'date'): string | null {
  if (encoding !== 'iso') {
    const ms = instantMillis(v, encoding);
    if (ms === null) return null;
    const iso = new Date(ms).toISOString();
    return type === 'date' ? iso.slice(0, 10) : type === 'timestamp' ? iso.slice(0, -1) : iso;
  }
  const m = ISO.exec(String(v).trim());
  if (!m) return null;
  const [, day, time, zone] = m;
  if (type === 'date') return day!;
  const clock = time ? (time.length === 5 ? `${time}:00` : time) : '00:00:00';
  if (!zone || /^(Z|[+-]00:?00)$/i.test(zone)) return `${day}T${clock}${type === 'timestamptz' ? 'Z' : ''}`;
  const utc = new Date(`${day}T${clock}${zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone}`);
  if (Number.isNaN(utc.getTime())) return null;
  return type === 'timestamptz' ? utc.toISOString() : utc.toISOString().slice(0, -1);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Why a stored value does not fit its field, or the neutral value it reads as. */
export type Converted = { ok: true; value: Value } | { ok: false; why: string };

const ok = (value: Value): Converted => ({ ok: true, value });
const no = (why: string): Converted => ({ ok: false, why });

/** A non-date stored value (storage class already accepted) as the neutral value of its field type. */
export function plainValue(v: Value, cls: StorageClass, type: keyof typeof ACCEPTED_CLASSES): Converted {
  switch (type) {
    case 'int32': {
      const n = Number(v);
      return n >= -2147483648 && n <= 2147483647 ? ok(n) : no(`${String(v)} does not fit int32`);
    }
    case 'int64':
      return ok(v);
    case 'float64':
      return ok(Number(v));
    case 'decimal':
      if (cls === 'text' && !/^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i.test(v as string)) return no('text that is not a number');
      return ok(String(v).trim());
    case 'boolean':
      return v === 0n || v === 1n ? ok(v === 1n) : no(`integer ${String(v)} is neither 0 nor 1`);
    case 'string':
    case 'objectid':
      return ok(String(v));
    case 'uuid': {
      const text = cls === 'blob' ? (v as Buffer).toString('hex').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5') : (v as string);
      return UUID.test(text) ? ok(text.toLowerCase()) : no('not a UUID');
    }
    case 'json':
      if (cls !== 'text') return ok(Number(v));
      try {
        return ok(JSON.parse(v as string) as Value);
      } catch {
        return no('text that is not JSON');
      }
    case 'bytes':
      return ok(v);
  }
}

/** A neutral value as better-sqlite3 binds it: it takes numbers, bigints, strings, Buffers and null only. */
export function toSqliteValue(v: Value | undefined, type: FieldType): string | number | bigint | Buffer | null {
  if (v === null || v === undefined) return null;
  if (type === 'json') return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof Date) return v.toISOString();
  if (Buffer.isBuffer(v)) return v;
  if (typeof v === 'bigint' || typeof v === 'string') return v;
  if (typeof v === 'number') return type === 'int64' && Number.isInteger(v) ? BigInt(v) : v;
  return JSON.stringify(v);
}
