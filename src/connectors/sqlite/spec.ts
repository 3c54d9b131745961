import { z } from 'zod';
import { SecretRefSchema } from '../../job/secret-ref';

const identifier = z.string().min(1).max(128).describe('A SQLite identifier (quoted as given)');

export const DATE_ENCODINGS = ['iso', 'epochSeconds', 'epochMillis', 'julianDay'] as const;
export type DateEncoding = (typeof DATE_ENCODINGS)[number];

/**
 * A database file is a location on the worker, like a URL: it is given as a secret reference (the path in an
 * environment variable or a file) or as a named connection of the worker's connections file, never literally.
 */
export const SqliteConnectionSchema = z
  .object({
    path: SecretRefSchema.optional().describe('Path of the database file on the worker, as a secret reference'),
    name: z.string().min(1).optional().describe('A connection named in the worker connections file (with a `path`)'),
  })
  .strict()
  .refine((c) => (c.path ? 1 : 0) + (c.name ? 1 : 0) === 1, {
    message: 'give exactly one of path (a secret reference) or name (a named connection)',
  })
  .meta({ oneOf: [{ required: ['path'] }, { required: ['name'] }] });

export const SqliteEndpointSchema = z
  .object({
    type: z.literal('sqlite'),
    connection: SqliteConnectionSchema,
    table: identifier.optional().describe('The table to read or write; exactly one of table or query'),
    query: z.string().min(1).optional().describe('A SELECT read as a subquery by keyset on `key` (source only); exactly one of table or query'),
    key: z
      .union([identifier, z.array(identifier).min(1).max(32)])
      .optional()
      .describe('Key column(s), unique and non-null per row, in key order; defaults to the primary key (or rowid); required with query'),
    dateColumns: z
      .record(z.string(), z.enum([...DATE_ENCODINGS, 'auto']))
      .optional()
      .describe('How date/time columns are stored: ISO text, epoch seconds or milliseconds, or Julian day; auto detects from a sample'),
    typeCheckSample: z
      .number()
      .int()
      .min(0)
      .max(1_000_000)
      .default(1000)
      .describe('Rows sampled by describe() to find the storage classes (typeof) actually present in each column'),
  })
  .strict()
  .superRefine((e, ctx) => {
    if ((e.table ? 1 : 0) + (e.query ? 1 : 0) !== 1)
      ctx.addIssue({ code: 'custom', path: [e.query ? 'query' : 'table'], message: 'give exactly one of table or query' });
    if (e.query && e.key === undefined)
      ctx.addIssue({ code: 'custom', path: ['key'], message: 'a query source needs key: the column(s) unique per result row, to read it by keyset' });
  })
  .meta({ oneOf: [{ required: ['table'] }, { required: ['query', 'key'] }] });

export type SqliteEndpoint = z.infer<typeof SqliteEndpointSchema>;
