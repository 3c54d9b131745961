import { Client, type ClientBase } from 'pg';
import { configError, schemaError } from '../../errors';
import type { EndpointBase, ForeignKey, ListedObject, ResolvedConnection, TargetForeignKey } from '../contract';
import { q } from '../sql/keyset';
import { classifyPgError } from './errors';

/** Catalog reads and DDL for many-object jobs: listing tables, reading foreign keys, adding them after the data. */

const DEAD_LETTERS = '_datamigrato_dead_letters';

/** Base tables of the scope's `schema` (every non-system schema when none is given), in name order. */
export async function listPostgres(scope: EndpointBase, connection: ResolvedConnection): Promise<ListedObject[]> {
  const url = connection.url;
  if (typeof url !== 'string') throw configError('connection.url did not resolve to a string', 'postgres');
  const schema = typeof scope.schema === 'string' ? scope.schema : null;
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    const res = await client.query<{ s: string; t: string }>(
      `SELECT table_schema AS s, table_name AS t FROM information_schema.tables
        WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema') AND table_schema NOT LIKE 'pg_toast%'
          AND ($1::text IS NULL OR table_schema = $1) AND table_name <> $2
        ORDER BY 1, 2`,
      [schema, DEAD_LETTERS],
    );
    return res.rows.map((r) => ({ name: `${r.s}.${r.t}`, leaf: r.t, naming: { schema: r.s, table: r.t } }));
  } catch (err) {
    throw classifyPgError(err, `list tables${schema ? ` of schema ${schema}` : ''}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** pg_constraint's action codes → SQL. */
const ACTIONS: Record<string, string> = { a: 'NO ACTION', r: 'RESTRICT', c: 'CASCADE', n: 'SET NULL', d: 'SET DEFAULT' };

/** The table's foreign keys, columns in constraint order (JSON text: the session's type parsers leave arrays alone). */
export async function foreignKeysOf(c: ClientBase, table: string): Promise<ForeignKey[]> {
  const cols = (rel: string, keys: string) =>
    `(SELECT array_to_json(array_agg(a.attname::text ORDER BY k.ord))::text FROM unnest(c.${keys}) WITH ORDINALITY k(attnum, ord)
       JOIN pg_attribute a ON a.attrelid = c.${rel} AND a.attnum = k.attnum)`;
  const res = await c.query<{ name: string; rs: string; rt: string; fields: string; ref_fields: string; del: string; upd: string }>(
    `SELECT c.conname AS name, n.nspname AS rs, r.relname AS rt, ${cols('conrelid', 'conkey')} AS fields, ${cols('confrelid', 'confkey')} AS ref_fields,
            c.confdeltype AS del, c.confupdtype AS upd
       FROM pg_constraint c JOIN pg_class r ON r.oid = c.confrelid JOIN pg_namespace n ON n.oid = r.relnamespace
      WHERE c.contype = 'f' AND c.conrelid = to_regclass($1) ORDER BY c.conname`,
    [table],
  );
  return res.rows.map((r) => ({
    name: r.name,
    fields: JSON.parse(r.fields) as string[],
    references: { object: `${r.rs}.${r.rt}`, fields: JSON.parse(r.ref_fields) as string[] },
    onDelete: ACTIONS[r.del] ?? 'NO ACTION',
    onUpdate: ACTIONS[r.upd] ?? 'NO ACTION',
  }));
}

const action = (a: string | undefined) => (a && Object.values(ACTIONS).includes(a) ? a : 'NO ACTION');

/** ALTER TABLE … ADD CONSTRAINT, unless the table already has a constraint of that name. */
export async function addForeignKeyTo(c: ClientBase, table: string, fk: TargetForeignKey): Promise<'added' | 'exists'> {
  const ref = fk.references.endpoint;
  if (ref.type !== 'postgres' || typeof ref.table !== 'string')
    throw schemaError(`foreign key ${fk.name}: the referenced object is not a PostgreSQL table`, 'postgres');
  const refTable = `${q(typeof ref.schema === 'string' ? ref.schema : 'public')}.${q(ref.table)}`;
  const have = await c.query('SELECT 1 FROM pg_constraint WHERE conrelid = to_regclass($1) AND conname = $2', [table, fk.name]);
  if (have.rowCount) return 'exists';
  await c.query(
    `ALTER TABLE ${table} ADD CONSTRAINT ${q(fk.name)} FOREIGN KEY (${fk.fields.map(q).join(', ')}) REFERENCES ${refTable} (${fk.references.fields
      .map(q)
      .join(', ')}) ON DELETE ${action(fk.onDelete)} ON UPDATE ${action(fk.onUpdate)}`,
  );
  return 'added';
}
