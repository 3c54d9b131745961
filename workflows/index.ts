export { migrationWorkflow } from './migration';
export { repairWorkflow } from './repair';
