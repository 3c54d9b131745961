import { deleteApp, initializeApp } from 'firebase-admin/app';
import { getDatabase, type Database } from 'firebase-admin/database';

/** The local Realtime Database server (firebase-server, scripts/stack.sh up rtdb); the default matches the stack script. */
export const rtdbUrl = process.env.RTDB_URL ?? 'http://127.0.0.1:59000?ns=datamigrato';
export const rtdbUnavailable = (): string | null =>
  process.env.RTDB_URL ? null : 'RTDB_URL unset: start firebase-server with `bash scripts/stack.sh up rtdb` and eval `stack.sh env` (npm test does both)';

let apps = 0;

/** A firebase-admin app of its own for the test's native reads and writes; every call bounded by a timeout. */
export async function withRtdb<T>(fn: (db: Database) => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const app = initializeApp({ databaseURL: rtdbUrl }, `test-rtdb-${process.pid}-${++apps}`);
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      fn(getDatabase(app)),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`rtdb test call: no answer within ${timeoutMs} ms`)), timeoutMs))),
    ]);
  } finally {
    clearTimeout(timer);
    await deleteApp(app).catch(() => undefined);
  }
}

/** A node's value through once('value') (ref.get() never answers on firebase-server). */
export const valueOf = (db: Database, path: string): Promise<unknown> =>
  db
    .ref(path)
    .once('value')
    .then((s) => s.val() as unknown);

/** Writes children in multi-path updates of at most `per` (firebase-server slows past 1,000 children per update). */
export async function putChildren(db: Database, path: string, children: Record<string, unknown>, per = 500): Promise<void> {
  const entries = Object.entries(children);
  for (let i = 0; i < entries.length; i += per) await db.ref(path).update(Object.fromEntries(entries.slice(i, i + per)));
}

/** True when firebase-server (or an emulator) answers the REST probe the stack script uses. */
export async function rtdbUp(): Promise<boolean> {
  const u = new URL(rtdbUrl);
  try {
    return (await fetch(`${u.origin}/.json?${u.searchParams}`, { signal: AbortSignal.timeout(3000) })).ok;
  } catch {
    return false;
  }
}
