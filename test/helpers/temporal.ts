import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { createWorker } from '../../worker/create-worker';
import { env, uniqueSuffix } from './env';

/**
 * An in-process worker on a unique task queue of the real dev server, plus a client.
 * Each test file gets its own queue, so a leftover workflow of another file never lands here.
 */
export interface TemporalHarness {
  client: Client;
  taskQueue: string;
  worker: Worker;
  stop(): Promise<void>;
}

let runtimeInstalled = false;

export async function startHarness(prefix = 'test'): Promise<TemporalHarness> {
  if (!runtimeInstalled) {
    // The SDK logs every worker state change at INFO; tests only want trouble.
    try {
      Runtime.install({ logger: new DefaultLogger((process.env.TEMPORAL_LOG_LEVEL as 'WARN') ?? 'WARN') });
    } catch {
      // Already installed by an earlier test file in this jest process.
    }
    runtimeInstalled = true;
  }
  const taskQueue = `${prefix}-${uniqueSuffix()}`;
  const nativeConnection = await NativeConnection.connect({ address: env.temporalAddress });
  const { worker } = await createWorker({ connection: nativeConnection, taskQueue });
  const running = worker.run();
  const connection = await Connection.connect({ address: env.temporalAddress });
  const client = new Client({ connection, namespace: env.namespace });
  return {
    client,
    taskQueue,
    worker,
    async stop() {
      worker.shutdown();
      await running;
      await nativeConnection.close();
      await connection.close();
    },
  };
}

/** Polls until `pred` holds or the deadline passes; returns the last value either way. */
export async function waitFor<T>(fn: () => Promise<T>, pred: (v: T) => boolean, timeoutMs = 60_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let v = await fn();
  while (!pred(v) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, everyMs));
    v = await fn();
  }
  return v;
}

export async function historyJson(handle: WorkflowHandle): Promise<string> {
  const history = await handle.fetchHistory();
  return JSON.stringify(history, (_k, v) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v));
}
