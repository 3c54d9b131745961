import type { ConnectorSession } from '../connectors/contract';
import type { JobSpec } from '../job/job-spec';
import type { KeyRange, ObjectSchema } from '../model/types';

/**
 * Under this many estimated rows a partition, the default plan keeps one wave of chunks (`parallelism`
 * partitions) instead of two: a second wave costs each chunk's start-up (sessions, first page, a workflow task
 * between chunks, ~0.1 s) and the first wave's stragglers idle their slots, which percentile ranges of equal
 * rows do not make up for. PG → PG at 100k rows, parallelism 4: 8 partitions 1.33 – 1.52 s end to end,
 * 4 partitions 1.04 – 1.15 s (bench/pg.ts, 2026-12-02); at 1M rows, copy phase as a ratio of the native pipe:
 * passthrough 0.72 – 0.75 with 8 partitions, 0.78 with 4; row path 0.58 and 0.61 – 0.63 (2026-12-04).
 */
export const ONE_WAVE_ROWS_PER_PARTITION = 250_000;

/**
 * The ranges a run copies (or a validation scans) the session's object by: `partitions` when the spec names it,
 * else 2 × parallelism for balance — fewer, down to one per concurrent chunk, when the object is small.
 */
export async function planRanges(session: ConnectorSession, schema: ObjectSchema, spec: JobSpec): Promise<KeyRange[]> {
  if (spec.partitions !== undefined) return session.planPartitions(schema, spec.partitions);
  return oneWaveWhenSmall(await session.planPartitions(schema, spec.parallelism * 2), spec.parallelism);
}

const estimated = (ranges: readonly KeyRange[]) => ranges.reduce((n, r) => n + r.estimatedRows!, 0);

const isBound = (v: unknown): v is string | number => typeof v === 'string' || typeof v === 'number';

/**
 * Adjacent key ranges merged into `parallelism` groups when they are estimated to hold under
 * ONE_WAVE_ROWS_PER_PARTITION rows each. Only ranges that tile the key space in order — the first open
 * below, the last open above, each starting at the previous one's scalar upper bound, every one estimated —
 * are merged: their union is then again one range (key ranges and Cassandra's token ranges alike). Anything else
 * (DynamoDB's scan segments, tuple bounds, unestimated plans) is returned as planned.
 */
export function oneWaveWhenSmall(ranges: KeyRange[], parallelism: number): KeyRange[] {
  if (ranges.length <= parallelism) return ranges;
  const tiled =
    ranges[0]!.lower === null &&
    ranges[ranges.length - 1]!.upper === null &&
    ranges.every((r, i) => r.estimatedRows !== undefined && (i === 0 || (isBound(r.lower) && r.lower === ranges[i - 1]!.upper)));
  if (!tiled) return ranges;
  if (estimated(ranges) >= ranges.length * ONE_WAVE_ROWS_PER_PARTITION) return ranges;
  const merged: KeyRange[] = [];
  for (let g = 0; g < parallelism; g++) {
    const group = ranges.slice(Math.floor((g * ranges.length) / parallelism), Math.floor(((g + 1) * ranges.length) / parallelism));
    if (group.length === 0) continue;
    merged.push({ id: merged.length, lower: group[0]!.lower, upper: group[group.length - 1]!.upper, estimatedRows: estimated(group) });
  }
  return merged;
}
