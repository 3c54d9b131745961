import { z } from 'zod';
import { SecretRefSchema, namedOrFields } from '../../job/secret-ref';

/** Firestore types a target field can be declared as, where the records carry them in neutral form. */
export const FIRESTORE_FIELD_TYPES = ['geopoint', 'reference', 'timestamp', 'bytes', 'integer'] as const;
export type FirestoreFieldType = (typeof FIRESTORE_FIELD_TYPES)[number];

/**
 * A project id plus either a service-account JSON by secret reference (a literal key would land in
 * workflow history) or an emulator host. Without either, Google's application default credentials apply.
 */
export const FirestoreConnectionSchema = z
  .object({
    name: z.string().min(1).optional().describe('A connection named in the worker connections file'),
    projectId: z
      .string()
      .regex(/^[a-z][a-z0-9-]{4,61}[a-z0-9]$/, 'a Google Cloud project id (6–63 of a-z 0-9 -)')
      .optional(),
    credentials: SecretRefSchema.optional().describe('service-account JSON key, as a secret reference ({file} or {env})'),
    emulatorHost: z
      .string()
      .regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'host:port')
      .optional()
      .describe('a Firestore emulator, e.g. 127.0.0.1:58080 (default: FIRESTORE_EMULATOR_HOST of the worker)'),
    databaseId: z.string().min(1).max(63).default('(default)'),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.name) {
      if (c.projectId || c.credentials || c.emulatorHost)
        ctx.addIssue({ code: 'custom', path: ['name'], message: 'a named connection takes no other connection fields' });
      return;
    }
    if (!c.projectId) ctx.addIssue({ code: 'custom', path: ['projectId'], message: 'required (or name a connection)' });
    if (c.credentials && c.emulatorHost) ctx.addIssue({ code: 'custom', path: ['credentials'], message: 'the emulator takes no credentials' });
  })
  .meta(namedOrFields(['projectId', 'credentials', 'emulatorHost'], ['projectId']));

/** A collection path: odd number of segments (`users`, `users/u1/orders`), no empty segment. */
const collectionPath = z
  .string()
  .min(1)
  .max(1500)
  .regex(/^[^/]+(\/[^/]+\/[^/]+)*$/, 'a collection path: users or users/u1/orders (an odd number of / separated segments)');

export const FirestoreEndpointSchema = z
  .object({
    type: z.literal('firestore'),
    connection: FirestoreConnectionSchema,
    collection: collectionPath.optional(),
    collectionGroup: z
      .string()
      .regex(/^[^/]+$/, 'a collection id (no /)')
      .optional()
      .describe('source: every collection with this id, under any parent; the key is then the document path'),
    includeSubcollections: z
      .boolean()
      .default(false)
      .describe('source: each document carries its subcollections (found with listCollections) in the field _subcollections'),
    subcollectionLimit: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .default(1_000)
      .describe('source: most subcollection documents (all levels) one document may carry; more → the record follows onRecordError'),
    keyField: z
      .string()
      .min(1)
      .max(1500)
      .default('id')
      .describe('the field the document id is read into (collection group: the document path); a target keys by the schema key'),
    sampleSize: z.number().int().min(1).max(100_000).default(1000).describe('documents describe() reads (the first ones by id) to infer fields and types'),
    writeMode: z.enum(['replace', 'merge']).default('replace').describe('target: BulkWriter set() replacing the document, or merging into it'),
    throttling: z
      .union([z.boolean(), z.object({ initialOpsPerSecond: z.number().int().min(1).optional(), maxOpsPerSecond: z.number().int().min(1).optional() }).strict()])
      .optional()
      .describe("target: BulkWriter's 500/50/5 ramp-up (default on; off against the emulator)"),
    fieldTypes: z
      .record(z.string().min(1), z.enum(FIRESTORE_FIELD_TYPES))
      .optional()
      .describe('target: store these fields (dotted paths into maps) as Firestore types: geopoint from {latitude, longitude}, reference from a path'),
    references: z
      .record(z.string().min(1), z.string().min(1))
      .optional()
      .describe('target: reference path prefixes to rewrite on write, e.g. {"users": "users_copy"}; references always point into the target project'),
    maxDocumentBytes: z
      .number()
      .int()
      .min(1)
      .max(1_048_576)
      .default(1_048_576)
      .describe('target: documents larger than this (as Firestore counts storage size) are rejected records'),
  })
  .strict()
  .superRefine((e, ctx) => {
    if (!e.collection === !e.collectionGroup)
      ctx.addIssue({ code: 'custom', path: ['collection'], message: 'give exactly one of collection (a path) or collectionGroup (an id)' });
  })
  .meta({ oneOf: [{ required: ['collection'] }, { required: ['collectionGroup'] }] });

export type FirestoreEndpoint = z.infer<typeof FirestoreEndpointSchema>;
