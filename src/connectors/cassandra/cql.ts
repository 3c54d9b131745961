import { configError, schemaError } from '../../errors';
import type { FieldSchema } from '../../model/types';
import { keyLabel } from '../../model/keys';
import { cqlColumnType } from './types';

/** Pure CQL text builders and primary-key layout rules (no driver): the parts the unit tests pin down. */

export const q = (ident: string) => `"${ident.replace(/"/g, '""')}"`;

/** The endpoint's `key` as a list (a single column may be written as a string). */
export const keyList = (key: string | string[] | undefined): string[] | undefined => (key === undefined ? undefined : typeof key === 'string' ? [key] : key);

/** A table's primary key: partition key columns, then clustering columns with their clustering order. */
export interface PrimaryKeyLayout {
  partition: string[];
  clustering: string[];
  /** Per clustering column: true when it is `CLUSTERING ORDER BY (… DESC)`. Absent: all ascending. */
  descending?: boolean[];
}

export const primaryColumns = (l: PrimaryKeyLayout) => [...l.partition, ...l.clustering];

/** `((p1, p2), c1, c2)`, as CQL writes a primary key and as messages show it. */
export const primaryKeyText = (l: PrimaryKeyLayout, quote: (s: string) => string = (s) => s) =>
  `((${l.partition.map(quote).join(', ')})${l.clustering.map((c) => `, ${quote(c)}`).join('')})`;

/**
 * The target table's primary key from the records' key and the endpoint's optional `partitionKey` /
 * `clusteringKey`. Both options may only name key fields of the records (a different key is the job's
 * `targetKey`); whatever key fields they leave out fill the other part, in key order. Default: the first
 * key field is the partition key, the rest are clustering columns — the records' key order is kept.
 */
export function targetLayout(key: readonly string[], partitionKey?: readonly string[], clusteringKey?: readonly string[]): PrimaryKeyLayout {
  const notKey = [...(partitionKey ?? []), ...(clusteringKey ?? [])].filter((c) => !key.includes(c));
  if (notKey.length)
    throw configError(
      `target partitionKey/clusteringKey name ${notKey.map((c) => `"${c}"`).join(', ')}, not key fields of the records (key: ${keyLabel(key)}); ` +
        "set the job's targetKey to change the records' key",
      'cassandra',
    );
  const rest = (taken: readonly string[]) => key.filter((k) => !taken.includes(k));
  let partition: string[];
  let clustering: string[];
  if (partitionKey && clusteringKey) [partition, clustering] = [[...partitionKey], [...clusteringKey]];
  else if (partitionKey) [partition, clustering] = [[...partitionKey], rest(partitionKey)];
  else if (clusteringKey) [partition, clustering] = [rest(clusteringKey), [...clusteringKey]];
  else [partition, clustering] = [key.slice(0, 1), key.slice(1)];
  if (partition.length === 0)
    throw configError(`target clusteringKey takes every key field (${keyLabel(key)}); the partition key needs at least one`, 'cassandra');
  const missing = rest([...partition, ...clustering]);
  if (missing.length)
    throw configError(
      `target partitionKey + clusteringKey leave out the key field(s) ${missing.join(', ')} of the records (key: ${keyLabel(key)})`,
      'cassandra',
    );
  return { partition, clustering };
}

/** CREATE TABLE for the records' fields with the given primary key. */
export function createTableCql(table: string, fields: readonly FieldSchema[], layout: PrimaryKeyLayout): string {
  const cols = fields.map((f) => `${q(f.name)} ${cqlColumnType(f)}`);
  return `CREATE TABLE IF NOT EXISTS ${table} (${cols.join(', ')}, PRIMARY KEY ${primaryKeyText(layout, q)})`;
}

/**
 * An existing target's primary key must be the records' key as a set: an INSERT binds every primary key
 * column, and the upsert (hence idempotence and validation by key) is by that key. Options given must
 * also match the table's split into partition and clustering columns.
 */
export function checkTargetPrimaryKey(
  name: string,
  table: PrimaryKeyLayout,
  key: readonly string[],
  options: { partitionKey?: readonly string[]; clusteringKey?: readonly string[] },
): void {
  const primary = primaryColumns(table);
  const sameSet = primary.length === key.length && key.every((k) => primary.includes(k));
  if (!sameSet)
    throw schemaError(
      `target ${name} has primary key ${primaryKeyText(table)}; the records' key is (${keyLabel(key)}): ` +
        "they must hold the same columns (change the table, or the job's targetKey)",
      'cassandra',
    );
  const differs = (given: readonly string[] | undefined, actual: readonly string[]) => given && given.join() !== actual.join();
  if (differs(options.partitionKey, table.partition) || differs(options.clusteringKey, table.clustering))
    throw schemaError(
      `target ${name} has primary key ${primaryKeyText(table)}, not the partitionKey/clusteringKey the endpoint asks for ` +
        `((${(options.partitionKey ?? table.partition).join(', ')}), ${(options.clusteringKey ?? table.clustering).join(', ')})`,
      'cassandra',
    );
}

/** The token of a row: `token(p1, p2)`. */
export const tokenOf = (partition: readonly string[]) => `token(${partition.map(q).join(', ')})`;

/** One token range, `lower < token <= upper`, in token order then clustering order. */
export const rangeQuery = (table: string, cols: string, layout: PrimaryKeyLayout, tokenAlias: string) => {
  const token = tokenOf(layout.partition);
  return `SELECT ${cols}, ${token} AS ${tokenAlias} FROM ${table} WHERE ${token} > ? AND ${token} <= ?`;
};

/**
 * The rest of one partition after a row, in clustering order: what a read resumes with when it has no
 * usable paging state. Cassandra slices clustering columns only with the partition key bound by `=`, so
 * the partition key values are parameters, then the last row's clustering values.
 *
 * With one clustering direction it is one tuple slice, `(c1, c2) > (?, ?)` (`<` when descending). Mixed
 * directions cannot be one tuple relation (Cassandra compares tuples by value), so the rest is a union
 * of prefix slices read deepest first: `c1 = ? AND c2 > ?`, then `c1 > ?` — also in clustering order.
 * Each query comes with the indexes (into the clustering values) of its parameters after the partition key.
 */
export function restOfPartitionQueries(
  table: string,
  cols: string,
  layout: PrimaryKeyLayout,
  tokenAlias: string,
): { cql: string; clusteringParams: number[] }[] {
  const { partition, clustering } = layout;
  if (clustering.length === 0) return [];
  const desc = clustering.map((_, i) => layout.descending?.[i] ?? false);
  const head = `SELECT ${cols}, ${tokenOf(partition)} AS ${tokenAlias} FROM ${table} WHERE ${partition.map((p) => `${q(p)} = ?`).join(' AND ')}`;
  const after = (d: boolean) => (d ? '<' : '>');
  if (desc.every((d) => d === desc[0])) {
    const slice =
      clustering.length === 1
        ? `${q(clustering[0]!)} ${after(desc[0]!)} ?`
        : `(${clustering.map(q).join(', ')}) ${after(desc[0]!)} (${clustering.map(() => '?').join(', ')})`;
    return [{ cql: `${head} AND ${slice}`, clusteringParams: clustering.map((_, i) => i) }];
  }
  return clustering
    .map((_, depth) => {
      const eq = clustering
        .slice(0, depth)
        .map((c) => ` AND ${q(c)} = ?`)
        .join('');
      return { cql: `${head}${eq} AND ${q(clustering[depth]!)} ${after(desc[depth]!)} ?`, clusteringParams: clustering.slice(0, depth + 1).map((_, i) => i) };
    })
    .reverse();
}
