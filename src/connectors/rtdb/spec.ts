import { z } from 'zod';
import { SecretRefSchema, namedOrFields } from '../../job/secret-ref';

/**
 * The database URL (not a secret: it names a database, as a host name does) and, for a production
 * project, a service-account JSON by secret reference. A local server (firebase-server, the official
 * emulator) takes an http:// URL with `?ns=<namespace>` and no credentials.
 */
export const RtdbConnectionSchema = z
  .object({
    name: z.string().min(1).optional().describe('A connection named in the worker connections file'),
    databaseURL: z
      .string()
      .url()
      .regex(/^https?:\/\//, 'an http(s) URL')
      .optional()
      .describe('https://<db>.firebaseio.com, or http://127.0.0.1:<port>?ns=<name> for a local server'),
    credentials: SecretRefSchema.optional().describe('service-account JSON (the whole file) as a secret reference; none for a local server'),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.name && (c.databaseURL || c.credentials))
      ctx.addIssue({ code: 'custom', path: ['name'], message: 'a named connection takes no other connection fields' });
    if (!c.name && !c.databaseURL) ctx.addIssue({ code: 'custom', path: ['databaseURL'], message: 'required (or name a connection)' });
  })
  .meta(namedOrFields(['databaseURL', 'credentials'], ['databaseURL']));

/** A key segment name as RTDB allows it in a path: no . $ # [ ] / or control characters. */
// eslint-disable-next-line no-control-regex -- RTDB forbids control characters in keys
const PATH = /^\/?([^.$#[\]/\u0000-\u001f\u007f]+\/)*[^.$#[\]/\u0000-\u001f\u007f]+\/?$/;
const fieldName = z.string().min(1).max(200);

export const RtdbEndpointSchema = z
  .object({
    type: z.literal('rtdb'),
    connection: RtdbConnectionSchema,
    path: z.string().max(700).regex(PATH, 'a database path such as /users (segments without . $ # [ ] or control characters)'),
    keyField: fieldName.default('key').describe("the field a child's key is read into (source); a target writes the record's key as the child key"),
    groupByField: fieldName
      .optional()
      .describe(
        'children nested one level deeper, under the value of this field: <path>/<group>/<key> (target), read two levels with the group as this field (source)',
      ),
    keyEncoding: z
      .enum(['percent', 'reject'])
      .default('percent')
      .describe('keys holding . $ # [ ] / % or control characters: percent-encoded (%2E …, decoded on read) or rejected records'),
    datesAs: z
      .enum(['iso', 'epochMs'])
      .default('iso')
      .describe('how timestamps and dates are stored: ISO-8601 text (microseconds kept) or epoch milliseconds (numbers; finer fractions lost)'),
    sampleSize: z.number().int().min(1).max(100_000).default(1000).describe('children describe() reads to infer fields and types'),
    maxChildrenPerUpdate: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(500)
      .describe('target: children per multi-path update() (RTDB allows 1,000; firebase-server slows sharply past that)'),
    maxUpdateBytes: z
      .number()
      .int()
      .min(1024)
      .max(16 * 1024 * 1024 - 1)
      .default(8 * 1024 * 1024)
      .describe('target: JSON bytes per update() (RTDB refuses writes of 16 MB and more)'),
    timeoutSeconds: z.number().min(1).max(600).default(60).describe('every server call; past it the call fails as retryable'),
  })
  .strict();

export type RtdbEndpoint = z.infer<typeof RtdbEndpointSchema>;
