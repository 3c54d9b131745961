import type { JobSpec } from '../src/job/job-spec';
import { MIGRATION_WORKFLOW } from './definitions';

/** Workflow type names for saved jobs; no workflow code here, so clients import it freely. */
export const SCHEDULED_JOB_WORKFLOW = 'scheduledJobWorkflow';

/**
 * The workflow type that runs a spec — the one place to change when specs with many objects get their
 * own parent workflow type.
 */
export const workflowTypeForSpec = (_spec: JobSpec): string => MIGRATION_WORKFLOW;
