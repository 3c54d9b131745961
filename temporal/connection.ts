import { readFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/client';
import { loadConfig, type Config } from '../src/config';
import { configError } from '../src/errors';

/**
 * The one place that turns the environment into Temporal connection options, shared by the worker's
 * NativeConnection and the client's Connection (API, CLI): both take the same `{ address, tls, apiKey }`.
 * Files are read here, once, when the process connects; a missing file stops it naming the variable.
 * Key material is never logged: describeTemporalSecurity() says only which mode is on.
 */
export interface TemporalConnectionOptions {
  address: string;
  tls?: TLSConfig;
  apiKey?: string;
}

type FileVar = keyof Pick<
  Config,
  | 'TEMPORAL_TLS_CERT'
  | 'TEMPORAL_TLS_CLIENT_CERT_PATH'
  | 'TEMPORAL_TLS_KEY'
  | 'TEMPORAL_TLS_CLIENT_KEY_PATH'
  | 'TEMPORAL_TLS_CA'
  | 'TEMPORAL_TLS_SERVER_CA_CERT_PATH'
>;

/** The value of the first set variable of a pair (our short name wins over the CLI's envconfig alias). */
function pick(c: Config, names: FileVar[]): { name: FileVar; path: string } | undefined {
  for (const name of names) {
    const path = c[name];
    if (path) return { name, path };
  }
  return undefined;
}

function readPem(ref: { name: string; path: string }): Buffer {
  try {
    return readFileSync(ref.path);
  } catch (err) {
    // The path is not a secret; the error code says whether it is missing or unreadable.
    throw configError(`${ref.name}: cannot read ${JSON.stringify(ref.path)} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

export function temporalConnectionOptions(address: string, c: Config = loadConfig()): TemporalConnectionOptions {
  const cert = pick(c, ['TEMPORAL_TLS_CERT', 'TEMPORAL_TLS_CLIENT_CERT_PATH']);
  const key = pick(c, ['TEMPORAL_TLS_KEY', 'TEMPORAL_TLS_CLIENT_KEY_PATH']);
  const ca = pick(c, ['TEMPORAL_TLS_CA', 'TEMPORAL_TLS_SERVER_CA_CERT_PATH']);
  if (Boolean(cert) !== Boolean(key)) {
    throw configError(`${cert ? cert.name : 'TEMPORAL_TLS_CERT'} and ${key ? key.name : 'TEMPORAL_TLS_KEY'} go together: set both for mTLS, or neither`);
  }
  const tlsFiles = Boolean(cert || ca || c.TEMPORAL_TLS_SERVER_NAME);
  const apiKey = c.TEMPORAL_API_KEY ? { apiKey: c.TEMPORAL_API_KEY } : {};
  // As in Temporal's CLI: TLS is implied by any TLS option or an API key; TEMPORAL_TLS=false turns it off
  // explicitly (an API key over plain text is then allowed, for a local proxy).
  const tlsOn = c.TEMPORAL_TLS ?? (tlsFiles || Boolean(c.TEMPORAL_API_KEY));
  if (!tlsOn) {
    if (tlsFiles) throw configError('TEMPORAL_TLS=false contradicts the TEMPORAL_TLS_* variables that are set');
    return { address, ...apiKey };
  }
  const tls: TLSConfig = {
    ...(c.TEMPORAL_TLS_SERVER_NAME ? { serverNameOverride: c.TEMPORAL_TLS_SERVER_NAME } : {}),
    ...(ca ? { serverRootCACertificate: readPem(ca) } : {}),
    ...(cert && key ? { clientCertPair: { crt: readPem(cert), key: readPem(key) } } : {}),
  };
  return { address, tls, ...apiKey };
}

/** For start-up logs: the mode, never the material. */
export function describeTemporalSecurity(o: TemporalConnectionOptions): { tls: 'off' | 'tls' | 'mtls'; apiKey: boolean } {
  return { tls: !o.tls ? 'off' : o.tls.clientCertPair ? 'mtls' : 'tls', apiKey: Boolean(o.apiKey) };
}
