import { seedMemoryObject, dropMemoryStore } from '../../src/connectors/memory/store';
import { planJob } from '../../src/engine/plan-job';
import { workflowTypeOf } from '../../src/job/kind';
import { childSpec, parseMultiJobSpec, type MultiJobSpec, type MultiJobSpecInput } from '../../src/job/multi-spec';
import { globToRegExp, selectObjects } from '../../src/job/patterns';
import type { ObjectSchema } from '../../src/model/types';
import { buildJobReport, jobStatusOf } from '../../workflows/job-report';
import type { JobState, ObjectState } from '../../workflows/job-types';
import { validateAnySpec } from '../../client/jobs';

const listed = (...names: string[]) => names.map((n) => ({ name: n, leaf: n.split('.').pop()!, naming: { table: n.split('.').pop()! } }));

describe('include/exclude patterns', () => {
  test('* spans any run (dots too), ? one character, everything else literal', () => {
    expect(globToRegExp('public.*').test('public.orders')).toBe(true);
    expect(globToRegExp('public.*').test('publicXorders')).toBe(false); // the dot is literal
    expect(globToRegExp('public.*').test('sales.orders')).toBe(false);
    expect(globToRegExp('*').test('a.b.c')).toBe(true);
    expect(globToRegExp('t?').test('t1')).toBe(true);
    expect(globToRegExp('t?').test('t12')).toBe(false);
    expect(globToRegExp('a+(b)[c]').test('a+(b)[c]')).toBe(true);
    expect(globToRegExp('Public.*').test('public.x')).toBe(false); // case-sensitive, as the stores' names are
  });

  test('selects included minus excluded, in name order', () => {
    const objs = listed('public.users', 'public.tmp_a', 'sales.orders', 'public.accounts', 'public.tmp_b');
    expect(selectObjects(objs, ['public.*'], ['public.tmp_*']).map((o) => o.name)).toEqual(['public.accounts', 'public.users']);
    expect(selectObjects(objs, ['public.tmp_?', 'sales.*']).map((o) => o.name)).toEqual(['public.tmp_a', 'public.tmp_b', 'sales.orders']);
    expect(selectObjects(objs, ['nope.*'])).toEqual([]);
  });
});

const mem = (store: string) => ({ type: 'memory', connection: { store } });

describe('the many-object spec', () => {
  test('a spec with objects or include starts jobWorkflow; any other the single migration', () => {
    expect(workflowTypeOf({ name: 'x', objects: [] })).toBe('jobWorkflow');
    expect(workflowTypeOf({ name: 'x', include: ['*'] })).toBe('jobWorkflow');
    expect(workflowTypeOf({ name: 'x', source: {}, target: {} })).toBe('migrationWorkflow');
  });

  test('named objects become single-object specs: job options, then the object overrides, endpoints merged', () => {
    const r = parseMultiJobSpec({
      name: 'shop',
      source: mem('s'),
      target: mem('t'),
      batchSize: 50,
      objects: [
        { source: { object: 'a' }, target: { object: 'a2' } },
        { source: { object: 'b' }, target: { object: 'b2' }, batchSize: 7, onRecordError: 'quarantine' },
      ],
    });
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    expect(r.spec.maxParallelObjects).toBe(2);
    const [a, b] = r.spec.objects!.map((o, i) => childSpec(r.spec, o, i));
    if (!a!.ok || !b!.ok) throw new Error('child specs should parse');
    expect(a!.spec).toMatchObject({ name: 'shop.s.a', batchSize: 50, onRecordError: 'fail', source: { object: 'a' }, target: { object: 'a2' } });
    expect(b!.spec).toMatchObject({ name: 'shop.s.b', batchSize: 7, onRecordError: 'quarantine' });
  });

  test('problems are named by path: both modes, an unknown override, a bad child endpoint, an unlistable source', () => {
    const issues = (input: unknown) => {
      const r = parseMultiJobSpec(input);
      return r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.message}`);
    };
    expect(issues({ name: 'j', source: mem('s'), target: mem('t'), include: ['*'], objects: [{ source: { object: 'a' }, target: { object: 'a' } }] })).toEqual([
      'objects: give exactly one of objects (named) or include (patterns listed from the source)',
    ]);
    expect(issues({ name: 'j', source: mem('s'), target: mem('t'), objects: [{ source: { object: 'a' }, target: { object: 'a' }, bachSize: 3 }] })).toEqual([
      'objects[0].bachSize: unknown field "bachSize" (an object overrides job options only)',
    ]);
    expect(issues({ name: 'j', source: mem('s'), target: mem('t'), objects: [{ source: { object: 'a', colour: 1 }, target: { object: 'a' } }] })).toEqual([
      'objects[0].source: Unrecognized key: "colour"',
    ]);
    const file = { type: 'file', connection: { location: { env: 'X' } } };
    expect(issues({ name: 'j', source: file, target: mem('t'), include: ['*'] })).toContain(
      'include: connector "file" cannot list its objects; name each one in objects',
    );
    expect(issues({ name: 'j', source: { type: 'memory', connection: { store: 1 } }, target: mem('t'), include: ['*'] })[0]).toMatch(
      /^source\.connection\.store: /,
    );
  });

  test('the client validates either kind (a single spec is untouched)', () => {
    const single = validateAnySpec({ name: 'one', source: { ...mem('s'), object: 'a' }, target: { ...mem('t'), object: 'a' } });
    expect(single.ok && single.kind).toBe('single');
    const job = validateAnySpec({ name: 'many', source: mem('s'), target: mem('t'), include: ['s.*'] });
    expect(job.ok && job.kind).toBe('job');
  });
});

const schema = (object: string): ObjectSchema => ({
  object,
  key: ['id'],
  fields: [
    { name: 'id', type: 'int32', nullable: false },
    { name: 'v', type: 'string', nullable: true },
  ],
});

describe('planJob against the memory connector', () => {
  const store = `plan-${process.pid}`;
  beforeAll(() => {
    for (const o of ['users', 'orders', 'tmp_x']) seedMemoryObject(store, schema(o), [{ id: 1, v: o }]);
  });
  afterAll(() => dropMemoryStore(store));

  const job = (extra: Partial<MultiJobSpecInput>): MultiJobSpec => {
    const r = parseMultiJobSpec({ name: 'plan', source: mem(store), target: mem(`${store}-t`), ...extra });
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    return r.spec;
  };

  test('lists the source once, selects by pattern, names targets after the leaf with the prefix', async () => {
    const plan = await planJob(job({ include: [`${store}.*`], exclude: [`${store}.tmp_*`], targetPrefix: 'copy_' }));
    expect(plan.objects.map((o) => [o.name, o.target])).toEqual([
      [`${store}.orders`, `${store}-t.copy_orders`],
      [`${store}.users`, `${store}-t.copy_users`],
    ]);
    expect(plan.objects[0]!.spec.source).toMatchObject({ type: 'memory', object: 'orders' });
    expect(plan.foreignKeys).toBe(false);
  });

  test('a pattern matching nothing is an error naming what the source has', async () => {
    await expect(planJob(job({ include: [`${store}.nothing*`] }))).rejects.toThrow(
      new RegExp(`matched no object of the source; it lists ${store}.orders, ${store}.tmp_x, ${store}.users`),
    );
  });

  test('two objects written to one target is an error', async () => {
    const objects = [
      { source: { object: 'users' }, target: { object: 'same' } },
      { source: { object: 'orders' }, target: { object: 'same' } },
    ];
    await expect(planJob(job({ objects }))).rejects.toThrow(/two objects would be written to the same target: .*same/);
  });
});

describe('job report', () => {
  const obj = (name: string, extra: Partial<ObjectState>): ObjectState => ({
    name,
    target: name,
    workflowId: `w-${name}`,
    status: 'completed',
    rows: 10,
    quarantined: 0,
    validation: 'match',
    sourceCount: 10,
    targetCount: 10,
    ms: 5,
    ...extra,
  });
  const spec = { name: 'r', source: { type: 'memory' }, target: { type: 'memory' } } as unknown as MultiJobSpec;

  test('failed, canceled, never started and mismatched objects are what a retry re-runs; skipped ones are done', () => {
    const st: JobState = {
      phase: 'completed',
      paused: false,
      startedAt: 0,
      foreignKeys: null,
      objects: [
        obj('a', {}),
        obj('b', { status: 'failed', rows: 0, validation: null, error: 'boom' }),
        obj('c', { validation: 'mismatch' }),
        obj('d', { status: 'skipped', validation: null }),
        obj('e', { status: 'canceled', validation: null }),
      ],
    };
    const r = buildJobReport(spec, st, 'orig', 1000);
    expect(r.status).toBe('failed');
    expect(r.failed).toEqual(['b', 'c', 'e']);
    expect(r.rows).toBe(40);
    expect(r.retryOf).toBe('orig');
    expect(jobStatusOf(st)).toBe('Failed');
    st.objects = [obj('a', {}), obj('d', { status: 'skipped', validation: null })];
    expect(buildJobReport(spec, st, undefined, 1000).status).toBe('completed');
    expect(jobStatusOf(st)).toBe('Completed');
  });
});
