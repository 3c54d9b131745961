import { Pool } from 'pg';
import { logger } from '../../logging';
import { neutralTypeParsers } from './types';

/**
 * Pools outlive the sessions that used them. A table is copied as many chunks and validated as many ranges,
 * each opening its own sessions, and a new connection costs a backend start and a SCRAM exchange (~12 ms, half
 * of it the worker's CPU). A closed session's pool waits here with its connections open, and the next session
 * to the same URL takes it. A pool is never shared by two open sessions, so a worker holds no more connections
 * than its open sessions' pools did before (2 each); an idle pool is ended after IDLE_POOL_MS, and at most
 * MAX_IDLE_POOLS wait at once, the oldest ended first.
 */
export const IDLE_POOL_MS = 10_000;
export const MAX_IDLE_POOLS = 16;

interface IdlePool {
  url: string;
  pool: Pool;
  timer: NodeJS.Timeout;
}

/** Oldest first. Keyed by the resolved URL (it holds the password: kept in memory, never logged). */
const idle: IdlePool[] = [];

export function takePool(url: string): Pool {
  // The most recently returned pool first: its connections are the likeliest to be open still.
  for (let i = idle.length - 1; i >= 0; i--) {
    if (idle[i]!.url !== url) continue;
    const [entry] = idle.splice(i, 1) as [IdlePool];
    clearTimeout(entry.timer);
    return entry.pool;
  }
  return newPool(url);
}

export function givePool(url: string, pool: Pool): void {
  if (pool.ended) return;
  const entry: IdlePool = { url, pool, timer: setTimeout(() => void end(remove(entry)), IDLE_POOL_MS) };
  entry.timer.unref();
  idle.push(entry);
  while (idle.length > MAX_IDLE_POOLS) void end(idle.shift());
}

/** Ends every waiting pool (tests, shutdown). */
export async function endIdlePools(): Promise<void> {
  await Promise.all(idle.splice(0).map(end));
}

/** How many pools wait, for tests. */
export const idlePoolCount = () => idle.length;

function remove(entry: IdlePool): IdlePool | undefined {
  const i = idle.indexOf(entry);
  return i < 0 ? undefined : idle.splice(i, 1)[0];
}

async function end(entry: IdlePool | undefined): Promise<void> {
  if (!entry) return;
  clearTimeout(entry.timer);
  await entry.pool.end().catch(() => undefined);
}

function newPool(url: string): Pool {
  const pool = new Pool({
    connectionString: url,
    max: 2,
    connectionTimeoutMillis: 10_000,
    // Waiting pools must not keep a CLI or test process alive.
    allowExitOnIdle: true,
    // UTC so timestamptz text is zone-stable; the checksum depends on it.
    options: '-c TimeZone=UTC -c DateStyle=ISO',
    types: neutralTypeParsers,
  });
  // An idle client dying (server restart) must not crash the worker; the pool drops it and the next query reconnects.
  pool.on('error', (err) => logger.warn({ connector: 'postgres', err: err.message }, 'postgres idle client error'));
  return pool;
}
