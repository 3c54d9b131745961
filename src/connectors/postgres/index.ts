import { configError } from '../../errors';
import type { Connector } from '../contract';
import { PostgresSession } from './session';
import { PostgresEndpointSchema, type PostgresEndpoint } from './spec';

export const postgresConnector: Connector = {
  type: 'postgres',
  description: 'PostgreSQL (pg driver): keyset reads on a single-column key, COPY-staged upserts',
  capabilities: {
    source: true,
    target: true,
    notes: [
      'Partitions: integer keys split min..max evenly; other keys by percentile_disc boundaries.',
      'Reads page by key (keyset pagination), one index range scan per batch.',
      'Writes: COPY into a temp table then INSERT … ON CONFLICT (key) DO UPDATE (writeMode: copy), or multi-row INSERT (writeMode: insert).',
      'A batch rejected for its data (SQLSTATE 22xxx/23xxx) is retried row by row; bad rows follow onRecordError.',
      'Types: exact native types are kept for PostgreSQL → PostgreSQL; arrays, enums, intervals and other types travel as their text form.',
    ],
  },
  endpointSchema: PostgresEndpointSchema,
  async open(endpoint, connection, log) {
    const url = connection.url;
    if (typeof url !== 'string') throw configError('connection.url did not resolve to a string', 'postgres');
    return new PostgresSession(endpoint as PostgresEndpoint, url, log);
  },
};
