import { z } from 'zod';
import { urlConnectionSchema } from '../../job/secret-ref';

export const MongoConnectionSchema = urlConnectionSchema('mongodb:// or mongodb+srv:// connection string, as a secret reference');

export const MongoEndpointSchema = z
  .object({
    type: z.literal('mongodb'),
    connection: MongoConnectionSchema,
    database: z
      .string()
      .min(1)
      .max(63)
      .regex(/^[^/\\. "$]+$/, 'a MongoDB database name: no / \\ . space " or $'),
    collection: z
      .string()
      .min(1)
      .max(255)
      .regex(/^[^$\0]+$/, 'a MongoDB collection name: no $ or NUL'),
    key: z
      .union([
        z.string().min(1),
        z
          .array(z.string().min(1))
          .min(1)
          .max(32)
          .refine((k) => new Set(k).size === k.length, 'key fields must be distinct'),
      ])
      .optional()
      .describe(
        'source: the unique, indexed field to page by (default _id), or a list of fields for a composite key (pages in ' +
          'that order, partitions on the first). A target stores a one-field key in _id, a composite key as an _id ' +
          'document {k1: v1, k2: v2} plus the key fields themselves.',
      ),
    filter: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('source only: a query document selecting what to migrate; Extended JSON is accepted ({"$date": …}, {"$oid": …})'),
    sampleSize: z
      .union([z.number().int().min(1).max(1_000_000), z.literal('all')])
      .default(1000)
      .describe(
        'documents describe() reads to infer fields and types (a $sample where the server has it, else the first ones); ' +
          '"all" infers from a full scan of the collection (or of the filter). Fields the inference did not see follow ' +
          "the job's onUnknownField (default: carried in _extra)",
      ),
    writeMode: z
      .enum(['auto', 'upsert', 'insert'])
      .default('auto')
      .describe(
        'upsert: unordered bulk replaceOne(upsert) by _id; insert: insertMany, then replace only the documents that already ' +
          'existed — same end state, much faster where the target is fresh or _id lookups are slow (FerretDB); ' +
          'auto (default): insert until a batch meets a document that already exists, upsert from then on in that session',
      ),
    decimalAs: z
      .enum(['decimal128', 'string', 'double'])
      .default('decimal128')
      .describe('how decimal values are stored; FerretDB has no Decimal128, use string there'),
  })
  .strict();

export type MongoEndpoint = z.infer<typeof MongoEndpointSchema>;

/** The source key's field names, in key order. */
export const keyNamesOf = (e: Pick<MongoEndpoint, 'key'>): string[] => (e.key === undefined ? ['_id'] : typeof e.key === 'string' ? [e.key] : [...e.key]);
