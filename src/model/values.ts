/**
 * Neutral-value helpers shared by transform steps and by connectors whose drivers spell values
 * differently from the neutral model (MongoDB's Decimal128, Cassandra's BigDecimal). Pure: no drivers.
 */

export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' &&
  v !== null &&
  !Array.isArray(v) &&
  !Buffer.isBuffer(v) &&
  !(v instanceof Date) &&
  (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

export interface DecimalParts {
  negative: boolean;
  /** Digits of the unscaled value, no leading zeros ("0" for zero). */
  unscaled: string;
  /** Digits after the point; never negative. */
  scale: number;
}

/**
 * Parses decimal text, scientific notation included ("1.23E+5", "1E-8"), into unscaled digits and a
 * non-negative scale. Returns null for anything else (NaN, Infinity, garbage): callers reject those.
 */
export function parseDecimal(text: string): DecimalParts | null {
  const m = DECIMAL.exec(text.trim());
  if (!m) return null;
  const [, sign, int = '', frac = '', exp = '0'] = m;
  if (int === '' && frac === '') return null;
  let digits = int + frac;
  let scale = frac.length - Number(exp);
  if (!Number.isSafeInteger(scale) || Math.abs(scale) > 10_000) return null;
  if (scale < 0) {
    digits += '0'.repeat(-scale);
    scale = 0;
  }
  digits = digits.replace(/^0+(?=\d)/, '');
  return { negative: sign === '-' && /[1-9]/.test(digits), unscaled: digits || '0', scale };
}

/** Plain decimal text without exponent, keeping the scale: "1.23E+5" → "123000", "1E-8" → "0.00000001". */
export function plainDecimal(text: string): string | null {
  const p = parseDecimal(text);
  return p ? formatDecimal(p) : null;
}

export function formatDecimal({ negative, unscaled, scale }: DecimalParts): string {
  const padded = unscaled.padStart(scale + 1, '0');
  const int = padded.slice(0, padded.length - scale);
  const frac = scale > 0 ? `.${padded.slice(padded.length - scale)}` : '';
  return `${negative ? '-' : ''}${int}${frac}`;
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
export const isInt32 = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= INT32_MIN && n <= INT32_MAX;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** An int64 from a bigint, an integral number or integer text; throws on anything inexact or out of range. */
export function toInt64(v: unknown): bigint {
  let b: bigint;
  if (typeof v === 'bigint') b = v;
  else if (typeof v === 'number' && Number.isInteger(v)) b = BigInt(v);
  else if (typeof v === 'string' && /^\s*[+-]?\d+\s*$/.test(v)) b = BigInt(v.trim());
  else throw new Error(`not an int64: ${describeValue(v)}`);
  if (b < INT64_MIN || b > INT64_MAX) throw new Error(`out of int64 range: ${b}`);
  return b;
}

export function toInt32(v: unknown): number {
  const n = typeof v === 'bigint' ? Number(v) : typeof v === 'string' && /^\s*[+-]?\d+\s*$/.test(v) ? Number(v) : v;
  if (!isInt32(n)) throw new Error(`not an int32: ${describeValue(v)}`);
  return n;
}

/** A float64 from a number, or from numeric text / bigint only when the conversion is exact. */
export function toFloat64(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') {
    const n = Number(v);
    if (BigInt(n) !== v) throw new Error(`int64 ${v} has no exact float64`);
    return n;
  }
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    if (!Number.isNaN(n) || v.trim() === 'NaN') return n;
  }
  throw new Error(`not a float64: ${describeValue(v)}`);
}

export function toDecimalText(v: unknown): string {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number' && Number.isFinite(v)) return plainDecimal(String(v))!;
  if (typeof v === 'string') {
    const d = plainDecimal(v);
    if (d !== null) return d;
  }
  throw new Error(`not a decimal: ${describeValue(v)}`);
}

const ISO_TZ = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})$/;
const ISO_LOCAL = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?$/;

/**
 * Neutral timestamptz text (UTC, "Z") from a Date or ISO text. Fractions beyond milliseconds are kept
 * when the input already is UTC, because Date would drop them.
 */
export function toTimestamptzText(v: unknown): string {
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) throw new Error('invalid Date');
    return v.toISOString();
  }
  if (typeof v === 'string' && ISO_TZ.test(v)) {
    if (v.endsWith('Z')) return v;
    const d = new Date(v);
    if (!Number.isNaN(d.getTime())) return d.toISOString();
  }
  throw new Error(`not a timestamp with zone: ${describeValue(v)}`);
}

export function toTimestampText(v: unknown): string {
  if (v instanceof Date) return toTimestamptzText(v).replace(/Z$/, '');
  if (typeof v === 'string' && ISO_LOCAL.test(v)) return v.replace(' ', 'T');
  throw new Error(`not a timestamp: ${describeValue(v)}`);
}

export function toDateText(v: unknown): string {
  if (v instanceof Date) return toTimestamptzText(v).slice(0, 10);
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v)) {
    const day = v.slice(0, 10);
    if (!Number.isNaN(Date.parse(`${day}T00:00:00Z`))) return day;
  }
  throw new Error(`not a date: ${describeValue(v)}`);
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
export function toUuidText(v: unknown): string {
  if (typeof v === 'string' && UUID.test(v)) {
    const hex = v.replace(/-/g, '').toLowerCase();
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
  throw new Error(`not a uuid: ${describeValue(v)}`);
}

export function toObjectIdText(v: unknown): string {
  if (typeof v === 'string' && /^[0-9a-f]{24}$/i.test(v)) return v.toLowerCase();
  const o = v as { toHexString?: () => string } | null;
  if (o && typeof o === 'object' && typeof o.toHexString === 'function') return o.toHexString().toLowerCase();
  throw new Error(`not an ObjectId (24 hex digits): ${describeValue(v)}`);
}

export function toBoolean(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 't' || v === 1) return true;
  if (v === 'false' || v === 'f' || v === 0) return false;
  throw new Error(`not a boolean: ${describeValue(v)}`);
}

/** bytes from a Buffer, a { $base64 } object (how toJsonSafe spells bytes inside JSON) or base64 text. */
export function toBytes(v: unknown): Buffer {
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v);
  if (isPlainObject(v) && typeof v.$base64 === 'string' && Object.keys(v).length === 1) return Buffer.from(v.$base64, 'base64');
  if (typeof v === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(v) && v.length % 4 === 0) return Buffer.from(v, 'base64');
  throw new Error(`not bytes: ${describeValue(v)}`);
}

/** A short, safe description of a value for error messages (never the whole record). */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'bigint') return `${v}n`;
  if (Buffer.isBuffer(v)) return `<${v.length} bytes>`;
  if (Array.isArray(v)) return `array(${v.length})`;
  if (v instanceof Date) return `Date(${Number.isNaN(v.getTime()) ? 'invalid' : v.toISOString()})`;
  if (typeof v === 'object') return (v as object).constructor?.name === 'Object' ? 'object' : `${(v as object).constructor?.name ?? 'object'}`;
  return String(v);
}
