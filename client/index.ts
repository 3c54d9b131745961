/** The shared client: everything the API and the CLI do to migrations goes through here. */
import { Client, Connection } from '@temporalio/client';
import { temporalConfig } from '../worker/config';

export * from './errors';
export * from './spec';
export * from './migrations';
export * from './dry-run';

export type TemporalSettings = ReturnType<typeof temporalConfig>;

/**
 * A Temporal client from the worker's environment (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, …).
 * `lazy`: do not dial now (the API starts and reports 503 on /healthz while Temporal is down).
 */
export async function connectTemporal(cfg: TemporalSettings = temporalConfig(), opts: { lazy?: boolean } = {}): Promise<Client> {
  const connection = opts.lazy ? Connection.lazy({ address: cfg.address }) : await Connection.connect({ address: cfg.address });
  return new Client({ connection, namespace: cfg.namespace });
}
export * from './diff';
export * from './populate';
export * from './jobs';
