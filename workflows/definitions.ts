import { defineSearchAttributeKey } from '@temporalio/common';
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { MigrationProgress } from './types';

/** Names are part of the public interface: `temporal workflow signal --name pause` must keep working. */
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
export const progressQuery = defineQuery<MigrationProgress>('progress');

export const MIGRATION_WORKFLOW = 'migrationWorkflow';
export const DEFAULT_TASK_QUEUE = 'datamigrato';

/** Custom search attributes; the stack script registers them (docs/stack.md for your own cluster). */
export const SA = {
  status: defineSearchAttributeKey('DatamigratoStatus', 'KEYWORD'),
  job: defineSearchAttributeKey('DatamigratoJob', 'KEYWORD'),
  source: defineSearchAttributeKey('DatamigratoSource', 'KEYWORD'),
  target: defineSearchAttributeKey('DatamigratoTarget', 'KEYWORD'),
  rows: defineSearchAttributeKey('DatamigratoRows', 'INT'),
};
