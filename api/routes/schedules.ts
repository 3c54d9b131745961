import { Router } from 'express';
import {
  backfillSchedule,
  controlSchedule,
  createSchedule,
  describeSchedule,
  listSchedules,
  scheduleUiLink,
  type ScheduleAction,
} from '../../client/schedules';
import { InvalidRequestError } from '../../client/errors';
import type { AppDeps } from '../app';
import { asyncRoute, bodyOf, resource } from '../http';
import { controlStoreOf } from './jobs';

/** A POST whose body is optional (pause note, trigger overlap): absent or empty means {}. */
function optionalBody(req: Parameters<typeof bodyOf>[0]): Record<string, unknown> {
  const hasBody = Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;
  if (!hasBody) return {};
  const body = bodyOf(req);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new InvalidRequestError([{ path: '(body)', message: 'must be an object' }]);
  return body as Record<string, unknown>;
}

function stringField(body: Record<string, unknown>, field: string): string | undefined {
  const v = body[field];
  if (v !== undefined && typeof v !== 'string') throw new InvalidRequestError([{ path: field, message: 'must be a string' }]);
  return v;
}

/** /schedules: Temporal Schedules whose action runs a saved job (scheduledJobWorkflow). */
export function schedulesRouter(deps: AppDeps): Router {
  const router = Router();
  const db = controlStoreOf(deps);
  const links = (id: string) => ({ self: `/schedules/${encodeURIComponent(id)}`, ui: scheduleUiLink(deps.uiUrl, deps.client.options.namespace, id) });
  resource(router, '/schedules', {
    get: asyncRoute(async (req, res) => {
      const job = typeof req.query.job === 'string' ? req.query.job : undefined;
      const items = await listSchedules(deps.client, { job });
      res.json({ items: items.map((s) => ({ ...s, links: links(s.id) })) });
    }),
    post: asyncRoute(async (req, res) => {
      const created = await createSchedule(deps.client, await db(), bodyOf(req), { taskQueue: deps.taskQueue });
      res.setHeader('Location', links(created.id).self);
      res.status(201).json({ ...created, links: links(created.id) });
    }),
  });
  resource(router, '/schedules/:id', {
    get: asyncRoute(async (req, res) => {
      const id = String(req.params.id);
      res.json({ ...(await describeSchedule(deps.client, id)), links: links(id) });
    }),
    delete: asyncRoute(async (req, res) => {
      await controlSchedule(deps.client, String(req.params.id), 'delete');
      res.status(204).end();
    }),
  });
  for (const action of ['pause', 'unpause', 'trigger'] as const satisfies ScheduleAction[]) {
    resource(router, `/schedules/:id/${action}`, {
      post: asyncRoute(async (req, res) => {
        const id = String(req.params.id);
        const body = optionalBody(req);
        await controlSchedule(deps.client, id, action, { note: stringField(body, 'note'), overlap: stringField(body, 'overlap') });
        res.status(202).json({ id, action, links: links(id) });
      }),
    });
  }
  resource(router, '/schedules/:id/backfill', {
    post: asyncRoute(async (req, res) => {
      const id = String(req.params.id);
      await backfillSchedule(deps.client, id, bodyOf(req));
      res.status(202).json({ id, action: 'backfill', links: links(id) });
    }),
  });
  return router;
}
