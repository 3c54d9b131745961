import { z } from 'zod';
import { MultiJobSpecSchema } from '../src/job/multi-spec';
import type { JobReport } from '../workflows/job-types';

/** zod schemas of a many-object job's report and retry answer (api/schemas.ts holds the rest; same compile-time check). */

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Check<T extends true> = T;

const ObjectStateSchema = z.object({
  name: z.string().describe('the source object, as reports name it (public.orders)'),
  target: z.string(),
  workflowId: z.string().describe("the child migration's id: its own status, report, diff and repair"),
  status: z.enum(['pending', 'running', 'completed', 'failed', 'canceled', 'skipped']),
  rows: z.number().int(),
  quarantined: z.number().int(),
  validation: z.string().nullable(),
  sourceCount: z.number().int().nullable(),
  targetCount: z.number().int().nullable(),
  error: z.string().optional().describe('why it failed, was canceled or skipped'),
  ms: z.number(),
});

const ForeignKeyOutcomeSchema = z.object({
  object: z.string(),
  name: z.string(),
  status: z.enum(['added', 'exists', 'skipped', 'failed']),
  reason: z.string().optional(),
});

export const JobReportSchema = z
  .object({
    kind: z.literal('job'),
    job: z.string(),
    status: z.enum(['completed', 'failed', 'canceled']),
    source: z.object({ type: z.string(), object: z.null() }),
    target: z.object({ type: z.string(), object: z.null() }),
    rows: z.number().int(),
    quarantined: z.number().int(),
    rowsPerSecond: z.number(),
    objects: z.array(ObjectStateSchema),
    failed: z.array(z.string()).describe('source names of the objects `retry` re-runs'),
    foreignKeys: z.array(ForeignKeyOutcomeSchema).nullable().describe('foreign keys added after the data (PostgreSQL → PostgreSQL)'),
    retryOf: z.string().optional(),
    timings: z.object({ startedAt: z.string(), totalMs: z.number() }),
  })
  .meta({ id: 'JobReport', description: 'A many-object job: one entry per object (its child migration), the failed ones named' });
type _JobReport = Check<Same<z.infer<typeof JobReportSchema>, JobReport>>;

export const RetryStartSchema = z
  .object({
    id: z.string(),
    runId: z.string(),
    created: z.boolean(),
    summary: z.string(),
    of: z.string().describe('the job retried'),
    objects: z.array(z.string()).describe('the objects the new run re-runs'),
  })
  .meta({ id: 'RetryStart', description: 'A new job run restricted to the failed objects of the original' });

export const ManyObjectJobSpec = MultiJobSpecSchema.meta({
  id: 'ManyObjectJobSpec',
  description: 'A job of many objects (objects, or include/exclude listed from the source): one child migration per object (docs/jobs.md)',
});
