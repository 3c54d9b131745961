import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
// Before anything reads the configuration: the diff lists of this file go to a fresh directory.
process.env.DATAMIGRATO_DIFF_DIR = mkdtempSync(path.join(os.tmpdir(), 'dm-diffs-'));

import { MemorySession } from '../../src/connectors/memory/session';
import { dropMemoryStore, memoryRows, seedMemoryObject, tamperMemoryRow } from '../../src/connectors/memory/store';
import { copyChunk } from '../../src/engine/copy-chunk';
import { narrowDiffs, sampleDiffs } from '../../src/engine/diff';
import { planMigration, type MigrationPlan } from '../../src/engine/plan';
import { repairDiffs } from '../../src/engine/repair';
import { planTargetScan, scanRange } from '../../src/engine/validate';
import type { JobSpec, JobSpecInput } from '../../src/job/job-spec';
import type { KeyRange, ObjectSchema, Row } from '../../src/model/types';
import { compareScans, sumScans, type ValidationSummary } from '../../src/validation/digest';
import { readDiffs } from '../../src/validation/diff-store';
import { planNarrowPasses, type DiffEntry } from '../../src/validation/diff-types';
import { uniqueSuffix } from '../helpers/env';
import { parsed } from '../helpers/specs';

/**
 * Narrowing, sampling and repair (the engine half of validate.mode full/sample and `repair`) against the
 * memory connector: the workflow's steps called in order, with the target tampered in known ways.
 */
const schema: ObjectSchema = {
  object: 'src',
  key: ['id'],
  fields: [
    { name: 'id', type: 'int64', nullable: false },
    { name: 'email', type: 'string', nullable: true },
    { name: 'n', type: 'int32', nullable: true },
    { name: 'price', type: 'decimal', nullable: true },
  ],
};
const rows = (count: number): Row[] => Array.from({ length: count }, (_, i) => ({ id: BigInt(i + 1), email: `u${i + 1}@x.org`, n: i, price: `${i}.50` }));
const hooks = { onProgress: () => undefined, stopRequested: () => false };

let store: string;
beforeEach(() => (store = `diff_${uniqueSuffix()}`));
afterEach(() => dropMemoryStore(store));

const spec = (extra: Partial<JobSpecInput> = {}): JobSpec =>
  parsed({
    name: 'diff',
    batchSize: 7,
    parallelism: 2,
    partitions: 3,
    source: { type: 'memory', connection: { store }, object: 'src' },
    target: { type: 'memory', connection: { store }, object: 'dst' },
    validate: { mode: 'full' },
    ...extra,
  } as JobSpecInput);

async function copyAll(s: JobSpec): Promise<MigrationPlan> {
  const plan = await planMigration(s);
  for (const partition of plan.partitions) {
    let cursor = null;
    for (;;) {
      const r = await copyChunk(
        { spec: s, sourceSchema: plan.sourceSchema, partition, cursor, runId: 'run' },
        { onBatch: () => undefined, stopRequested: () => false },
      );
      cursor = r.cursor;
      if (r.done) break;
    }
  }
  return plan;
}

/** What validateCopy does: scan each side by its ranges, compare the bucketed digests. */
async function validate(s: JobSpec, plan: MigrationPlan): Promise<{ summary: ValidationSummary; targetRanges: KeyRange[] }> {
  const targetRanges = await planTargetScan(s, plan.sourceSchema);
  const scan = (side: 'source' | 'target', ranges: KeyRange[]) =>
    Promise.all(
      ranges.map((range) =>
        scanRange(
          { spec: s, side, sourceSchema: plan.sourceSchema, range },
          () => undefined,
          () => false,
        ),
      ),
    );
  const summary = compareScans(sumScans(await scan('source', plan.partitions)), sumScans(await scan('target', targetRanges)));
  return { summary, targetRanges };
}

async function narrow(s: JobSpec, plan: MigrationPlan, label: string, keysPerPass?: number) {
  const { summary, targetRanges } = await validate(s, plan);
  const ref = `${store}/${label}.jsonl`;
  const diff = await narrowDiffs(
    { spec: s, sourceSchema: plan.sourceSchema, sourceRanges: plan.partitions, targetRanges, mismatched: summary.mismatchedBuckets, ref, keysPerPass },
    hooks,
  );
  const entries: DiffEntry[] = [];
  for await (const e of readDiffs(ref)) entries.push(e);
  return { summary, diff, entries, targetRanges };
}

const listed = (entries: DiffEntry[]) => entries.map((e) => `${e.kind} ${JSON.stringify(e.key)}${e.fields ? ` ${e.fields.join(',')}` : ''}`).sort();

/** One deleted, one extra, three changed (one field, one other field, two fields at once). */
function tamper(target = 'dst', keyField = 'id'): void {
  const dst = memoryRows(store, target)!;
  const at = (id: number) => dst.findIndex((r) => Number(r[keyField]) === id);
  tamperMemoryRow(store, target, at(10), 'email', 'changed@x.org');
  tamperMemoryRow(store, target, at(20), 'n', -1);
  tamperMemoryRow(store, target, at(30), 'price', '99.99');
  tamperMemoryRow(store, target, at(30), 'n', -3);
  seedMemoryObject(store, { ...schema, object: target, key: [keyField], fields: schema.fields.map((f) => (f.name === 'id' ? { ...f, name: keyField } : f)) }, [
    ...memoryRows(store, target)!.filter((r) => Number(r[keyField]) !== 40),
    { [keyField]: 1000n, email: 'ghost@x.org', n: 0, price: '0' },
  ]);
}

const FIVE = ['different {"id":"10"} email', 'different {"id":"20"} n', 'different {"id":"30"} n,price', 'extra {"id":"1000"}', 'missing {"id":"40"}'];

test('narrowing lists exactly the tampered keys with the differing field names', async () => {
  seedMemoryObject(store, schema, rows(120));
  const s = spec();
  const plan = await copyAll(s);
  expect((await validate(s, plan)).summary.status).toBe('match');
  tamper();
  const { summary, diff, entries } = await narrow(s, plan, 'one');
  expect(summary.status).toBe('mismatch');
  expect(listed(entries)).toEqual(FIVE);
  expect(diff).toMatchObject({ missing: 1, extra: 1, different: 3, listed: 5, limitHit: false, passes: 1, scope: 'full' });
  // Only the keys of the differing buckets were looked at, not the whole table.
  expect(diff.keysCompared).toBeLessThan(120);
});

test('a small per-pass budget cuts buckets into parts and passes, with the same result', async () => {
  seedMemoryObject(store, schema, rows(120));
  const s = spec();
  const plan = await copyAll(s);
  tamper();
  const { diff, entries } = await narrow(s, plan, 'passes', 2);
  expect(listed(entries)).toEqual(FIVE);
  expect(diff.passes).toBeGreaterThan(1);
});

test('planNarrowPasses bounds each pass by the bucket counts', () => {
  const m = (bucket: number, count: number) => ({ bucket, source: { count, sum: '0' }, target: { count, sum: '0' } });
  const passes = planNarrowPasses([m(0, 250), m(5, 40), m(7, 60)], 100);
  // 250 keys in bucket 0 → 3 parts of ≤ 84; buckets 5 and 7 share the last pass (40 + 60 ≤ 100).
  expect(passes).toEqual([
    [{ bucket: 0, part: 0, parts: 3 }],
    [{ bucket: 0, part: 1, parts: 3 }],
    [{ bucket: 0, part: 2, parts: 3 }],
    [
      { bucket: 5, part: 0, parts: 1 },
      { bucket: 7, part: 0, parts: 1 },
    ],
  ]);
});

test('maxDiffs bounds the list and the summary says the limit was hit', async () => {
  seedMemoryObject(store, schema, rows(60));
  const s = spec({ validate: { mode: 'full', maxDiffs: 3 } } as Partial<JobSpecInput>);
  const plan = await copyAll(s);
  for (let i = 0; i < 10; i++) tamperMemoryRow(store, 'dst', i, 'n', 1000 + i);
  const { diff, entries } = await narrow(s, plan, 'limit');
  expect(entries).toHaveLength(3);
  expect(diff.listed).toBe(3);
  expect(diff.limitHit).toBe(true);
  expect(diff.different).toBeGreaterThanOrEqual(3);
});

test('repair re-copies missing and different keys, leaves the extra row without deleteExtra, and all five with it', async () => {
  seedMemoryObject(store, schema, rows(120));
  const s = spec({ repair: true });
  const plan = await copyAll(s);
  tamper();
  const first = await narrow(s, plan, 'r1');
  const repaired = await repairDiffs(
    { spec: s, sourceSchema: plan.sourceSchema, sourceRanges: plan.partitions, targetRanges: first.targetRanges, ref: first.diff.ref, runId: 'run' },
    hooks,
  );
  expect(repaired).toMatchObject({ rewritten: 4, notInSource: 0, deleted: 0, extraNotDeleted: 1, note: 'extra rows not deleted: repair.deleteExtra is off' });
  const again = await narrow(s, plan, 'r2');
  expect(listed(again.entries)).toEqual(['extra {"id":"1000"}']);
  expect(memoryRows(store, 'dst')!.find((r) => r.id === 30n)).toMatchObject({ n: 29, price: '29.50' });

  const s2 = spec({ repair: { deleteExtra: true } });
  const r2 = await repairDiffs(
    { spec: s2, sourceSchema: plan.sourceSchema, sourceRanges: plan.partitions, targetRanges: again.targetRanges, ref: again.diff.ref, runId: 'run' },
    hooks,
  );
  expect(r2).toMatchObject({ rewritten: 0, deleted: 1, extraNotDeleted: 0 });
  expect((await validate(s2, plan)).summary.status).toBe('match');
  expect(memoryRows(store, 'dst')).toHaveLength(120);
});

test('repair finds rows by the transformed key (a renamed key) and reports a connector without delete', async () => {
  seedMemoryObject(store, schema, rows(50));
  const s = spec({ repair: { deleteExtra: true }, transform: [{ op: 'rename', fields: { id: 'ident' } }] } as Partial<JobSpecInput>);
  const plan = await copyAll(s);
  tamper('dst', 'ident');
  const first = await narrow(s, plan, 'renamed');
  expect(listed(first.entries)).toEqual(FIVE.map((l) => l.replace('"id"', '"ident"')));
  const del = MemorySession.prototype.deleteKeys;
  (MemorySession.prototype as { deleteKeys?: unknown }).deleteKeys = undefined;
  try {
    const r = await repairDiffs(
      { spec: s, sourceSchema: plan.sourceSchema, sourceRanges: plan.partitions, targetRanges: first.targetRanges, ref: first.diff.ref, runId: 'run' },
      hooks,
    );
    expect(r).toMatchObject({ rewritten: 4, extraNotDeleted: 1, deleted: 0, note: 'extra rows not deleted: connector memory lacks delete' });
  } finally {
    MemorySession.prototype.deleteKeys = del;
  }
  expect(listed((await narrow(s, plan, 'renamed2')).entries)).toEqual(['extra {"ident":"1000"}']);
});

test('sample mode compares sampled keys field by field and sees only missing and different', async () => {
  seedMemoryObject(store, schema, rows(100));
  const s = spec({ validate: { mode: 'sample', sampleSize: 100 } } as Partial<JobSpecInput>);
  const plan = await copyAll(s);
  tamper();
  const targetRanges = await planTargetScan(s, plan.sourceSchema);
  const ref = `${store}/sample.jsonl`;
  const diff = await sampleDiffs({ spec: s, sourceSchema: plan.sourceSchema, sourceRanges: plan.partitions, targetRanges, ref }, hooks);
  const entries: DiffEntry[] = [];
  for await (const e of readDiffs(ref)) entries.push(e);
  // The sample is the whole table here, so it sees every tampered key but the extra one.
  expect(listed(entries)).toEqual(FIVE.filter((l) => !l.startsWith('extra')));
  expect(diff).toMatchObject({ scope: 'sample', keysCompared: 100, extra: 0 });

  let seed = 1;
  const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
  const small = spec({ validate: { mode: 'sample', sampleSize: 10 } } as Partial<JobSpecInput>);
  const d2 = await sampleDiffs(
    { spec: small, sourceSchema: plan.sourceSchema, sourceRanges: plan.partitions, targetRanges, ref: `${store}/sample2.jsonl`, random },
    hooks,
  );
  expect(d2.keysCompared).toBe(10);
  expect(d2.missing + d2.different).toBeLessThanOrEqual(4);
});

test('a diff reference that leaves the directory is refused', async () => {
  const read = async (ref: string) => {
    for await (const _ of readDiffs(ref)) void _;
  };
  await expect(read('../etc/passwd')).rejects.toThrow(/invalid diff reference/);
  await expect(read('nope/none.jsonl')).rejects.toThrow(/not readable here .*DATAMIGRATO_DIFF_DIR/);
});
