import { z } from 'zod';
import { urlConnectionSchema } from '../../job/secret-ref';

export const MongoConnectionSchema = urlConnectionSchema('mongodb:// or mongodb+srv:// connection string, as a secret reference');

export const MongoEndpointSchema = z
  .object({
    type: z.literal('mongodb'),
    connection: MongoConnectionSchema,
    database: z.string().min(1).max(63).regex(/^[^/\\. "$]+$/, 'a MongoDB database name: no / \\ . space " or $'),
    collection: z.string().min(1).max(255).regex(/^[^$\0]+$/, 'a MongoDB collection name: no $ or NUL'),
    key: z
      .string()
      .min(1)
      .optional()
      .describe('source: the unique, indexed field to page by (default _id). A target always stores the key in _id.'),
    filter: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('source only: a query document selecting what to migrate; Extended JSON is accepted ({"$date": …}, {"$oid": …})'),
    sampleSize: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(1000)
      .describe('documents sampled by describe() to infer fields and types; fields never seen in the sample are not migrated'),
    writeMode: z
      .enum(['upsert', 'insert'])
      .default('upsert')
      .describe(
        'upsert: unordered bulk replaceOne(upsert) by _id; insert: insertMany, then replace only the documents that already ' +
          'existed — same end state, much faster where _id lookups are slow (FerretDB) or the target is fresh',
      ),
    decimalAs: z
      .enum(['decimal128', 'string', 'double'])
      .default('decimal128')
      .describe('how decimal values are stored; FerretDB has no Decimal128, use string there'),
  })
  .strict();

export type MongoEndpoint = z.infer<typeof MongoEndpointSchema>;
