/** The shared client: everything the API and the CLI do to migrations goes through here. */
import { Client, Connection } from '@temporalio/client';
import { temporalConnectionOptions } from '../temporal/connection';
import { clientDataConverter } from '../temporal/data-converter';
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
  // TLS, mTLS and API key from TEMPORAL_TLS_* / TEMPORAL_API_KEY; payload encryption from DATAMIGRATO_CODEC_KEYS.
  const options = temporalConnectionOptions(cfg.address);
  const connection = opts.lazy ? Connection.lazy(options) : await Connection.connect(options);
  const dataConverter = clientDataConverter();
  return new Client({ connection, namespace: cfg.namespace, ...(dataConverter ? { dataConverter } : {}) });
}
export * from './diff';
export * from './populate';
