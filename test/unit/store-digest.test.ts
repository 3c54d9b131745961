import { compileTransforms } from '../../src/transform/compile';
import { digestMethodOf, digestQuery } from '../../src/connectors/postgres/digest';
import { compileJob } from '../../src/engine/job-schema';
import { digestFieldsOf, storeDigestKindOf, validatedInStores } from '../../src/engine/store-digest';
import type { JobSpecInput } from '../../src/job/job-spec';
import type { ObjectSchema } from '../../src/model/types';
import { parsed, pgSpec } from '../helpers/specs';
import type { ConnectorSession } from '../../src/connectors/contract';
import { encodedFieldsOf } from '../../src/engine/encoded-fields';

const schema: ObjectSchema = {
  object: 'dm.t',
  key: ['id'],
  fields: [
    { name: 'id', type: 'int64', nullable: false },
    { name: 'amount', type: 'decimal', nullable: true },
    { name: 'label', type: 'string', nullable: true },
    { name: 'doc', type: 'json', nullable: true },
  ],
};
const pg = (extra: Partial<JobSpecInput> = {}) => parsed(pgSpec('t', 'a', 'b', extra));

describe('validation pushdown: when it applies', () => {
  test('PostgreSQL → PostgreSQL with no transform, or only rename/select/drop, pushes down', () => {
    expect(storeDigestKindOf(pg())).toBe('postgres-hash64-v2');
    expect(
      storeDigestKindOf(
        pg({
          transform: [
            { op: 'rename', fields: { label: 'title' } },
            { op: 'drop', fields: ['doc'] },
          ],
        }),
      ),
    ).toBe('postgres-hash64-v2');
  });

  test('a step that computes or filters values, soft deletes, pushdown: false or another target store read rows', () => {
    expect(storeDigestKindOf(pg({ transform: [{ op: 'filter', expression: 'row.id > 1' }] }))).toBeNull();
    expect(storeDigestKindOf(pg({ transform: [{ op: 'mask', fields: { label: 'null' } }] } as Partial<JobSpecInput>))).toBeNull();
    expect(storeDigestKindOf(pg({ validate: { pushdown: false } } as Partial<JobSpecInput>))).toBeNull();
    const toMongo = { ...pgSpec('t', 'a', 'b'), target: { type: 'mongodb', connection: { url: { env: 'MONGO_URL' } }, database: 'd', collection: 'c' } };
    expect(storeDigestKindOf(parsed(toMongo as JobSpecInput))).toBeNull();
    const soft = pg({ mode: 'incremental', incremental: { cursorField: 'id', softDelete: { field: 'label', value: 'gone' } } } as Partial<JobSpecInput>);
    expect(storeDigestKindOf(soft)).toBeNull();
  });

  test('each side names its own fields in the target order: a renamed field is hashed where the field it came from is', () => {
    const spec = pg({
      transform: [
        { op: 'rename', fields: { label: 'title', amount: 'price' } },
        { op: 'drop', fields: ['doc'] },
      ],
    });
    expect(digestFieldsOf(compileJob(spec, schema), schema)).toEqual({ target: ['id', 'price', 'title'], source: ['id', 'amount', 'label'] });
  });
});

describe('the PostgreSQL digest query', () => {
  test('record hashing (PostgreSQL ≥ 14): each column cast to one type per neutral type, within the range on the leading key', () => {
    const params: unknown[] = [];
    const sql = digestQuery('"dm"."t"', schema, ['amount', 'doc', 'id', 'label'], { id: 1, lower: 10, upper: 20 }, (v) => `$${params.push(v)}`);
    expect(sql).toContain('sum(hash_record_extended(ROW("amount"::numeric, "doc"::jsonb, "id"::int8, "label"::text), 0))');
    expect(sql).toContain('WHERE "id" > $1 AND "id" <= $2');
    expect(params).toEqual([10, 20]);
  });

  test('text hashing (older servers): decimals without scale, json as jsonb', () => {
    const sql = digestQuery('"dm"."t"', schema, ['amount', 'doc', 'id', 'label'], { id: 0, lower: null, upper: null }, String, 'text');
    expect(sql).toContain('hashtextextended(ROW(trim_scale("amount"), "doc"::jsonb, "id", "label")::text, 0)');
    expect(sql).not.toContain('WHERE');
    expect(digestMethodOf(130_012)).toBe('text');
    expect(digestMethodOf(140_000)).toBe('record');
  });

  test('a field the schema lacks is an error, not a silent NULL', () => {
    expect(() => digestQuery('t', schema, ['nope'], { id: 0, lower: null, upper: null }, String)).toThrow(/nope/);
  });
});

describe('the copy phase digests only what validation on the worker will compare', () => {
  test('validated in the stores (checksums, full): no copy digest; counts, sample, disabled or not pushed down: the digest stays', () => {
    expect(validatedInStores(pg())).toBe(true);
    expect(validatedInStores(pg({ validate: { mode: 'full' } } as Partial<JobSpecInput>))).toBe(true);
    for (const validate of [{ mode: 'counts' }, { mode: 'sample' }, { enabled: false }, { pushdown: false }])
      expect(validatedInStores(pg({ validate } as Partial<JobSpecInput>))).toBe(false);
    expect(validatedInStores(pg({ transform: [{ op: 'filter', expression: 'row.id > 1' }] }))).toBe(false);
  });
});

test('rename looks names up in a Map: a field called "constructor" or "toString" keeps its name and value', () => {
  const s: ObjectSchema = {
    object: 'o',
    key: ['id'],
    fields: ['id', 'constructor', 'toString', 'a'].map((name) => ({ name, type: 'string', nullable: true })),
  };
  const { apply } = compileTransforms([{ op: 'rename', fields: { a: 'b' } }], s);
  expect(apply({ id: '1', constructor: 'c', toString: 't', a: 'x' })).toEqual({ id: '1', constructor: 'c', toString: 't', b: 'x' });
});

describe('encoded fields: which fields travel in the stores’ wire text', () => {
  /** A session of a wire format whose target columns take every field but those named. */
  const session = (format: string | undefined, refuses: string[] = []) =>
    ({
      encodedFormat: format,
      encodedFields: async (_: ObjectSchema, fields: readonly string[]) => fields.filter((f) => !refuses.includes(f)),
    }) as unknown as ConnectorSession;
  const plan = (spec: ReturnType<typeof pg>, source = session('copy'), target = session('copy'), incremental = false) =>
    encodedFieldsOf(spec, schema, compileJob(spec, schema), source, target, incremental);

  test('every non-key field a rename only moves, paired by name, once validation checksums in the stores', async () => {
    expect(await plan(pg({ transform: [{ op: 'rename', fields: { label: 'title' } }] }))).toEqual({
      source: ['amount', 'doc', 'label'],
      target: ['amount', 'doc', 'title'],
    });
    expect(await plan(pg({ transform: [{ op: 'drop', fields: ['doc'] }] }))).toEqual({ source: ['amount', 'label'], target: ['amount', 'label'] });
  });

  test('none when a step reads values, the worker digests, the run is incremental, or the formats differ', async () => {
    expect(await plan(pg({ transform: [{ op: 'filter', expression: 'row.id > 1' }] }))).toBeNull();
    expect(await plan(pg({ validate: { pushdown: false } } as Partial<JobSpecInput>))).toBeNull();
    expect(await plan(pg({ validate: { mode: 'counts' } } as Partial<JobSpecInput>))).toBeNull();
    expect(await plan(pg(), session('copy'), session('copy'), true)).toBeNull();
    expect(await plan(pg(), session('copy'), session('other'))).toBeNull();
    expect(await plan(pg(), session(undefined), session(undefined))).toBeNull();
  });

  test('a target key and the columns the target refuses stay decoded', async () => {
    expect(await plan(pg({ targetKey: ['label'] } as Partial<JobSpecInput>), session('copy'), session('copy', ['doc']))).toEqual({
      source: ['amount'],
      target: ['amount'],
    });
  });
});
