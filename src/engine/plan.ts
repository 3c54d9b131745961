import { configError, schemaError } from '../errors';
import type { KeyRange, ObjectSchema } from '../model/types';
import { getConnector, objectNameOf } from '../connectors/registry';
import { compileJob, readSchemaOf } from './job-schema';
import type { JobSpec } from '../job/job-spec';
import { planRanges } from './partitions';
import { withEndpoints } from './sessions';
import { planIncremental } from '../incremental/plan';
import { checkSoftDelete } from '../incremental/soft-delete';
import type { IncrementalPlan } from '../incremental/window';

export interface MigrationPlan {
  sourceSchema: ObjectSchema;
  /** The schema the target gets: the source schema after the transform steps. */
  targetSchema: ObjectSchema;
  partitions: KeyRange[];
  /** The target object as reports name it. */
  targetObject: string;
  /** mode incremental: the window this run reads and the watermark it advances. */
  incremental?: IncrementalPlan;
}

export function checkRoles(spec: JobSpec): void {
  if (!getConnector(spec.source.type).capabilities.source) throw configError(`source.type: ${spec.source.type} cannot be a source`);
  if (!getConnector(spec.target.type).capabilities.target) throw configError(`target.type: ${spec.target.type} cannot be a target`);
}

export const passthroughUnsupported = (spec: JobSpec) =>
  configError(`passthrough: ${spec.source.type} → ${spec.target.type} has no raw copy path; remove passthrough`, spec.source.type);

/** Checks both ends, describes the source, creates the target if missing and splits the source into ranges. */
export async function planMigration(spec: JobSpec): Promise<MigrationPlan> {
  checkRoles(spec);
  return withEndpoints(
    [
      { side: 'source', endpoint: spec.source },
      { side: 'target', endpoint: spec.target },
    ],
    async ({ source, target }) => {
      await Promise.all([source.check(), target.check()]);
      // Fail before anything is created rather than in the first chunk.
      if (spec.passthrough && (!source.readRaw || !target.writeRaw)) throw passthroughUnsupported(spec);
      const described = await source.describe();
      if (!described) throw schemaError(`source object ${objectNameOf(spec.source)} not found`, spec.source.type);
      const sourceSchema = readSchemaOf(spec, described);
      const { schema: targetSchema } = compileJob(spec, sourceSchema);
      // Before the target is created: an unsupported source or a bad cursor field fails a run that changed nothing.
      const incremental = spec.mode === 'incremental' ? await planIncremental(spec, source, sourceSchema) : undefined;
      if (incremental) checkSoftDelete(spec, sourceSchema, target);
      await target.prepare(targetSchema);
      if (incremental) {
        // One partition read in (cursor, key) order: key ranges would not follow the cursor's order.
        const partitions = [{ id: 0, lower: null, upper: null }];
        return { sourceSchema, targetSchema, partitions, targetObject: objectNameOf(spec.target), incremental };
      }
      const partitions = await planRanges(source, sourceSchema, spec);
      return { sourceSchema, targetSchema, partitions, targetObject: objectNameOf(spec.target) };
    },
  );
}
