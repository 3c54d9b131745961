import { promises as fs } from 'node:fs';
import { types, type ClientOptions } from 'cassandra-driver';
import { z } from 'zod';
import { configError } from '../../errors';
import type { ResolvedConnection } from '../contract';
import type { CassandraEndpoint } from './spec';

/**
 * The connection block after secret resolution (or as written in the worker connections file): the
 * same three shapes as the spec, with plain strings where the spec has secret references.
 */
const ResolvedSchema = z.union([
  z.object({ secureConnectBundle: z.string().min(1), token: z.string().min(1) }).strict(),
  z
    .object({
      contactPoints: z.union([z.array(z.string().min(1)).min(1), z.string().min(1)]),
      localDataCenter: z.string().min(1),
      username: z.string().min(1).optional(),
      password: z.string().min(1).optional(),
    })
    .strict(),
]);
export type ResolvedCassandraConnection = z.infer<typeof ResolvedSchema>;

export function parseResolved(connection: ResolvedConnection): ResolvedCassandraConnection {
  const r = ResolvedSchema.safeParse(connection);
  if (!r.success)
    throw configError(
      'connection must be { contactPoints, localDataCenter, username?, password? } or { secureConnectBundle, token } ' +
        `(got fields: ${Object.keys(connection).join(', ') || 'none'})`,
      'cassandra',
    );
  return r.data;
}

/**
 * Driver options for one session. int64 and varint travel as JS bigint both ways; statements are
 * prepared (typed binding, token-aware routing). Astra DB: the driver reads the bundle (zip of
 * config.json + TLS material), asks the metadata service for contact points, and authenticates with the
 * literal user name "token" and the token as password.
 */
export function buildClientOptions(conn: ResolvedCassandraConnection, endpoint: Pick<CassandraEndpoint, 'consistency'>): ClientOptions {
  const common: ClientOptions = {
    encoding: { useBigIntAsLong: true, useBigIntAsVarint: true },
    queryOptions: { consistency: types.consistencies[endpoint.consistency], prepare: true },
    socketOptions: { connectTimeout: 10_000, readTimeout: 60_000 },
  };
  if ('secureConnectBundle' in conn) {
    return { ...common, cloud: { secureConnectBundle: conn.secureConnectBundle }, credentials: { username: 'token', password: conn.token } };
  }
  const contactPoints = Array.isArray(conn.contactPoints)
    ? conn.contactPoints
    : conn.contactPoints
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
  return {
    ...common,
    contactPoints,
    localDataCenter: conn.localDataCenter,
    ...(conn.username && conn.password ? { credentials: { username: conn.username, password: conn.password } } : {}),
  };
}

/** The bundle must be readable on the worker; the driver's own error for a missing file is an opaque ENOENT. */
export async function checkBundle(conn: ResolvedCassandraConnection): Promise<void> {
  if (!('secureConnectBundle' in conn)) return;
  try {
    await fs.access(conn.secureConnectBundle, fs.constants.R_OK);
  } catch {
    throw configError(`secure connect bundle ${conn.secureConnectBundle} is not readable on this worker`, 'cassandra');
  }
}
