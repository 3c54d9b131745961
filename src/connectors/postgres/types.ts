import { types as pgTypes } from 'pg';
import type { FieldType, Value } from '../../model/types';

/** pg's built-in type OIDs we read into the neutral model; everything else passes through as text. */
const OID = {
  bool: 16,
  bytea: 17,
  int8: 20,
  int2: 21,
  int4: 23,
  json: 114,
  float4: 700,
  float8: 701,
  date: 1082,
  timestamp: 1114,
  timestamptz: 1184,
  numeric: 1700,
  uuid: 2950,
  jsonb: 3802,
} as const;

/** Server text → ISO-8601. The session runs with TimeZone=UTC, so timestamptz always ends in +00. */
export function pgTimestampToIso(text: string, withZone: boolean): string {
  const m = /^(\d{4,}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d+)?([+-]\d{2}(?::?\d{2})?(?::?\d{2})?)?$/.exec(text);
  if (!m) return text; // infinity, BC dates: keep the server's own spelling
  const [, date, time, frac = '', zone] = m;
  if (!withZone) return `${date}T${time}${frac}`;
  if (zone && zone !== '+00') return new Date(text.replace(' ', 'T')).toISOString(); // not expected with TimeZone=UTC
  return `${date}T${time}${frac}Z`;
}

const identity = (v: string) => v;

/** Per-client type parsers (never the global ones: other code in the process may use pg). */
export const neutralTypeParsers = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
    switch (oid) {
      case OID.int8:
        return (v: string) => BigInt(v);
      case OID.int2:
      case OID.int4:
        return (v: string) => Number(v);
      case OID.float4:
      case OID.float8:
        return (v: string) => Number(v);
      case OID.timestamptz:
        return (v: string) => pgTimestampToIso(v, true);
      case OID.timestamp:
        return (v: string) => pgTimestampToIso(v, false);
      case OID.bool:
      case OID.bytea:
      case OID.json:
      case OID.jsonb:
        return pgTypes.getTypeParser(oid, format ?? 'text') as (v: string) => unknown;
      default:
        return identity; // numeric, date, uuid, text, arrays, enums…: the server's exact text
    }
  },
};

/** Neutral type of a column from its pg_type name. */
export function neutralTypeOf(typname: string): FieldType {
  switch (typname) {
    case 'int2':
    case 'int4':
      return 'int32';
    case 'int8':
      return 'int64';
    case 'float4':
    case 'float8':
      return 'float64';
    case 'numeric':
      return 'decimal';
    case 'bool':
      return 'boolean';
    case 'timestamptz':
      return 'timestamptz';
    case 'timestamp':
      return 'timestamp';
    case 'date':
      return 'date';
    case 'uuid':
      return 'uuid';
    case 'json':
    case 'jsonb':
      return 'json';
    case 'bytea':
      return 'bytes';
    default:
      return 'string';
  }
}

/** Column type for a field when creating a table; a PostgreSQL source's exact type wins. */
export function pgColumnType(type: FieldType, nativeType?: string, nativeOf?: string): string {
  if (nativeOf === 'postgres' && nativeType) return nativeType;
  switch (type) {
    case 'string':
    case 'objectid':
      return 'text';
    case 'int32':
      return 'integer';
    case 'int64':
      return 'bigint';
    case 'float64':
      return 'double precision';
    case 'decimal':
      return 'numeric';
    case 'boolean':
      return 'boolean';
    case 'timestamptz':
      return 'timestamptz';
    case 'timestamp':
      return 'timestamp';
    case 'date':
      return 'date';
    case 'uuid':
      return 'uuid';
    case 'json':
      return 'jsonb';
    case 'bytes':
      return 'bytea';
  }
}

/** A value as PostgreSQL's text input accepts it for a column of the given neutral type. */
export function toPgText(value: Value | undefined, type: FieldType): string | null {
  if (value === null || value === undefined) return null;
  if (type === 'json') return JSON.stringify(value);
  if (Buffer.isBuffer(value)) return `\\x${value.toString('hex')}`;
  if (value instanceof Date) return value.toISOString();
  switch (typeof value) {
    case 'string':
      return value;
    case 'boolean':
      return value ? 't' : 'f';
    case 'number':
    case 'bigint':
      return String(value);
    default:
      return JSON.stringify(value);
  }
}

/** COPY text format: backslash escapes for the four characters that would end a field or row. */
const NEEDS_ESCAPE = /[\\\n\r\t]/;

export function copyField(text: string | null): string {
  if (text === null) return '\\N';
  // Most fields need no escaping; testing first skips building a new string for them.
  if (!NEEDS_ESCAPE.test(text)) return text;
  return text.replace(/[\\\n\r\t]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t'));
}
