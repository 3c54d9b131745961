import { StoppedError, schemaError } from '../errors';
import type { Cursor, KeyRange, ObjectSchema } from '../model/types';
import { compileJob, compileJobForRows } from './job-schema';
import type { JobSpec } from '../job/job-spec';
import { RowDigester } from '../validation/checksum';
import { emptyDigest, VALIDATION_BUCKETS, type ScanResult } from '../validation/digest';
import { KEEP_ALIVE_MS } from './copy-chunk';
import { planRanges } from './partitions';
import { withEndpoints, type Side } from './sessions';
import { digestFieldsOf, storeDigestKindOf } from './store-digest';

export interface ScanInput {
  spec: JobSpec;
  side: Side;
  sourceSchema: ObjectSchema;
  range: KeyRange;
  /** validate.mode counts / sample: count the rows, hash nothing (absent in scans recorded before modes existed). */
  countOnly?: boolean;
  /** Validation pushdown: the store counts and hashes the range itself (the plan named its digest kind). */
  storeDigest?: boolean;
}

/** Where validation scans the target, and whether both sides can checksum in the store (the digest kind, or null). */
export interface ValidationPlan {
  targetRanges: KeyRange[];
  storeDigest: string | null;
}

export async function planValidation(spec: JobSpec, sourceSchema: ObjectSchema): Promise<ValidationPlan> {
  return { targetRanges: await planTargetScan(spec, sourceSchema), storeDigest: storeDigestKindOf(spec) };
}

export interface ScanProgress {
  cursor: Cursor | null;
  rows: number;
}

/** Ranges to scan the target with: the target's own partitioning, over the target's (transformed) schema. */
export async function planTargetScan(spec: JobSpec, sourceSchema: ObjectSchema): Promise<KeyRange[]> {
  const { schema } = compileJob(spec, sourceSchema);
  return withEndpoints([{ side: 'target', endpoint: spec.target }], async ({ target }) => {
    const described = await target.describe();
    if (!described) throw schemaError('target object disappeared before validation', spec.target.type);
    return planRanges(target, schema, spec);
  });
}

/**
 * Counts and checksums one range of one side, bucketed by key hash. The source side is transformed
 * first, so both sides digest what the target is expected to hold, with the same canonical encoding.
 */
export async function scanRange(input: ScanInput, onBatch: (p: ScanProgress) => void, stopRequested: () => boolean): Promise<ScanResult> {
  const { spec, side, sourceSchema, range } = input;
  if (input.storeDigest) return storeDigestScan(input, () => onBatch({ cursor: null, rows: 0 }));
  const transform = await compileJobForRows(spec, sourceSchema);
  const endpoint = side === 'source' ? spec.source : spec.target;
  return withEndpoints([{ side, endpoint }], async (s) => {
    const session = s[side];
    const digester = input.countOnly ? new RowCounter() : new RowDigester(transform.schema, true);
    const readSchema = side === 'source' ? sourceSchema : transform.schema;
    let rows = 0;
    let last: ScanProgress = { cursor: null, rows: 0 };
    // Heartbeats continue while a batch is on its way: a store may scan for a long time before its first row.
    const keepAlive = setInterval(() => onBatch(last), KEEP_ALIVE_MS);
    try {
      for await (const batch of session.read(readSchema, range, null, Math.max(spec.batchSize, 1000))) {
        for (const row of batch.rows) {
          if (side === 'source') {
            // The same filter as the copy: a row it left out is not expected on the target.
            try {
              const t = transform.apply(row);
              if (t) digester.add(t);
            } catch {
              // A row the transform rejects was quarantined (or failed the run) during the copy: not expected on the target.
            }
          } else digester.add(row);
        }
        rows += batch.rows.length;
        last = { cursor: batch.cursor, rows };
        onBatch(last);
        if (stopRequested()) throw new StoppedError({ cursor: batch.cursor, rows });
      }
    } finally {
      clearInterval(keepAlive);
    }
    return { total: digester.digest(), buckets: digester.bucketDigests() };
  });
}

/**
 * One range counted and checksummed by the store (one query), while heartbeats keep the activity alive. Buckets
 * stay empty: a pushed-down mismatch is checked again by the canonical scan, whose buckets are reported.
 */
async function storeDigestScan(input: ScanInput, keepAlive: () => void): Promise<ScanResult> {
  const { spec, side, sourceSchema, range } = input;
  const compiled = compileJob(spec, sourceSchema);
  const fields = digestFieldsOf(compiled, sourceSchema)[side];
  const endpoint = side === 'source' ? spec.source : spec.target;
  return withEndpoints([{ side, endpoint }], async (s) => {
    const session = s[side];
    if (!session.digestRange) throw schemaError(`${endpoint.type} cannot checksum in the store`, endpoint.type);
    const timer = setInterval(keepAlive, KEEP_ALIVE_MS);
    try {
      const total = await session.digestRange(side === 'source' ? sourceSchema : compiled.schema, range, fields);
      return { total, buckets: [] };
    } finally {
      clearInterval(timer);
    }
  });
}

/** The digester's shape for count-only scans: counts, and leaves every sum (and bucket) empty. */
class RowCounter {
  private count = 0;
  add(): void {
    this.count++;
  }
  digest() {
    return { ...emptyDigest(), count: this.count };
  }
  bucketDigests() {
    return Array.from({ length: VALIDATION_BUCKETS }, emptyDigest);
  }
}
