import type { Duration } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import * as activities from '../activities';
import { temporalConfig } from './config';

export interface WorkerSetup {
  connection?: NativeConnection;
  taskQueue?: string;
  /** Chunks (activities) one process runs at once; the spec's parallelism is spread across processes. */
  maxConcurrentActivities?: number;
}

export async function createWorker(setup: WorkerSetup = {}): Promise<{ worker: Worker; connection: NativeConnection }> {
  const cfg = temporalConfig();
  const connection = setup.connection ?? (await NativeConnection.connect({ address: cfg.address }));
  const worker = await Worker.create({
    connection,
    namespace: cfg.namespace,
    taskQueue: setup.taskQueue ?? cfg.taskQueue,
    workflowsPath: require.resolve('../workflows'),
    activities,
    maxConcurrentActivityTaskExecutions: setup.maxConcurrentActivities ?? Number(process.env.DATAMIGRATO_MAX_ACTIVITIES ?? 8),
    // Heartbeats carry the resume cursor: send them often so a crash re-copies at most ~1 s of batches.
    maxHeartbeatThrottleInterval: (process.env.DATAMIGRATO_HEARTBEAT_THROTTLE ?? '1s') as Duration,
    defaultHeartbeatThrottleInterval: (process.env.DATAMIGRATO_HEARTBEAT_THROTTLE ?? '1s') as Duration,
  });
  return { worker, connection };
}
