import { descriptor } from '../contract';
import { PostgresEndpointSchema } from './spec';
import { PG_DIGEST_KIND } from './digest';
import type * as Session from './session';
import type * as Catalog from './catalog';

/** The driver-bearing module, loaded on first open only (see ConnectorDescriptor in ../contract). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const session = (): typeof Session => require('./session');

export const postgres = descriptor({
  type: 'postgres',
  connectionUrls: [{ field: 'url', schemes: ['postgres:', 'postgresql:'], hostParam: 'host' }],
  description: 'PostgreSQL (pg driver): keyset reads on the key tuple, COPY-staged upserts',
  capabilities: {
    source: true,
    target: true,
    passthrough: true,
    foreignKeys: true,
    storeDigest: PG_DIGEST_KIND,
    notes: [
      'Key: the primary key (one or several columns) or `key`; keyset pagination on the whole tuple.',
      'Partitions on the leading key column: integers split min..max evenly; other types by percentile_disc boundaries.',
      'Reads page by key (keyset pagination), one index range scan per batch, each page as COPY (SELECT …) TO STDOUT text parsed into rows by the columns’ catalog types.',
      'Writes: COPY straight into the table until a batch meets an existing key, from then on COPY into a temp table then INSERT … ON CONFLICT (key…) DO UPDATE (writeMode: copy), or multi-row INSERT (writeMode: insert).',
      'Connections: a closed session’s pool (2 connections) waits up to 10 s for the next session to the same URL, at most 16 per worker process (pools.ts).',
      'A batch rejected for its data (SQLSTATE 22xxx/23xxx) is retried row by row; bad rows follow onRecordError.',
      "Query sources: `query` (a SELECT, joins allowed) with a required `key`, read as SELECT … FROM (query) AS q by keyset; described from the result columns' type OIDs (SELECT * FROM (query) q LIMIT 0); cannot be a target.",
      'Validation pushdown (PostgreSQL → PostgreSQL, transforms that only rename/select/drop): each side counts and sums 64-bit hashes of its rows in SQL (hash_record_extended from PostgreSQL 14, hashtextextended of the row text on 13); a mismatch is checked again with the canonical scan.',
      'Types: exact native types are kept for PostgreSQL → PostgreSQL; arrays, enums, intervals and other types travel as their text form.',
    ],
  },
  endpointSchema: PostgresEndpointSchema,
  objectName: (e) => (e.table ? `${e.schema}.${e.table}` : `(${e.query!.replace(/\s+/g, ' ').trim().slice(0, 60)})`),
  open: async (e, connection) => session().openPostgres(e, connection),
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  list: async (scope, connection) => (require('./catalog') as typeof Catalog).listPostgres(scope, connection),
  targetNaming: (name) => ({ table: name }),
});
