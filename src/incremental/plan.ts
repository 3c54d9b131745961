import { configError, DatamigratoError } from '../errors';
import type { ConnectorSession } from '../connectors/contract';
import { objectNameOf } from '../connectors/registry';
import type { JobSpec } from '../job/job-spec';
import type { ObjectSchema } from '../model/types';
import { readWatermark, withControlDb } from './watermark-store';
import type { IncrementalPlan, WatermarkId } from './window';

export const watermarkIdOf = (spec: JobSpec): WatermarkId => ({
  job: spec.name,
  source: `${spec.source.type}:${objectNameOf(spec.source)}`,
  target: `${spec.target.type}:${objectNameOf(spec.target)}`,
});

/**
 * Fixes an incremental run's window at its start: from the stored watermark up to the source's clock minus
 * the lag (or its greatest integer cursor), deciding about NULL cursors by the spec's policy.
 */
export async function planIncremental(spec: JobSpec, source: ConnectorSession, schema: ObjectSchema): Promise<IncrementalPlan> {
  const opts = spec.incremental;
  if (!opts) throw configError('mode: incremental needs incremental.cursorField');
  if (!source.readIncremental || !source.incrementalBound)
    throw configError(
      `mode: incremental is not supported by source type ${spec.source.type} (supported: postgres, mysql, mongodb); use mode: full`,
      spec.source.type,
    );
  if (schema.key.includes(opts.cursorField))
    throw configError(`incremental.cursorField: "${opts.cursorField}" is part of the key; the cursor must be a field every update advances`);
  const id = watermarkIdOf(spec);
  const stored = await withControlDb((db) => readWatermark(db, id));
  const { upTo, nullRows } = await source.incrementalBound(schema, opts.cursorField, opts.lagSeconds);
  if (opts.nullCursor === 'fail' && nullRows > 0)
    throw new DatamigratoError(
      'RecordError',
      `incremental.cursorField: ${nullRows} row(s) of ${schema.object} have a NULL "${opts.cursorField}" (nullCursor: fail); fill them, or choose nullCursor skip or include-first-run`,
      spec.source.type,
    );
  const previous = stored?.watermark ?? null;
  return {
    id,
    previous,
    window: { cursorField: opts.cursorField, after: previous, upTo, includeNulls: opts.nullCursor === 'include-first-run' && previous === null },
    nullRows,
  };
}
