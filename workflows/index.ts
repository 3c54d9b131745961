export { migrationWorkflow } from './migration';
export { repairWorkflow } from './repair';
export { jobWorkflow } from './job';
