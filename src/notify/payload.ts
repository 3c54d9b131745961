import type { NotifyEventName, NotifyTarget } from '../job/notify';

/**
 * What a webhook receives. Built in the workflow from counts and the report summary only: no rows, no
 * connection details, no secret values (the spec's references are not included either).
 */
export interface NotifyPayload {
  event: NotifyEventName;
  job: string;
  migrationId: string;
  runId: string;
  /** Workflow time of the outcome (ISO). */
  occurredAt: string;
  source: string;
  target: string;
  counts: { rows: number; quarantined: number; filtered: number; droppedFields: number };
  /** Validation status (`match`, `mismatch`, `skipped`…) when the run got that far. */
  validation: string | null;
  durationMs: number;
  /** Failed runs: the failure's type and (scrubbed) message. */
  error?: { type: string; message: string };
}

/** One webhook call as the workflow asks for it: the spec's target (references only) and the payload. */
export interface NotifyRequest {
  /** Position in spec.notify, used in messages instead of the URL (which carries tokens). */
  index: number;
  target: NotifyTarget;
  payload: NotifyPayload;
}

export interface NotifyDelivery {
  index: number;
  event: NotifyEventName;
  delivered: boolean;
  /** HTTP status of the last answer, when there was one. */
  status?: number;
  attempts?: number;
  error?: string;
}
