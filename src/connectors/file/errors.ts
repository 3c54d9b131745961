import { authError, configError, schemaError, transientError, type DatamigratoError } from '../../errors';

const C = 'file';

/** An HTTP answer that is not 2xx → error kind: bad credentials and missing files fail fast, server trouble is retried. */
export function httpError(status: number, what: string): DatamigratoError {
  if (status === 401 || status === 403) return authError(`${what}: check connection.headers`, C);
  if (status === 404 || status === 410) return schemaError(`${what}: no such file`, C);
  if (status >= 500 || status === 429 || status === 408) return transientError(what, C);
  return configError(what, C);
}

/** A local file system error → error kind: a missing file is a missing object, permissions are credentials. */
export function fsError(err: unknown, path: string): DatamigratoError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return schemaError(`file ${path} does not exist`, C);
  if (code === 'EACCES' || code === 'EPERM') return authError(`file ${path}: permission denied to the worker`, C);
  if (code === 'EISDIR') return configError(`${path} is a directory, not a file`, C);
  return transientError(`file ${path}: ${code ?? (err as Error).message}`, C, err);
}
