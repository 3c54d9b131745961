import { descriptor } from '../contract';
import { CassandraEndpointSchema } from './spec';

export const cassandra = descriptor({
  type: 'cassandra',
  description: 'Apache Cassandra / Astra DB (cassandra-driver 4): token-range reads with paging state, concurrent prepared INSERTs',
  capabilities: {
    source: true,
    target: true,
    notes: [
      'Partitions: the Murmur3 token ring split into equal ranges; each is read with token(pk) > ? AND token(pk) <= ?, paged by the driver.',
      'Cursor: { lower, pageState, token }: the paging state resumes exactly after the last page; the last token is the fallback.',
      "Target: keyspace (replication configurable, default SimpleStrategy rf 1) and table created when missing, PRIMARY KEY = the records' key.",
      'Writes: prepared INSERT (an upsert by primary key), `concurrency` in flight (default 64); nulls left unset by default (no tombstones).',
      'Types: int64→bigint, decimal→decimal, timestamptz/timestamp→timestamp (milliseconds), json→text (JSON), bytes→blob, uuid→uuid, objectid→text.',
      'Connections: contact points + local DC (+ user/password secret refs), Astra DB secure connect bundle + token secret ref, or a named connection.',
    ],
  },
  endpointSchema: CassandraEndpointSchema,
  objectName: (e) => `${e.keyspace}.${e.table}`,
  open: async (e, connection, log) => (await import('./session')).openCassandra(e, connection, log),
});
