/** The shared client: everything the API and the CLI do to migrations goes through here. */
import { Client, Connection } from '@temporalio/client';
import { temporalConnectionOptions, type TemporalConnectionOptions } from '../temporal/connection';
import { clientDataConverter } from '../temporal/data-converter';
import { diagnoseTls, recheckTls } from '../temporal/tls-diagnosis';
import { loadConfig } from '../src/config';
import { temporalConfig } from '../worker/config';

export * from './errors';
export * from './spec';
export * from './migrations';
export * from './dry-run';
export * from './dry-run-job';

export type TemporalSettings = ReturnType<typeof temporalConfig>;

/**
 * A Temporal client from the worker's environment (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, …).
 * `lazy`: do not dial now (the API starts and reports 503 on /healthz while Temporal is down).
 */
export async function connectTemporal(cfg: TemporalSettings = temporalConfig(), opts: { lazy?: boolean } = {}): Promise<Client> {
  // TLS, mTLS and API key from TEMPORAL_TLS_* / TEMPORAL_API_KEY; payload encryption from DATAMIGRATO_CODEC_KEYS.
  const options = temporalConnectionOptions(cfg.address);
  recheckTls(options);
  const connection = opts.lazy ? Connection.lazy(options) : await connectExplained(options);
  const dataConverter = clientDataConverter();
  return new Client({ connection, namespace: cfg.namespace, ...(dataConverter ? { dataConverter } : {}) });
}

/** Connect within the RPC timeout; a TLS failure is named instead of gRPC's "Failed to connect before the deadline". */
async function connectExplained(options: TemporalConnectionOptions): Promise<Connection> {
  try {
    return await Connection.connect({ ...options, connectTimeout: loadConfig().DATAMIGRATO_RPC_TIMEOUT_MS });
  } catch (err) {
    // The SDK says only "Failed to connect to Temporal server"; a refused key or certificate is in its cause.
    const cause = (err as { cause?: { code?: number; details?: string } }).cause;
    if (cause?.code === 16 || cause?.code === 7) {
      throw new Error(`Temporal refused our credentials: ${cause.details} (TEMPORAL_API_KEY, or the client certificate)`, { cause: err });
    }
    const why = options.tls ? await diagnoseTls(options) : undefined;
    if (why) throw new Error(`Failed to connect to Temporal: ${why}`, { cause: err });
    throw err;
  }
}
export * from './diff';
export * from './populate';
export * from './jobs';
