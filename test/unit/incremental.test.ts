import { incrementalCondition } from '../../src/connectors/mongodb/incremental';
import { isSoftDeleted } from '../../src/incremental/soft-delete';
import { incrementalPageQuery, incrementalWhere, boundKindOf, type SqlTerms } from '../../src/connectors/sql/incremental';
import { dropMemoryStore, seedMemoryObject } from '../../src/connectors/memory/store';
import { planMigration } from '../../src/engine/plan';
import type { IncrementalWindow } from '../../src/incremental/window';
import { parseJobSpec, type JobSpecInput } from '../../src/job/job-spec';
import type { KeyValue } from '../../src/model/types';
import { uniqueSuffix } from '../helpers/env';
import { advanceWatermarkAfterCopy } from '../../workflows/incremental';
import type { MigrationState } from '../../workflows/types';

/** Literal rendering so the expected SQL reads plainly; the connectors bind or escape instead. */
const terms: SqlTerms = {
  cursor: '"u"',
  key: ['"a"', '"b"'],
  cursorValue: (v: KeyValue) => `'${v}'`,
  keyAfter: (values) => `("a", "b") > (${values.map((v) => `'${v}'`).join(', ')})`,
  nullsFirst: ' NULLS FIRST',
};
const win = (w: Partial<IncrementalWindow> = {}): IncrementalWindow => ({ cursorField: 'u', after: null, upTo: 'T9', includeNulls: false, ...w });

describe('the watermark predicate', () => {
  test('a first run reads up to the bound, NULL cursors only when the policy includes them', () => {
    expect(incrementalWhere(win(), null, terms)).toBe(`"u" <= 'T9'`);
    expect(incrementalWhere(win({ includeNulls: true }), null, terms)).toBe(`("u" IS NULL OR "u" <= 'T9')`);
  });

  test('after a (cursor, key) tuple: greater cursor, or the same cursor and a greater key — never the cursor alone', () => {
    const w = win({ after: { cursor: 'T1', key: [1, 'x'] } });
    expect(incrementalWhere(w, null, terms)).toBe(`"u" >= 'T1' AND ("u" > 'T1' OR ("u" = 'T1' AND ("a", "b") > ('1', 'x'))) AND "u" <= 'T9'`);
  });

  test("the run's own position wins over the stored watermark (a resumed or continued chunk)", () => {
    const w = win({ after: { cursor: 'T1', key: [1, 'x'] } });
    expect(incrementalWhere(w, { cursor: 'T5', key: [7, 'y'] }, terms)).toContain(`"u" = 'T5' AND ("a", "b") > ('7', 'y')`);
  });

  test('among the NULL-cursor rows: the rest of them by key, then every non-NULL cursor up to the bound', () => {
    const w = win({ includeNulls: true });
    expect(incrementalWhere(w, { cursor: null, key: [3, 'c'] }, terms)).toBe(`(("u" IS NULL AND ("a", "b") > ('3', 'c')) OR "u" <= 'T9')`);
    // A watermark left among NULLs by a first run: later runs (no NULLs) start at the first non-NULL cursor.
    expect(incrementalWhere(win({ after: { cursor: null, key: [3, 'c'] } }), null, terms)).toBe(`"u" <= 'T9'`);
  });

  test('no bound (an integer cursor on a table without one) reads nothing above the NULLs', () => {
    expect(incrementalWhere(win({ upTo: null }), null, terms)).toBe('FALSE');
    expect(incrementalWhere(win({ upTo: null, includeNulls: true }), null, terms)).toBe('("u" IS NULL OR FALSE)');
  });

  test('ordered by (cursor, key) with NULLs first; a watermark of another key width is refused', () => {
    expect(incrementalPageQuery('t', '*', win(), null, 10, terms)).toBe(`SELECT * FROM t WHERE "u" <= 'T9' ORDER BY "u" NULLS FIRST, "a", "b" LIMIT 10`);
    expect(() => incrementalWhere(win({ after: { cursor: 'T1', key: [1] } }), null, terms)).toThrow('watermark has 1 key value(s), the key has 2 column(s)');
  });

  test('cursor fields: times by the clock, integers by their maximum, others refused naming the field', () => {
    expect(boundKindOf({ name: 'u', type: 'timestamptz', nullable: true }, 'u', 'postgres')).toBe('timestamptz');
    expect(boundKindOf({ name: 'v', type: 'int64', nullable: true }, 'v', 'postgres')).toBe('max');
    expect(() => boundKindOf({ name: 's', type: 'string', nullable: true }, 's', 'postgres')).toThrow(/incremental.cursorField: "s" is string/);
    expect(() => boundKindOf(undefined, 'nope', 'mysql')).toThrow(/incremental.cursorField: "nope" is not a field/);
  });
});

describe('the incremental spec', () => {
  const base = (extra: Partial<JobSpecInput>) =>
    parseJobSpec({
      name: 'inc',
      source: { type: 'memory', connection: { store: 's' }, object: 'a' },
      target: { type: 'memory', connection: { store: 's' }, object: 'b' },
      ...extra,
    });

  test('defaults: full mode; incremental with a 5 s lag and NULL cursors copied by the first run only', () => {
    const full = base({});
    expect(full.ok && full.spec.mode).toBe('full');
    const inc = base({ mode: 'incremental', incremental: { cursorField: 'updated_at' } });
    expect(inc.ok && inc.spec.incremental).toEqual({ cursorField: 'updated_at', lagSeconds: 5, nullCursor: 'include-first-run' });
  });

  test('inconsistent combinations name the field at fault', () => {
    expect(base({ mode: 'incremental' })).toMatchObject({ ok: false, issues: [{ path: 'incremental' }] });
    expect(base({ incremental: { cursorField: 'u' } })).toMatchObject({ ok: false, issues: [{ path: 'mode' }] });
    expect(base({ mode: 'incremental', incremental: { cursorField: 'u' }, passthrough: true })).toMatchObject({ ok: false });
    expect(base({ mode: 'incremental', incremental: { cursorField: 'u', nullCursor: 'maybe' as 'skip' } })).toMatchObject({
      ok: false,
      issues: [{ path: 'incremental.nullCursor' }],
    });
  });

  test('a source without incremental reads fails at prepare with a ConfigError naming mode', async () => {
    const store = `inc_${uniqueSuffix()}`;
    seedMemoryObject(store, { object: 'src', key: ['id'], fields: [{ name: 'id', type: 'int64', nullable: false }] }, []);
    try {
      const r = base({ mode: 'incremental', incremental: { cursorField: 'id' } });
      if (!r.ok) throw new Error('spec');
      const spec = {
        ...r.spec,
        source: { ...r.spec.source, connection: { store }, object: 'src' },
        target: { ...r.spec.target, connection: { store }, object: 'dst' },
      };
      await expect(planMigration(spec)).rejects.toMatchObject({
        kind: 'ConfigError',
        message: expect.stringMatching(/mode: incremental is not supported by source type memory/),
      });
    } finally {
      dropMemoryStore(store);
    }
  });
});

describe('advancing after the copy (workflow step, activity mocked)', () => {
  const plan = { id: { job: 'j', source: 'postgres:a', target: 'postgres:b' }, previous: null, window: win(), nullRows: 0 };
  const state = (cursor: unknown): MigrationState => ({ plan: { incremental: plan }, partitions: [{ cursor, rows: 7 }] }) as unknown as MigrationState;
  const spec = { mode: 'incremental' } as Parameters<typeof advanceWatermarkAfterCopy>[0];

  test('moves the watermark to the last tuple read, comparing the one the run started from', async () => {
    const advance = jest.fn().mockResolvedValue('advanced');
    const st = state({ cursor: 'T3', key: [5] });
    await advanceWatermarkAfterCopy(spec, st, advance, 'run-1');
    expect(advance).toHaveBeenCalledWith({ id: plan.id, previous: null, next: { cursor: 'T3', key: [5] }, upTo: 'T9', runId: 'run-1', rows: 7 });
    expect(st.watermark).toMatchObject({ outcome: 'advanced', to: { cursor: 'T3', key: [5] } });
    // Once recorded, a replayed or continued run does not advance again.
    await advanceWatermarkAfterCopy(spec, st, advance, 'run-1');
    expect(advance).toHaveBeenCalledTimes(1);
  });

  test('an empty window leaves the watermark untouched; a full-mode run schedules nothing', async () => {
    const advance = jest.fn();
    const st = state(null);
    await advanceWatermarkAfterCopy(spec, st, advance, 'run-2');
    expect(advance).not.toHaveBeenCalled();
    expect(st.watermark).toMatchObject({ outcome: 'unchanged', to: null });
    const full = state({ cursor: 'T3', key: [5] });
    await advanceWatermarkAfterCopy({ mode: 'full' } as typeof spec, full, advance, 'run-3');
    expect(full.watermark).toBeUndefined();
  });
});

describe('soft deletes', () => {
  test('a row is deleted when its field holds the value (also as text, and booleans as 0/1)', () => {
    expect(isSoftDeleted({ d: true }, { field: 'd', value: true })).toBe(true);
    expect(isSoftDeleted({ d: 1 }, { field: 'd', value: true })).toBe(true);
    expect(isSoftDeleted({ d: 0 }, { field: 'd', value: true })).toBe(false);
    expect(isSoftDeleted({ d: 1n }, { field: 'd', value: 1 })).toBe(true);
    expect(isSoftDeleted({ d: 'gone' }, { field: 'd', value: 'gone' })).toBe(true);
    expect(isSoftDeleted({ d: null }, { field: 'd', value: 'gone' })).toBe(false);
    expect(isSoftDeleted({}, { field: 'd', value: false })).toBe(false);
  });
});

describe('the MongoDB watermark condition', () => {
  const t = { cursor: 'u', key: ['_id'], cursorValue: (v: KeyValue) => `D(${v})`, keyValues: (vs: KeyValue[]) => vs };
  test('the same tuple semantics as SQL: greater cursor, or equal cursor and greater key, up to the bound', () => {
    expect(incrementalCondition(win({ after: { cursor: 'T1', key: [4] } }), null, t)).toEqual({
      $and: [{ $or: [{ u: { $gt: 'D(T1)' } }, { $and: [{ u: 'D(T1)' }, { _id: { $gt: 4 } }] }] }, { u: { $lte: 'D(T9)' } }],
    });
  });
  test('NULL or missing cursors first, only when the policy includes them', () => {
    expect(incrementalCondition(win({ includeNulls: true }), null, t)).toEqual({ $or: [{ u: null }, { u: { $lte: 'D(T9)' } }] });
    expect(incrementalCondition(win({ includeNulls: true }), { cursor: null, key: [2] }, t)).toEqual({
      $or: [{ $and: [{ u: null }, { _id: { $gt: 2 } }] }, { u: { $lte: 'D(T9)' } }],
    });
    expect(incrementalCondition(win(), null, t)).toEqual({ u: { $lte: 'D(T9)' } });
  });
});
