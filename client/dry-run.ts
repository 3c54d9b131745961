import type { ObjectSchema } from '../src/model/types';
import { rowToJsonSafe } from '../src/model/json-safe';
import type { JsonValue } from '../src/model/types';
import { withEndpoints } from '../src/engine/sessions';
import { DatamigratoError, schemaError } from '../src/errors';
import type { JobSpec } from '../src/job/job-spec';
import { compileJobForRows, readSchemaOf } from '../src/engine/job-schema';
import { CheckFailedError } from './errors';
import { objectNameOf } from '../src/connectors/registry';
import { endpointLabel, parseSpecOrThrow, specSummary, type ConnectorRoles } from './spec';

export interface DryRunResult {
  ok: true;
  summary: string;
  /** The spec with every default filled: what a run would carry. */
  spec: JobSpec;
  source: { type: string; object: string; schema: ObjectSchema; partitions: number; estimatedRows: number | null };
  target: { type: string; object: string; exists: boolean; schema: ObjectSchema | null };
  /** The schema the target gets: the source schema after the transform steps. */
  targetSchema: ObjectSchema;
  /** A few rows of the first partition, transformed, as JSON (bytes as {$base64}, int64 as strings). */
  sample: Record<string, JsonValue>[];
  warnings: string[];
  elapsedMs: number;
}

/** Rows read at most per sampled row when a filter leaves rows out. */
const SAMPLE_READ_FACTOR = 20;

export interface DryRunOptions {
  sampleSize?: number;
  connectors?: readonly ConnectorRoles[];
}

/**
 * Validates a spec and exercises it without writing anything: connects to both ends, describes the
 * source (and the target if it exists), plans the partitions, reads a few rows of the first one and runs
 * them through the transforms. The target is never prepared or written.
 *
 * Secret references are resolved in this process, so it needs the same secrets (env vars / files) as the worker.
 */
export async function dryRunCheck(input: unknown, opts: DryRunOptions = {}): Promise<DryRunResult> {
  const spec = parseSpecOrThrow(input, { connectors: opts.connectors });
  const sampleSize = Math.max(1, Math.min(opts.sampleSize ?? 5, 100));
  const started = Date.now();
  const warnings: string[] = [];
  let step = 'open';
  try {
    return await withEndpoints(
      [
        { side: 'source', endpoint: spec.source },
        { side: 'target', endpoint: spec.target },
      ],
      async ({ source, target }) => {
        step = 'source.check';
        await source.check();
        step = 'target.check';
        await target.check();

        step = 'source.describe';
        const described = await source.describe();
        if (!described) throw schemaError(`source object ${endpointLabel(spec.source)} not found`, spec.source.type);

        const sourceSchema = readSchemaOf(spec, described);
        step = 'transform';
        const transform = await compileJobForRows(spec, sourceSchema);

        step = 'target.describe';
        let targetSchema: ObjectSchema | null = null;
        try {
          targetSchema = await target.describe();
        } catch (err) {
          if (!(err instanceof DatamigratoError) || err.kind !== 'SchemaError') throw err;
          warnings.push(`target: ${err.message}`);
        }
        if (targetSchema) {
          const have = new Set(targetSchema.fields.map((f) => f.name));
          const missing = transform.schema.fields.filter((f) => !have.has(f.name)).map((f) => f.name);
          if (missing.length) warnings.push(`target ${targetSchema.object} exists but lacks field(s) ${missing.join(', ')}: the run would fail`);
          if (targetSchema.key.join(',') !== transform.schema.key.join(',')) {
            warnings.push(`target key is (${targetSchema.key.join(', ')}) but the source key after transforms is (${transform.schema.key.join(', ')})`);
          }
        }

        step = 'source.plan';
        const partitions = await source.planPartitions(sourceSchema, spec.partitions ?? spec.parallelism * 2);
        const estimates = partitions.map((p) => p.estimatedRows);
        const estimatedRows = estimates.every((e) => e !== undefined) ? estimates.reduce((a, b) => a! + b!, 0)! : null;

        step = 'source.read';
        const sample: Record<string, JsonValue>[] = [];
        let filtered = 0;
        let read = 0;
        if (partitions[0]) {
          // A filter may leave out most rows: read on (a bounded number) until the sample is full.
          const maxRead = sampleSize * SAMPLE_READ_FACTOR;
          reading: for await (const batch of source.read(sourceSchema, partitions[0], null, sampleSize)) {
            for (const row of batch.rows) {
              if (sample.length >= sampleSize || read >= maxRead) break reading; // leaving the loop closes the reader
              read++;
              try {
                const t = transform.apply(row);
                if (t) sample.push(rowToJsonSafe(t));
                else filtered++;
              } catch (err) {
                warnings.push(`transform rejected a sample row: ${(err as Error).message}`);
              }
            }
            if (!spec.transform.some((t) => t.op === 'filter')) break; // one batch is the sample
          }
        }
        if (filtered) warnings.push(`filter left out ${filtered} of the ${read} rows read for the sample`);
        return {
          ok: true as const,
          summary: specSummary(spec),
          spec,
          source: { type: spec.source.type, object: sourceSchema.object, schema: sourceSchema, partitions: partitions.length, estimatedRows },
          target: { type: spec.target.type, object: targetSchema?.object ?? objectNameOf(spec.target), exists: targetSchema !== null, schema: targetSchema },
          targetSchema: transform.schema,
          sample,
          warnings,
          elapsedMs: Date.now() - started,
        };
      },
    );
  } catch (err) {
    throw asCheckFailure(err, step, spec);
  }
}

/** Which field of the spec a failing step points at. */
function pathOf(step: string, message: string, spec: JobSpec): string {
  const fromMessage = /^(source|target)\.connection\b/.exec(message) ?? /\b(transform\[\d+\])/.exec(message);
  if (fromMessage) return fromMessage[1] === 'source' || fromMessage[1] === 'target' ? `${fromMessage[1]}.connection` : fromMessage[1]!;
  switch (step) {
    case 'source.check':
      return 'source.connection';
    case 'target.check':
      return 'target.connection';
    case 'source.describe':
      return 'table' in spec.source ? 'source.table' : 'source';
    case 'target.describe':
      return 'target';
    case 'transform':
      return 'transform';
    default:
      return step.startsWith('target') ? 'target' : 'source';
  }
}

function asCheckFailure(err: unknown, step: string, spec: JobSpec): CheckFailedError {
  const kind = err instanceof DatamigratoError ? err.kind : 'TransientError';
  const message = err instanceof Error ? err.message : String(err);
  return new CheckFailedError(step, kind, `${step}: ${message}`, [{ path: pathOf(step, message, spec), message }]);
}
