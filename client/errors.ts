import type { SpecIssue } from '../src/job/job-spec';

/**
 * Errors the shared client raises. The API maps them to problem+json statuses, the CLI to exit codes;
 * both take the wording from here so a user sees the same message wherever they ask.
 */
export class ClientError extends Error {
  constructor(
    readonly code: 'invalid_spec' | 'invalid_request' | 'not_found' | 'conflict' | 'check_failed' | 'unavailable',
    message: string,
    readonly issues: SpecIssue[] = [],
  ) {
    super(message);
    this.name = 'ClientError';
  }
}

export class InvalidSpecError extends ClientError {
  constructor(issues: SpecIssue[], message = 'the job spec is invalid') {
    super('invalid_spec', `${message}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
    this.name = 'InvalidSpecError';
  }
}

/** A bad parameter that is not the spec: an id, a list filter, a page token. */
export class InvalidRequestError extends ClientError {
  constructor(issues: SpecIssue[], message = 'invalid request') {
    super('invalid_request', `${message}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
    this.name = 'InvalidRequestError';
  }
}

export class NotFoundError extends ClientError {
  constructor(readonly id: string) {
    super('not_found', `no migration with id "${id}"`);
    this.name = 'NotFoundError';
  }
}

/** The request is well-formed but the migration's state forbids it (already closed, id taken by another spec). */
export class ConflictError extends ClientError {
  constructor(message: string) {
    super('conflict', message);
    this.name = 'ConflictError';
  }
}

/**
 * A dry run reached a database and something there is wrong (unreachable, auth, missing table, bad transform).
 * `kind` is the engine's error kind; `retryable` is true for TransientError (network, server busy).
 */
export class CheckFailedError extends ClientError {
  constructor(
    readonly step: string,
    readonly kind: string,
    message: string,
    issues: SpecIssue[],
  ) {
    super('check_failed', message, issues);
    this.name = 'CheckFailedError';
  }

  get retryable(): boolean {
    return this.kind === 'TransientError';
  }
}

/** Temporal did not answer (down, wrong address, deadline exceeded). */
export class UnavailableError extends ClientError {
  constructor(message: string) {
    super('unavailable', message);
    this.name = 'UnavailableError';
  }
}
