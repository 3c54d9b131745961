import { configError } from '../errors';
import type { ObjectSchema } from '../model/types';
import type { JobSpec } from '../job/job-spec';
import { resolveRef } from '../secrets/resolve';
import { NO_SECRETS, compileTransforms, type CompiledTransform, type TransformSecrets } from '../transform/compile';

/** The JSON field that carries a schemaless record's unforeseen fields under `onUnknownField: json`. */
export const EXTRA_FIELD = '_extra';

/**
 * The source schema as the job reads it: an open (schemaless) schema gets the spec's unknown-field
 * policy, and under `json` the field that carries what the schema did not foresee.
 */
export function readSchemaOf(spec: JobSpec, described: ObjectSchema): ObjectSchema {
  if (!described.open) return described;
  const policy = spec.onUnknownField;
  const schema: ObjectSchema = { ...described, unknownFields: { policy, field: EXTRA_FIELD } };
  if (policy !== 'json') return schema;
  if (described.fields.some((f) => f.name === EXTRA_FIELD))
    throw configError(`onUnknownField: json collects unknown fields into "${EXTRA_FIELD}", but ${described.object} already has a field of that name`);
  return { ...schema, fields: [...described.fields, { name: EXTRA_FIELD, type: 'json', nullable: true }] };
}

/** The spec's transforms compiled against the source schema, with the target key the spec names (if any). */
export function compileJob(spec: JobSpec, sourceSchema: ObjectSchema, secrets: TransformSecrets = NO_SECRETS): CompiledTransform {
  const compiled = compileTransforms(spec.transform, sourceSchema, secrets);
  if (!spec.targetKey) return compiled;
  const names = new Set(compiled.schema.fields.map((f) => f.name));
  const unknown = spec.targetKey.filter((k) => !names.has(k));
  if (unknown.length) throw configError(`targetKey: unknown field(s) ${unknown.join(', ')}; the target's fields: ${[...names].join(', ')}`);
  return { ...compiled, schema: { ...compiled.schema, key: [...spec.targetKey] } };
}

/** Resolves the secrets the transform steps reference (mask keys), on the worker, at the last moment. */
export async function resolveTransformSecrets(spec: JobSpec): Promise<TransformSecrets> {
  const maskKeys = new Map<number, Buffer>();
  for (const [i, step] of spec.transform.entries())
    if (step.op === 'mask' && step.key) maskKeys.set(i, Buffer.from(await resolveRef(step.key, `transform[${i}].key`), 'utf8'));
  return { maskKeys };
}

/**
 * The transforms as rows go through them: compiled with their secrets resolved. `secrets` lists the
 * resolved values, for withEndpoints to scrub from any error.
 */
export async function compileJobForRows(spec: JobSpec, sourceSchema: ObjectSchema): Promise<CompiledTransform & { secrets: string[] }> {
  const resolved = await resolveTransformSecrets(spec);
  return { ...compileJob(spec, sourceSchema, resolved), secrets: [...resolved.maskKeys.values()].map((k) => k.toString('utf8')) };
}
