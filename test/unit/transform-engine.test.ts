import { dryRunCheck } from '../../client/dry-run';
import { copyChunk, type ChunkResult } from '../../src/engine/copy-chunk';
import { planMigration } from '../../src/engine/plan';
import { scanRange } from '../../src/engine/validate';
import { DEAD_LETTERS, dropMemoryStore, memoryRows, seedMemoryObject } from '../../src/connectors/memory/store';
import type { KeyRange, ObjectSchema, Row } from '../../src/model/types';
import { compareScans } from '../../src/validation/digest';
import type { JobSpecInput } from '../../src/job/job-spec';
import { parsed } from '../helpers/specs';
import { uniqueSuffix } from '../helpers/env';

/** filter, compute and mask through the engine (copy chunk + validation scans) against the memory connector. */
const schema: ObjectSchema = {
  object: 'src',
  key: ['id'],
  fields: [
    { name: 'id', type: 'int64', nullable: false },
    { name: 'email', type: 'string', nullable: true },
    { name: 'n', type: 'int32', nullable: true },
  ],
};
const rows = (count: number): Row[] => Array.from({ length: count }, (_, i) => ({ id: BigInt(i + 1), email: `u${i + 1}@example.org`, n: i % 10 }));
const whole: KeyRange = { id: 0, lower: null, upper: null };
const KEY_VAR = 'DM_UNIT_MASK_KEY';

let store: string;
beforeEach(() => (store = `transform_${uniqueSuffix()}`));
afterEach(() => {
  dropMemoryStore(store);
  delete process.env[KEY_VAR];
});

const spec = (extra: Partial<JobSpecInput>) =>
  parsed({
    name: 'mem',
    batchSize: 7,
    parallelism: 1,
    partitions: 1,
    source: { type: 'memory', connection: { store }, object: 'src' },
    target: { type: 'memory', connection: { store }, object: 'dst' },
    ...extra,
  } as JobSpecInput);

async function copyAndValidate(s: ReturnType<typeof spec>) {
  const plan = await planMigration(s);
  const chunks: ChunkResult[] = [];
  let cursor = null;
  for (;;) {
    const r = await copyChunk(
      { spec: s, sourceSchema: plan.sourceSchema, partition: plan.partitions[0]!, cursor, runId: 'run' },
      { onBatch: () => undefined, stopRequested: () => false },
    );
    chunks.push(r);
    cursor = r.cursor;
    if (r.done) break;
  }
  const scan = (side: 'source' | 'target') =>
    scanRange(
      { spec: s, side, sourceSchema: plan.sourceSchema, range: whole },
      () => undefined,
      () => false,
    );
  const [source, target] = [await scan('source'), await scan('target')];
  const sum = (k: 'rows' | 'quarantined' | 'filtered') => chunks.reduce((n, c) => n + (c[k] ?? 0), 0);
  return { rows: sum('rows'), quarantined: sum('quarantined'), filtered: sum('filtered'), validation: compareScans(source, target), source, plan };
}

test('filter: left-out rows counted as filtered, the source scan applies the same filter, validation matches', async () => {
  seedMemoryObject(store, schema, rows(100));
  const r = await copyAndValidate(spec({ transform: [{ op: 'filter', expression: 'n < 3' }] }));
  expect(r).toMatchObject({ rows: 30, filtered: 70, quarantined: 0 });
  expect(r.source.total.count).toBe(30);
  expect(r.validation.status).toBe('match');
  expect(memoryRows(store, 'dst')!.every((row) => (row.n as number) < 3)).toBe(true);
});

test('compute failing on some records follows onRecordError: quarantined at stage transform, the rest validated', async () => {
  seedMemoryObject(store, schema, rows(40));
  const s = spec({ onRecordError: 'quarantine', transform: [{ op: 'compute', fields: { ratio: { expression: '100 / (n - 4)', type: 'int64' } } }] });
  const r = await copyAndValidate(s);
  expect(r).toMatchObject({ rows: 36, quarantined: 4, filtered: 0 });
  expect(r.validation.status).toBe('match');
  const dead = memoryRows(store, DEAD_LETTERS)!;
  expect(dead.map((d) => d.stage)).toEqual(['transform', 'transform', 'transform', 'transform']);
  expect(String(dead[0]!.error)).toMatch(/compute ratio: expression failed: division by zero/);
  await expect(copyAndValidate(spec({ transform: s.transform }))).rejects.toMatchObject({
    kind: 'RecordError',
    message: expect.stringMatching(/key 5 .*compute ratio/),
  });
});

test('mask: the key is resolved on the worker from its reference; a missing key fails the job, it never quarantines records', async () => {
  seedMemoryObject(store, schema, rows(20));
  const s = spec({ onRecordError: 'quarantine', transform: [{ op: 'mask', key: { env: KEY_VAR }, fields: { email: 'email' } }] });
  await expect(copyAndValidate(s)).rejects.toMatchObject({
    kind: 'ConfigError',
    message: expect.stringMatching(/transform\[0\]\.key: environment variable DM_UNIT_MASK_KEY is not set/),
  });
  expect(memoryRows(store, DEAD_LETTERS) ?? []).toHaveLength(0);
  process.env[KEY_VAR] = 'the key';
  const r = await copyAndValidate(s);
  expect(r).toMatchObject({ rows: 20, quarantined: 0 });
  expect(r.validation.status).toBe('match');
  const emails = memoryRows(store, 'dst')!.map((row) => row.email as string);
  expect(emails.every((e) => /^[0-9a-f]{16}@example\.org$/.test(e))).toBe(true);
  expect(new Set(emails).size).toBe(20);
});

test('check (dry run): the chain’s output schema and a sample of kept, transformed rows; nothing written', async () => {
  seedMemoryObject(store, schema, rows(100));
  const r = await dryRunCheck(
    {
      name: 'mem',
      partitions: 1, // the sample comes from the first partition
      source: { type: 'memory', connection: { store }, object: 'src' },
      target: { type: 'memory', connection: { store }, object: 'dst' },
      transform: [
        { op: 'filter', expression: 'n == 9' },
        { op: 'compute', fields: { label: 'email + "#" + string(n)' } },
        { op: 'map', fields: { email: ['uppercase'] } },
      ],
    },
    { sampleSize: 3 },
  );
  expect(r.targetSchema.fields.map((f) => `${f.name}:${f.type}`)).toEqual(['id:int64', 'email:string', 'n:int32', 'label:string']);
  expect(r.sample).toEqual([
    { id: '10', email: 'U10@EXAMPLE.ORG', n: 9, label: 'u10@example.org#9' },
    { id: '20', email: 'U20@EXAMPLE.ORG', n: 9, label: 'u20@example.org#9' },
    { id: '30', email: 'U30@EXAMPLE.ORG', n: 9, label: 'u30@example.org#9' },
  ]);
  expect(r.warnings).toEqual(['filter left out 27 of the 30 rows read for the sample']);
  expect(memoryRows(store, 'dst')).toBeNull(); // the target was not even created
});
