import { descriptor } from '../contract';
import { FileEndpointSchema } from './spec';
import type * as Session from './session';

/** The driver-bearing module (parsers, zlib, fetch), loaded on first open only (see ConnectorDescriptor in ../contract). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const session = (): typeof Session => require('./session');

export const file = descriptor({
  type: 'file',
  description: 'JSON array, NDJSON or CSV from a local path or an http(s) URL (gzip detected), streamed; NDJSON or CSV to a local file',
  capabilities: {
    source: true,
    target: true,
    documentStore: true,
    notes: [
      'Location: `url` is a path on the worker, a file:// URL or an http(s):// URL (source only). Secret HTTP headers (Authorization) go in connection.headers as secret references; a URL with a password is refused.',
      'Format: json (one top-level array, streamed with stream-json), ndjson (one object a line) or csv (csv-parse; header line, delimiter, quote); from `format`, else the extension (.json, .ndjson/.jsonl, .csv, with .gz), else the HTTP content-type. Compression auto: gzip when the bytes start with the gzip magic bytes.',
      'Key: `key` (one or several fields) or, by default, the record number as the int64 field _line (the line for NDJSON and CSV, the element number for a JSON array).',
      'Schema: `schema` (given) or inferred from the first sampleSize records (default 1000); JSON records are open: fields the sample did not see follow onUnknownField (default: carried in _extra). CSV cells are typed from their text (integers, decimals, true/false, else string); an unquoted empty cell is null, "" the empty string.',
      'Reads: one partition (a file is sequential); the cursor is {line, offset}. Resume: a local uncompressed NDJSON file seeks to the byte offset; over http(s) a Range request is sent and used when the server answers 206; gzip, CSV, JSON arrays and servers without Range re-read from the start and skip to the cursor line (logged).',
      'Bad input: a malformed line, a record that is not an object, a CSV row with the wrong number of fields or a value that does not fit its field is a read-stage rejected record (onRecordError) whose error names the line. A JSON array that stops parsing ends the read with a ConfigError naming the position.',
      'Target: a local NDJSON or CSV file (gzip when the path ends in .gz or compression: gzip), upserted by key: new keys are appended batch by batch under a lock file; a batch with keys already in the file (a replay) rewrites the file without them and renames it into place, so every key is written once. Memory: the set of keys in the file. JSON arrays cannot be a target. Dead letters: <path>.dead-letters.ndjson.',
    ],
  },
  endpointSchema: FileEndpointSchema,
  objectName: (e) => e.url.replace(/\?.*$/, '?…'),
  open: async (e, connection, log) => session().openFile(e, connection, log),
});
