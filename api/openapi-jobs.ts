import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { BackfillRequestSchema, OVERLAP_POLICIES, ScheduleRequestSchema } from '../client/schedules';
import { JOB_NAME_PATTERN, MIGRATION_ID_PATTERN } from '../src/names';
import { JobSpec, Problem, StartResponse } from './schemas';

/** OpenAPI paths of /jobs (saved job definitions) and /schedules (Temporal Schedules of saved jobs). */

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: Problem } } });
const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
const common = {
  400: problem('Invalid request: a name, id, query parameter, header or body field breaks its rule; `errors` names each'),
  401: problem('API_TOKEN is set and the request has no valid `Authorization: Bearer` token'),
  503: problem('Temporal or the control store (DATAMIGRATO_CONTROL_URL) is not reachable'),
};

const NameParams = z.object({ name: z.string().regex(JOB_NAME_PATTERN).describe('saved job name') });
const IdParams = z.object({ id: z.string().regex(JOB_NAME_PATTERN).describe('schedule id') });
const selfLink = z.object({ self: z.string() });

const Version = z.object({ name: z.string(), version: z.number().int(), specHash: z.string(), createdAt: z.string() });
export const SavedJobSchema = Version.extend({ spec: JobSpec, links: selfLink }).meta({ id: 'SavedJob' });
const SaveResponse = z
  .object({ name: z.string(), version: z.number().int(), created: z.boolean(), specHash: z.string(), links: selfLink })
  .meta({ id: 'SavedJobSaved' });
const JobList = z
  .object({ items: z.array(z.object({ name: z.string(), latestVersion: z.number().int(), createdAt: z.string(), updatedAt: z.string(), links: selfLink })) })
  .meta({ id: 'SavedJobList' });
const RunResponse = StartResponse.extend({ job: z.string(), version: z.number().int() }).meta({ id: 'SavedJobRun' });

const scheduleLinks = z.object({ self: z.string(), ui: z.string() });
export const ScheduleViewSchema = z
  .object({
    id: z.string(),
    job: z.string().nullable(),
    cron: z.string().nullable(),
    every: z.string().nullable(),
    timezone: z.string().nullable(),
    overlap: z.string().nullable(),
    paused: z.boolean(),
    note: z.string().nullable(),
    numActionsTaken: z.number().int(),
    numActionsSkippedOverlap: z.number().int(),
    recentActions: z.array(z.object({ scheduledAt: z.string(), takenAt: z.string(), workflowId: z.string() })),
    runningActions: z.array(z.string()),
    nextActionTimes: z.array(z.string()),
    createdAt: z.string(),
    links: scheduleLinks,
  })
  .meta({ id: 'Schedule' });
const ScheduleList = z
  .object({
    items: z.array(
      z.object({
        id: z.string(),
        job: z.string().nullable(),
        paused: z.boolean(),
        nextActionTimes: z.array(z.string()),
        recentActions: z.number().int(),
        links: scheduleLinks,
      }),
    ),
  })
  .meta({ id: 'ScheduleList' });
const ScheduleActionResponse = z.object({ id: z.string(), action: z.string(), links: scheduleLinks }).meta({ id: 'ScheduleActionResult' });
const ScheduleActionRequest = z.object({
  note: z.string().optional().describe('pause/unpause: the reason, shown in describe'),
  overlap: z.enum(OVERLAP_POLICIES).optional().describe('trigger: overlap policy for this run (default allow_all)'),
});

const specBody = { required: true, content: { 'application/json': { schema: JobSpec }, 'application/yaml': { schema: JobSpec } } };

export function registerJobPaths(r: Pick<OpenAPIRegistry, 'registerPath'>): void {
  r.registerPath({
    method: 'get',
    path: '/jobs',
    summary: 'Saved job definitions (latest versions)',
    responses: { ...common, 200: json(JobList, 'All saved jobs') },
  });
  r.registerPath({
    method: 'put',
    path: '/jobs/{name}',
    summary: 'Save a job definition (a new version when the spec changed)',
    description:
      'Validates the spec like POST /migrations (secret references only); its `name` may be left out and must otherwise equal {name}. The same spec as the latest version (same hash of the parsed spec) adds no version.',
    request: { params: NameParams, body: specBody },
    responses: {
      ...common,
      201: json(SaveResponse, 'A new version'),
      200: json(SaveResponse, 'Unchanged: the latest version already has this spec'),
      400: problem('Invalid spec or name; `errors` names each field'),
    },
  });
  r.registerPath({
    method: 'get',
    path: '/jobs/{name}',
    summary: 'A saved job: the latest version, or ?version=',
    request: {
      params: NameParams,
      query: z.object({
        version: z
          .string()
          .regex(/^[1-9][0-9]{0,8}$/)
          .optional()
          .describe('a version number'),
      }),
    },
    responses: { ...common, 200: json(SavedJobSchema, 'The version'), 400: problem('Bad version'), 404: problem('No such job or version') },
  });
  r.registerPath({
    method: 'delete',
    path: '/jobs/{name}',
    summary: 'Delete a saved job and all its versions (schedules that name it fail their next run)',
    request: { params: NameParams },
    responses: { ...common, 204: { description: 'Deleted' }, 404: problem('No such job') },
  });
  r.registerPath({
    method: 'get',
    path: '/jobs/{name}/versions',
    summary: 'Versions of a saved job, newest first',
    request: { params: NameParams },
    responses: { ...common, 200: json(z.object({ items: z.array(Version) }).meta({ id: 'SavedJobVersions' }), 'Versions'), 404: problem('No such job') },
  });
  r.registerPath({
    method: 'post',
    path: '/jobs/{name}/runs',
    summary: 'Start the latest version as a migration (as POST /migrations with that spec)',
    request: {
      params: NameParams,
      headers: z.object({ 'idempotency-key': z.string().regex(MIGRATION_ID_PATTERN).optional().describe('used as the migration id') }),
    },
    responses: {
      ...common,
      201: json(RunResponse, 'Started'),
      200: json(RunResponse, 'The id already named this migration'),
      404: problem('No such job'),
      409: problem('The id is taken by a migration with a different spec'),
    },
  });
}

export function registerSchedulePaths(r: Pick<OpenAPIRegistry, 'registerPath'>): void {
  r.registerPath({
    method: 'post',
    path: '/schedules',
    summary: 'Create a Temporal Schedule that runs a saved job',
    description: 'Cron (with a time zone) or an interval; overlap policy skip by default. Each run loads the job’s latest version.',
    request: { body: { required: true, content: { 'application/json': { schema: ScheduleRequestSchema } } } },
    responses: {
      ...common,
      201: json(ScheduleViewSchema, 'Created'),
      400: problem('Invalid request (cron, every, timezone, job…); `errors` names each field'),
      409: problem('A schedule with this id exists'),
    },
  });
  r.registerPath({
    method: 'get',
    path: '/schedules',
    summary: 'Schedules of saved jobs',
    request: { query: z.object({ job: z.string().optional().describe('only this job’s schedules') }) },
    responses: { ...common, 200: json(ScheduleList, 'Schedules') },
  });
  r.registerPath({
    method: 'get',
    path: '/schedules/{id}',
    summary: 'Spec, state, recent and next runs',
    request: { params: IdParams },
    responses: { ...common, 200: json(ScheduleViewSchema, 'The schedule'), 404: problem('No such schedule') },
  });
  r.registerPath({
    method: 'delete',
    path: '/schedules/{id}',
    summary: 'Delete the schedule (running migrations go on)',
    request: { params: IdParams },
    responses: { ...common, 204: { description: 'Deleted' }, 404: problem('No such schedule') },
  });
  for (const [action, what] of [
    ['pause', 'Pause: no runs until unpaused'],
    ['unpause', 'Unpause'],
    ['trigger', 'Run now, even while paused'],
  ] as const) {
    r.registerPath({
      method: 'post',
      path: `/schedules/{id}/${action}`,
      summary: what,
      request: { params: IdParams, body: { required: false, content: { 'application/json': { schema: ScheduleActionRequest } } } },
      responses: { ...common, 202: json(ScheduleActionResponse, 'Done'), 400: problem('Bad body'), 404: problem('No such schedule') },
    });
  }
  r.registerPath({
    method: 'post',
    path: '/schedules/{id}/backfill',
    summary: 'Take the actions the schedule would have taken in a past time range',
    request: { params: IdParams, body: { required: true, content: { 'application/json': { schema: BackfillRequestSchema } } } },
    responses: { ...common, 202: json(ScheduleActionResponse, 'Requested'), 400: problem('Bad range'), 404: problem('No such schedule') },
  });
}
