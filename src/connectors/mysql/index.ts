import { descriptor } from '../contract';
import { MysqlEndpointSchema } from './spec';
import type * as Session from './session';
import type * as List from './list';

/** The driver-bearing module, loaded on first open only (see ConnectorDescriptor in ../contract). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const session = (): typeof Session => require('./session');

export const mysql = descriptor({
  type: 'mysql',
  connectionUrls: [{ field: 'url', schemes: ['mysql:', 'mariadb:'] }],
  description: 'MySQL / MariaDB (mysql2 driver): keyset reads on the key tuple, multi-row upserts or LOAD DATA-staged upserts',
  capabilities: {
    source: true,
    target: true,
    notes: [
      'Key: the primary key (one or several columns, KEY_COLUMN_USAGE order) or `key`; keyset pagination on the whole tuple, expanded to `a >= x AND (a > x OR (a = x AND b > y))` so MariaDB plans an index range scan.',
      'Partitions on the leading key column: integers split min..max evenly; other types by the key value at each quantile (ORDER BY k LIMIT 1 OFFSET n).',
      'Types follow pgloader-like casts (docs/connectors-mysql.md): tinyint(1) and bit(1) → boolean, bigint unsigned → decimal, set → json array, enum → string, time → string, datetime → timestamp, timestamp → timestamptz (UTC session).',
      "Zero dates ('0000-00-00…') are read as null and counted in the report's droppedFields (a value that cannot travel).",
      'Target tables: utf8mb4_bin, datetime(6) for both timestamp kinds (timestamptz in UTC), text keys as varchar(255), decimals as decimal(p,s) when the source gives p ≤ 65, s ≤ 30, else exact text.',
      'Writes: multi-row INSERT … ON DUPLICATE KEY UPDATE under max_allowed_packet (writeMode: upsert, the default, measured faster here) or LOAD DATA LOCAL INFILE into a temp table (writeMode: loadData); strict sql_mode; a batch refused for its data is retried row by row.',
      'Verified on MariaDB 10.11 (Debian) through the conformance suite and a MySQL → PostgreSQL acceptance test; MySQL 8 is expected to work (real JSON type handled) but was not run here.',
    ],
  },
  endpointSchema: MysqlEndpointSchema,
  objectName: (e) => (e.database ? `${e.database}.${e.table}` : e.table),
  open: async (e, connection, log) => session().openMysql(e, connection, log),
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  list: async (scope, connection) => (require('./list') as typeof List).listMysql(scope, connection),
  targetNaming: (name) => ({ table: name }),
});
