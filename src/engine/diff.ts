import type { JobSpec } from '../job/job-spec';
import type { KeyRange, ObjectSchema } from '../model/types';
import type { BucketMismatch } from '../validation/digest';
import { planNarrowPasses, NARROW_KEYS_PER_PASS, type DiffSummary } from '../validation/diff-types';
import { writeDiffs } from '../validation/diff-store';
import { DiffCollector, Fingerprinter, KeyDiffer, sliceFilter } from '../validation/narrow';
import { compileJob } from './job-schema';
import { withEndpoints } from './sessions';
import { sideRows, type StreamHooks } from './side-rows';

export interface NarrowInput {
  spec: JobSpec;
  sourceSchema: ObjectSchema;
  /** The source's copy partitions and the target's own scan ranges, as the checksum scan used them. */
  sourceRanges: KeyRange[];
  targetRanges: KeyRange[];
  /** The buckets the checksum scan found different (their counts size the passes). */
  mismatched: BucketMismatch[];
  /** Where the list goes (diff-store reference), chosen by the workflow. */
  ref: string;
  /** Keys one pass may hold; tests make it small to exercise several passes. */
  keysPerPass?: number;
}

/**
 * Narrows differing buckets to exact keys. Each pass streams the source (transformed) and holds the
 * fingerprints of the keys in its bucket slices, then streams the target past them: memory is bounded by
 * `keysPerPass`, whatever the table's size, and any pair of connectors works because both sides are
 * compared in the canonical encoding. Passes stop once `maxDiffs` differences are listed.
 */
export async function narrowDiffs(input: NarrowInput, hooks: StreamHooks): Promise<DiffSummary> {
  const { spec, sourceSchema } = input;
  const transform = compileJob(spec, sourceSchema);
  const fp = new Fingerprinter(transform.schema);
  const maxDiffs = spec.validate.maxDiffs ?? 1000;
  const out = new DiffCollector(maxDiffs);
  const passes = planNarrowPasses(input.mismatched, input.keysPerPass ?? NARROW_KEYS_PER_PASS);
  let done = 0;
  let compared = 0;
  await withEndpoints(
    [
      { side: 'source', endpoint: spec.source },
      { side: 'target', endpoint: spec.target },
    ],
    async ({ source, target }) => {
      for (const slices of passes) {
        if (out.total >= maxDiffs) break;
        const selected = sliceFilter(slices);
        const differ = new KeyDiffer(fp, out);
        const common = { spec, sourceSchema, transform };
        for await (const row of sideRows(source, { ...common, side: 'source', ranges: input.sourceRanges }, hooks, `narrow ${done + 1} source`)) {
          const k = fp.keyOf(row);
          if (selected(k)) differ.hold(fp.of(row, k));
        }
        for await (const row of sideRows(target, { ...common, side: 'target', ranges: input.targetRanges }, hooks, `narrow ${done + 1} target`)) {
          const k = fp.keyOf(row);
          if (selected(k)) differ.target(row, k);
        }
        differ.finish();
        compared += differ.compared;
        done++;
      }
    },
  );
  await writeDiffs(input.ref, out.sorted());
  return {
    ref: input.ref,
    scope: 'full',
    ...out.counts,
    listed: out.entries.length,
    limitHit: out.limitHit || done < passes.length,
    keysCompared: compared,
    passes: done,
  };
}

export interface SampleInput {
  spec: JobSpec;
  sourceSchema: ObjectSchema;
  sourceRanges: KeyRange[];
  targetRanges: KeyRange[];
  ref: string;
  /** Random source in [0, 1); tests pass a seeded one. */
  random?: () => number;
}

/**
 * `validate.mode: sample`: a uniform reservoir of `sampleSize` source keys (Algorithm R over one source
 * scan), then one target scan compares those keys field by field. Extra target rows are out of a sample's
 * sight, so only missing and different are reported.
 */
export async function sampleDiffs(input: SampleInput, hooks: StreamHooks): Promise<DiffSummary> {
  const { spec, sourceSchema } = input;
  const random = input.random ?? Math.random;
  const transform = compileJob(spec, sourceSchema);
  const fp = new Fingerprinter(transform.schema);
  const size = spec.validate.sampleSize ?? 100;
  const out = new DiffCollector(spec.validate.maxDiffs ?? 1000);
  const differ = new KeyDiffer(fp, out, true);
  await withEndpoints(
    [
      { side: 'source', endpoint: spec.source },
      { side: 'target', endpoint: spec.target },
    ],
    async ({ source, target }) => {
      const reservoir: string[] = [];
      let seen = 0;
      const common = { spec, sourceSchema, transform };
      for await (const row of sideRows(source, { ...common, side: 'source', ranges: input.sourceRanges }, hooks, 'sample source')) {
        seen++;
        const k = fp.keyOf(row);
        if (reservoir.length < size) {
          reservoir.push(k);
          differ.hold(fp.of(row, k));
          continue;
        }
        const j = Math.floor(random() * seen);
        if (j < size) {
          differ.release(reservoir[j]!);
          reservoir[j] = k;
          differ.hold(fp.of(row, k));
        }
      }
      for await (const row of sideRows(target, { ...common, side: 'target', ranges: input.targetRanges }, hooks, 'sample target')) differ.target(row);
      differ.finish();
    },
  );
  await writeDiffs(input.ref, out.sorted());
  return { ref: input.ref, scope: 'sample', ...out.counts, listed: out.entries.length, limitHit: out.limitHit, keysCompared: differ.compared, passes: 1 };
}
