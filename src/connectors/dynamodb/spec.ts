import { z } from 'zod';
import { SecretRefSchema, namedOrFields } from '../../job/secret-ref';

/**
 * A region and, optionally, an endpoint URL (local servers) and static credentials. Credentials are
 * secret references only (a literal key would land in workflow history); without them the AWS SDK's
 * default provider chain applies (environment, profile, web identity, instance role).
 */
export const DynamoConnectionSchema = z
  .object({
    name: z.string().min(1).optional().describe('A connection named in the worker connections file'),
    region: z
      .string()
      .regex(/^[a-z0-9-]{2,32}$/, 'an AWS region such as us-east-1')
      .optional(),
    endpoint: z
      .string()
      .url()
      .regex(/^https?:\/\//, 'an http(s) URL')
      .optional()
      .describe('custom endpoint URL, e.g. http://127.0.0.1:58000 for a local server'),
    accessKeyId: SecretRefSchema.optional(),
    secretAccessKey: SecretRefSchema.optional(),
    sessionToken: SecretRefSchema.optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (c.name) {
      if (Object.keys(c).some((k) => k !== 'name' && c[k as keyof typeof c] !== undefined))
        issue('name', 'a named connection takes no other connection fields');
      return;
    }
    if (!c.region) issue('region', 'required (or name a connection)');
    if (!c.accessKeyId !== !c.secretAccessKey) issue(c.accessKeyId ? 'secretAccessKey' : 'accessKeyId', 'accessKeyId and secretAccessKey go together');
    if (c.sessionToken && !c.accessKeyId) issue('sessionToken', 'a session token goes with accessKeyId and secretAccessKey');
  })
  .meta(namedOrFields(['region', 'endpoint', 'accessKeyId', 'secretAccessKey', 'sessionToken'], ['region']));

const attributeName = z.string().min(1).max(255);

export const DynamoEndpointSchema = z
  .object({
    type: z.literal('dynamodb'),
    connection: DynamoConnectionSchema,
    table: z.string().regex(/^[A-Za-z0-9_.-]{3,255}$/, 'a DynamoDB table name: 3–255 of A-Z a-z 0-9 _ . -'),
    key: z.array(attributeName).min(1).max(2).optional().describe("source: the key fields (default the table's key schema: [partition key, sort key?])"),
    segments: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .optional()
      .describe('source: parallel Scan segments (TotalSegments); default the number of partitions the job asks for'),
    sampleSize: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(1000)
      .describe('items scanned by describe() to infer fields and types; others follow onUnknownField'),
    create: z
      .object({ partitionKey: attributeName.optional(), sortKey: attributeName.optional() })
      .strict()
      .optional()
      .describe('target: key of the table created (on-demand, PAY_PER_REQUEST) when it is missing; default the schema key'),
    maxItemBytes: z
      .number()
      .int()
      .min(1)
      .max(400 * 1024)
      .default(400 * 1024)
      .describe('target: items larger than this (as DynamoDB counts them: names + values) are rejected records'),
    retrySeconds: z
      .number()
      .min(1)
      .max(3600)
      .default(60)
      .describe('target: how long unprocessed items and throttling are retried with backoff before the batch fails (retryable)'),
  })
  .strict();

export type DynamoEndpoint = z.infer<typeof DynamoEndpointSchema>;
