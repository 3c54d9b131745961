import { ClientError } from './errors';

/** Not-found errors for the control store's resources; `title` is the problem+json title the API shows. */
export class SavedJobNotFoundError extends ClientError {
  readonly title = 'Saved job not found';
  constructor(
    readonly job: string,
    version?: number,
  ) {
    super('not_found', version === undefined ? `no saved job named "${job}"` : `saved job "${job}" has no version ${version}`);
    this.name = 'SavedJobNotFoundError';
  }
}

export class ScheduleNotFound extends ClientError {
  readonly title = 'Schedule not found';
  constructor(readonly scheduleId: string) {
    super('not_found', `no schedule with id "${scheduleId}"`);
    this.name = 'ScheduleNotFound';
  }
}

/** DATAMIGRATO_CONTROL_URL unset or the store unreachable: a 503 naming the variable, not a 500. */
export class ControlStoreUnavailableError extends ClientError {
  readonly title = 'Control store unavailable';
  constructor(message: string) {
    super('unavailable', message);
    this.name = 'ControlStoreUnavailableError';
  }
}
