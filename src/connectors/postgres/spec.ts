import { z } from 'zod';
import { urlConnectionSchema } from '../../job/secret-ref';

const identifier = z.string().min(1).max(63).describe('A PostgreSQL identifier (quoted as given, so case matters)');

export const PostgresConnectionSchema = urlConnectionSchema('postgres:// connection URL, as a secret reference');

export const PostgresEndpointSchema = z
  .object({
    type: z.literal('postgres'),
    connection: PostgresConnectionSchema,
    schema: identifier.default('public'),
    table: identifier.optional().describe('The table to read or write; exactly one of table or query'),
    query: z.string().min(1).optional().describe('A SELECT read as a subquery by keyset on `key` (source only); exactly one of table or query'),
    key: z
      .union([identifier, z.array(identifier).min(1).max(32)])
      .optional()
      .describe('Key column(s), unique and non-null per row, in key order; defaults to the primary key (one or several columns)'),
    writeMode: z
      .enum(['copy', 'insert'])
      .default('copy')
      .describe(
        'copy: COPY straight into the table until a batch meets an existing key, then COPY into a temp table and INSERT … ON CONFLICT; insert: multi-row INSERT … ON CONFLICT',
      ),
  })
  .strict()
  .superRefine((e, ctx) => {
    if ((e.table ? 1 : 0) + (e.query ? 1 : 0) !== 1)
      ctx.addIssue({ code: 'custom', path: [e.query ? 'query' : 'table'], message: 'give exactly one of table or query' });
    if (e.query && e.key === undefined)
      ctx.addIssue({ code: 'custom', path: ['key'], message: 'a query source needs key: the column(s) unique per result row, to read it by keyset' });
  });

export type PostgresEndpoint = z.infer<typeof PostgresEndpointSchema>;
