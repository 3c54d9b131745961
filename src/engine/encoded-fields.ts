import type { ConnectorSession } from '../connectors/contract';
import type { JobSpec } from '../job/job-spec';
import type { ObjectSchema } from '../model/types';
import type { CompiledTransform } from '../transform/compile';
import { digestFieldsOf, validatedInStores } from './store-digest';

/** The fields a chunk moves in the stores' wire text (src/model/encoded.ts): the source's names and the target's, pairwise. */
export interface EncodedFields {
  source: string[];
  target: string[];
}

/**
 * Which fields may stay encoded from the source's read to the target's write: only when the job has nothing
 * to do with their values — its steps only move fields (rename, select, drop), validation checksums in the stores
 * (so the worker digests nothing), it is not incremental (the cursor is a field) — and only between two sessions
 * of one wire format. The keys on either side stay decoded (cursors, dead-letter keys, upserts by key), and so
 * does any field whose target column the target says would read the text otherwise (another type).
 */
export async function encodedFieldsOf(
  spec: JobSpec,
  sourceSchema: ObjectSchema,
  transform: CompiledTransform,
  source: ConnectorSession,
  target: ConnectorSession,
  incremental: boolean,
): Promise<EncodedFields | null> {
  if (incremental || !validatedInStores(spec)) return null;
  if (!source.encodedFormat || source.encodedFormat !== target.encodedFormat || !target.encodedFields) return null;
  const moved = digestFieldsOf(transform, sourceSchema);
  const sourceType = new Map(sourceSchema.fields.map((f) => [f.name, f.type]));
  const targetType = new Map(transform.schema.fields.map((f) => [f.name, f.type]));
  const candidates = moved.target.flatMap((name, i) => {
    const from = moved.source[i]!;
    const movable = !sourceSchema.key.includes(from) && !transform.schema.key.includes(name) && sourceType.get(from) === targetType.get(name);
    return movable ? [{ from, name }] : [];
  });
  if (candidates.length === 0) return null;
  const taken = new Set(
    await target.encodedFields(
      transform.schema,
      candidates.map((c) => c.name),
    ),
  );
  const chosen = candidates.filter((c) => taken.has(c.name));
  return chosen.length ? { source: chosen.map((c) => c.from), target: chosen.map((c) => c.name) } : null;
}
