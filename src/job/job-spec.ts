import { z } from 'zod';
import { JOB_NAME_PATTERN, JOB_NAME_RULE } from '../names';
import { TransformStepSchema } from '../transform/steps';
import { EndpointSchema } from './endpoints';
import { NotifySchema } from './notify';
import { repairOptionsOf, VALIDATION_MODES } from './options';
import { IncrementalSchema } from './incremental';
export { repairOptionsOf, validationModeOf, VALIDATION_MODES, type RepairOptions, type ValidationMode } from './options';

export const ChunkSchema = z
  .object({
    maxBatches: z.number().int().min(1).max(100_000).default(200).describe('batches per activity before control returns to the workflow'),
    maxSeconds: z.number().int().min(1).max(3_600).default(15).describe('seconds per activity chunk; pause takes effect between chunks'),
  })
  .strict();

export const ValidateSchema = z
  .object({
    enabled: z.boolean().default(true).describe('count + checksum both sides after the copy'),
    mode: z
      .enum(VALIDATION_MODES)
      .default('checksums')
      .describe(
        'counts: compare row counts only; checksums: counts and checksums per key-hash bucket; full: checksums, then narrow differing buckets to exact keys (missing, extra, different fields); sample: checksums, then sampleSize random source keys compared field by field',
      ),
    sampleSize: z.number().int().min(1).max(100_000).default(100).describe('keys compared field by field in mode sample'),
    maxDiffs: z.number().int().min(1).max(1_000_000).default(1000).describe('differences listed at most; the report says when the limit was hit'),
    // Optional, not defaulted: a spec without it parses (and hashes) exactly as before it existed.
    pushdown: z
      .boolean()
      .optional()
      .describe(
        'default true: when both stores can checksum rows themselves (PostgreSQL → PostgreSQL) and the transform only renames, selects or drops, each side is counted and checksummed in the database, and a mismatch is checked again canonically; false: always read and checksum rows on the worker',
      ),
  })
  .strict();

export const RepairSchema = z
  .object({
    enabled: z.boolean().default(true),
    deleteExtra: z.boolean().default(false).describe('also delete target rows whose key the source does not have'),
  })
  .strict();

export const JobSpecSchema = z
  .object({
    name: z.string().regex(JOB_NAME_PATTERN, JOB_NAME_RULE),
    source: EndpointSchema,
    target: EndpointSchema,
    batchSize: z.number().int().min(1).max(50_000).default(1000),
    parallelism: z.number().int().min(1).max(64).default(4).describe('partitions copied at once'),
    partitions: z
      .number()
      .int()
      .min(1)
      .max(1_000)
      .optional()
      .describe('key ranges to split the source into; default 2 × parallelism, or parallelism when estimated under 250,000 rows a range'),
    transform: z.array(TransformStepSchema).default([]),
    validate: ValidateSchema.prefault({}),
    repair: z
      .union([z.boolean(), RepairSchema])
      .default(false)
      .describe('after a mismatch, re-copy exactly the differing keys and validate again (true, or { deleteExtra: true } to also delete extra target rows)'),
    passthrough: z
      .boolean()
      .default(false)
      .describe(
        "same connector type on both ends and no transforms: move the store's bulk format (PostgreSQL COPY text) without parsing rows; several times faster, and the copy phase then computes no checksum (validation still reads both sides)",
      ),
    onUnknownField: z
      .enum(['json', 'reject', 'drop'])
      .default('json')
      .describe(
        'schemaless sources (MongoDB…): fields the inferred schema did not foresee. json: carried in one JSON field (`_extra`) on column stores and kept as they are on document stores; reject: the record follows onRecordError; drop: left out and counted in the report',
      ),
    targetKey: z
      .array(z.string().min(1))
      .min(1)
      .max(32)
      .optional()
      .describe('the key the target is upserted by, in key order (default: the source key after transforms)'),
    onRecordError: z.enum(['fail', 'quarantine']).default('fail').describe('quarantine: store bad records in a dead-letter table on the target and go on'),
    chunk: ChunkSchema.prefault({}),
    mode: z.enum(['full', 'incremental']).default('full').describe('incremental: copy only rows changed since the stored watermark (needs incremental)'),
    incremental: IncrementalSchema.optional().describe('the cursor field, lag and policies of mode incremental'),
    // Optional, not defaulted: a spec without it parses (and hashes) exactly as before it existed.
    notify: NotifySchema.optional(),
  })
  .strict()
  .superRefine((spec, ctx) => {
    const repair = repairOptionsOf(spec);
    if (repair.enabled && !spec.validate.enabled)
      ctx.addIssue({ code: 'custom', path: ['repair'], message: 'needs validation (validate.enabled: true): repair acts on the keys validation lists' });
    if (repair.enabled && (spec.validate.mode === 'counts' || spec.validate.mode === 'sample'))
      ctx.addIssue({
        code: 'custom',
        path: ['repair'],
        message: `needs validate.mode checksums or full (mode ${spec.validate.mode} does not find every differing key)`,
      });
    if (spec.mode === 'incremental' && !spec.incremental)
      ctx.addIssue({ code: 'custom', path: ['incremental'], message: 'mode incremental needs incremental.cursorField' });
    if (spec.mode !== 'incremental' && spec.incremental)
      ctx.addIssue({ code: 'custom', path: ['mode'], message: 'incremental options are given but mode is full; set mode: incremental' });
    if (spec.mode === 'incremental' && spec.passthrough)
      ctx.addIssue({ code: 'custom', path: ['passthrough'], message: 'mode incremental reads rows by cursor; passthrough is not supported with it' });
    if (!spec.passthrough) return;
    if (spec.source.type !== spec.target.type)
      ctx.addIssue({
        code: 'custom',
        path: ['passthrough'],
        message: `needs the same connector type on both ends (here ${spec.source.type} → ${spec.target.type})`,
      });
    if (spec.transform.length)
      ctx.addIssue({ code: 'custom', path: ['passthrough'], message: 'rows are not parsed when passing through, so transform must be empty' });
  });

/** The spec as a client sends it (defaults optional). */
export type JobSpecInput = z.input<typeof JobSpecSchema>;
/** The spec after parsing: defaults filled. This is what workflows carry. */
export type JobSpec = z.output<typeof JobSpecSchema>;

export interface SpecIssue {
  path: string;
  message: string;
}

export type SpecParseResult = { ok: true; spec: JobSpec } | { ok: false; issues: SpecIssue[] };

export const formatPath = (path: readonly PropertyKey[]) =>
  path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), '');

/** Parses a spec and reports every problem with the path of the field at fault. */
export function parseJobSpec(input: unknown): SpecParseResult {
  const res = JobSpecSchema.safeParse(input);
  if (res.success) return { ok: true, spec: res.data };
  return {
    ok: false,
    issues: res.error.issues.map((i) => ({ path: formatPath(i.path) || '(root)', message: i.message })),
  };
}
