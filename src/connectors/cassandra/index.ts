import { descriptor } from '../contract';
import { CassandraEndpointSchema } from './spec';
import type * as Session from './session';

/** The driver-bearing module, loaded on first open only (see ConnectorDescriptor in ../contract). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const session = (): typeof Session => require('./session');

export const cassandra = descriptor({
  type: 'cassandra',
  description: 'Apache Cassandra / Astra DB (cassandra-driver 4): token-range reads with paging state, concurrent prepared INSERTs',
  capabilities: {
    source: true,
    target: true,
    notes: [
      'Source key: the primary key, partition key columns then clustering columns (or `key`: one column or a list).',
      'Partitions: the Murmur3 token ring split into equal ranges; each is read with token(p1, p2) > ? AND token(p1, p2) <= ?, paged by the driver: token order, then clustering order.',
      'Cursor: { lower, pageState, token, partition, clustering }: the paging state resumes exactly after the last page; without one (or refused) the read resumes after the last row: the rest of its partition (p1 = ? AND (c1, c2) > (?, ?)), then token(pk) > its token.',
      "Target: keyspace (replication configurable, default SimpleStrategy rf 1) and table created when missing, PRIMARY KEY ((partitionKey), clusteringKey) — default: the records' first key field partitions, the others cluster.",
      "An existing target's primary key must hold exactly the records' key fields (as a set).",
      'Writes: prepared INSERT (an upsert by primary key), `concurrency` in flight (default 64); nulls left unset by default (no tombstones); a null key column rejects the record.',
      'Types: int64→bigint, decimal→decimal, timestamptz/timestamp→timestamp (milliseconds), json→text (JSON), bytes→blob, uuid→uuid, objectid→text.',
      'Connections: contact points + local DC (+ user/password secret refs), Astra DB secure connect bundle + token secret ref, or a named connection.',
    ],
  },
  endpointSchema: CassandraEndpointSchema,
  objectName: (e) => `${e.keyspace}.${e.table}`,
  open: async (e, connection, log) => session().openCassandra(e, connection, log),
  targetNaming: (name) => ({ table: name }),
});
