import { defineSearchAttributeKey } from '@temporalio/common';
import { defineQuery, defineSignal } from '@temporalio/workflow';
import { SEARCH_ATTRIBUTES } from '../src/names';
import type { MigrationProgress } from './types';

/** Names are part of the public interface: `temporal workflow signal --name pause` must keep working. */
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
export const progressQuery = defineQuery<MigrationProgress>('progress');

export const MIGRATION_WORKFLOW = 'migrationWorkflow';
export const REPAIR_WORKFLOW = 'repairWorkflow';
/** The parent of a many-object job (workflows/job.ts); src/job/kind.ts tells which of the two a spec starts. */
export const JOB_WORKFLOW = 'jobWorkflow';
export { DEFAULT_TASK_QUEUE } from '../src/names';

/** Typed keys for the names in src/names.ts (docs/stack.md for registering them on your own cluster). */
const { status, job, source, target, rows } = SEARCH_ATTRIBUTES;
export const SA = {
  status: defineSearchAttributeKey(status.name, status.type),
  job: defineSearchAttributeKey(job.name, job.type),
  source: defineSearchAttributeKey(source.name, source.type),
  target: defineSearchAttributeKey(target.name, target.type),
  rows: defineSearchAttributeKey(rows.name, rows.type),
};
