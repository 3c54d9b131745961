import { descriptor } from '../contract';
import { SqliteEndpointSchema } from './spec';
import type * as Session from './session';
import type * as List from './list';

/** The driver-bearing module, loaded on first open only (see ConnectorDescriptor in ../contract). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const session = (): typeof Session => require('./session');

export const sqlite = descriptor({
  type: 'sqlite',
  description: 'SQLite (better-sqlite3 12): keyset reads on the key tuple, one upsert transaction per batch; tables or query sources',
  capabilities: {
    source: true,
    target: true,
    notes: [
      'Connection: the database file path as a secret reference ({env}|{file}) or a named connection; a source opens it read-only (it must exist), a target read-write in WAL mode (created if missing).',
      'Key: the primary key in pk order or `key`; a rowid table without a declared primary key is keyed by rowid, which travels as a column named rowid. WITHOUT ROWID tables always have one.',
      'Types: declared types → neutral types by SQLite affinity rules (INT→int64, REAL/FLOA/DOUB→float64, CHAR/CLOB/TEXT→string, BLOB→bytes, other→decimal) with BOOL, DATE/DATETIME/TIMESTAMP, JSON, UUID, DECIMAL recognised first; an undeclared column takes the storage class its sample shows.',
      'Dynamic typing: describe() samples typeof() over typeCheckSample rows (default 1000) and logs what it found; at read a value whose storage class does not fit its column (text in INTEGER, a real in INTEGER, a blob in TEXT) makes the row a rejected record naming the column and storage class (onRecordError, stage read), never 0 or null.',
      'Dates: per column ISO text, epoch seconds, epoch milliseconds or Julian day (dateColumns); auto detects from the sample and shows the choice in nativeType, e.g. "DATETIME (epochMillis)". Epochs and Julian days read as timestamptz; zone-less ISO text as timestamp.',
      'Partitions on the leading key column: integers min..max evenly, other types at ordered-sample offsets; keyset pages WHERE (a, b) > (?, ?) ORDER BY a, b LIMIT n; the cursor is the last key (int64 as decimal text).',
      'Target: CREATE TABLE from the schema with PRIMARY KEY (key…); decimals as DECIMAL_TEXT, timestamps/dates/UUIDs/JSON as *_TEXT (TEXT affinity keeps them exactly as written), booleans 0/1, bytes BLOB; INSERT … ON CONFLICT (key…) DO UPDATE, one transaction per batch; a row refused by a constraint is rejected alone; dead letters in _datamigrato_dead_letters.',
      'Query sources: `query` (a SELECT, joins allowed) with a required `key`, read as SELECT * FROM (query) AS q by keyset; described from the prepared statement columns; cannot be a target.',
    ],
  },
  endpointSchema: SqliteEndpointSchema,
  objectName: (e) => e.table ?? `(${e.query!.replace(/\s+/g, ' ').trim().slice(0, 60)})`,
  open: async (e, connection, log) => session().openSqlite(e, connection, log),
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  list: async (_scope, connection) => (require('./list') as typeof List).listSqlite(connection),
  targetNaming: (name) => ({ table: name }),
});
