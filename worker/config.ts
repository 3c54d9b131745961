import { loadConfig } from '../src/config';

/** Where to find Temporal; the same variables serve the worker, the API and the CLI. */
export function temporalConfig() {
  const c = loadConfig();
  return { address: c.TEMPORAL_ADDRESS, namespace: c.TEMPORAL_NAMESPACE, taskQueue: c.DATAMIGRATO_TASK_QUEUE, uiUrl: c.TEMPORAL_UI_URL };
}
