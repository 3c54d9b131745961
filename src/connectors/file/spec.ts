import { z } from 'zod';
import { SecretRefSchema } from '../../job/secret-ref';

export const FILE_FORMATS = ['json', 'ndjson', 'csv'] as const;
export type FileFormat = (typeof FILE_FORMATS)[number];

const fieldName = z.string().min(1).max(256);

/**
 * A file is named by its location, which is not a secret (a path on the worker or a URL). What may be
 * secret travels as references: HTTP headers (an `Authorization` token). A URL with a password is refused,
 * because the endpoint is stored in workflow history.
 */
export const FileConnectionSchema = z
  .object({
    headers: z.record(z.string().min(1), SecretRefSchema).optional().describe('HTTP request headers (e.g. Authorization), each a secret reference'),
  })
  .strict();

const CsvOptionsSchema = z
  .object({
    delimiter: z.string().min(1).max(4).default(','),
    header: z.boolean().default(true).describe('The first line names the columns; without it columns are c1, c2, …'),
    quote: z.string().length(1).default('"'),
    skipEmptyLines: z.boolean().default(true),
  })
  .strict();

const FieldSchemaSchema = z
  .object({
    name: fieldName,
    type: z.enum(['string', 'int32', 'int64', 'float64', 'decimal', 'boolean', 'timestamptz', 'timestamp', 'date', 'uuid', 'json', 'bytes', 'objectid']),
    nullable: z.boolean().default(true),
  })
  .strict();

export const FileEndpointSchema = z
  .object({
    type: z.literal('file'),
    connection: FileConnectionSchema.default({}),
    url: z.string().min(1).describe('A path on the worker (absolute, or relative to its working directory), a file:// URL, or an http(s):// URL (source only)'),
    format: z
      .enum(FILE_FORMATS)
      .optional()
      .describe('json (one array), ndjson (one record a line) or csv; detected from the extension or content-type when absent'),
    compression: z
      .enum(['auto', 'gzip', 'none'])
      .default('auto')
      .describe('auto: gzip when the content starts with the gzip magic bytes (a target: when the path ends in .gz)'),
    key: z
      .union([fieldName, z.array(fieldName).min(1).max(32)])
      .optional()
      .describe('Key field(s), unique per record; default: the record number as the field _line'),
    csv: CsvOptionsSchema.default({ delimiter: ',', header: true, quote: '"', skipEmptyLines: true }),
    schema: z.array(FieldSchemaSchema).min(1).optional().describe('The fields, given; default: inferred from the first sampleSize records'),
    sampleSize: z.number().int().min(1).max(1_000_000).default(1000).describe('Records read by describe() to infer the fields'),
  })
  .strict()
  .superRefine((e, ctx) => {
    if (/^[a-z][a-z0-9+.-]*:\/\/[^/@]*:[^/@]*@/i.test(e.url))
      ctx.addIssue({
        code: 'custom',
        path: ['url'],
        message: 'a URL with a password would be stored in workflow history: give credentials in connection.headers as secret references',
      });
    if (!/^(https?|file):\/\//i.test(e.url) && /^[a-z][a-z0-9+.-]*:\/\//i.test(e.url))
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'only local paths, file:// and http(s):// URLs are supported' });
  });

export type FileEndpoint = z.infer<typeof FileEndpointSchema>;

/** The record number key a file without `key` is read by. */
export const LINE_FIELD = '_line';

export const keyOf = (e: FileEndpoint): string[] => (e.key === undefined ? [LINE_FIELD] : typeof e.key === 'string' ? [e.key] : e.key);

export const isHttp = (url: string) => /^https?:\/\//i.test(url);

/** The format an endpoint names, or the one its location's extension shows (`.ndjson.gz` → ndjson). */
export function formatOfName(url: string): FileFormat | null {
  const name = url
    .replace(/[?#].*$/, '')
    .toLowerCase()
    .replace(/\.(gz|gzip)$/, '');
  if (/\.(ndjson|jsonl)$/.test(name)) return 'ndjson';
  if (/\.json$/.test(name)) return 'json';
  if (/\.(csv|tsv)$/.test(name)) return 'csv';
  return null;
}
