export { migrationWorkflow } from './migration';
export { repairWorkflow } from './repair';
export { scheduledJobWorkflow } from './scheduled-job';
export { jobWorkflow } from './job';
