import { createConnection } from 'mysql2/promise';
import { configError } from '../../errors';
import type { EndpointBase, ListedObject, ResolvedConnection } from '../contract';
import { classifyMysqlError } from './errors';
import { parseMysqlUrl } from './session';

const DEAD_LETTERS = '_datamigrato_dead_letters';

/** Base tables of the scope's `database` (or the connection URL's), in name order. */
export async function listMysql(scope: EndpointBase, connection: ResolvedConnection): Promise<ListedObject[]> {
  const url = connection.url;
  if (typeof url !== 'string') throw configError('connection.url did not resolve to a string', 'mysql');
  const conn = parseMysqlUrl(url);
  const database = typeof scope.database === 'string' ? scope.database : conn.database;
  if (!database) throw configError('no database to list: set "database" on the endpoint or name one in the connection URL', 'mysql');
  const qualified = typeof scope.database === 'string';
  let c: Awaited<ReturnType<typeof createConnection>> | undefined;
  try {
    c = await createConnection({ host: conn.host, port: conn.port, user: conn.user, password: conn.password, connectTimeout: 10_000 });
    const [rows] = await c.query(
      `SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' AND TABLE_NAME <> ? ORDER BY 1`,
      [database, DEAD_LETTERS],
    );
    return (rows as { t: string }[]).map(({ t }) => ({ name: qualified ? `${database}.${t}` : t, leaf: t, naming: { table: t } }));
  } catch (err) {
    throw classifyMysqlError(err, `list tables of ${database}`);
  } finally {
    await c?.end().catch(() => undefined);
  }
}
