import type { FieldType, KeyRange, KeyValue, ObjectSchema } from '../../model/types';
import { q, rangeConditions } from '../sql/keyset';

/**
 * The PostgreSQL side of validation pushdown. Each row is hashed by the server and the hashes are summed (mod 2^64,
 * as the canonical digest sums SHA-1 prefixes). Both sides of a PostgreSQL → PostgreSQL copy run the same query, so
 * their digests compare; they do not compare with canonical digests, hence a kind of its own. A mismatch only ever
 * costs the canonical re-check, so two servers that hash differently (another byte order, an older server's
 * method) are slower to validate, never wrongly matched.
 *
 * PostgreSQL ≥ 14: hash_record_extended over the row value — each column by its type's own 64-bit hash, no text
 * rendered (a third of the text method's time on the bench's 1M rows), each column first cast to one type per
 * neutral type, so equal values of related types hash alike. Older servers: hashtextextended of the row's text.
 */
export const PG_DIGEST_KIND = 'postgres-hash64-v2';

/** The server's method: hash_record_extended exists from PostgreSQL 14 (server_version_num 140000). */
export type DigestMethod = 'record' | 'text';
export const digestMethodOf = (serverVersionNum: number): DigestMethod => (serverVersionNum >= 140_000 ? 'record' : 'text');

/**
 * Record hashing: the type each neutral type is hashed as. int4 and int8 hash alike in PostgreSQL, numeric ignores
 * trailing zeros (numeric(12,2) 5.00 = numeric 5), jsonb ignores key order and whitespace; anything else the
 * catalog calls a string (enums, arrays, varchar, types without a hash function) is hashed as its text.
 * Types not listed (boolean, date, timestamps, uuid, bytea) are hashed as themselves.
 */
const HASH_AS: Partial<Record<FieldType, string>> = {
  int32: 'int8',
  int64: 'int8',
  decimal: 'numeric',
  float64: 'float8',
  json: 'jsonb',
  string: 'text',
  objectid: 'text',
};

/**
 * Text hashing: renderings that make equal values equal text: numeric(12,2) 5.00 and numeric 5 (trim_scale,
 * PostgreSQL ≥ 13), real and double precision, json and jsonb (key order, whitespace), bytea whatever bytea_output
 * says. The session runs with TimeZone=UTC and DateStyle=ISO, so time values print the same on both servers.
 */
const RENDER: Partial<Record<FieldType, (column: string) => string>> = {
  decimal: (c) => `trim_scale(${c})`,
  float64: (c) => `${c}::float8`,
  json: (c) => `${c}::jsonb`,
  bytes: (c) => `encode(${c}, 'hex')`,
};

const ROW_HASH: Record<DigestMethod, (columns: readonly { name: string; type: FieldType }[]) => string> = {
  record: (cols) => `hash_record_extended(ROW(${cols.map((c) => (HASH_AS[c.type] ? `${q(c.name)}::${HASH_AS[c.type]}` : q(c.name))).join(', ')}), 0)`,
  // ROW(...)::text quotes an empty string ("") and leaves NULL empty, so the two never hash alike.
  text: (cols) => `hashtextextended(ROW(${cols.map((c) => RENDER[c.type]?.(q(c.name)) ?? q(c.name)).join(', ')})::text, 0)`,
};

/** `SELECT n, s`: the range's row count and the hash sum as decimal text (the sum may exceed 64 bits; the caller wraps it). */
export function digestQuery(
  from: string,
  schema: ObjectSchema,
  fields: readonly string[],
  range: KeyRange,
  param: (v: KeyValue) => string,
  method: DigestMethod = 'record',
): string {
  const columns = fields.map((name) => {
    const field = schema.fields.find((f) => f.name === name);
    if (!field) throw new Error(`digest field "${name}" is not in ${schema.object}`);
    return field;
  });
  const where = rangeConditions(schema.key, range, param);
  return (
    `SELECT count(*)::text AS n, COALESCE(sum(${ROW_HASH[method](columns)}), 0)::text AS s ` +
    `FROM ${from}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`
  );
}
