import type { FieldSchema, ObjectSchema, Row } from '../../src/model/types';

/**
 * The type torture set: values at the edges of every neutral type, in the neutral form a connector's
 * write receives. Timestamps with an offset are given with millisecond fractions, as the neutral model
 * keeps finer fractions only for UTC text.
 */
const f = (name: string, type: FieldSchema['type'], nullable = true): FieldSchema => ({ name, type, nullable });

export const tortureSchema = (object: string): ObjectSchema => ({
  object,
  key: ['id'],
  fields: [
    f('id', 'int64', false),
    f('dec', 'decimal'),
    f('i64', 'int64'),
    f('i32', 'int32'),
    f('f64', 'float64'),
    f('f64special', 'float64'),
    f('ts', 'timestamptz'),
    f('tsz', 'timestamptz'),
    f('tsl', 'timestamp'),
    f('d', 'date'),
    f('bin', 'bytes'),
    f('u', 'uuid'),
    f('obj', 'json'),
    f('arr', 'json'),
    f('nested_arr', 'json'),
    f('s', 'string'),
    f('flag', 'boolean'),
  ],
});

const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const megabyte = 'Ωx🙂'.repeat(Math.ceil((1 << 20) / 7)).slice(0, 1 << 20);

/** The rows written, and the timestamps-with-offset fields' UTC spelling expected back. */
export const tortureRows = (): Row[] => [
  {
    id: 1n,
    dec: '12345678901234567890123456789012345678',
    i64: 9223372036854775807n,
    i32: 2147483647,
    f64: 1.7976931348623157e308,
    f64special: Number.NaN,
    ts: '2024-02-29T23:59:59.123456Z',
    tsz: '2024-06-01T12:00:00.654+02:00',
    tsl: '2038-01-19T03:14:08.999999',
    d: '2100-12-31',
    bin: allBytes,
    u: '123e4567-e89b-42d3-a456-426614174000',
    obj: { a: { b: { c: [1, 'two', null, true] } }, ü: 'é' },
    arr: [1, 'a', { x: null }],
    nested_arr: [[1, 2], [[3]]],
    s: 'emoji 🙂👍🏽 and RTL: שלום עולם مرحبا',
    flag: true,
  },
  {
    id: 2n,
    dec: '-0.0000000000000000000000000000000000001',
    i64: -9223372036854775808n,
    i32: -2147483648,
    f64: 5e-324,
    f64special: Number.POSITIVE_INFINITY,
    ts: '1969-07-20T20:17:40.000001Z',
    tsz: '1901-12-13T20:45:52.000-05:30',
    tsl: '1900-01-01T00:00:00',
    d: '1900-01-01',
    bin: Buffer.alloc(0),
    u: '00000000-0000-0000-0000-000000000000',
    obj: {},
    arr: [],
    nested_arr: [],
    s: '',
    flag: false,
  },
  {
    id: 3n,
    dec: '-99999999999999999999999999999999999999',
    i64: 0n,
    i32: 0,
    f64: -0,
    f64special: Number.NEGATIVE_INFINITY,
    ts: '2038-01-19T03:14:08Z',
    tsz: '2000-01-01T00:00:00.000+14:00',
    tsl: '1969-12-31T23:59:59.5',
    d: '1969-12-31',
    bin: Buffer.from([0]),
    u: 'ffffffff-ffff-4fff-bfff-ffffffffffff',
    obj: { deep: { er: { est: { v: 1.5 } } } },
    arr: [null],
    nested_arr: [[]],
    s: megabyte,
    flag: null,
  },
  // nulls in every column but the key
  {
    id: 4n,
    dec: null,
    i64: null,
    i32: null,
    f64: null,
    f64special: null,
    ts: null,
    tsz: null,
    tsl: null,
    d: null,
    bin: null,
    u: null,
    obj: null,
    arr: null,
    nested_arr: null,
    s: null,
    flag: null,
  },
];

/** tsz values as UTC text: what every store must give back for them (the neutral timestamptz spelling). */
export const TSZ_UTC: Record<string, string> = {
  '2024-06-01T12:00:00.654+02:00': '2024-06-01T10:00:00.654Z',
  '1901-12-13T20:45:52.000-05:30': '1901-12-14T02:15:52.000Z',
  '2000-01-01T00:00:00.000+14:00': '1999-12-31T10:00:00.000Z',
};

/** The simple schema source-side behaviours seed: an int64 key, text, an int32. */
export const seedSchema = (object: string): ObjectSchema => ({
  object,
  key: ['id'],
  fields: [f('id', 'int64', false), f('name', 'string'), f('n', 'int32')],
});

export const seedRows = (count: number): Row[] => Array.from({ length: count }, (_, i) => ({ id: BigInt(i * 7 + 1), name: `row ${i} ✓`, n: i % 13 }));

/** A two-field key (text, int32) whose tuple order differs from either field's order alone. */
export const compositeSchema = (object: string): ObjectSchema => ({
  object,
  key: ['tenant', 'seq'],
  fields: [f('tenant', 'string', false), f('seq', 'int32', false), f('v', 'string')],
});

export const compositeRows = (): Row[] => {
  const rows: Row[] = [];
  for (const tenant of ['b', 'a', 'c']) for (const seq of [10, 2, 33, 1]) rows.push({ tenant, seq, v: `${tenant}-${seq}` });
  return rows;
};
