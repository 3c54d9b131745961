import { z } from 'zod';
import { SecretRefSchema } from '../job/secret-ref';
import type { FieldType } from '../model/types';
import { syntaxProblem } from './cel';

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
      .meta({ minProperties: 1 })
      .describe('field → neutral type, e.g. { "_id": "string" } or { "_id": "uuid" } for an ObjectId'),
  })
  .strict();

export const JsonEncodeStepSchema = z
  .object({
    op: z.literal('jsonEncode'),
    fields: z.array(fieldName).min(1).optional().describe('json fields to store as JSON text; default: every json field left (nested objects and arrays)'),
  })
  .strict();

/** A CEL expression; its syntax is checked with the spec (a 400 naming the position), its fields at prepare. */
const expression = z
  .string()
  .min(1)
  .max(10_000)
  .superRefine((text, ctx) => {
    const problem = syntaxProblem(text);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

export const ComputeStepSchema = z
  .object({
    op: z.literal('compute'),
    fields: z
      .record(
        fieldName,
        z.union([
          expression,
          z
            .object({
              expression,
              type: z.enum(FIELD_TYPES).optional().describe('the result type; default: inferred from the expression'),
            })
            .strict(),
        ]),
      )
      .refine((m) => Object.keys(m).length > 0, 'name at least one field')
      .meta({ minProperties: 1 })
      .describe('field (new or replaced) → CEL expression over the fields before this step, e.g. { "full_name": "first + \' \' + last" }'),
  })
  .strict();

export const FilterStepSchema = z
  .object({ op: z.literal('filter'), expression: expression.describe('CEL expression; rows for which it is true are kept, the others counted as filtered') })
  .strict();

const scalar = z.union([z.string(), z.number(), z.boolean()]);

const MAP_OPS_HINT = 'a map operation is "lowercase", "uppercase", "trim" or one of { replace }, { phone }, { lookup, default }, { ifNull }';

/** A union's own message says only "Invalid input": name the operation the object meant, and what is wrong in it. */
function mapOpError(issue: { code?: string; errors?: { code: string; path: PropertyKey[]; message: string }[][] }): string {
  const meant = issue.errors?.find(
    (list) =>
      list.length > 0 && !list.some((i) => i.code === 'unrecognized_keys' || ((i.code === 'invalid_value' || i.code === 'invalid_type') && !i.path.length)),
  );
  const inner = meant?.[0];
  return inner ? `${inner.path.map(String).join('.')}${inner.path.length ? ': ' : ''}${inner.message}` : MAP_OPS_HINT;
}

export const MapOpSchema = z.union(
  [
    z.enum(['lowercase', 'uppercase', 'trim']),
    z
      .object({
        replace: z
          .object({
            pattern: z.string().min(1).describe('a JavaScript regular expression'),
            with: z.string().default('').describe('replacement; $1… refer to groups'),
            flags: z
              .string()
              .regex(/^[gimsuy]*$/, 'flags are some of g i m s u y')
              .default('g'),
          })
          .strict()
          .superRefine((r, ctx) => {
            try {
              new RegExp(r.pattern, r.flags);
            } catch (err) {
              ctx.addIssue({ code: 'custom', path: ['pattern'], message: (err as Error).message });
            }
          }),
      })
      .strict(),
    z
      .object({
        phone: z
          .object({
            defaultRegion: z
              .string()
              .regex(/^[A-Z]{2}$/, 'a two-letter ISO region, e.g. FR')
              .optional()
              .describe('region of numbers written without +country'),
            onInvalid: z.enum(['reject', 'null', 'keep']).default('reject').describe('a value that is not a phone number'),
          })
          .strict()
          .prefault({}),
      })
      .strict(),
    z
      .object({
        lookup: z.record(z.string(), scalar).describe('value (as text) → replacement'),
        default: scalar.nullable().optional().describe('for values not in the table; default: keep the value'),
      })
      .strict(),
    z.object({ ifNull: scalar.describe('replaces null (and a missing field)') }).strict(),
  ],
  { error: mapOpError },
);
export type MapOp = z.infer<typeof MapOpSchema>;

export const MapStepSchema = z
  .object({
    op: z.literal('map'),
    fields: z
      .record(fieldName, z.array(MapOpSchema).min(1))
      .refine((m) => Object.keys(m).length > 0, 'name at least one field')
      .meta({ minProperties: 1 })
      .describe('field → value operations applied in order, e.g. { "email": ["trim", "lowercase"] }'),
  })
  .strict();

export const MaskMethodSchema = z.union([
  z
    .object({
      as: z.literal('hex'),
      length: z.number().int().min(8).max(64).default(64).describe('hex characters of the HMAC kept'),
      keepLast: z.number().int().min(0).max(32).default(0).describe('original trailing characters kept after the hash'),
    })
    .strict(),
  z
    .object({
      as: z.literal('digits'),
      keepLast: z.number().int().min(0).max(32).default(0),
    })
    .strict()
    .describe('format-preserving: every digit replaced by a keyed digit, other characters (+, spaces, dashes) kept; numbers stay numbers'),
  z
    .object({ as: z.literal('email'), length: z.number().int().min(8).max(64).default(16) })
    .strict()
    .describe('hashed local part, domain kept'),
  z.object({ as: z.literal('null') }).strict(),
  z.object({ as: z.literal('constant'), value: scalar }).strict(),
]);
export type MaskMethod = z.infer<typeof MaskMethodSchema>;
const HASHING = new Set(['hex', 'digits', 'email']);

export const MaskStepSchema = z
  .object({
    op: z.literal('mask'),
    key: SecretRefSchema.optional().describe('HMAC-SHA256 key, resolved on the worker; the same key gives the same output across tables and runs'),
    fields: z
      .record(fieldName, z.union([z.enum(['hex', 'digits', 'email', 'null']).describe('the method with its defaults'), MaskMethodSchema]))
      .refine((m) => Object.keys(m).length > 0, 'name at least one field')
      .meta({ minProperties: 1 }),
    allowKey: z.boolean().default(false).describe('masking a key field changes record identity: it needs this opt-in'),
  })
  .strict()
  .superRefine((step, ctx) => {
    if (!step.key && Object.values(step.fields).some((m) => HASHING.has(typeof m === 'string' ? m : m.as)))
      ctx.addIssue({
        code: 'custom',
        path: ['key'],
        message: 'hex, digits and email masks need key: a secret reference ({ "env": "VAR" } or { "file": "/path" })',
      });
  });

export const TransformStepSchema = z.discriminatedUnion('op', [
  RenameStepSchema,
  SelectStepSchema,
  DropStepSchema,
  FlattenStepSchema,
  UnflattenStepSchema,
  CastStepSchema,
  JsonEncodeStepSchema,
  MaskStepSchema,
  ComputeStepSchema,
  FilterStepSchema,
  MapStepSchema,
]);
export type TransformStep = z.infer<typeof TransformStepSchema>;
export type StepOf<Op extends TransformStep['op']> = Extract<TransformStep, { op: Op }>;
