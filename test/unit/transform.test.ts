import type { ObjectSchema, Row } from '../../src/model/types';
import { compileTransforms } from '../../src/transform/compile';
import { objectIdToUuid, uuidToObjectId } from '../../src/model/coerce';
import type { NestedFieldSchema } from '../../src/model/nested';
import { TransformStepSchema, type TransformStep } from '../../src/transform/steps';
import { parseDecimal, plainDecimal } from '../../src/model/values';
import { canonicalRow } from '../../src/validation/canonical';

const steps = (...s: unknown[]): TransformStep[] => s.map((x) => TransformStepSchema.parse(x));

/** What a MongoDB source describes for documents like { _id, name, address: { city, zip, geo: { lat, lng } }, meta: {...}, tags: [] }. */
const mongoSchema: ObjectSchema = {
  object: 'db.people',
  key: ['_id'],
  fields: [
    { name: '_id', type: 'objectid', nullable: false },
    { name: 'name', type: 'string', nullable: true },
    {
      name: 'address',
      type: 'json',
      nullable: true,
      fields: [
        { name: 'city', type: 'string', nullable: true },
        { name: 'zip', type: 'int32', nullable: true },
        {
          name: 'geo',
          type: 'json',
          nullable: true,
          fields: [
            { name: 'lat', type: 'float64', nullable: false },
            { name: 'lng', type: 'float64', nullable: false },
          ],
        },
      ],
    } as NestedFieldSchema,
    {
      name: 'meta',
      type: 'json',
      nullable: false,
      fields: [
        { name: 'created', type: 'timestamptz', nullable: false },
        { name: 'big', type: 'int64', nullable: false },
        { name: 'raw', type: 'bytes', nullable: true },
        { name: 'by', type: 'objectid', nullable: true },
      ],
    } as NestedFieldSchema,
    { name: 'tags', type: 'json', nullable: true },
  ],
};

const doc: Row = {
  _id: '65a1b2c3d4e5f60718293a4b',
  name: 'Ada',
  address: { city: 'Paris', zip: 75001, geo: { lat: 48.86, lng: 2.35 } },
  meta: { created: '2024-01-02T03:04:05.678Z', big: '9007199254740993', raw: { $base64: 'AQID' }, by: '65a1b2c3d4e5f60718293a4c' },
  tags: ['a', { b: 1 }],
};

describe('flatten', () => {
  test('nested documents become typed columns at every depth; arrays stay json', () => {
    const t = compileTransforms(steps({ op: 'flatten' }), mongoSchema);
    expect(t.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual([
      '_id:objectid',
      'name:string',
      'address_city:string',
      'address_zip:int32',
      'address_geo_lat:float64',
      'address_geo_lng:float64',
      'meta_created:timestamptz',
      'meta_big:int64',
      'meta_raw:bytes',
      'meta_by:objectid',
      'tags:json',
    ]);
    expect(t.schema.fields.every((f) => f.name === '_id' || f.nullable)).toBe(true);
    const row = t.apply(doc)!;
    expect(row).toEqual({
      _id: doc._id,
      name: 'Ada',
      address_city: 'Paris',
      address_zip: 75001,
      address_geo_lat: 48.86,
      address_geo_lng: 2.35,
      meta_created: '2024-01-02T03:04:05.678Z',
      meta_big: 9007199254740993n,
      meta_raw: Buffer.from([1, 2, 3]),
      meta_by: '65a1b2c3d4e5f60718293a4c',
      tags: ['a', { b: 1 }],
    });
  });

  test('a missing or null sub-document gives null columns; separator and subset are honoured', () => {
    const t = compileTransforms(steps({ op: 'flatten', separator: '__', fields: ['address'] }), mongoSchema);
    expect(t.schema.fields.map((f) => f.name)).toContain('address__geo__lat');
    expect(t.schema.fields.map((f) => f.name)).toContain('meta');
    const row = t.apply({ ...doc, address: null })!;
    expect(row.address__city).toBeNull();
    expect(row.address__geo__lng).toBeNull();
    expect(row.meta).toEqual(doc.meta);
    expect(t.apply({ ...doc, address: { city: 'x' } })!.address__geo__lat).toBeNull();
  });

  test('a key the sample never saw rejects the record by default, or is dropped on request', () => {
    const strict = compileTransforms(steps({ op: 'flatten' }), mongoSchema);
    expect(() => strict.apply({ ...doc, address: { city: 'x', country: 'FR' } })!).toThrow(/address: key\(s\) country not in the described shape/);
    const lax = compileTransforms(steps({ op: 'flatten', onUnknown: 'drop' }), mongoSchema);
    expect(lax.apply({ ...doc, address: { city: 'x', country: 'FR' } })!.address_city).toBe('x');
  });

  test('a leaf of the wrong type or a non-object rejects the record with its path', () => {
    const t = compileTransforms(steps({ op: 'flatten' }), mongoSchema);
    expect(() => t.apply({ ...doc, address: { zip: 'seventy' } })!).toThrow(/address\.zip: not an int32/);
    expect(() => t.apply({ ...doc, address: { zip: 1.5 } })!).toThrow(/address\.zip/);
    expect(() => t.apply({ ...doc, address: 'Paris' })!).toThrow(/address: expected a nested object/);
  });

  test('compile-time errors: unknown field, shapeless field, key, name clash', () => {
    expect(() => compileTransforms(steps({ op: 'flatten', fields: ['nope'] }), mongoSchema)).toThrow(/unknown field nope/);
    expect(() => compileTransforms(steps({ op: 'flatten', fields: ['tags'] }), mongoSchema)).toThrow(/no described nested shape/);
    const clash = { ...mongoSchema, fields: [...mongoSchema.fields, { name: 'address_city', type: 'string' as const, nullable: true }] };
    expect(() => compileTransforms(steps({ op: 'flatten' }), clash)).toThrow(/duplicate field names: address_city/);
  });

  test('flatten then unflatten restores the shape, with leaves in their JSON spelling', () => {
    const t = compileTransforms(steps({ op: 'flatten' }), mongoSchema);
    const back = compileTransforms(steps({ op: 'flatten' }, { op: 'unflatten', fields: ['address', 'meta'] }), mongoSchema);
    const address = back.schema.fields.find((f) => f.name === 'address') as NestedFieldSchema;
    expect(address.type).toBe('json');
    expect(address.fields!.map((f) => f.name)).toEqual(['city', 'zip', 'geo']);
    expect(address.fields![2]!.fields!.map((f) => `${f.name}:${f.type}`)).toEqual(['lat:float64', 'lng:float64']);
    const row = back.apply(doc)!;
    expect(row.address).toEqual(doc.address);
    expect(row.meta).toEqual(doc.meta); // int64 as text, bytes as { $base64 }: the same spelling the reader used
    expect(back.apply({ ...doc, address: null })!.address).toBeNull();
    expect(Object.keys(t.apply(doc)!)).not.toContain('address');
  });

  test('unflatten refuses ambiguous layouts', () => {
    const flat: ObjectSchema = {
      object: 't',
      key: ['id'],
      fields: [
        { name: 'id', type: 'int64', nullable: false },
        { name: 'a_b', type: 'string', nullable: true },
        { name: 'a_b_c', type: 'string', nullable: true },
      ],
    };
    expect(() => compileTransforms(steps({ op: 'unflatten', fields: ['a'] }), flat)).toThrow(/both a value and an object/);
    expect(() => compileTransforms(steps({ op: 'unflatten', fields: ['zz'] }), flat)).toThrow(/no field starts with "zz_"/);
  });
});

describe('cast', () => {
  test('ObjectId → string and → uuid (reversible); key keeps being the key', () => {
    const t = compileTransforms(steps({ op: 'rename', fields: { _id: 'id' } }, { op: 'cast', fields: { id: 'uuid' } }), mongoSchema);
    expect(t.schema.key).toEqual(['id']);
    expect(t.schema.fields[0]).toEqual({ name: 'id', type: 'uuid', nullable: false });
    const id = t.apply(doc)!.id as string;
    expect(id).toBe('65a1b2c3-d4e5-f607-1829-3a4b00000000');
    expect(uuidToObjectId(id)).toBe(doc._id);
    expect(objectIdToUuid(doc._id as string)).toBe(id);
    const s = compileTransforms(steps({ op: 'cast', fields: { _id: 'string' } }), mongoSchema);
    expect(s.schema.fields[0]!.type).toBe('string');
    expect(s.apply(doc)!._id).toBe(doc._id);
  });

  test('numbers, dates, text and JSON; bad values reject the record; impossible casts fail at compile time', () => {
    const schema: ObjectSchema = {
      object: 't',
      key: ['id'],
      fields: [
        { name: 'id', type: 'int64', nullable: false, nativeType: 'bigint', nativeOf: 'postgres' },
        { name: 'n', type: 'string', nullable: true },
        { name: 'at', type: 'timestamptz', nullable: true },
        { name: 'doc', type: 'json', nullable: true },
        { name: 'raw', type: 'bytes', nullable: true },
      ],
    };
    const t = compileTransforms(steps({ op: 'cast', fields: { id: 'string', n: 'decimal', at: 'date', doc: 'string', raw: 'string' } }), schema);
    expect(t.schema.fields[0]).toEqual({ name: 'id', type: 'string', nullable: false }); // native type dropped
    expect(t.apply({ id: 5n, n: '1.50E+2', at: '2024-05-06T23:59:59.999999Z', doc: { a: [1] }, raw: Buffer.from('hi') })!).toEqual({
      id: '5',
      n: '150',
      at: '2024-05-06',
      doc: '{"a":[1]}',
      raw: 'aGk=',
    });
    const toInt = compileTransforms(steps({ op: 'cast', fields: { n: 'int32' } }), schema);
    expect(() => toInt.apply({ id: 1n, n: 'x' })!).toThrow(/n: not an int32/);
    expect(toInt.apply({ id: 1n, n: null })!.n).toBeNull();
    expect(() => compileTransforms(steps({ op: 'cast', fields: { raw: 'int32' } }), schema)).toThrow(/cannot cast raw from bytes to int32/);
    expect(() => compileTransforms(steps({ op: 'cast', fields: { id: 'json' } }), schema)).toThrow(/key field cannot become json/);
    expect(() => compileTransforms(steps({ op: 'cast', fields: { ghost: 'string' } }), schema)).toThrow(/unknown field ghost/);
    const toJson = compileTransforms(steps({ op: 'cast', fields: { n: 'json' } }), schema);
    expect(toJson.apply({ id: 1n, n: '{"x":1}' })!.n).toEqual({ x: 1 });
  });

  test('int64 → float64 refuses inexact values rather than rounding', () => {
    const schema: ObjectSchema = {
      object: 't',
      key: ['id'],
      fields: [
        { name: 'id', type: 'int64', nullable: false },
        { name: 'v', type: 'int64', nullable: true },
      ],
    };
    const t = compileTransforms(steps({ op: 'cast', fields: { v: 'float64' } }), schema);
    expect(t.apply({ id: 1n, v: 2n ** 52n })!.v).toBe(2 ** 52);
    expect(() => t.apply({ id: 1n, v: 2n ** 53n + 1n })!).toThrow(/no exact float64/);
  });
});

describe('jsonEncode', () => {
  test('every leftover json field (not flattened ones) becomes JSON text; nulls stay null', () => {
    const t = compileTransforms(steps({ op: 'flatten', fields: ['address'] }, { op: 'jsonEncode' }), mongoSchema);
    const types = Object.fromEntries(t.schema.fields.map((f) => [f.name, f.type]));
    expect(types).toMatchObject({ meta: 'string', tags: 'string', address_city: 'string', address_zip: 'int32' });
    expect((t.schema.fields.find((f) => f.name === 'meta') as NestedFieldSchema).fields).toBeUndefined();
    const row = t.apply(doc)!;
    expect(row.tags).toBe('["a",{"b":1}]');
    expect(JSON.parse(row.meta as string)).toEqual(doc.meta);
    expect(t.apply({ ...doc, tags: null })!.tags).toBeNull();
    expect(t.apply({ ...doc, tags: 'just text' })!.tags).toBe('"just text"');
  });

  test('listing a non-json field is an error', () => {
    expect(() => compileTransforms(steps({ op: 'jsonEncode', fields: ['name'] }), mongoSchema)).toThrow(/name is string, not json/);
  });
});

describe('transformed rows checksum like what a column store reads back', () => {
  test('flatten + rename: the canonical row is stable across the neutral spellings connectors produce', () => {
    const t = compileTransforms(steps({ op: 'rename', fields: { _id: 'id' } }, { op: 'flatten' }), mongoSchema);
    const out = t.apply(doc)!;
    // What Cassandra returns for the same row: Date-derived ISO text, bigint, Buffer, JSON parsed back from text.
    const readBack: Row = { ...out, meta_created: new Date('2024-01-02T03:04:05.678Z').toISOString(), tags: JSON.parse(JSON.stringify(out.tags)) };
    expect(canonicalRow(readBack, t.schema)).toBe(canonicalRow(out, t.schema));
  });
});

describe('decimal text', () => {
  test.each([
    ['1.23E+5', '123000'],
    ['1E-8', '0.00000001'],
    ['-0.50', '-0.50'],
    ['007.10', '7.10'],
    ['-0', '0'],
    ['12345678901234567890.123', '12345678901234567890.123'],
  ])('%s → %s', (input, out) => expect(plainDecimal(input)).toBe(out));
  test('garbage is refused', () => {
    expect(parseDecimal('NaN')).toBeNull();
    expect(parseDecimal('1.2.3')).toBeNull();
    expect(parseDecimal('')).toBeNull();
  });
});
