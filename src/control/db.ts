import type { Pool } from 'pg';
import { loadConfig } from '../config';
import { configError } from '../errors';

/**
 * The control store: durable state that outlives one workflow and is shared by every API instance and
 * worker — saved job definitions, incremental watermarks, schedules' bookkeeping. It is a PostgreSQL
 * schema (DATAMIGRATO_CONTROL_URL, schema DATAMIGRATO_CONTROL_SCHEMA) because every deployment already
 * runs one for Temporal, it is transactional (a watermark advances in the same statement that checks
 * the previous one), and every API instance sees the same rows. Migrations themselves never need it.
 */

export interface ControlDb {
  /** Runs one statement; `$schema` in the text is replaced by the quoted control schema. */
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** Runs `fn` in one transaction on one connection. */
  transaction<T>(fn: (q: ControlDb['query']) => Promise<T>): Promise<T>;
  readonly schema: string;
  close(): Promise<void>;
}

const ensured = new Map<string, Promise<void>>();

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Opens the control store named by the config; a missing URL is a ConfigError naming the variable. */
export async function openControlDb(env: NodeJS.ProcessEnv = process.env): Promise<ControlDb> {
  const config = loadConfig(env);
  const url = config.DATAMIGRATO_CONTROL_URL;
  if (!url) throw configError('DATAMIGRATO_CONTROL_URL is not set: saved jobs, schedules and incremental watermarks need the control store');
  // pg is loaded on first use so the API and CLI validate specs without a database client.
  const { Pool: PgPool } = (await import('pg')).default ?? (await import('pg'));
  const pool: Pool = new PgPool({ connectionString: url, max: 4, allowExitOnIdle: true }); // idle clients never hold a CLI open
  pool.on('error', () => undefined); // an idle client's error surfaces on the next query instead of crashing the process
  const schema = quoteIdent(config.DATAMIGRATO_CONTROL_SCHEMA);
  const sub = (text: string) => text.replace(/\$schema/g, schema);
  const query: ControlDb['query'] = async (text, params) => (await pool.query(sub(text), params)).rows;
  await ensureSchema(url, schema, query);
  return {
    schema,
    query,
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(async (text, params) => (await client.query(sub(text), params)).rows);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

/** CREATE SCHEMA once per process, under an advisory lock so concurrent first starts do not race. */
function ensureSchema(url: string, schema: string, query: ControlDb['query']): Promise<void> {
  const key = `${url}|${schema}`;
  let done = ensured.get(key);
  if (!done) {
    done = query(`SELECT pg_advisory_lock(hashtext('datamigrato-control'))`)
      .then(() => query(`CREATE SCHEMA IF NOT EXISTS ${schema}`))
      .finally(() => query(`SELECT pg_advisory_unlock(hashtext('datamigrato-control'))`))
      .then(() => undefined);
    done.catch(() => ensured.delete(key));
    ensured.set(key, done);
  }
  return done;
}

/**
 * Creates a module's tables once per process: `ddl` statements use `$schema`; they run in one transaction
 * under an advisory lock (CREATE TABLE IF NOT EXISTS is not safe against a concurrent twin in PostgreSQL).
 */
export function ensureTables(db: ControlDb, name: string, ddl: string[]): Promise<void> {
  const key = `${db.schema}|${name}`;
  let done = ensured.get(key);
  if (!done) {
    done = db
      .transaction(async (q) => {
        await q(`SELECT pg_advisory_xact_lock(hashtext('datamigrato-control'))`);
        for (const statement of ddl) await q(statement);
      })
      .then(() => undefined);
    done.catch(() => ensured.delete(key));
    ensured.set(key, done);
  }
  return done;
}
