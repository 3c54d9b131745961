import { BSON, Binary, Decimal128, Double, Int32, Long, ObjectId, UUID } from 'mongodb';
import { MongoEndpointSchema, keyNamesOf } from '../../src/connectors/mongodb/spec';
import { READ_OPTIONS, bsonToJson, keyToBson, readField, toBson } from '../../src/connectors/mongodb/bson';
import { FieldInference, inferFields, MAX_NESTED_KEYS } from '../../src/connectors/mongodb/infer';
import { isKeyTupleShape, keyLayoutOf, keyOfIdTuple, keySort, keysetCondition, rangeReadCondition, unknownFieldNames } from '../../src/connectors/mongodb/keys';
import { DocumentReader, documentOf } from '../../src/connectors/mongodb/session';
import { KeySampler, compareKeys, interpolateBounds, quantileBounds } from '../../src/connectors/mongodb/partitions';
import type { FieldSchema, ObjectSchema, Row } from '../../src/model/types';
import type { NestedFieldSchema } from '../../src/model/nested';
import { canonicalRow } from '../../src/validation/canonical';

const oid = () => new ObjectId();
/** Documents as the driver returns them with promoteValues: false (what describe() samples). */
const raw = (docs: Record<string, unknown>[]) => docs.map((d) => BSON.deserialize(BSON.serialize(d), { promoteValues: false }) as Record<string, unknown>);

describe('MongoDB type inference', () => {
  const docs = raw([
    {
      _id: oid(),
      s: 'a',
      i: new Int32(1),
      l: Long.fromNumber(2),
      d: new Double(1.5),
      dec: Decimal128.fromString('1.10'),
      at: new Date(0),
      bin: new Binary(Buffer.from([1])),
      u: new UUID(),
      ok: true,
      arr: [1, 'x'],
      sub: { city: 'P', zip: new Int32(7), geo: { lat: new Double(1) } },
      mixNum: new Int32(1),
      mixAny: 'x',
      onlyNull: null,
      wide: Object.fromEntries(Array.from({ length: MAX_NESTED_KEYS + 5 }, (_, i) => [`k${i}`, i])),
    },
    { _id: oid(), s: 'b', i: new Int32(2), mixNum: new Double(2.5), mixAny: new Int32(3), sub: { city: 'Q', extra: new Date(0) }, onlyNull: null },
  ]);
  const fields = inferFields(docs);
  const by = (n: string) => fields.find((f) => f.name === n)! as NestedFieldSchema;

  test.each([
    ['_id', 'objectid'],
    ['s', 'string'],
    ['i', 'int32'],
    ['l', 'int64'],
    ['d', 'float64'],
    ['dec', 'decimal'],
    ['at', 'timestamptz'],
    ['bin', 'bytes'],
    ['u', 'uuid'],
    ['ok', 'boolean'],
    ['arr', 'json'],
    ['sub', 'json'],
    ['mixNum', 'float64'],
    ['mixAny', 'json'],
    ['onlyNull', 'json'],
    ['wide', 'json'],
  ])('%s → %s', (name, type) => expect(by(name).type).toBe(type));

  test('nullable when missing from a sampled document or null; _id first', () => {
    expect(fields[0]!.name).toBe('_id');
    expect(by('_id').nullable).toBe(false);
    expect(by('s').nullable).toBe(false);
    expect(by('l').nullable).toBe(true);
    expect(by('onlyNull').nullable).toBe(true);
  });

  test('sub-documents keep their shape (nested, with nullability per level); maps do not', () => {
    const sub = by('sub');
    expect(sub.fields!.map((f) => `${f.name}:${f.type}:${f.nullable}`)).toEqual([
      'city:string:false',
      'zip:int32:true',
      'geo:json:true',
      'extra:timestamptz:true',
    ]);
    expect(sub.fields![2]!.fields!.map((f) => f.name)).toEqual(['lat']);
    expect(by('wide').fields).toBeUndefined();
    expect(by('arr').fields).toBeUndefined();
  });

  test('numbers widen deliberately: int32+int64 → int64, int64+float64 → decimal', () => {
    const f = inferFields(
      raw([
        { _id: 1, a: new Int32(1), b: Long.fromNumber(1) },
        { _id: 2, a: Long.fromNumber(5), b: new Double(0.5) },
      ]),
    );
    expect(f.find((x) => x.name === 'a')!.type).toBe('int64');
    expect(f.find((x) => x.name === 'b')!.type).toBe('decimal');
  });
});

describe('MongoDB values ⇄ neutral', () => {
  const read = (doc: Record<string, unknown>) => BSON.deserialize(BSON.serialize(doc), READ_OPTIONS) as Record<string, unknown>;
  const f = (name: string, type: FieldSchema['type'], extra: Partial<NestedFieldSchema> = {}): NestedFieldSchema => ({ name, type, nullable: true, ...extra });

  test('reads become plain neutral values', () => {
    const id = oid();
    const u = new UUID();
    const d = read({
      id,
      l: Long.fromString('9223372036854775807'),
      i: new Int32(3),
      dec: Decimal128.fromString('1.23E+5'),
      at: new Date('2024-01-02T03:04:05.678Z'),
      bin: new Binary(Buffer.from([9, 8])),
      u,
      n: { at: new Date(0), l: Long.fromNumber(5), o: id, b: new Binary(Buffer.from([1])), dec: Decimal128.fromString('2.50') },
    });
    expect(readField(d.id, f('id', 'objectid'))).toBe(id.toHexString());
    expect(readField(d.l, f('l', 'int64'))).toBe(9223372036854775807n);
    expect(readField(d.i, f('i', 'int64'))).toBe(3n); // an Int32 in an int64 field
    expect(readField(d.i, f('i', 'int32'))).toBe(3);
    expect(readField(d.dec, f('dec', 'decimal'))).toBe('123000');
    expect(readField(d.at, f('at', 'timestamptz'))).toBe('2024-01-02T03:04:05.678Z');
    expect(readField(d.bin, f('bin', 'bytes'))).toEqual(Buffer.from([9, 8]));
    expect(readField(d.u, f('u', 'uuid'))).toBe(u.toHexString(true));
    expect(readField(d.n, f('n', 'json'))).toEqual({ at: '1970-01-01T00:00:00.000Z', l: '5', o: id.toHexString(), b: { $base64: 'AQ==' }, dec: '2.50' });
    expect(readField(undefined, f('missing', 'string'))).toBeNull();
  });

  test('writes restore BSON types per field, nested leaves included; bad values throw (record rejected)', () => {
    const opts = { decimalAs: 'decimal128' as const };
    expect(toBson('65a1b2c3d4e5f60718293a4b', f('x', 'objectid'), opts)).toEqual(ObjectId.createFromHexString('65a1b2c3d4e5f60718293a4b'));
    expect(toBson(5n, f('x', 'int64'), opts)).toEqual(Long.fromNumber(5));
    expect(toBson(5, f('x', 'int32'), opts)).toEqual(new Int32(5));
    expect(toBson(2, f('x', 'float64'), opts)).toEqual(new Double(2)); // stays a double, not an int
    expect(String(toBson('1.50', f('x', 'decimal'), opts))).toBe('1.50');
    expect(toBson('1.50', f('x', 'decimal'), { decimalAs: 'string' })).toBe('1.50');
    expect(toBson('2024-01-02T03:04:05.678912Z', f('x', 'timestamptz'), opts)).toEqual(new Date('2024-01-02T03:04:05.678Z')); // ms
    expect(toBson('2024-01-02', f('x', 'date'), opts)).toEqual(new Date('2024-01-02T00:00:00Z'));
    expect((toBson('0a0b0c0d-0000-4000-8000-000000000001', f('x', 'uuid'), opts) as Binary).sub_type).toBe(4);
    expect(toBson(null, f('x', 'string'), opts)).toBeUndefined();
    const nested = toBson({ at: '2024-01-01T00:00:00.000Z', l: '7', other: 1 }, f('n', 'json', { fields: [f('at', 'timestamptz'), f('l', 'int64')] }), opts);
    expect(nested).toEqual({ at: new Date('2024-01-01T00:00:00.000Z'), l: Long.fromNumber(7), other: 1 });
    expect(() => toBson('zz', f('x', 'objectid'), opts)).toThrow(/not an ObjectId/);
    expect(() => toBson(1.5, f('x', 'int32'), opts)).toThrow(/not an int32/);
    expect(() => toBson('nope', f('x', 'timestamptz'), opts)).toThrow(/not a timestamp/);
  });

  test('a row written and read back canonicalizes identically (what validation compares)', () => {
    const schema: ObjectSchema = {
      object: 't',
      key: ['id'],
      fields: [
        f('id', 'int64'),
        f('s', 'string'),
        f('i', 'int32'),
        f('d', 'float64'),
        f('dec', 'decimal'),
        f('at', 'timestamptz'),
        f('day', 'date'),
        f('u', 'uuid'),
        f('b', 'bytes'),
        f('o', 'objectid'),
        f('j', 'json'),
        f('ok', 'boolean'),
        f('ts', 'timestamp'),
      ],
    };
    const row: Row = {
      id: 42n,
      s: 'é',
      i: -3,
      d: 0.1,
      dec: '12.3400',
      at: '2024-05-06T07:08:09.123Z',
      day: '2024-05-06',
      u: '0a0b0c0d-0000-4000-8000-000000000001',
      b: Buffer.from('hi'),
      o: '65a1b2c3d4e5f60718293a4b',
      j: { a: [1, { b: 'x' }], n: null },
      ok: false,
      ts: '2024-05-06T07:08:09.5',
    };
    for (const decimalAs of ['decimal128', 'string'] as const) {
      const doc: Record<string, unknown> = {};
      for (const x of schema.fields) doc[x.name] = toBson(row[x.name], x, { decimalAs });
      const back = read(doc);
      const readRow: Row = {};
      for (const x of schema.fields) readRow[x.name] = readField(back[x.name], x);
      expect(canonicalRow(readRow, schema)).toBe(canonicalRow(row, schema));
    }
  });

  test('keys travel as JSON and compare as BSON of their type', () => {
    expect(keyToBson('123', f('k', 'int64'), { decimalAs: 'decimal128' })).toEqual(Long.fromNumber(123));
    expect(keyToBson(7, f('k', 'int32'), { decimalAs: 'decimal128' })).toBe(7);
    expect(bsonToJson([new Date(1000), Long.fromNumber(1)])).toEqual(['1970-01-01T00:00:01.000Z', '1']);
  });
});

describe('MongoDB partition bounds', () => {
  test('ObjectIds interpolate on their 96 bits (time first)', () => {
    const b = interpolateBounds('650000000000000000000000', '650000400000000000000000', 'objectid', 4)!;
    expect(b).toEqual(['650000100000000000000000', '650000200000000000000000', '650000300000000000000000']);
  });
  test('integers, dates; strings cannot be interpolated', () => {
    expect(interpolateBounds(1, 100, 'int32', 4)).toEqual([25, 50, 75]);
    expect(interpolateBounds('0', '9000000000000000000', 'int64', 3)).toEqual(['3000000000000000000', '6000000000000000000']);
    expect(interpolateBounds('2024-01-01T00:00:00.000Z', '2024-01-03T00:00:00.000Z', 'timestamptz', 2)).toEqual(['2024-01-02T00:00:00.000Z']);
    expect(interpolateBounds(5, 6, 'int32', 8)).toEqual([]); // nothing strictly between
    expect(interpolateBounds('a', 'z', 'string', 4)).toBeNull();
  });
  test('client-side key order matches the server: UTF-8 bytes for strings, numbers by value', () => {
    expect(['b', 'é', 'a', 'Z', '\u{1F600}', '\uFF5E'].sort((a, b) => compareKeys(a, b, 'string'))).toEqual(['Z', 'a', 'b', 'é', '\uFF5E', '\u{1F600}']);
    expect(['10', '9', '-1'].sort((a, b) => compareKeys(a, b, 'int64'))).toEqual(['-1', '9', '10']);
    expect([10, 9, 1.5].sort((a, b) => compareKeys(a, b, 'float64'))).toEqual([1.5, 9, 10]);
  });
  test('one-pass reservoir keeps a bounded uniform sample (FerretDB has no $sample)', () => {
    const s = new KeySampler('int32', 1000);
    for (let i = 0; i < 100_000; i++) s.add(i);
    const sorted = s.sorted();
    expect(sorted).toHaveLength(1000);
    const [q1, q2, q3] = quantileBounds(sorted, 4) as number[];
    expect(Math.abs(q1! - 25_000)).toBeLessThan(7_000);
    expect(Math.abs(q2! - 50_000)).toBeLessThan(7_000);
    expect(Math.abs(q3! - 75_000)).toBeLessThan(7_000);
  });
  test('sample quantiles, deduplicated', () => {
    expect(quantileBounds(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'], 4)).toEqual(['c', 'e', 'g']);
    expect(quantileBounds(['a', 'a', 'a', 'b'], 4)).toEqual(['a', 'b']);
  });
});

describe('MongoDB endpoint spec', () => {
  const base = { type: 'mongodb', database: 'db', collection: 'c' };
  test('the URL must be a secret reference', () => {
    const r = MongoEndpointSchema.safeParse({ ...base, connection: { url: 'mongodb://u:p@h/' } });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error!.issues)).toMatch(/not a literal value/);
    expect(MongoEndpointSchema.parse({ ...base, connection: { url: { env: 'MONGO_URL' } } })).toMatchObject({
      sampleSize: 1000,
      writeMode: 'auto',
      decimalAs: 'decimal128',
    });
    expect(MongoEndpointSchema.safeParse({ ...base, connection: { name: 'prod' } }).success).toBe(true);
    expect(MongoEndpointSchema.safeParse({ ...base, connection: { url: { env: 'X' }, name: 'prod' } }).success).toBe(false);
  });
});

describe('MongoDB composite keys', () => {
  const schemaOf = (key: string[], names: string[], extra: Partial<ObjectSchema> = {}): ObjectSchema => ({
    object: 'db.c',
    key,
    fields: names.map((name) => ({ name, type: name === 'seq' ? 'int32' : 'string', nullable: !key.includes(name) })),
    ...extra,
  });

  test('keyset condition after a tuple, generalised to n fields', () => {
    expect(keysetCondition(['a'], [1])).toEqual({ a: { $gt: 1 } });
    expect(keysetCondition(['a', 'b'], ['x', 2])).toEqual({ $or: [{ a: { $gt: 'x' } }, { a: 'x', b: { $gt: 2 } }] });
    expect(keysetCondition(['a', 'b', 'c'], [1, 2, 3])).toEqual({
      $or: [{ a: { $gt: 1 } }, { a: 1, b: { $gt: 2 } }, { a: 1, b: 2, c: { $gt: 3 } }],
    });
    expect(() => keysetCondition(['a', 'b'], [1])).toThrow(/2 fields/);
  });

  test('range reads: lower-exclusive/upper-inclusive on the leading field, the cursor tuple on top', () => {
    expect(rangeReadCondition(['a', 'b'], null, null, null)).toBeNull();
    expect(rangeReadCondition(['a', 'b'], 'm', 't', null)).toEqual({ a: { $gt: 'm', $lte: 't' } });
    // Resuming: the keyset supersedes the lower bound (it implies a >= cursor's a > lower); the upper bound stays.
    expect(rangeReadCondition(['a', 'b'], 'm', 't', ['p', 7])).toEqual({
      $and: [{ a: { $lte: 't' } }, { $or: [{ a: { $gt: 'p' } }, { a: 'p', b: { $gt: 7 } }] }],
    });
    expect(rangeReadCondition(['a', 'b'], null, null, ['p', 7])).toEqual({ $or: [{ a: { $gt: 'p' } }, { a: 'p', b: { $gt: 7 } }] });
    // One key field: the cursor simply replaces the lower bound (the query of old).
    expect(rangeReadCondition(['_id'], 5, 9, [7])).toEqual({ _id: { $gt: 7, $lte: 9 } });
    expect(keySort(['a', 'b'])).toEqual({ a: 1, b: 1 });
  });

  test('key layouts: one field in _id (renamed keys read back from _id), a composite key in its fields with _id as the tuple', () => {
    expect(keyLayoutOf(schemaOf(['id'], ['id', 'x']))).toMatchObject({ paths: ['_id'], idHoldsKey: true });
    expect(keyLayoutOf(schemaOf(['_id'], ['_id', 'x']))).toMatchObject({ paths: ['_id'], idHoldsKey: false });
    expect(keyLayoutOf(schemaOf(['tenant'], ['_id', 'tenant']))).toMatchObject({ paths: ['tenant'], idHoldsKey: false });
    expect(keyLayoutOf(schemaOf(['tenant', 'seq'], ['tenant', 'seq', 'x']))).toMatchObject({ paths: ['tenant', 'seq'], idHoldsKey: true });
    expect(keyLayoutOf(schemaOf(['tenant', 'seq'], ['_id', 'tenant', 'seq']))).toMatchObject({ idHoldsKey: false });
    const bad = schemaOf(['tenant', 'j'], ['tenant', 'j']);
    bad.fields[1]!.type = 'json';
    expect(() => keyLayoutOf(bad)).toThrow(/key field j is json/);
  });

  test('an _id document of exactly the key fields is the stored tuple, not a field', () => {
    const [id] = inferFields(raw([{ _id: { tenant: 'a', seq: new Int32(1) }, tenant: 'a', seq: new Int32(1) }]));
    expect(isKeyTupleShape(id, ['tenant', 'seq'])).toBe(true);
    expect(isKeyTupleShape(id, ['seq', 'tenant'])).toBe(false);
    expect(isKeyTupleShape(id, ['tenant'])).toBe(false);
    expect(isKeyTupleShape(inferFields(raw([{ _id: oid() }]))[0], ['tenant', 'seq'])).toBe(false);
  });

  test('without an endpoint key, a collection of _id tuples is described by the tuple (how a composite-key target reads back)', () => {
    expect(keyOfIdTuple(inferFields(raw([{ _id: { tenant: 'a', seq: new Int32(1) }, tenant: 'a', seq: new Int32(1), x: 1 }])))).toEqual(['tenant', 'seq']);
    // A sub-document _id whose fields are not also top-level fields is just a document key.
    expect(keyOfIdTuple(inferFields(raw([{ _id: { a: 1, b: 2 }, x: 1 }])))).toBeNull();
    expect(keyOfIdTuple(inferFields(raw([{ _id: oid(), x: 1 }])))).toBeNull();
  });

  test('a composite-key target document: _id tuple in key order plus the key fields; a null key part is refused', () => {
    const schema = schemaOf(['tenant', 'seq'], ['seq', 'tenant', 'x']);
    const doc = documentOf(schema, { seq: 3, tenant: 't1', x: 'v' }, { decimalAs: 'string' });
    expect(Object.keys(doc._id)).toEqual(['tenant', 'seq']);
    expect(doc).toEqual({ _id: { tenant: 't1', seq: new Int32(3) }, seq: new Int32(3), tenant: 't1', x: 'v' });
    expect(() => documentOf(schema, { seq: null, tenant: 't1', x: 'v' }, { decimalAs: 'string' })).toThrow(/key seq is null/);
    // One field: the key in _id, as before.
    expect(documentOf(schemaOf(['id'], ['id', 'x']), { id: 'k', x: null }, { decimalAs: 'string' })).toEqual({ _id: 'k' });
  });

  test('endpoint key: a string or a list of distinct fields; sampleSize a number or "all"', () => {
    const base = { type: 'mongodb', connection: { url: { env: 'U' } }, database: 'd', collection: 'c' };
    expect(keyNamesOf(MongoEndpointSchema.parse(base))).toEqual(['_id']);
    expect(keyNamesOf(MongoEndpointSchema.parse({ ...base, key: 'k' }))).toEqual(['k']);
    expect(keyNamesOf(MongoEndpointSchema.parse({ ...base, key: ['tenant', 'seq'] }))).toEqual(['tenant', 'seq']);
    expect(MongoEndpointSchema.safeParse({ ...base, key: ['a', 'a'] }).success).toBe(false);
    expect(MongoEndpointSchema.parse({ ...base, sampleSize: 'all' }).sampleSize).toBe('all');
    expect(MongoEndpointSchema.safeParse({ ...base, sampleSize: 'some' }).success).toBe(false);
  });
});

describe('MongoDB unknown fields', () => {
  const schema = (policy?: 'json' | 'reject' | 'drop', key = ['_id']): ObjectSchema => ({
    object: 'db.c',
    key,
    open: true,
    fields: [
      ...key.map((name) => ({ name, type: 'string' as const, nullable: false })),
      { name: 'a', type: 'int32', nullable: true },
      ...(policy === 'json' ? [{ name: '_extra', type: 'json' as const, nullable: true }] : []),
    ],
    ...(policy ? { unknownFields: { policy, field: '_extra' } } : {}),
  });
  const read = (s: ObjectSchema, docs: Record<string, unknown>[]) => {
    const batch = { rows: [] as Row[], cursor: 0, rejected: [] as { row: Row; error: string }[], droppedFields: 0 };
    const reader = new DocumentReader(s, keyLayoutOf(s));
    for (const d of BSON.deserialize(BSON.serialize({ d: docs }), READ_OPTIONS).d as Record<string, unknown>[]) reader.add(d, batch);
    return batch;
  };
  const at = new Date(Date.UTC(2024, 0, 2));
  const id = oid();
  const docs = [
    { _id: 'k1', a: 1 },
    { _id: 'k2', a: 2, rare: { at, ref: id, n: Long.fromNumber(2 ** 40) }, other: 'x' },
  ];

  test('unknown field names: anything outside the schema, the _id holding the key excepted', () => {
    const s = schema(undefined, ['tenant', 'seq']);
    const reader = new DocumentReader(s, keyLayoutOf(s));
    expect(reader.unknownOf({ _id: { tenant: 't', seq: 1 }, tenant: 't', seq: 1, a: 1, b: 2, c: null })).toEqual(['b', 'c']);
    expect(unknownFieldNames({ x: 1, y: undefined, z: 2 }, new Set(['x']))).toEqual(['z']);
    const renamed = schema(undefined, ['id']);
    expect(new DocumentReader(renamed, keyLayoutOf(renamed)).unknownOf({ _id: 'k', id: 'other', a: 1 })).toEqual(['id']);
  });

  test('json: carried in _extra as neutral JSON (null when none)', () => {
    const b = read(schema('json'), docs);
    expect(b.rows).toEqual([
      { _id: 'k1', a: 1, _extra: null },
      { _id: 'k2', a: 2, _extra: { rare: { at: at.toISOString(), ref: id.toHexString(), n: String(2 ** 40) }, other: 'x' } },
    ]);
  });

  test('reject: the record goes to the record policy with the field names, whole; drop: counted', () => {
    const r = read(schema('reject'), docs);
    expect(r.rows).toEqual([{ _id: 'k1', a: 1 }]);
    expect(r.rejected).toHaveLength(1);
    expect(r.rejected[0]!.error).toMatch(/unknown field\(s\) rare, other/);
    expect(r.rejected[0]!.row).toMatchObject({ _id: 'k2', a: 2, other: 'x' });
    const d = read(schema('drop'), docs);
    expect(d.rows).toEqual([
      { _id: 'k1', a: 1 },
      { _id: 'k2', a: 2 },
    ]);
    expect(d.droppedFields).toBe(2);
    expect(read(schema(undefined), docs).rows).toEqual([
      { _id: 'k1', a: 1 },
      { _id: 'k2', a: 2 },
    ]);
  });

  test('a document-store target spreads _extra back to the top level; a name the schema has is refused', () => {
    const s = schema('json');
    expect(documentOf(s, { _id: 'k2', a: 2, _extra: { other: 'x', rare: { n: '5' } } }, { decimalAs: 'string' })).toEqual({
      _id: 'k2',
      a: new Int32(2),
      other: 'x',
      rare: { n: '5' },
    });
    expect(documentOf(s, { _id: 'k1', a: 1, _extra: null }, { decimalAs: 'string' })).toEqual({ _id: 'k1', a: new Int32(1) });
    expect(() => documentOf(s, { _id: 'k', a: 1, _extra: { a: 5 } }, { decimalAs: 'string' })).toThrow(/_extra holds a/);
    expect(() => documentOf(s, { _id: 'k', a: 1, _extra: { _id: 5 } }, { decimalAs: 'string' })).toThrow(/_extra holds _id/);
  });

  test('full-scan inference sees what a sample would miss', () => {
    const inference = new FieldInference();
    for (let i = 0; i < 50; i++) inference.add({ _id: i, a: i });
    inference.add({ _id: 50, a: 50, rare: 'r' });
    expect(inference.documents).toBe(51);
    expect(inference.fields().map((f) => `${f.name}:${f.nullable}`)).toEqual(['_id:false', 'a:false', 'rare:true']);
  });
});
