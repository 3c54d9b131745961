import * as wf from '@temporalio/workflow';
import type * as activities from '../activities';
import { SA } from './definitions';
import { workflowTypeForSpec } from './job-types';
import type { MigrationReport } from './types';

/**
 * The action of a schedule: load the saved job's latest version from the control store (an activity: the
 * workflow cannot read a database) and run it as a child. The schedule holds only the job's name, so
 * editing the job changes the next run without touching the schedule.
 */

export interface ScheduledJobInput {
  job: string;
}

export interface ScheduledJobResult {
  job: string;
  version: number;
  migrationId: string;
  status: MigrationReport['status'];
  rows: number;
  validation: string | null;
}

const { loadSavedJob } = wf.proxyActivities<typeof activities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 10, nonRetryableErrorTypes: ['ConfigError'] },
});

export async function scheduledJobWorkflow(input: ScheduledJobInput): Promise<ScheduledJobResult> {
  const { spec, version } = await loadSavedJob(input.job);
  // Scheduled runs get ids "<schedule workflow id>-<time>"; the child is the migration the API lists.
  const migrationId = `${wf.workflowInfo().workflowId}.run`;
  const report = (await wf.executeChild(workflowTypeForSpec(spec), {
    workflowId: migrationId,
    args: [{ spec }],
    typedSearchAttributes: [
      { key: SA.job, value: spec.name },
      { key: SA.source, value: spec.source.type },
      { key: SA.target, value: spec.target.type },
      { key: SA.status, value: 'Queued' },
    ],
    memo: { savedJob: { name: input.job, version } },
  })) as MigrationReport;
  const validation = report.repair?.validation ?? report.validation;
  return { job: input.job, version, migrationId, status: report.status, rows: report.rows, validation: validation?.status ?? null };
}
