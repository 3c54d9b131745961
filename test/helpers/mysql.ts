import { createConnection, type Connection } from 'mysql2/promise';

/** Where the stack's MariaDB listens (scripts/stack.sh env prints MYSQL_URL). */
export const mysqlUrl = process.env.MYSQL_URL ?? 'mysql://root:mysql@127.0.0.1:53306/dm_test';

export const mq = (ident: string) => `\`${ident.replace(/`/g, '``')}\``;

/**
 * A plain mysql2 connection for seeding and checking, independent of the connector under test: the driver's
 * own conversions (numbers, JSON parsed), text dates, big numbers as strings, multiple statements allowed.
 */
export async function withMysql<T>(fn: (c: Connection) => Promise<T>, options: { timezone?: string } = {}): Promise<T> {
  const c = await createConnection({
    uri: mysqlUrl,
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    charset: 'utf8mb4',
    multipleStatements: true,
  });
  try {
    if (options.timezone) await c.query(`SET time_zone = ${c.escape(options.timezone)}`);
    return await fn(c);
  } finally {
    await c.end();
  }
}

export async function mysqlQuery<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
  return withMysql(async (c) => (await c.query(sql, params))[0] as T[]);
}

/** CREATE DATABASE IF NOT EXISTS (safe under concurrency in MySQL, unlike PostgreSQL's schemas). */
export const ensureDatabase = (db: string) => mysqlQuery(`CREATE DATABASE IF NOT EXISTS ${mq(db)} CHARACTER SET utf8mb4`);
