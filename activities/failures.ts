import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { DatamigratoError, StoppedError, scrubSecrets } from '../src/errors';

/**
 * Domain errors → Temporal failures. Messages are already scrubbed by the engine; the pattern scrub
 * here is a last net for anything that slipped past (a driver error that reached us unwrapped).
 */
export function toTemporalFailure(err: unknown): Error {
  if (err instanceof StoppedError) return new CancelledFailure('stopped on cancellation', [err.progress]);
  if (err instanceof CancelledFailure || err instanceof ApplicationFailure) return err;
  if (err instanceof DatamigratoError) {
    return ApplicationFailure.create({ type: err.kind, message: scrubSecrets(err.message), nonRetryable: !err.retryable });
  }
  return ApplicationFailure.create({ type: 'TransientError', message: scrubSecrets(String((err as Error)?.message ?? err)) });
}

export async function adapt<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toTemporalFailure(err);
  }
}
