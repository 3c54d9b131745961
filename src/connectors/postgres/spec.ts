import { z } from 'zod';
import { urlConnectionSchema } from '../../job/secret-ref';

const identifier = z
  .string()
  .min(1)
  .max(63)
  .describe('A PostgreSQL identifier (quoted as given, so case matters)');

export const PostgresConnectionSchema = urlConnectionSchema('postgres:// connection URL, as a secret reference');

export const PostgresEndpointSchema = z
  .object({
    type: z.literal('postgres'),
    connection: PostgresConnectionSchema,
    schema: identifier.default('public'),
    table: identifier,
    key: z
      .union([identifier, z.array(identifier).min(1).max(32)])
      .optional()
      .describe('Key column(s), unique and non-null per row, in key order; defaults to the primary key (one or several columns)'),
    writeMode: z
      .enum(['copy', 'insert'])
      .default('copy')
      .describe('copy: COPY into a temp table then INSERT … ON CONFLICT; insert: multi-row INSERT … ON CONFLICT'),
  })
  .strict();

export type PostgresEndpoint = z.infer<typeof PostgresEndpointSchema>;
