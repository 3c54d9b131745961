import { DatamigratoError, authError, configError, transientError } from '../../errors';

export const CONNECTOR = 'rtdb';

/** The SDK validates a write before sending it: such an error is about the data, not the server. */
export const isDataError = (err: unknown): boolean =>
  /\b(update|set) failed\b|contains an invalid key|invalid (data|value)|Maximum call/i.test(String((err as Error)?.message));

/**
 * Maps a firebase-admin error to a domain error: refused credentials and rules (permission denied)
 * are final, bad configuration too; everything else (network, timeouts, a server that never answers)
 * is retried with backoff. Messages name the connector and the path, never a credential.
 */
export function classifyRtdbError(err: unknown, what: string): DatamigratoError {
  if (err instanceof DatamigratoError) return err;
  const e = err as { code?: string; message?: string };
  const code = String(e?.code ?? '');
  const msg = `${what}: ${e?.message ?? String(err)}`;
  if (/permission.denied|unauthorized|invalid-credential|invalid_grant|invalid.token/i.test(`${code} ${e?.message ?? ''}`))
    return authError(msg, CONNECTOR, err);
  if (/app\/(invalid-app-options|invalid-argument|no-app)|database\/invalid-argument/i.test(code)) return configError(msg, CONNECTOR);
  return transientError(msg, CONNECTOR, err);
}
