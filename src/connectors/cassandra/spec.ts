import { z } from 'zod';
import { SecretRefSchema } from '../../job/secret-ref';

const identifier = z
  .string()
  .regex(/^\w{1,48}$/, 'letters, digits and _ only, at most 48 (Cassandra keyspace/table names)')
  .describe('A Cassandra keyspace or table name (quoted as given, so case matters)');

/**
 * Three ways to reach a cluster: contact points (+ optional user/password), an Astra DB secure
 * connect bundle + application token, or a connection named in the worker connections file.
 * Credentials are secret references only: a literal password or token would land in workflow history.
 */
export const CassandraConnectionSchema = z
  .object({
    name: z.string().min(1).optional().describe('A connection named in the worker connections file'),
    contactPoints: z
      .union([z.array(z.string().min(1)).min(1), SecretRefSchema])
      .optional()
      .describe('host or host:port list, or a secret reference to a comma-separated list'),
    localDataCenter: z.string().min(1).optional().describe('data center of the contact points (e.g. datacenter1)'),
    username: SecretRefSchema.optional(),
    password: SecretRefSchema.optional(),
    secureConnectBundle: z.string().min(1).optional().describe('Astra DB: path on the worker of the secure connect bundle (.zip)'),
    token: SecretRefSchema.optional().describe('Astra DB: application token (AstraCS:…), as a secret reference'),
  })
  .strict()
  .superRefine((c, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    const given = Object.keys(c).filter((k) => c[k as keyof typeof c] !== undefined);
    if (c.name) {
      if (given.length > 1) issue('name', 'a named connection takes no other connection fields');
      return;
    }
    if (c.secureConnectBundle || c.token) {
      if (!c.secureConnectBundle) issue('secureConnectBundle', 'Astra DB needs the secure connect bundle path with the token');
      if (!c.token) issue('token', 'Astra DB needs an application token (a secret reference) with the bundle');
      for (const k of ['contactPoints', 'localDataCenter', 'username', 'password'] as const)
        if (c[k] !== undefined) issue(k, 'not used with a secure connect bundle (the bundle names the cluster; the token authenticates)');
      return;
    }
    if (!c.contactPoints) issue('contactPoints', 'give contactPoints and localDataCenter, or secureConnectBundle and token, or name');
    if (!c.localDataCenter) issue('localDataCenter', 'required with contactPoints');
    if (!c.username !== !c.password) issue(c.username ? 'password' : 'username', 'username and password go together');
  });

const columnList = z
  .array(identifier)
  .min(1)
  .max(32)
  .refine((cols) => new Set(cols).size === cols.length, 'a column is named twice');

export const CassandraEndpointSchema = z
  .object({
    type: z.literal('cassandra'),
    connection: CassandraConnectionSchema,
    keyspace: identifier,
    table: identifier,
    key: z
      .union([identifier, z.array(identifier).min(1).max(32)])
      .optional()
      .describe('source: the column(s) identifying a row, in key order (default: the primary key, partition key columns then clustering columns)'),
    partitionKey: columnList
      .optional()
      .describe("target: partition key columns of a created table (default: the records' first key field); key fields of the records only"),
    clusteringKey: columnList
      .optional()
      .describe("target: clustering columns of a created table (default: the records' key fields after the partition key, in key order)"),
    replication: z
      .record(z.string(), z.union([z.string(), z.number().int().min(1)]))
      .refine((r) => typeof r.class === 'string', 'replication needs a "class" (SimpleStrategy, NetworkTopologyStrategy)')
      .default({ class: 'SimpleStrategy', replication_factor: 1 })
      .describe('target: replication of the keyspace when it has to be created'),
    concurrency: z.number().int().min(1).max(1024).default(64).describe('target: INSERTs in flight at once per chunk'),
    consistency: z.enum(['one', 'localOne', 'quorum', 'localQuorum', 'eachQuorum', 'all']).default('localQuorum'),
    nullToUnset: z
      .boolean()
      .default(true)
      .describe('target: leave null cells unset instead of writing tombstones (as DSBulk does); false overwrites existing cells with null'),
  })
  .strict()
  .superRefine((e, ctx) => {
    const both = (e.partitionKey ?? []).filter((c) => e.clusteringKey?.includes(c));
    if (both.length)
      ctx.addIssue({ code: 'custom', path: ['clusteringKey'], message: `${both.join(', ')} cannot be both a partition key and a clustering column` });
  });

export type CassandraEndpoint = z.infer<typeof CassandraEndpointSchema>;
