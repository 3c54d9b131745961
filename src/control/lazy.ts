import type { ControlDb } from './db';

/** One pool per process, opened on first use; a failed open is retried on the next call. */
export function lazyControlDb(open: () => Promise<ControlDb>): () => Promise<ControlDb> {
  let db: Promise<ControlDb> | undefined;
  return () => {
    db ??= open().catch((err) => {
      db = undefined;
      throw err;
    });
    return db;
  };
}
