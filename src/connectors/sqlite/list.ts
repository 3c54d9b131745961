import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { configError } from '../../errors';
import type { ListedObject, ResolvedConnection } from '../contract';
import { classifySqliteError } from './errors';

const DEAD_LETTERS = '_datamigrato_dead_letters';

/** The file's tables (SQLite's own left out), in name order. The path is never named: it is a secret reference. */
export async function listSqlite(connection: ResolvedConnection): Promise<ListedObject[]> {
  const path = connection.path;
  if (typeof path !== 'string' || path === '') throw configError('connection.path did not resolve to a file path', 'sqlite');
  if (!existsSync(path)) throw configError('database file not found at source.connection.path; a source file must exist', 'sqlite');
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    const rows = db
      .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> ? ORDER BY name`)
      .all(DEAD_LETTERS) as {
      name: string;
    }[];
    return rows.map(({ name }) => ({ name, leaf: name, naming: { table: name } }));
  } catch (err) {
    throw classifySqliteError(err, 'list tables');
  } finally {
    db?.close();
  }
}
