/**
 * The targets' own bulk loaders, timed on the rows the service just wrote, so a pair's line can print its ratio to
 * the target's native loader in the same run: `psql COPY … TO STDOUT | psql COPY … FROM STDIN` for PostgreSQL, and
 * cqlsh's `COPY … FROM` a CSV file (exported with `COPY … TO` first, untimed) for Cassandra. cqlsh comes from PyPI
 * (`cqlsh==6.2.2`, installed by scripts/bench.sh into ~/.cache/datamigrato/cqlsh); without it the Cassandra ratio is
 * left out and the line says why.
 */
import { execFileSync, execSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { withCassandra } from '../test/helpers/cassandra';
import { env } from '../test/helpers/env';
import { pgQuery } from '../test/helpers/pg';

export interface NativeLoad {
  loader: string;
  /** null when the loader could not run; `why` says why. */
  ms: number | null;
  why?: string;
}

/** A PostgreSQL table's rows piped by psql into a copy of it with its keys (`LIKE … INCLUDING ALL`), then dropped. */
export async function pgNativeReload(schema: string, table: string): Promise<NativeLoad & { ms: number }> {
  const copy = `${table}_native`;
  await pgQuery(`DROP TABLE IF EXISTS ${schema}.${copy}`);
  await pgQuery(`CREATE TABLE ${schema}.${copy} (LIKE ${schema}.${table} INCLUDING ALL)`);
  await pgQuery('CHECKPOINT');
  const t0 = Date.now();
  execSync(`psql "${env.pgUrl}" -qc "COPY ${schema}.${table} TO STDOUT" | psql "${env.pgUrl}" -qc "COPY ${schema}.${copy} FROM STDIN"`, {
    shell: '/bin/bash',
  });
  const ms = Date.now() - t0;
  await pgQuery(`DROP TABLE ${schema}.${copy}`);
  return { loader: 'psql COPY pipe', ms };
}

const CQLSH = process.env.DATAMIGRATO_CQLSH ?? path.join(process.env.DATAMIGRATO_CACHE ?? path.join(homedir(), '.cache/datamigrato'), 'cqlsh/bin/cqlsh');

function cqlsh(statement: string): string {
  const [host, port = '9042'] = (process.env.CASSANDRA_CONTACT_POINTS ?? '127.0.0.1:9042').split(',')[0]!.split(':');
  const auth = process.env.CASSANDRA_USERNAME ? ['-u', process.env.CASSANDRA_USERNAME, '-p', process.env.CASSANDRA_PASSWORD ?? ''] : [];
  return execFileSync(CQLSH, [...auth, '--request-timeout=600', '-e', statement, host!, port], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * A Cassandra table's rows exported by cqlsh to CSV, then loaded by cqlsh `COPY … FROM` (its defaults, as a user
 * would run it) into a table of the same definition; only the load is timed.
 */
export async function cqlshNativeReload(keyspace: string, table: string): Promise<NativeLoad> {
  const loader = 'cqlsh COPY FROM';
  try {
    execFileSync(CQLSH, ['--version'], { stdio: 'ignore' });
  } catch {
    return { loader, ms: null, why: `cqlsh not found at ${CQLSH} (scripts/bench.sh installs cqlsh==6.2.2 from PyPI there)` };
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'dm-cqlsh-'));
  const csv = path.join(dir, `${table}.csv`);
  const copy = `${table}_native`;
  try {
    cqlsh(`COPY ${keyspace}.${table} TO '${csv}' WITH HEADER = true`);
    // DESCRIBE prints a version warning before the statement when cqlsh and the server differ in patch level.
    const described = /CREATE TABLE [\s\S]*?;/.exec(cqlsh(`DESCRIBE TABLE ${keyspace}.${table}`))?.[0];
    if (!described) throw new Error(`DESCRIBE TABLE ${keyspace}.${table} printed no CREATE TABLE`);
    const definition = described.replace(`${keyspace}.${table} (`, `${keyspace}.${copy} (`);
    await withCassandra((c) => c.execute(`DROP TABLE IF EXISTS ${keyspace}.${copy}`));
    cqlsh(definition);
    const t0 = Date.now();
    const printed = cqlsh(`COPY ${keyspace}.${copy} FROM '${csv}' WITH HEADER = true`);
    const ms = Date.now() - t0;
    // cqlsh reports failed rows and goes on: a load that fell short is not a figure to compare with.
    const imported = Number(/(\d+) rows imported/.exec(printed)?.[1] ?? NaN);
    const expected = await withCassandra(async (c) => Number((await c.execute(`SELECT count(*) AS n FROM ${keyspace}.${table}`)).rows[0]!['n']));
    if (imported !== expected) throw new Error(`COPY FROM imported ${imported} of ${expected} rows`);
    await withCassandra((c) => c.execute(`DROP TABLE IF EXISTS ${keyspace}.${copy}`));
    return { loader, ms };
  } catch (err) {
    const stderr = String((err as { stderr?: unknown }).stderr ?? (err as Error).message);
    return { loader, ms: null, why: `cqlsh failed: ${stderr.trim().split('\n').pop()?.slice(0, 200)}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `ratio to <loader> (<rows/s>)`, or why there is none. */
export function nativeRatio(rows: number, copyMs: number, load: NativeLoad): string {
  if (load.ms === null) return `no ${load.loader} ratio: ${load.why}`;
  const native = Math.round(rows / (load.ms / 1000));
  const ours = rows / (copyMs / 1000);
  return `${(ours / native).toFixed(2)} of ${load.loader} (${native} rows/s on the same rows)`;
}
