import { authError, schemaError, transientError, type DatamigratoError } from '../../errors';

/**
 * Backoff and error classes for DynamoDB. Full jitter (AWS Architecture Blog, "Exponential Backoff And
 * Jitter"): the delay is uniform in [0, min(cap, base · 2^attempt)), so many writers retrying at once spread out.
 */
export const BACKOFF = { baseMs: 50, capMs: 5_000 };

export const fullJitterDelay = (attempt: number, random: () => number = Math.random, { baseMs, capMs } = BACKOFF): number =>
  Math.floor(random() * Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30)));

const AUTH = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'AccessDeniedException',
  'MissingAuthenticationTokenException',
  'ExpiredTokenException',
  'IncompleteSignatureException',
  'CredentialsProviderError',
  'InvalidClientTokenId',
]);
/** Errors that mean "slow down": retried with our backoff, like unprocessed items. */
export const THROTTLING = new Set(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded', 'LimitExceededException']);
const NETWORK = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EAI_AGAIN|ENOTFOUND|socket hang up|TimeoutError|RequestTimeout/i;

interface AwsError {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  $fault?: string;
}

export const errorName = (err: unknown): string => (err as AwsError)?.name ?? 'Error';
export const isThrottling = (err: unknown) => THROTTLING.has(errorName(err));
export const isValidation = (err: unknown) => errorName(err) === 'ValidationException';
export const isNotFound = (err: unknown) => errorName(err) === 'ResourceNotFoundException';

/** A driver error as a domain error: auth, missing table / refused request (schema), or retryable. */
export function classifyDynamoError(err: unknown, what: string): DatamigratoError {
  if ((err as { kind?: string })?.kind) return err as DatamigratoError;
  const e = err as AwsError;
  const name = errorName(err);
  const text = `${what}: ${name}: ${e?.message ?? String(err)}`;
  if (AUTH.has(name)) return authError(text, 'dynamodb', err);
  if (name === 'ResourceNotFoundException' || name === 'ValidationException' || name === 'SerializationException') return schemaError(text, 'dynamodb', err);
  const status = e?.$metadata?.httpStatusCode ?? 0;
  if (
    THROTTLING.has(name) ||
    status >= 500 ||
    e?.$fault === 'server' ||
    NETWORK.test(`${name} ${e?.code ?? ''} ${e?.message ?? ''}`) ||
    name === 'ResourceInUseException'
  )
    return transientError(text, 'dynamodb', err);
  return schemaError(text, 'dynamodb', err);
}
