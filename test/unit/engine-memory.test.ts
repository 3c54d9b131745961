import { copyChunk, type ChunkProgress, type ChunkResult } from '../../src/engine/copy-chunk';
import { planMigration } from '../../src/engine/plan';
import { scanRange } from '../../src/engine/validate';
import { DEAD_LETTERS, dropMemoryStore, memoryRows, seedMemoryObject, tamperMemoryRow } from '../../src/connectors/memory/store';
import type { KeyRange, ObjectSchema, Row } from '../../src/model/types';
import { compareScans, emptyDigest } from '../../src/validation/digest';
import type { JobSpecInput } from '../../src/job/job-spec';
import { parsed } from '../helpers/specs';
import { uniqueSuffix } from '../helpers/env';
import * as jobSchema from '../../src/engine/job-schema';
import { MemorySession } from '../../src/connectors/memory/session';

/** The engine against the in-memory reference connector: no server, so these run in the fast tier. */
const schema = (object: string, n: 'int32' | 'string' = 'int32'): ObjectSchema => ({
  object,
  key: ['id'],
  fields: [
    { name: 'id', type: 'int64', nullable: false },
    { name: 'name', type: 'string', nullable: true },
    { name: 'n', type: n, nullable: true },
  ],
});
const rows = (count: number): Row[] => Array.from({ length: count }, (_, i) => ({ id: BigInt(i + 1), name: `r${i + 1}`, n: i }));

let store: string;
beforeEach(() => (store = `engine_${uniqueSuffix()}`));
afterEach(() => dropMemoryStore(store));

const spec = (extra: Partial<JobSpecInput> = {}) =>
  parsed({
    name: 'mem',
    batchSize: 10,
    parallelism: 1,
    partitions: 1,
    source: { type: 'memory', connection: { store }, object: 'src' },
    target: { type: 'memory', connection: { store }, object: 'dst' },
    ...extra,
  } as JobSpecInput);

async function copyAll(s = spec(), resumeFrom?: ChunkProgress): Promise<{ chunks: ChunkResult[]; plan: Awaited<ReturnType<typeof planMigration>> }> {
  const plan = await planMigration(s);
  const chunks: ChunkResult[] = [];
  for (const partition of plan.partitions) {
    let cursor = null;
    let first = resumeFrom;
    for (;;) {
      const r = await copyChunk(
        { spec: s, sourceSchema: plan.sourceSchema, partition, cursor, runId: 'run' },
        { onBatch: () => undefined, stopRequested: () => false, resumeFrom: first },
      );
      first = undefined;
      chunks.push(r);
      cursor = r.cursor;
      if (r.done) break;
    }
  }
  return { chunks, plan };
}

const whole: KeyRange = { id: 0, lower: null, upper: null };

test('planMigration creates the target and covers the source; copyChunk stops after maxBatches and resumes by cursor', async () => {
  seedMemoryObject(store, schema('src'), rows(95));
  const { chunks, plan } = await copyAll(spec({ chunk: { maxBatches: 3 } } as Partial<JobSpecInput>));
  expect(plan.partitions).toHaveLength(1);
  expect(chunks.map((c) => c.batches)).toEqual([3, 3, 3, 1]);
  expect(chunks.map((c) => c.done)).toEqual([false, false, false, true]);
  expect(memoryRows(store, 'dst')!.map((r) => r.id)).toEqual(rows(95).map((r) => r.id));
});

test('chunk.maxSeconds counts from the first batch: a slow first batch does not end the chunk after one batch', async () => {
  seedMemoryObject(store, schema('src'), rows(95));
  const s = spec({ chunk: { maxSeconds: 15 } } as Partial<JobSpecInput>);
  const plan = await planMigration(s);
  let t = 0;
  let calls = 0;
  // The first batch "arrives" 20 s after the query (a store that scans first); later batches take 1 s each.
  const onBatch = () => void (t += calls++ === 0 ? 20_000 : 1_000);
  const r = await copyChunk(
    { spec: s, sourceSchema: plan.sourceSchema, partition: plan.partitions[0]!, cursor: null, runId: 'run' },
    { onBatch, stopRequested: () => false, now: () => t },
  );
  expect(r.done).toBe(true);
  expect(r.batches).toBe(10);
});

test('a resumed chunk continues from the recorded progress, not from the start', async () => {
  seedMemoryObject(store, schema('src'), rows(40));
  const s = spec();
  const plan = await planMigration(s);
  const resumeFrom: ChunkProgress = { cursor: '20', rows: 20, quarantined: 0, batches: 2, digest: emptyDigest() };
  const r = await copyChunk(
    { spec: s, sourceSchema: plan.sourceSchema, partition: plan.partitions[0]!, cursor: null, runId: 'run' },
    { onBatch: () => undefined, stopRequested: () => false, resumeFrom },
  );
  expect(r.resumedFrom).toEqual({ rows: 20, cursor: '20' });
  expect(r.rows).toBe(40);
  expect(memoryRows(store, 'dst')!.map((x) => Number(x.id))).toEqual(Array.from({ length: 20 }, (_, i) => i + 21));
});

describe('write-behind: batch n + 1 is transformed while batch n is written', () => {
  /** Logs the first row of each batch as it is transformed and as its (slow) write starts and ends. */
  function instrument(failWriteOf?: bigint) {
    const log: string[] = [];
    const compile = jobSchema.compileJobForRows;
    const write = MemorySession.prototype.write;
    const spies = [
      jest.spyOn(jobSchema, 'compileJobForRows').mockImplementation(async (...args) => {
        const t = await compile(...args);
        return { ...t, apply: (row: Row) => (Number(row.id) % 10 === 1 && log.push(`transform ${row.id}`), t.apply(row)) };
      }),
      jest.spyOn(MemorySession.prototype, 'write').mockImplementation(async function (this: MemorySession, schema, batch) {
        const first = batch[0]!.id;
        log.push(`write ${first}`);
        await new Promise((r) => setTimeout(r, 20));
        if (first === failWriteOf) throw new Error(`write of ${first} refused`);
        const outcome = await write.call(this, schema, batch);
        log.push(`wrote ${first}`);
        return outcome;
      }),
    ];
    return { log, restore: () => spies.forEach((s) => s.mockRestore()) };
  }

  async function chunk(onBatch: (p: ChunkProgress) => void = () => undefined) {
    const s = spec();
    const plan = await planMigration(s);
    return copyChunk(
      { spec: s, sourceSchema: plan.sourceSchema, partition: plan.partitions[0]!, cursor: null, runId: 'run' },
      { onBatch, stopRequested: () => false },
    );
  }

  test('the transform overlaps the write, writes stay in order, and progress counts only finished writes', async () => {
    seedMemoryObject(store, schema('src'), rows(40));
    const { log, restore } = instrument();
    const reported: [number, number][] = [];
    try {
      const r = await chunk((p) => reported.push([p.rows, log.filter((l) => l.startsWith('wrote')).length * 10]));
      expect(r.rows).toBe(40);
    } finally {
      restore();
    }
    expect(log.indexOf('transform 11')).toBeLessThan(log.indexOf('wrote 1'));
    expect(log.filter((l) => l.startsWith('write'))).toEqual(['write 1', 'write 11', 'write 21', 'write 31']);
    for (const [rowsReported, rowsWritten] of reported) expect(rowsReported).toBe(rowsWritten);
    expect(memoryRows(store, 'dst')!.map((x) => x.id)).toEqual(rows(40).map((x) => x.id));
  });

  test('a write that fails while the next batch is transformed fails the chunk with its error; nothing after it is written', async () => {
    seedMemoryObject(store, schema('src'), rows(40));
    const { log, restore } = instrument(11n);
    try {
      await expect(chunk()).rejects.toThrow('write of 11 refused');
    } finally {
      restore();
    }
    expect(log).not.toContain('write 21');
    expect(memoryRows(store, 'dst')!.map((x) => Number(x.id))).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
  });
});

describe('record errors', () => {
  beforeEach(() => {
    seedMemoryObject(
      store,
      schema('src', 'string'),
      rows(30).map((r) => ({ ...r, n: r.id === 7n || r.id === 23n ? 'x' : String(r.n) })),
    );
    seedMemoryObject(store, schema('dst'), []); // the target's n is int32: 'x' does not fit
  });

  test('onRecordError fail: a RecordError naming the key', async () => {
    await expect(copyAll()).rejects.toMatchObject({ kind: 'RecordError', message: expect.stringContaining('7') });
  });

  test('onRecordError quarantine: dead letters and counts, the others written', async () => {
    const { chunks } = await copyAll(spec({ onRecordError: 'quarantine' }));
    expect(chunks.reduce((n, c) => n + c.quarantined, 0)).toBe(2);
    expect(memoryRows(store, 'dst')).toHaveLength(28);
    // Dead letters are keyed by a hash of their identity, so their order is not the records' order.
    const letters = memoryRows(store, DEAD_LETTERS)!.map((d) => [d.record_key, d.stage]);
    expect(letters.sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual([
      ['7', 'write'],
      ['23', 'write'],
    ]);
  });
});

test('read-stage rejected records (a stored value that does not fit the declared type) are quarantined at stage read', async () => {
  seedMemoryObject(store, schema('src'), rows(12));
  tamperMemoryRow(store, 'src', 4, 'n', 'oops');
  const { chunks } = await copyAll(spec({ onRecordError: 'quarantine' }));
  expect(chunks.reduce((n, c) => n + c.quarantined, 0)).toBe(1);
  expect(memoryRows(store, DEAD_LETTERS)!.map((d) => [d.record_key, d.stage])).toEqual([['5', 'read']]);
  expect(memoryRows(store, 'dst')).toHaveLength(11);
});

test('validation: both sides match after the copy; a tampered target row is a mismatch', async () => {
  seedMemoryObject(store, schema('src'), rows(50));
  const s = spec();
  const { plan } = await copyAll(s);
  const scan = (side: 'source' | 'target') =>
    scanRange(
      { spec: s, side, sourceSchema: plan.sourceSchema, range: whole },
      () => undefined,
      () => false,
    );
  expect(compareScans(await scan('source'), await scan('target')).status).toBe('match');
  tamperMemoryRow(store, 'dst', 17, 'name', 'tampered');
  const summary = compareScans(await scan('source'), await scan('target'));
  expect(summary.status).toBe('mismatch');
  expect(summary.mismatchedBuckets.length).toBeGreaterThan(0);
});

test('composite keys through the engine: target keyed by the tuple, upserts by it', async () => {
  const comp: ObjectSchema = {
    object: 'src',
    key: ['tenant', 'seq'],
    fields: [
      { name: 'tenant', type: 'string', nullable: false },
      { name: 'seq', type: 'int32', nullable: false },
      { name: 'v', type: 'string', nullable: true },
    ],
  };
  const data = ['b', 'a'].flatMap((tenant) => [3, 1, 2].map((seq) => ({ tenant, seq, v: `${tenant}${seq}` })));
  seedMemoryObject(store, comp, data);
  await copyAll(spec({ partitions: 2 }));
  await copyAll(spec({ partitions: 2 })); // a second run upserts the same tuples
  expect(memoryRows(store, 'dst')!.map((r) => `${r.tenant}${r.seq}`)).toEqual(['a1', 'a2', 'a3', 'b1', 'b2', 'b3']);
});
