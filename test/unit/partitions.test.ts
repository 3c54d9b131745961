import { copyChunk } from '../../src/engine/copy-chunk';
import { planMigration } from '../../src/engine/plan';
import { ONE_WAVE_ROWS_PER_PARTITION, oneWaveWhenSmall } from '../../src/engine/partitions';
import { dropMemoryStore, memoryRows, seedMemoryObject } from '../../src/connectors/memory/store';
import type { JobSpecInput } from '../../src/job/job-spec';
import type { KeyRange, ObjectSchema, Row } from '../../src/model/types';
import { parsed } from '../helpers/specs';
import { uniqueSuffix } from '../helpers/env';

/** Eight ranges tiling integer keys 0..8n, `rows` estimated in each. */
const tiled = (rows: number): KeyRange[] =>
  Array.from({ length: 8 }, (_, i) => ({ id: i, lower: i === 0 ? null : i * 100, upper: i === 7 ? null : (i + 1) * 100, estimatedRows: rows }));

describe('oneWaveWhenSmall', () => {
  test('small tiled ranges merge into `parallelism` contiguous ranges that cover the same keys', () => {
    const merged = oneWaveWhenSmall(tiled(1_000), 4);
    expect(merged).toEqual([
      { id: 0, lower: null, upper: 200, estimatedRows: 2_000 },
      { id: 1, lower: 200, upper: 400, estimatedRows: 2_000 },
      { id: 2, lower: 400, upper: 600, estimatedRows: 2_000 },
      { id: 3, lower: 600, upper: null, estimatedRows: 2_000 },
    ]);
  });

  test('an uneven split keeps every range in one group and in order', () => {
    const merged = oneWaveWhenSmall(tiled(10), 3);
    expect(merged.map((r) => [r.lower, r.upper])).toEqual([
      [null, 200],
      [200, 500],
      [500, null],
    ]);
    expect(merged.reduce((n, r) => n + r.estimatedRows!, 0)).toBe(80);
  });

  test('ranges estimated at the threshold or above, or already one wave, are kept as planned', () => {
    const big = tiled(ONE_WAVE_ROWS_PER_PARTITION);
    expect(oneWaveWhenSmall(big, 4)).toBe(big);
    const few = tiled(10).slice(0, 4);
    expect(oneWaveWhenSmall(few, 4)).toBe(few);
  });

  test('ranges that do not tile the key space are never merged', () => {
    const segments: KeyRange[] = Array.from({ length: 8 }, (_, i) => ({ id: i, lower: i, upper: 8, estimatedRows: 10 })); // DynamoDB scan segments
    expect(oneWaveWhenSmall(segments, 4)).toBe(segments);
    const gap = tiled(10).map((r, i) => (i === 3 ? { ...r, lower: 301 } : r));
    expect(oneWaveWhenSmall(gap, 4)).toBe(gap);
    const unestimated = tiled(10).map((r, i) => (i === 5 ? { id: r.id, lower: r.lower, upper: r.upper } : r));
    expect(oneWaveWhenSmall(unestimated, 4)).toBe(unestimated);
    const tuples = tiled(10).map((r) => ({
      ...r,
      lower: r.lower === null ? null : [r.lower],
      upper: r.upper === null ? null : [r.upper],
    })) as unknown as KeyRange[];
    expect(oneWaveWhenSmall(tuples, 4)).toBe(tuples);
  });
});

describe('the default plan (planMigration over the in-memory connector)', () => {
  const schema: ObjectSchema = { object: 'src', key: ['id'], fields: [{ name: 'id', type: 'int64', nullable: false }] };
  const rows = (count: number): Row[] => Array.from({ length: count }, (_, i) => ({ id: BigInt(i + 1) }));
  let store: string;
  beforeEach(() => (store = `partitions_${uniqueSuffix()}`));
  afterEach(() => dropMemoryStore(store));
  const spec = (extra: Partial<JobSpecInput>) =>
    parsed({
      name: 'mem',
      parallelism: 4,
      source: { type: 'memory', connection: { store }, object: 'src' },
      target: { type: 'memory', connection: { store }, object: 'dst' },
      ...extra,
    } as JobSpecInput);

  test('a small object gets one range per concurrent chunk; `partitions` in the spec is always kept', async () => {
    seedMemoryObject(store, schema, rows(2_000));
    const plan = await planMigration(spec({}));
    expect(plan.partitions).toHaveLength(4);
    expect(plan.partitions.reduce((n, p) => n + p.estimatedRows!, 0)).toBe(2_000);
    expect((await planMigration(spec({ partitions: 8 }))).partitions).toHaveLength(8);
  });

  test('the merged ranges copy every row exactly once', async () => {
    seedMemoryObject(store, schema, rows(2_000));
    const s = spec({ batchSize: 100 });
    const plan = await planMigration(s);
    let copied = 0;
    for (const partition of plan.partitions)
      for (let cursor = null, done = false; !done;) {
        const r = await copyChunk(
          { spec: s, sourceSchema: plan.sourceSchema, partition, cursor, runId: 'run' },
          { onBatch: () => undefined, stopRequested: () => false },
        );
        ({ cursor, done } = r);
        copied += r.rows;
      }
    expect(copied).toBe(2_000);
    expect(memoryRows(store, 'dst')!.map((r) => r.id)).toEqual(rows(2_000).map((r) => r.id));
  });
});
