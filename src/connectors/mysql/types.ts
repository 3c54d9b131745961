import type { FieldSchema, FieldType, Value } from '../../model/types';

/**
 * MySQL/MariaDB ↔ neutral types, as data, in the spirit of pgloader's default casts. Every choice that
 * loses or reshapes something says so in `doc` (docs/connectors-mysql.md prints the same table).
 */

/** A column as information_schema describes it (lowercase). */
export interface MysqlColumn {
  name: string;
  dataType: string; // DATA_TYPE, e.g. "int"
  columnType: string; // COLUMN_TYPE, e.g. "int(10) unsigned"
  nullable: boolean;
  /** MariaDB's JSON is `longtext … CHECK (json_valid(col))`: found by that constraint. */
  json: boolean;
}

interface SourceCast {
  match: (c: MysqlColumn) => boolean;
  type: FieldType;
  doc: string;
}

const dt =
  (...names: string[]) =>
  (c: MysqlColumn) =>
    names.includes(c.dataType);
const unsigned = (c: MysqlColumn) => /\bunsigned\b/.test(c.columnType);

/** First match wins. */
export const SOURCE_CASTS: SourceCast[] = [
  {
    match: (c) => c.dataType === 'tinyint' && /^tinyint\(1\)/.test(c.columnType),
    type: 'boolean',
    doc: 'tinyint(1) → boolean (0 false, any other value true)',
  },
  { match: (c) => c.dataType === 'bit' && /^bit\(1\)$/.test(c.columnType), type: 'boolean', doc: 'bit(1) → boolean' },
  { match: dt('bit'), type: 'int64', doc: 'bit(n) → int64 (the bits as an unsigned number; n ≤ 64, bit(64) above 2^63 is refused on read)' },
  { match: (c) => c.dataType === 'bigint' && unsigned(c), type: 'decimal', doc: 'bigint unsigned → decimal (exact text: beyond int64)' },
  { match: dt('bigint'), type: 'int64', doc: 'bigint → int64' },
  { match: (c) => c.dataType === 'int' && unsigned(c), type: 'int64', doc: 'int unsigned → int64' },
  { match: dt('tinyint', 'smallint', 'mediumint', 'int'), type: 'int32', doc: 'tinyint/smallint/mediumint/int (signed or unsigned below int) → int32' },
  { match: dt('decimal', 'numeric'), type: 'decimal', doc: 'decimal(p,s) → decimal (exact text)' },
  { match: dt('float', 'double', 'real'), type: 'float64', doc: 'float/double → float64 (float as the server prints it)' },
  { match: dt('date'), type: 'date', doc: "date → date; zero dates ('0000-00-00', zero month/day) → null, counted" },
  { match: dt('datetime'), type: 'timestamp', doc: 'datetime → timestamp (no zone); zero dates → null, counted' },
  { match: dt('timestamp'), type: 'timestamptz', doc: 'timestamp → timestamptz (read in a UTC session); zero dates → null, counted' },
  { match: dt('time'), type: 'string', doc: "time → string ('-838:59:59' … '838:59:59' is an interval, not a time of day)" },
  { match: dt('year'), type: 'int32', doc: 'year → int32' },
  { match: (c) => c.json || c.dataType === 'json', type: 'json', doc: 'json (MySQL JSON, MariaDB longtext CHECK json_valid) → json' },
  { match: dt('set'), type: 'json', doc: "set('a','b') → json array of strings (nativeType keeps the list)" },
  { match: dt('enum'), type: 'string', doc: "enum('a','b') → string (nativeType keeps the list)" },
  { match: dt('uuid'), type: 'uuid', doc: 'uuid (MariaDB 10.7+) → uuid' },
  {
    match: dt('char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext'),
    type: 'string',
    doc: 'char/varchar/text (any character set: the session is utf8mb4, the server converts) → string',
  },
  { match: dt('binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob'), type: 'bytes', doc: 'binary/varbinary/blob → bytes' },
  {
    match: dt('geometry', 'point', 'linestring', 'polygon', 'multipoint', 'multilinestring', 'multipolygon', 'geometrycollection'),
    type: 'bytes',
    doc: 'spatial types → bytes (internal WKB with SRID prefix)',
  },
  { match: () => true, type: 'string', doc: 'anything else (inet6, …) → string (its text form)' },
];

export const neutralTypeOf = (c: MysqlColumn): FieldType => SOURCE_CASTS.find((s) => s.match(c))!.type;

/** How a neutral field becomes a column when the target table is created. */
interface TargetCast {
  column: string;
  /** Key columns need a bounded width: InnoDB indexes at most 3072 bytes (utf8mb4: 4 bytes a character). */
  key?: string;
  doc: string;
}

export const TARGET_CASTS: Record<FieldType, TargetCast> = {
  string: { column: 'longtext', key: 'varchar(255)', doc: 'longtext; as a key column varchar(255) (longer keys are rejected: ER_DATA_TOO_LONG)' },
  objectid: { column: 'char(24)', doc: 'char(24) (hex)' },
  int32: { column: 'int', doc: 'int' },
  int64: { column: 'bigint', doc: 'bigint' },
  float64: { column: 'double', doc: 'double (NaN and ±Infinity cannot be stored: rejected)' },
  decimal: {
    column: 'longtext',
    key: 'varchar(255)',
    doc: 'decimal(p,s) when the source says p ≤ 65 and s ≤ 30; otherwise (unconstrained numeric, more digits) exact decimal text in longtext (varchar(255) as key)',
  },
  boolean: { column: 'tinyint(1)', doc: 'tinyint(1)' },
  timestamptz: { column: 'datetime(6)', doc: 'datetime(6) holding UTC (timestamp would stop at 2038 and start at 1970); microseconds kept' },
  timestamp: { column: 'datetime(6)', doc: 'datetime(6); microseconds kept' },
  date: { column: 'date', doc: 'date' },
  uuid: { column: 'char(36)', doc: 'char(36) (lowercase text)' },
  json: { column: 'json', doc: 'json (MariaDB: longtext with a json_valid check; nested values exact)' },
  bytes: { column: 'longblob', key: 'varbinary(255)', doc: 'longblob; as a key column varbinary(255)' },
};

/** A precision/scale hint in another store's native type (numeric(14,4), decimal(38,10)) MySQL can hold exactly. */
function exactDecimal(nativeType: string | undefined): string | null {
  const m = /^(?:numeric|decimal)\s*\((\d+)\s*(?:,\s*(\d+))?\)/i.exec(nativeType ?? '');
  if (!m) return null;
  const p = Number(m[1]);
  const s = Number(m[2] ?? 0);
  return p >= 1 && p <= 65 && s <= 30 && s <= p ? `decimal(${p},${s})` : null;
}

/** Column type for a field when creating a table; a MySQL source's exact type wins. */
export function mysqlColumnType(f: FieldSchema, isKey: boolean): string {
  if (f.nativeOf === 'mysql' && f.nativeType) return f.nativeType;
  if (f.type === 'decimal') {
    const exact = exactDecimal(f.nativeType);
    if (exact) return exact;
  }
  const cast = TARGET_CASTS[f.type];
  return isKey && cast.key ? cast.key : cast.column;
}

// ----------------------------------------------------------------------------------------------------------------
// values

/** How a column's value is decoded: by the neutral type, refined by a MySQL native type (bit, set). */
export type Codec =
  'int32' | 'int64' | 'float64' | 'decimal' | 'boolean' | 'bitBoolean' | 'bitInt' | 'date' | 'timestamp' | 'timestamptz' | 'json' | 'set' | 'bytes' | 'string';

export function codecOf(f: FieldSchema): Codec {
  const native = f.nativeOf === 'mysql' ? (f.nativeType ?? '').toLowerCase() : '';
  if (native.startsWith('bit(')) return f.type === 'boolean' ? 'bitBoolean' : 'bitInt';
  if (native.startsWith('set(') && f.type === 'json') return 'set';
  switch (f.type) {
    case 'int32':
    case 'int64':
    case 'float64':
    case 'decimal':
    case 'boolean':
    case 'date':
    case 'timestamp':
    case 'timestamptz':
    case 'json':
    case 'bytes':
      return f.type;
    default:
      return 'string';
  }
}

/** A zero date ('0000-00-00…', or a zero month or day that a lax sql_mode let in): a value that cannot travel. */
export const isZeroDate = (text: string) => /^\d{4}-(00-\d{2}|\d{2}-00)/.test(text);

export class ZeroDate {}
export const ZERO_DATE = new ZeroDate();

/** A raw column value (text, or a Buffer for binary columns) → neutral value; ZERO_DATE for a zero date; throws when it cannot. */
export function decodeValue(raw: string | Buffer | null, codec: Codec): Value | ZeroDate {
  if (raw === null) return null;
  const text = () => (Buffer.isBuffer(raw) ? raw.toString('utf8') : raw);
  switch (codec) {
    case 'int32':
      return Number(text());
    case 'int64':
      return BigInt(text());
    case 'float64':
      return Number(text());
    case 'decimal':
    case 'string':
      return text();
    case 'boolean':
      return Number(text()) !== 0;
    case 'bitBoolean':
      return Buffer.isBuffer(raw) ? raw.some((b) => b !== 0) : Number(raw) !== 0;
    case 'bitInt': {
      const n = Buffer.isBuffer(raw) ? raw.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n) : BigInt(raw);
      if (n > 9223372036854775807n) throw new Error(`bit value ${n} does not fit int64`);
      return n;
    }
    case 'date': {
      const t = text();
      return isZeroDate(t) ? ZERO_DATE : t;
    }
    case 'timestamp':
    case 'timestamptz': {
      const t = text();
      if (isZeroDate(t)) return ZERO_DATE;
      const iso = t.replace(' ', 'T');
      return codec === 'timestamptz' ? `${iso}Z` : iso;
    }
    case 'json':
      return JSON.parse(text());
    case 'set': {
      const t = text();
      return t === '' ? [] : t.split(',');
    }
    case 'bytes':
      return Buffer.isBuffer(raw) ? raw : Buffer.from(raw, 'utf8');
  }
}

const ISO = /^(\d{4,}-\d{2}-\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * Neutral timestamp text → the DATETIME literal MySQL reads ('YYYY-MM-DD HH:MM:SS.ffffff'). An offset is
 * applied (MariaDB reads no offsets), keeping the fraction's digits exactly; timestamptz is stored in UTC.
 * null when the text is no timestamp (the server then refuses the original text).
 */
export function toDatetimeText(text: string): string | null {
  const m = ISO.exec(text);
  if (!m) return null;
  const [, date, hh, mi, ss, frac = '', zone] = m;
  if (!zone || zone === 'Z') return `${date} ${hh}:${mi}:${ss}${frac}`;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const offsetMin = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || 0));
  const [y, mo, d] = date!.split('-').map(Number) as [number, number, number];
  const utc = new Date(Date.UTC(y, mo - 1, d, Number(hh), Number(mi), Number(ss)) - offsetMin * 60_000);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const ymd = `${pad(utc.getUTCFullYear(), 4)}-${pad(utc.getUTCMonth() + 1)}-${pad(utc.getUTCDate())}`;
  return `${ymd} ${pad(utc.getUTCHours())}:${pad(utc.getUTCMinutes())}:${pad(utc.getUTCSeconds())}${frac}`;
}

const INTEGER = /^-?\d+$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * A neutral value as a SQL literal for a column of this codec. A value of the wrong shape is sent as
 * quoted text, so the server (strict sql_mode) refuses it and the row is rejected with the server's reason.
 */
export function toSqlLiteral(value: Value | undefined, codec: Codec, escape: (v: string | Buffer) => string): string {
  if (value === null || value === undefined) return 'NULL';
  if (Buffer.isBuffer(value)) return `X'${value.toString('hex')}'`;
  if (value instanceof Date) return escape(toDatetimeText(value.toISOString())!);
  switch (codec) {
    case 'int32':
    case 'int64':
    case 'bitInt':
      if (typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value))) return String(value);
      return typeof value === 'string' && INTEGER.test(value) ? value : escape(String(value));
    case 'float64':
      // String(n) is the shortest text that reads back as the same double.
      return typeof value === 'number' && Number.isFinite(value) ? String(value) : escape(String(value));
    case 'decimal':
      return typeof value === 'string' && DECIMAL.test(value) ? escape(value) : escape(String(value));
    case 'boolean':
    case 'bitBoolean':
      return typeof value === 'boolean' ? (value ? '1' : '0') : escape(String(value));
    case 'timestamp':
    case 'timestamptz':
      return escape(typeof value === 'string' ? (toDatetimeText(value) ?? value) : String(value));
    case 'json':
      return escape(JSON.stringify(value));
    case 'set':
      return escape(Array.isArray(value) ? value.join(',') : String(value));
    default:
      return escape(typeof value === 'object' ? JSON.stringify(value) : String(value));
  }
}

/** A value as one field of LOAD DATA's tab-separated text (\N for null; bytes as hex, unhexed by the statement). */
export function toLoadDataField(value: Value | undefined, codec: Codec): string {
  if (value === null || value === undefined) return '\\N';
  let text: string;
  if (Buffer.isBuffer(value)) text = value.toString('hex');
  else if (value instanceof Date) text = toDatetimeText(value.toISOString())!;
  else
    switch (codec) {
      case 'boolean':
      case 'bitBoolean':
        text = typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
        break;
      case 'timestamp':
      case 'timestamptz':
        text = typeof value === 'string' ? (toDatetimeText(value) ?? value) : String(value);
        break;
      case 'json':
        text = JSON.stringify(value);
        break;
      case 'set':
        text = Array.isArray(value) ? value.join(',') : String(value);
        break;
      default:
        text = typeof value === 'object' ? JSON.stringify(value) : String(value);
    }
  return /[\\\t\n\r]/.test(text) ? text.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r')) : text;
}
