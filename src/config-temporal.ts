import { z } from 'zod';

/**
 * Environment of the Temporal connection's security (TLS, mTLS, API key) and of the optional payload codec.
 * Spread into ConfigSchema (src/config.ts). Only file paths and flags live here: the files are read once at
 * start by temporal/connection.ts and temporal/codec-keys.ts, which name the variable when a file is missing.
 *
 * The names are those of Temporal's own CLI, so one environment serves `temporal` and datamigrato: the
 * short ones (TEMPORAL_TLS_CERT, TEMPORAL_TLS_KEY, TEMPORAL_TLS_CA — its flags' variables) and the envconfig
 * ones (TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_CLIENT_KEY_PATH, TEMPORAL_TLS_SERVER_CA_CERT_PATH).
 */

const flag = z.enum(['true', 'false', '1', '0'], { error: 'expected true or false' }).transform((s) => s === 'true' || s === '1');

const path = (what: string) => z.string().optional().describe(what);

export const temporalSecurityShape = {
  TEMPORAL_TLS: flag.optional().describe('TLS to Temporal with the system CAs (implied by any other TEMPORAL_TLS_* or TEMPORAL_API_KEY)'),
  TEMPORAL_TLS_CERT: path('client certificate (PEM) for mTLS; alias TEMPORAL_TLS_CLIENT_CERT_PATH'),
  TEMPORAL_TLS_CLIENT_CERT_PATH: path('= TEMPORAL_TLS_CERT (Temporal CLI envconfig name)'),
  TEMPORAL_TLS_KEY: path('client private key (PEM) for mTLS; alias TEMPORAL_TLS_CLIENT_KEY_PATH'),
  TEMPORAL_TLS_CLIENT_KEY_PATH: path('= TEMPORAL_TLS_KEY (Temporal CLI envconfig name)'),
  TEMPORAL_TLS_CA: path('CA certificate(s) (PEM) the server is checked against instead of the system CAs; alias TEMPORAL_TLS_SERVER_CA_CERT_PATH'),
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: path('= TEMPORAL_TLS_CA (Temporal CLI envconfig name)'),
  TEMPORAL_TLS_SERVER_NAME: z.string().optional().describe('TLS server name (SNI and certificate check) when it differs from the address host'),
  TEMPORAL_API_KEY: z.string().optional().describe('API key (Temporal Cloud), sent as a bearer token; turns TLS on'),
  DATAMIGRATO_CODEC_KEYS: z
    .string()
    .optional()
    .describe('payload encryption keys: "id:base64key,…" (32-byte AES-256 keys) or a path to a file of such lines; unset = no encryption'),
  DATAMIGRATO_CODEC_ACTIVE_KEY: z.string().optional().describe('key id new payloads are encrypted with (default: the first key)'),
  DATAMIGRATO_CODEC_CORS_ORIGINS: z
    .string()
    .optional()
    .describe('comma-separated origins allowed to call the codec endpoint (default: the origin of TEMPORAL_UI_URL)'),
};
