import { DatamigratoError, configError, schemaError, transientError } from '../../errors';

const CONNECTOR = 'sqlite';

/** Result codes that mean "this row's data" (a constraint, a type mismatch, a value too big): reject the row. */
export function isRowError(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? '';
  return code.startsWith('SQLITE_CONSTRAINT') || code === 'SQLITE_MISMATCH' || code === 'SQLITE_TOOBIG';
}

/** Maps a better-sqlite3 error to a domain error: a busy or locked file is retried, a broken file or SQL is final. */
export function classifySqliteError(err: unknown, what: string): DatamigratoError {
  if (err instanceof DatamigratoError) return err;
  const e = err as { code?: string; message?: string };
  const code = e.code ?? '';
  const msg = `${what}: ${e.message ?? String(err)}${code ? ` (${code})` : ''}`;
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED') || code.startsWith('SQLITE_IOERR')) return transientError(msg, CONNECTOR, err);
  if (
    code.startsWith('SQLITE_CANTOPEN') ||
    code === 'SQLITE_NOTADB' ||
    code.startsWith('SQLITE_CORRUPT') ||
    code.startsWith('SQLITE_READONLY') ||
    code === 'SQLITE_PERM'
  )
    return configError(msg, CONNECTOR);
  // SQLITE_ERROR is what a wrong table, column or query gives: retrying cannot help.
  if (code === 'SQLITE_ERROR' || code === '') return schemaError(msg, CONNECTOR, err);
  return transientError(msg, CONNECTOR, err);
}
