import type { Duration } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import * as activities from '../activities';
import { loadConfig } from '../src/config';
import { temporalConnectionOptions } from '../temporal/connection';
import { workerDataConverter } from '../temporal/data-converter';
import { temporalConfig } from './config';

export interface WorkerSetup {
  connection?: NativeConnection;
  taskQueue?: string;
  /** Chunks (activities) one process runs at once; the spec's parallelism is spread across processes. */
  maxConcurrentActivities?: number;
}

export async function createWorker(setup: WorkerSetup = {}): Promise<{ worker: Worker; connection: NativeConnection }> {
  const cfg = temporalConfig();
  const { DATAMIGRATO_WORKFLOW_BUNDLE: bundle, DATAMIGRATO_MAX_ACTIVITIES, DATAMIGRATO_HEARTBEAT_THROTTLE } = loadConfig();
  // The schema checked the format; Temporal's Duration type is a template-literal string.
  const throttle = DATAMIGRATO_HEARTBEAT_THROTTLE as Duration;
  const connection = setup.connection ?? (await NativeConnection.connect(temporalConnectionOptions(cfg.address)));
  const dataConverter = workerDataConverter();
  const worker = await Worker.create({
    connection,
    // Payload encryption (DATAMIGRATO_CODEC_KEYS); a prebuilt bundle carries the failure converter only when
    // it was bundled with the same variable set (scripts/bundle-workflows.ts).
    ...(dataConverter ? { dataConverter } : {}),
    namespace: cfg.namespace,
    taskQueue: setup.taskQueue ?? cfg.taskQueue,
    // A prebuilt bundle (scripts/bundle-workflows.ts) spares each worker webpack's time and memory at start.
    ...(bundle ? { workflowBundle: { codePath: bundle } } : { workflowsPath: require.resolve('../workflows') }),
    activities,
    maxConcurrentActivityTaskExecutions: setup.maxConcurrentActivities ?? DATAMIGRATO_MAX_ACTIVITIES,
    // Heartbeats carry the resume cursor. The SDK's default throttle (0.8 × heartbeat timeout) would let a crash
    // re-copy ~16 s of batches; at 1 s a retry re-copies about a second of each partition (writes are idempotent).
    // 100 ms sent nearly every batch's heartbeat: on 2 cores the dev server's share of the CPU then cost the PG → PG
    // copy ~10 % of its rate (bench/pg.ts, 1M rows: the server's CPU 2.5 s → 1.5 s with 1 s).
    maxHeartbeatThrottleInterval: throttle,
    defaultHeartbeatThrottleInterval: throttle,
  });
  return { worker, connection };
}
