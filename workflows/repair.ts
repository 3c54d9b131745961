import * as wf from '@temporalio/workflow';
import type * as activities from '../activities';
import { NON_RETRYABLE_KINDS as NON_RETRYABLE } from '../src/errors';
import { scanActivities } from './migration';
import type { RepairWorkflowInput, RepairWorkflowReport } from './types';
import { repairAndRevalidate } from './validate-phase';

const control = wf.proxyActivities<typeof activities>({
  startToCloseTimeout: '10m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes: NON_RETRYABLE, maximumAttempts: 10 },
});

/**
 * `datamigrato repair <id>` after a migration ended with a diff list: plan the source again (the target
 * exists, so prepare changes nothing), re-copy the listed keys, validate again with narrowing. Its own
 * workflow, so the finished migration's history stays as it was.
 */
export async function repairWorkflow(input: RepairWorkflowInput): Promise<RepairWorkflowReport> {
  const { spec } = input;
  const plan = await control.planMigration(spec);
  const scope = { sourceSchema: plan.sourceSchema, sourceRanges: plan.partitions };
  const repair = await repairAndRevalidate(spec, scope, input.diff, scanActivities(), 'repair');
  return { job: spec.name, of: input.of, repair };
}
