import { DatamigratoError, authError, configError, schemaError, transientError } from '../../errors';

const CONNECTOR = 'postgres';

/** SQLSTATE classes that mean "this row's data", so the batch can be split to find the culprit. */
export function isDataError(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? '';
  return code.startsWith('22') || code.startsWith('23');
}

/** Maps a pg/network error to a domain error: auth and schema problems are final, the rest retried. */
export function classifyPgError(err: unknown, what: string): DatamigratoError {
  if (err instanceof DatamigratoError) return err;
  const e = err as { code?: string; message?: string };
  const code = e.code ?? '';
  const msg = `${what}: ${e.message ?? String(err)}`;
  if (code === '28P01' || code === '28000') return authError(msg, CONNECTOR, err);
  if (code === '3D000') return configError(msg, CONNECTOR);
  if (code === '42P01' || code === '42703' || code === '42704' || code === '3F000' || code === '42501') return schemaError(msg, CONNECTOR, err);
  if (code === '42P10') return schemaError(`${msg} (the key column needs a primary key or unique index)`, CONNECTOR, err);
  return transientError(msg, CONNECTOR, err);
}
