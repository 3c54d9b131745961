import { DEFAULT_TASK_QUEUE } from '../workflows/definitions';

/** Where to find Temporal; the same variables serve the worker, the API and the CLI. */
export function temporalConfig() {
  return {
    address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
    namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
    taskQueue: process.env.DATAMIGRATO_TASK_QUEUE ?? DEFAULT_TASK_QUEUE,
    uiUrl: process.env.TEMPORAL_UI_URL ?? 'http://127.0.0.1:8233',
  };
}
