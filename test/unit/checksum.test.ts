import { xxh64 } from '@node-rs/xxhash';
import type { ObjectSchema, Row } from '../../src/model/types';
import type { FieldSchema } from '../../src/model/types';
import { canonicalField, canonicalValue } from '../../src/validation/canonical';
import { RowDigester } from '../../src/validation/checksum';
import { compareScans, mergeDigests, sumScans } from '../../src/validation/digest';

const schema: ObjectSchema = {
  object: 't',
  key: ['id'],
  fields: [
    { name: 'id', type: 'int64', nullable: false },
    { name: 'amount', type: 'decimal', nullable: true },
    { name: 'at', type: 'timestamptz', nullable: true },
    { name: 'doc', type: 'json', nullable: true },
    { name: 'raw', type: 'bytes', nullable: true },
  ],
};

const rows = (n: number): Row[] =>
  Array.from({ length: n }, (_, i) => ({
    id: BigInt(i + 1),
    amount: `${i}.50`,
    at: `2024-01-01T00:00:${String(i % 60).padStart(2, '0')}.123400Z`,
    doc: { b: i, a: [1, 'x'] },
    raw: Buffer.from([i % 256]),
  }));

const digestOf = (rs: Row[], withBuckets = false) => {
  const d = new RowDigester(schema, withBuckets);
  rs.forEach((r) => d.add(r));
  return d;
};

describe('row digests', () => {
  test('order does not matter, content does', () => {
    const rs = rows(500);
    const a = digestOf(rs).digest();
    const b = digestOf([...rs].reverse()).digest();
    expect(a).toEqual(b);
    const changed = rs.map((r, i) => (i === 250 ? { ...r, amount: '999.5' } : r));
    expect(digestOf(changed).digest().sum).not.toBe(a.sum);
  });

  test('duplicates change the digest (a sum, not an XOR)', () => {
    const rs = rows(10);
    const once = digestOf(rs).digest();
    const twice = digestOf([...rs, rs[3]!, rs[3]!]).digest();
    expect(twice.count).toBe(12);
    expect(twice.sum).not.toBe(once.sum);
  });

  test('the float-lane sum equals a BigInt reference mod 2^64', () => {
    const rs = rows(3000);
    let ref = 0n;
    const sorted = [...schema.fields].sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const r of rs) {
      const text = sorted.map((f) => `${f.name}\u0001${canonicalValue(r[f.name], f.type)}\u0002`).join('');
      ref = (ref + xxh64(text)) & ((1n << 64n) - 1n);
    }
    expect(digestOf(rs).digest().sum).toBe(ref.toString(16).padStart(16, '0'));
  });

  test('digests merge across batches exactly like one pass', () => {
    const rs = rows(1000);
    const merged = mergeDigests(digestOf(rs.slice(0, 400)).digest(), digestOf(rs.slice(400)).digest());
    expect(merged).toEqual(digestOf(rs).digest());
  });

  test('bucketed comparison names the bucket that differs', () => {
    const rs = rows(1000);
    const src = digestOf(rs, true);
    const tgt = digestOf(
      rs.map((r) => (r.id === 77n ? { ...r, doc: { changed: true } } : r)),
      true,
    );
    const cmp = compareScans(
      sumScans([{ total: src.digest(), buckets: src.bucketDigests() }]),
      sumScans([{ total: tgt.digest(), buckets: tgt.bucketDigests() }]),
    );
    expect(cmp.status).toBe('mismatch');
    expect(cmp.mismatchedBuckets).toHaveLength(1);
    expect(cmp.mismatchedBuckets[0]!.source.count).toBe(cmp.mismatchedBuckets[0]!.target.count);
  });
});

describe('canonical values agree across drivers', () => {
  test.each([
    ['decimal', '12.50', '12.5'],
    ['decimal', '-0.000', '0'],
    ['decimal', '007.10', '7.1'],
    ['timestamptz', new Date('2024-01-01T00:00:00.120Z'), '2024-01-01T00:00:00.120000Z'],
    ['timestamptz', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00.000Z'],
    ['int64', 42n, '42'],
    ['int64', 42, '42'],
    ['json', { b: 1, a: { d: 2, c: 3 } }, { a: { c: 3, d: 2 }, b: 1 }],
    ['bytes', Buffer.from('hi'), new Uint8Array([104, 105])],
    ['uuid', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'],
    ['float64', -0, 0],
  ] as const)('%s: %p ≡ %p', (type, a, b) => {
    expect(canonicalValue(a, type)).toBe(canonicalValue(b, type));
  });

  test('null and empty string differ', () => {
    expect(canonicalValue(null, 'string')).not.toBe(canonicalValue('', 'string'));
  });
});

describe('a json field of described shape: leaves spelled by their type', () => {
  // The shape unflatten gives a folded group (Cassandra addr_zip bigint → addr.zip int64), as a Firestore
  // target reads it back: integers as numbers where unflatten wrote JSON-safe text, µs timestamps.
  const addr: FieldSchema = {
    name: 'addr',
    type: 'json',
    nullable: true,
    fields: [
      { name: 'zip', type: 'int64', nullable: true },
      { name: 'at', type: 'timestamptz', nullable: true },
      { name: 'geo', type: 'json', nullable: true, fields: [{ name: 'lat', type: 'float64', nullable: true }] },
    ],
  };

  test('text and number spellings of one typed leaf are one value, at any depth', () => {
    const unflattened = { zip: '10006', at: '2021-05-06T07:08:09.123Z', geo: { lat: '2.5' }, city: 'x' };
    const readBack = { city: 'x', geo: { lat: 2.5 }, at: '2021-05-06T07:08:09.123000Z', zip: 10006 };
    expect(canonicalField(readBack, addr)).toBe(canonicalField(unflattened, addr));
  });

  test('different values still differ, and leaves that do not fit their type keep their JSON spelling', () => {
    expect(canonicalField({ zip: 10006 }, addr)).not.toBe(canonicalField({ zip: 10007 }, addr));
    expect(canonicalField({ geo: { lat: 'abc' } }, addr)).not.toBe(canonicalField({ geo: { lat: 'xyz' } }, addr));
    expect(canonicalField({ zip: { n: 1 } }, addr)).not.toBe(canonicalField({ zip: '[object Object]' }, addr));
    // Undescribed keys, and json without a shape, stay strict: "1" is not 1 there.
    expect(canonicalField({ city: '1' }, addr)).not.toBe(canonicalField({ city: 1 }, addr));
    expect(canonicalValue({ zip: '1' }, 'json')).not.toBe(canonicalValue({ zip: 1 }, 'json'));
  });
});
