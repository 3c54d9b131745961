import { z } from 'zod';
import type { FieldType } from '../model/types';

const fieldName = z.string().min(1);

/** Every neutral type, for `cast`; the `satisfies` check keeps the list in step with FieldType. */
export const FIELD_TYPES = [
  'string',
  'int32',
  'int64',
  'float64',
  'decimal',
  'boolean',
  'timestamptz',
  'timestamp',
  'date',
  'uuid',
  'json',
  'bytes',
  'objectid',
] as const satisfies readonly FieldType[];
type MissingFieldType = Exclude<FieldType, (typeof FIELD_TYPES)[number]>;
const _allFieldTypesListed: MissingFieldType extends never ? true : false = true;
void _allFieldTypesListed;

export const RenameStepSchema = z.object({ op: z.literal('rename'), fields: z.record(fieldName, fieldName).describe('old name → new name') }).strict();
export const SelectStepSchema = z
  .object({ op: z.literal('select'), fields: z.array(fieldName).min(1).describe('keep only these fields (the key is always kept)') })
  .strict();
export const DropStepSchema = z.object({ op: z.literal('drop'), fields: z.array(fieldName).min(1).describe('remove these fields') }).strict();

const separator = z.string().min(1).max(8).default('_').describe('joins nested names: address.city → address_city');

export const FlattenStepSchema = z
  .object({
    op: z.literal('flatten'),
    separator,
    fields: z
      .array(fieldName)
      .min(1)
      .optional()
      .describe('nested fields to flatten; default: every field whose shape the source described (MongoDB: sampled sub-documents)'),
    onUnknown: z
      .enum(['reject', 'drop'])
      .default('reject')
      .describe('a nested key the sampled shape did not have: reject the record (default) or drop the key'),
  })
  .strict();

export const UnflattenStepSchema = z
  .object({
    op: z.literal('unflatten'),
    separator,
    fields: z.array(fieldName).min(1).describe('objects to rebuild: "address" gathers address_city, address_geo_lat… into address.city, address.geo.lat'),
  })
  .strict();

export const CastStepSchema = z
  .object({
    op: z.literal('cast'),
    fields: z
      .record(fieldName, z.enum(FIELD_TYPES))
      .refine((m) => Object.keys(m).length > 0, 'name at least one field')
      .describe('field → neutral type, e.g. { "_id": "string" } or { "_id": "uuid" } for an ObjectId'),
  })
  .strict();

export const JsonEncodeStepSchema = z
  .object({
    op: z.literal('jsonEncode'),
    fields: z.array(fieldName).min(1).optional().describe('json fields to store as JSON text; default: every json field left (nested objects and arrays)'),
  })
  .strict();

export const TransformStepSchema = z.discriminatedUnion('op', [
  RenameStepSchema,
  SelectStepSchema,
  DropStepSchema,
  FlattenStepSchema,
  UnflattenStepSchema,
  CastStepSchema,
  JsonEncodeStepSchema,
]);
export type TransformStep = z.infer<typeof TransformStepSchema>;
export type StepOf<Op extends TransformStep['op']> = Extract<TransformStep, { op: Op }>;
