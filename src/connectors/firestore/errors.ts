import { DatamigratoError, authError, configError, schemaError, transientError } from '../../errors';

/** gRPC status codes the Firestore client reports (google.rpc.Code). */
const CODE = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

export const codeOf = (err: unknown): number | string | undefined => (err as { code?: number | string } | null)?.code;

export const isUnimplemented = (err: unknown) => codeOf(err) === CODE.UNIMPLEMENTED;

/** Codes that mean this document's data was refused (a rejected record), not that the store is in trouble. */
export const isDataError = (err: unknown) => {
  const c = codeOf(err);
  return c === CODE.INVALID_ARGUMENT || c === CODE.OUT_OF_RANGE || c === CODE.ALREADY_EXISTS;
};

/** Only the first line, at most 300 characters: gRPC messages can carry request metadata. */
const short = (err: unknown) =>
  String((err as Error)?.message ?? err)
    .split('\n')[0]!
    .slice(0, 300);

/**
 * A Firestore/Google auth error → an error kind naming the connector and what was being done. Credential
 * problems (a malformed key, a refused token, a missing permission) are AuthErrors, never retried; the
 * service-account JSON is never echoed (its parse errors are reported by code only).
 */
export function classifyFirestoreError(err: unknown, what: string): DatamigratoError {
  if (err instanceof DatamigratoError) return err;
  const code = codeOf(err);
  if (typeof code === 'string' && code.startsWith('app/')) return authError(`${what}: the credentials were refused (${code})`, 'firestore');
  switch (code) {
    case CODE.UNAUTHENTICATED:
    case CODE.PERMISSION_DENIED:
      return authError(`${what}: ${short(err)}`, 'firestore');
    case CODE.NOT_FOUND:
      return schemaError(`${what}: ${short(err)}`, 'firestore');
    case CODE.INVALID_ARGUMENT:
    case CODE.FAILED_PRECONDITION:
    case CODE.UNIMPLEMENTED:
      return configError(`${what}: ${short(err)}`, 'firestore');
    default:
      break;
  }
  const msg = short(err);
  // google-auth-library reports refused tokens as plain errors before any RPC.
  if (/invalid_grant|invalid_client|unauthorized_client|Could not load the default credentials|private key/i.test(msg))
    return authError(`${what}: the credentials were refused (${msg.replace(/-----BEGIN[\s\S]*$/, '')})`, 'firestore');
  return transientError(`${what}: ${msg}`, 'firestore', err);
}
