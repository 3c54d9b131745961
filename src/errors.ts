/**
 * Domain errors. Each carries whether retrying can help, so the Temporal adapter (activities/)
 * can mark failures non-retryable without the domain knowing about Temporal.
 */
export type ErrorKind =
  | 'ConfigError' // the spec or worker config is wrong: retrying cannot help
  | 'AuthError' // credentials rejected
  | 'SchemaError' // object missing, key missing, incompatible target
  | 'RecordError' // one record rejected and onRecordError = fail
  | 'TransientError'; // network, timeouts, server busy: retry with backoff

/**
 * Kinds no retry can fix; activities mark them non-retryable and the workflow's retry policies name them.
 * Typed mutable only because Temporal's RetryPolicy takes string[]; never modify it.
 */
export const NON_RETRYABLE_KINDS: ErrorKind[] = ['ConfigError', 'AuthError', 'SchemaError', 'RecordError'];

export class DatamigratoError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly connector?: string,
    options?: { cause?: unknown },
  ) {
    super(connector ? `[${connector}] ${message}` : message, options);
    this.name = kind;
  }

  get retryable(): boolean {
    return !NON_RETRYABLE_KINDS.includes(this.kind);
  }
}

export const configError = (msg: string, connector?: string) => new DatamigratoError('ConfigError', msg, connector);
export const authError = (msg: string, connector?: string, cause?: unknown) => new DatamigratoError('AuthError', msg, connector, { cause });
export const schemaError = (msg: string, connector?: string, cause?: unknown) => new DatamigratoError('SchemaError', msg, connector, { cause });
export const transientError = (msg: string, connector?: string, cause?: unknown) => new DatamigratoError('TransientError', msg, connector, { cause });

/**
 * Thrown when cancellation was requested and the work stopped cleanly after the batch in hand.
 * Carries how far it got, so the caller can account for every row written.
 */
export class StoppedError<P = unknown> extends Error {
  constructor(readonly progress: P) {
    super('stopped on cancellation request');
    this.name = 'StoppedError';
  }
}

const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)([^:@/\s]+):([^@/\s]+)@/gi;
const KEY_VALUE_PASSWORD = /\b(password|passwd|pwd|token|secret)\s*[=:]\s*("[^"]*"|'[^']*'|\S+)/gi;

/**
 * Removes credentials from text that may leave the worker (failure messages, logs).
 * Known secret values are replaced verbatim; URL userinfo and key=value passwords by pattern,
 * because drivers echo connection strings we never saw as a separate secret.
 */
export function scrubSecrets(text: string, knownSecrets: Iterable<string> = []): string {
  let out = text;
  for (const secret of knownSecrets) {
    if (secret && secret.length >= 3) out = out.split(secret).join('***');
  }
  return out.replace(URL_CREDENTIALS, '$1$2:***@').replace(KEY_VALUE_PASSWORD, '$1=***');
}
