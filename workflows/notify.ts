import * as wf from '@temporalio/workflow';
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import type * as activities from '../activities';
import type { JobSpec } from '../src/job/job-spec';
import type { NotifyEventName } from '../src/job/notify';
import type { NotifyDelivery, NotifyPayload } from '../src/notify/payload';
import type { MigrationReport } from './types';
import type { JobReport } from './job-types';

/**
 * Webhooks on a run's outcome, callable from any workflow that carries a spec (the one-object migration
 * today, a parent workflow over many objects tomorrow). Delivery is retried by Temporal with backoff —
 * 1 s doubling to 30 s, 10 attempts, about 2.5 minutes in all — and never changes the run's outcome:
 * a webhook that stays down is logged and returned, the caller records it and goes on.
 */
const { notify } = wf.proxyActivities<typeof activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 10, nonRetryableErrorTypes: ['ConfigError'] },
});

/** The outcome a payload describes; ids and time are the calling workflow's. */
export type OutcomeSummary = Omit<NotifyPayload, 'job' | 'migrationId' | 'runId' | 'occurredAt'>;

/** A migration report (or the counts so far, for failed and canceled runs) as a payload's outcome. */
export function outcomeOfReport(report: MigrationReport, event: NotifyEventName, error?: { type: string; message: string }): OutcomeSummary {
  const validation = report.repair?.validation ?? report.validation;
  return {
    event,
    source: `${report.source.type} ${report.source.object ?? ''}`.trim(),
    target: `${report.target.type} ${report.target.object ?? ''}`.trim(),
    counts: { rows: report.rows, quarantined: report.quarantined, filtered: report.filtered, droppedFields: report.droppedFields },
    validation: validation?.status ?? null,
    durationMs: report.timings.totalMs,
    // Failure messages are scrubbed of secrets by the activities; bounded so a payload stays small.
    ...(error ? { error: { type: error.type, message: error.message.slice(0, 2_000) } } : {}),
  };
}

/** A many-object job's outcome: one event for the job (children do not notify), its objects' counts summed. */
export function outcomeOfJobReport(report: JobReport, event: NotifyEventName, error?: { type: string; message: string }): OutcomeSummary {
  const failed = report.failed.length ? ` (failed: ${report.failed.join(', ')})` : '';
  return {
    event,
    source: `${report.source.type} ${report.objects.length} objects`,
    target: report.target.type,
    counts: { rows: report.rows, quarantined: report.quarantined, filtered: 0, droppedFields: 0 },
    validation: report.objects.every((o) => o.validation === 'match') ? 'match' : 'mismatch',
    durationMs: report.timings.totalMs,
    ...(error
      ? { error: { type: error.type, message: error.message.slice(0, 2_000) } }
      : report.failed.length
        ? { error: { type: 'ObjectsFailed', message: `${report.failed.length} object(s) failed${failed}`.slice(0, 2_000) } }
        : {}),
  };
}

/** Sends the spec's webhooks subscribed to this outcome, all at once; resolves (never rejects) with what happened. */
export async function notifyOutcome(spec: Pick<JobSpec, 'name' | 'notify'>, outcome: OutcomeSummary): Promise<NotifyDelivery[]> {
  const targets = (spec.notify ?? []).map((target, index) => ({ target, index })).filter((t) => t.target.events.includes(outcome.event));
  // The marker goes only into runs that notify, so histories recorded before webhooks existed replay unchanged.
  if (!targets.length || !wf.patched('notify')) return [];
  const info = wf.workflowInfo();
  const payload: NotifyPayload = {
    job: spec.name,
    migrationId: info.workflowId,
    runId: info.runId,
    occurredAt: new Date().toISOString(),
    ...outcome,
  };
  return Promise.all(
    targets.map(async ({ target, index }): Promise<NotifyDelivery> => {
      try {
        const r = await notify({ index, target, payload });
        return { index, event: outcome.event, delivered: true, status: r.status, attempts: r.attempt };
      } catch (err) {
        const cause = err instanceof ActivityFailure ? err.cause : err;
        const error = cause instanceof ApplicationFailure ? cause.message : String((cause as Error)?.message ?? cause);
        wf.log.warn('webhook not delivered; the outcome stands', { notify: index, event: outcome.event, error });
        return { index, event: outcome.event, delivered: false, error };
      }
    }),
  );
}
