import { z } from 'zod';

/**
 * `mode: incremental`: each run copies only the rows whose cursor field moved past the stored watermark.
 * See docs/incremental.md for where watermarks live, the lag window and the NULL policy.
 */
export const NULL_CURSOR_POLICIES = ['include-first-run', 'skip', 'fail'] as const;

export const SoftDeleteSchema = z
  .object({
    field: z.string().min(1).describe('source field that marks a row deleted'),
    value: z.union([z.string(), z.number(), z.boolean()]).describe('the value that means deleted: such rows are deleted on the target, not written'),
  })
  .strict();

export const IncrementalSchema = z
  .object({
    cursorField: z.string().min(1).describe('a timestamp or integer field every insert and update advances (e.g. updated_at)'),
    lagSeconds: z
      .number()
      .min(0)
      .max(86_400)
      .default(5)
      .describe('a run reads cursor values up to the source clock at its start minus this, so rows still being committed are left to the next run'),
    nullCursor: z
      .enum(NULL_CURSOR_POLICIES)
      .default('include-first-run')
      .describe('rows whose cursor is NULL: copied by the first run only (no watermark yet), never (skip), or the run fails naming how many (fail)'),
    softDelete: SoftDeleteSchema.optional().describe('rows read with field = value are deleted on the target instead of written'),
  })
  .strict();

export type IncrementalOptions = z.output<typeof IncrementalSchema>;
