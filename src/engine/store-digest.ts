import { getConnector } from '../connectors/registry';
import { validationModeOf, type JobSpec, type ValidationMode } from '../job/job-spec';
import type { ObjectSchema, Row } from '../model/types';
import type { CompiledTransform } from '../transform/compile';

/** Steps that only move values between fields: the target's fields are source fields under other names. */
const MOVING_STEPS: ReadonlySet<string> = new Set(['rename', 'select', 'drop']);

/**
 * The digest kind both stores can compute themselves (validation pushdown), or null when validation must read
 * rows: the stores name different kinds (or none), a step computes or filters values, soft deletes leave source
 * rows the target no longer has, or the spec turned it off (`validate.pushdown: false`).
 */
export function storeDigestKindOf(spec: JobSpec): string | null {
  if (spec.validate.pushdown === false || spec.incremental?.softDelete) return null;
  const kind = getConnector(spec.source.type).capabilities.storeDigest;
  if (!kind || getConnector(spec.target.type).capabilities.storeDigest !== kind) return null;
  return spec.transform.every((step) => MOVING_STEPS.has(step.op)) ? kind : null;
}

/** The modes that checksum every row (the others count or sample). */
const CHECKSUM_MODES: ReadonlySet<ValidationMode> = new Set(['checksums', 'full']);

/** Validation will checksum in the stores (so the copy phase need not digest what it writes). */
export const validatedInStores = (spec: JobSpec): boolean =>
  spec.validate.enabled && CHECKSUM_MODES.has(validationModeOf(spec)) && storeDigestKindOf(spec) !== null;

/**
 * The fields each side hashes, in one order: the target's fields by name, and for the source the field each
 * came from. Found by running the job's (moving-only) compiled transform over a row whose values are its own field names.
 */
export function digestFieldsOf({ schema, apply }: CompiledTransform, sourceSchema: ObjectSchema): { source: string[]; target: string[] } {
  const probe: Row = Object.fromEntries(sourceSchema.fields.map((f) => [f.name, f.name]));
  const moved = apply(probe);
  if (!moved) throw new Error('a moving-only transform left the probe row out');
  const target = schema.fields.map((f) => f.name).sort();
  return { target, source: target.map((name) => String(moved[name])) };
}
