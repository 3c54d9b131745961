import { errors, types } from 'cassandra-driver';
import { DatamigratoError, authError, schemaError, transientError } from '../../errors';

const CONNECTOR = 'cassandra';
const codes = types.responseErrorCodes;

/** Messages of "invalid request" errors that mean a missing keyspace, table or column. */
const MISSING_OBJECT = /does not exist|unconfigured table|undefined column|unknown identifier|cannot be found|not found/i;

/**
 * Maps a driver error to a domain error: bad credentials and permissions are final (AuthError), missing
 * keyspaces/tables and invalid statements are final (SchemaError), unavailable hosts, timeouts and
 * overload are retried (TransientError).
 */
export function classifyCassandraError(err: unknown, what: string): DatamigratoError {
  if (err instanceof DatamigratoError) return err;
  const msg = `${what}: ${(err as Error)?.message ?? String(err)}`;
  if (err instanceof errors.AuthenticationError) return authError(msg, CONNECTOR, err);
  if (err instanceof errors.NoHostAvailableError) {
    const inner = Object.values((err.innerErrors ?? {}) as Record<string, unknown>);
    const auth = inner.find((e) => e instanceof errors.AuthenticationError);
    if (auth) return authError(`${what}: ${(auth as Error).message}`, CONNECTOR, err);
    return transientError(msg, CONNECTOR, err);
  }
  if (err instanceof errors.ResponseError) {
    switch (err.code) {
      case codes.badCredentials:
      case codes.unauthorized:
        return authError(msg, CONNECTOR, err);
      case codes.syntaxError:
      case codes.configError:
      case codes.alreadyExists:
        return schemaError(msg, CONNECTOR, err);
      case codes.invalid:
        return schemaError(msg, CONNECTOR, err);
      default:
        return transientError(msg, CONNECTOR, err); // unavailable, overloaded, bootstrapping, read/write timeouts and failures
    }
  }
  return transientError(msg, CONNECTOR, err); // OperationTimedOut, BusyConnection, socket errors
}

/**
 * Whether a failed INSERT failed for its own data (rejected record) rather than for the cluster or the
 * table (the batch is retried or the run stops): driver encoding errors and invalid requests that do not
 * name a missing object.
 */
export function isRecordError(err: unknown): boolean {
  if (err instanceof TypeError || err instanceof RangeError) return true;
  if (err instanceof errors.ResponseError && err.code === codes.invalid) return !MISSING_OBJECT.test(err.message);
  return false;
}
