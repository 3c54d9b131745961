import { MongoError, MongoParseError, MongoServerError } from 'mongodb';
import { DatamigratoError, authError, configError, schemaError, transientError } from '../../errors';

const CONNECTOR = 'mongodb';

/** Server codes that say "this request cannot work as written": retrying would fail the same way. */
const REQUEST_CODES = new Set([
  2, // BadValue
  9, // FailedToParse (a bad filter)
  14, // TypeMismatch
  238, // NotImplemented (FerretDB: unsupported operator or stage)
  17287, // bad projection
]);
const AUTH_CODES = new Set([11, 13, 18, 8000]); // UserNotFound, Unauthorized, AuthenticationFailed, Atlas auth

/** Write error codes that are about the server, not the document: the batch is retried, not the record rejected. */
const SYSTEMIC_WRITE_CODES = new Set([6, 7, 13, 50, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436, 64, 100]);

export const isSystemicWriteCode = (code: number | undefined) => code !== undefined && SYSTEMIC_WRITE_CODES.has(code);

/** Maps a driver error to a domain error: auth, config and missing objects are final, the rest retried. */
export function classifyMongoError(err: unknown, what: string): DatamigratoError {
  if (err instanceof DatamigratoError) return err;
  const e = err as MongoError & { code?: number | string };
  const msg = `${what}: ${e?.message ?? String(err)}`;
  if (err instanceof MongoParseError) return configError(msg, CONNECTOR);
  if (err instanceof MongoServerError) {
    const code = Number(e.code);
    if (AUTH_CODES.has(code)) return authError(msg, CONNECTOR, err);
    if (code === 26) return schemaError(msg, CONNECTOR, err); // NamespaceNotFound
    if (REQUEST_CODES.has(code)) return configError(msg, CONNECTOR);
  }
  // Server selection, network, timeouts, elections and anything unknown: retried with backoff.
  return transientError(msg, CONNECTOR, err);
}
