import { Context } from '@temporalio/activity';
import { deliverNotification } from '../src/notify/deliver';
import type { NotifyRequest } from '../src/notify/payload';
import { adapt } from './failures';

export interface NotifyDeps {
  /** Per-attempt HTTP deadline. */
  timeoutMs?: number;
}

/** `notify`: one signed POST per attempt; Temporal's retry policy (workflows/notify.ts) does the backoff. */
export function createNotifyActivities(deps: NotifyDeps = {}) {
  return {
    async notify(req: NotifyRequest): Promise<{ status: number; attempt: number }> {
      const { info } = Context.current();
      // The same id on every attempt: receivers drop a duplicate when an earlier attempt's 2xx was lost.
      const deliveryId = `${info.workflowExecution?.workflowId ?? info.activityId}:${req.payload.event}:${req.index}`;
      const r = await adapt(() => deliverNotification(req, { deliveryId, timeoutMs: deps.timeoutMs }));
      return { status: r.status, attempt: info.attempt };
    },
  };
}
