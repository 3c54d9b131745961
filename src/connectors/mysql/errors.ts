import { DatamigratoError, authError, schemaError, transientError } from '../../errors';

const CONNECTOR = 'mysql';

/** Server errors about a row's values: the batch is split and the rows at fault are rejected, not retried. */
const DATA_ERRORS = new Set([
  'ER_TRUNCATED_WRONG_VALUE', // 1292: bad date/number text
  'ER_TRUNCATED_WRONG_VALUE_FOR_FIELD', // 1366: 'abc' into an int column
  'ER_DATA_TOO_LONG', // 1406
  'ER_WARN_DATA_OUT_OF_RANGE', // 1264
  'ER_DATA_OUT_OF_RANGE', // 1690
  'WARN_DATA_TRUNCATED', // 1265: an enum/set value not in the list
  'ER_DUP_ENTRY', // 1062: a unique index other than the key (the key itself is the upsert's)
  'ER_BAD_NULL_ERROR', // 1048
  'ER_WARN_NULL_TO_NOTNULL', // 1263
  'ER_NO_DEFAULT_FOR_FIELD', // 1364
  'ER_INVALID_JSON_TEXT', // 3140 (MySQL's JSON type)
  'ER_CONSTRAINT_FAILED', // 4025 (MariaDB: JSON is longtext CHECK (json_valid(…)))
  'ER_CHECK_CONSTRAINT_VIOLATED', // 3819 (MySQL)
  'ER_ILLEGAL_VALUE_FOR_TYPE', // 1367
  'ER_WRONG_VALUE_FOR_TYPE', // 1411
  'ER_INVALID_CHARACTER_STRING', // 1300
  'ER_CANNOT_CONVERT_STRING', // 3854
  'ER_NO_REFERENCED_ROW_2', // 1452: a foreign key
  'ER_ROW_IS_REFERENCED_2', // 1451
  'ER_WRONG_VALUE', // 1525
  'ER_DIVISION_BY_ZERO', // 1365
]);

const AUTH_ERRORS = new Set(['ER_ACCESS_DENIED_ERROR', 'ER_DBACCESS_DENIED_ERROR', 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR', 'ER_NOT_SUPPORTED_AUTH_MODE']);

const SCHEMA_ERRORS = new Set([
  'ER_BAD_DB_ERROR', // 1049
  'ER_NO_SUCH_TABLE', // 1146
  'ER_BAD_FIELD_ERROR', // 1054
  'ER_TABLEACCESS_DENIED_ERROR', // 1142
  'ER_COLUMNACCESS_DENIED_ERROR', // 1143
  'ER_BAD_TABLE_ERROR', // 1051
  'ER_TOO_LONG_KEY', // 1071: a key wider than InnoDB's 3072 bytes
  'ER_BLOB_KEY_WITHOUT_LENGTH', // 1170
  'ER_WRONG_AUTO_KEY', // 1075
]);

const codeOf = (err: unknown) => (err as { code?: string } | null)?.code ?? '';

/** A refusal of this row's data, so the batch can be split to find the culprit. */
export const isDataError = (err: unknown) => DATA_ERRORS.has(codeOf(err));

/** Maps a mysql2/network error to a domain error: auth and schema problems are final, the rest retried. */
export function classifyMysqlError(err: unknown, what: string): DatamigratoError {
  if (err instanceof DatamigratoError) return err;
  const code = codeOf(err);
  const msg = `${what}: ${(err as { message?: string })?.message ?? String(err)}${code ? ` (${code})` : ''}`;
  if (AUTH_ERRORS.has(code)) return authError(msg, CONNECTOR, err);
  if (SCHEMA_ERRORS.has(code)) return schemaError(msg, CONNECTOR, err);
  // Connection refused/lost, timeouts, deadlocks, lock waits, too many connections and anything unknown.
  return transientError(msg, CONNECTOR, err);
}
