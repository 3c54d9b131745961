import { z } from 'zod';

const fieldName = z.string().min(1);

export const RenameStepSchema = z
  .object({ op: z.literal('rename'), fields: z.record(fieldName, fieldName).describe('old name → new name') })
  .strict();
export const SelectStepSchema = z
  .object({ op: z.literal('select'), fields: z.array(fieldName).min(1).describe('keep only these fields (the key is always kept)') })
  .strict();
export const DropStepSchema = z
  .object({ op: z.literal('drop'), fields: z.array(fieldName).min(1).describe('remove these fields') })
  .strict();

export const TransformStepSchema = z.discriminatedUnion('op', [RenameStepSchema, SelectStepSchema, DropStepSchema]);
export type TransformStep = z.infer<typeof TransformStepSchema>;
