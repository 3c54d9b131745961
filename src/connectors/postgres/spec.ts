import { z } from 'zod';
import { SecretRefSchema } from '../../spec/secret-ref';

const identifier = z
  .string()
  .min(1)
  .max(63)
  .describe('A PostgreSQL identifier (quoted as given, so case matters)');

export const PostgresConnectionSchema = z
  .object({
    url: SecretRefSchema.optional().describe('postgres:// connection URL, as a secret reference'),
    name: z.string().min(1).optional().describe('A connection named in the worker connections file'),
  })
  .strict()
  .refine((c) => (c.url ? 1 : 0) + (c.name ? 1 : 0) === 1, {
    message: 'give exactly one of url (a secret reference) or name (a named connection)',
  });

export const PostgresEndpointSchema = z
  .object({
    type: z.literal('postgres'),
    connection: PostgresConnectionSchema,
    schema: identifier.default('public'),
    table: identifier,
    key: identifier.optional().describe('Key column; defaults to the single-column primary key'),
    writeMode: z
      .enum(['copy', 'insert'])
      .default('copy')
      .describe('copy: COPY into a temp table then INSERT … ON CONFLICT; insert: multi-row INSERT … ON CONFLICT'),
  })
  .strict();

export type PostgresEndpoint = z.infer<typeof PostgresEndpointSchema>;
