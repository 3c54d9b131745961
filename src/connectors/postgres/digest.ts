import type { FieldType, KeyRange, KeyValue, ObjectSchema } from '../../model/types';
import { q, rangeConditions } from '../sql/keyset';

/**
 * The PostgreSQL side of validation pushdown. Each row is hashed by the server: hashtextextended (PostgreSQL's
 * own 64-bit hash, half the cost of md5 here: building the row's text is the rest) of the row value built from
 * the fields in the order given, each rendered one way whatever its declared precision, and the hashes are
 * summed (mod 2^64, as the canonical digest sums SHA-1 prefixes). Both sides of a PostgreSQL → PostgreSQL copy
 * run the same query, so their digests compare; they do not compare with canonical digests, hence a kind of
 * its own. Two servers that hash differently (another byte order) only cost the canonical re-check.
 */
export const PG_DIGEST_KIND = 'postgres-hash64-v1';

/**
 * Renderings that make equal values equal text: numeric(12,2) 5.00 and numeric 5 (trim_scale, PostgreSQL ≥ 13),
 * real and double precision, json and jsonb (key order, whitespace), bytea whatever bytea_output says. The
 * session runs with TimeZone=UTC and DateStyle=ISO, so time values print the same on both servers.
 */
const RENDER: Partial<Record<FieldType, (column: string) => string>> = {
  decimal: (c) => `trim_scale(${c})`,
  float64: (c) => `${c}::float8`,
  json: (c) => `${c}::jsonb`,
  bytes: (c) => `encode(${c}, 'hex')`,
};

/** `SELECT n, s`: the range's row count and the hash sum as decimal text (the sum may exceed 64 bits; the caller wraps it). */
export function digestQuery(from: string, schema: ObjectSchema, fields: readonly string[], range: KeyRange, param: (v: KeyValue) => string): string {
  const columns = fields.map((name) => {
    const field = schema.fields.find((f) => f.name === name);
    if (!field) throw new Error(`digest field "${name}" is not in ${schema.object}`);
    const render = RENDER[field.type];
    return render ? render(q(name)) : q(name);
  });
  // ROW(...)::text quotes an empty string ("") and leaves NULL empty, so the two never hash alike.
  const rowHash = `hashtextextended(ROW(${columns.join(', ')})::text, 0)`;
  const where = rangeConditions(schema.key, range, param);
  return `SELECT count(*)::text AS n, COALESCE(sum(${rowHash}), 0)::text AS s ` + `FROM ${from}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`;
}
