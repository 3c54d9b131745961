import { getConnector } from '../../src/connectors/registry';
import { inferFields } from '../../src/connectors/rtdb/infer';
import { compareKeys, decodeKey, encodeKey, inRange, rangesOfKeys } from '../../src/connectors/rtdb/keys';
import { RecordReader, childOf, layoutOf } from '../../src/connectors/rtdb/records';
import { RtdbEndpointSchema } from '../../src/connectors/rtdb/spec';
import { JSON_WRAPPER, fromRtdb, keepsExactly, toRtdb } from '../../src/connectors/rtdb/type-map';
import { logger } from '../../src/logging';
import type { FieldSchema, ObjectSchema } from '../../src/model/types';

const f = (name: string, type: FieldSchema['type']): FieldSchema => ({ name, type, nullable: true });
const endpoint = (extra: Record<string, unknown> = {}) =>
  RtdbEndpointSchema.parse({ type: 'rtdb', connection: { databaseURL: 'http://127.0.0.1:1?ns=x' }, path: '/users', ...extra });

describe('rtdb keys', () => {
  test("orderByKey order: 32-bit integer keys numerically first, then strings (the SDK's nameCompare)", () => {
    const keys = ['b', '10', 'a', '9', '-3', '2147483648', '007', '7'];
    expect([...keys].sort(compareKeys)).toEqual(['-3', '7', '007', '9', '10', '2147483648', 'a', 'b']);
  });

  test('forbidden characters are percent-encoded and decoded exactly; % itself too', () => {
    for (const text of ['a.b', 'x$#[]/y', '100%', 'tab\there', 'ok', 'ümlaut 🙂', '%2E']) {
      const key = encodeKey(text, 'percent');
      expect(key).not.toMatch(/[[\].#$/\t]/);
      expect(decodeKey(key, 'percent')).toBe(text);
    }
    expect(encodeKey('a.b', 'percent')).toBe('a%2Eb');
  });

  test('keyEncoding reject, empty and oversized keys → errors (rejected records), naming the key', () => {
    expect(() => encodeKey('a.b', 'reject')).toThrow(/"a.b".*keyEncoding: reject/);
    expect(() => encodeKey('', 'percent')).toThrow(/empty key/);
    expect(() => encodeKey('x'.repeat(769), 'percent')).toThrow(/769 bytes exceeds RTDB's 768/);
  });

  test('ranges from listed keys are disjoint and complete (lower exclusive, upper inclusive, open ends)', () => {
    const keys = Array.from({ length: 100 }, (_, i) => (i % 3 ? `k${i}` : String(i)));
    const ranges = rangesOfKeys(keys, 4);
    expect(ranges).toHaveLength(4);
    expect(ranges[0]!.lower).toBeNull();
    expect(ranges[3]!.upper).toBeNull();
    for (const k of keys) expect(ranges.filter((r) => inRange(k, r.lower as string | null, r.upper as string | null))).toHaveLength(1);
    expect(rangesOfKeys(['only'], 8)).toEqual([{ id: 0, lower: null, upper: null, estimatedRows: 1 }]);
  });
});

describe('rtdb type map', () => {
  test.each([
    ['int64 within 2^53 → number', f('x', 'int64'), 42n, 42],
    ['int64 beyond 2^53 → text', f('x', 'int64'), 9223372036854775807n, '9223372036854775807'],
    ['decimal → text', f('x', 'decimal'), '12.50', '12.50'],
    ['NaN → text', f('x', 'float64'), Number.NaN, 'NaN'],
    ['-0 → 0', f('x', 'float64'), -0, 0],
    ['bytes → base64', f('x', 'bytes'), Buffer.from([0, 255]), 'AP8='],
    ['timestamptz → ISO (µs kept)', f('x', 'timestamptz'), '2024-02-29T23:59:59.123456Z', '2024-02-29T23:59:59.123456Z'],
    ['json kept as is', f('x', 'json'), { a: [1, 'b'] }, { a: [1, 'b'] }],
    ['json with an empty array → wrapped', f('x', 'json'), { a: [] }, { [JSON_WRAPPER]: '{"a":[]}' }],
  ])('%s, and back', (_what, field, v, stored) => {
    expect(toRtdb(v, field, 'iso')).toEqual(stored);
    expect(fromRtdb(stored, field)).toEqual(Object.is(v, -0) ? 0 : v);
  });

  test('datesAs epochMs: numbers, read back as ISO text (milliseconds)', () => {
    expect(toRtdb('1970-01-01T00:00:01.5Z', f('t', 'timestamptz'), 'epochMs')).toBe(1500);
    expect(fromRtdb(1500, f('t', 'timestamptz'))).toBe('1970-01-01T00:00:01.500Z');
    expect(toRtdb('2024-03-01', f('d', 'date'), 'epochMs')).toBe(Date.UTC(2024, 2, 1));
    expect(fromRtdb(Date.UTC(2024, 2, 1), f('d', 'date'))).toBe('2024-03-01');
  });

  test('what RTDB would change is detected: nulls, empty containers, integer-like object keys, forbidden key characters', () => {
    expect(keepsExactly({ a: 1, b: ['x'] })).toBe(true);
    for (const v of [{}, [], { a: null }, [1, null], { '0': 'a', '1': 'b' }, { 'a.b': 1 }, [[]]]) expect(keepsExactly(v)).toBe(false);
  });

  test('a value that does not fit its type names the field', () => {
    expect(() => fromRtdb('abc', f('n', 'int64'))).toThrow(/^n: /);
    expect(() => fromRtdb(5, f('s', 'string'))).toThrow(/^s: a number where the schema says string/);
    expect(() => toRtdb('x', f('n', 'int32'), 'iso')).toThrow(/^n: not an int32/);
  });
});

describe('rtdb records', () => {
  const schema: ObjectSchema = { object: '/users', key: ['id'], fields: [f('id', 'int64'), f('country', 'string'), f('tags', 'json'), f('note', 'string')] };

  test('layouts: groupByField or a two-field key nest one level; other keys are refused', () => {
    expect(layoutOf(schema, {})).toEqual({ group: null, key: 'id' });
    expect(layoutOf(schema, { groupByField: 'country' })).toEqual({ group: 'country', key: 'id' });
    expect(layoutOf({ ...schema, key: ['country', 'id'] }, {})).toEqual({ group: 'country', key: 'id' });
    expect(() => layoutOf({ ...schema, key: ['country', 'id', 'note'] }, {})).toThrow(/does not fit/);
    expect(() => layoutOf(schema, { groupByField: 'nope' })).toThrow(/groupByField nope is not a field/);
  });

  test('a child holds every non-null field, the key too (so it is never an empty node), and _extra spread back', () => {
    const open: ObjectSchema = { ...schema, fields: [...schema.fields, f('_extra', 'json')], unknownFields: { policy: 'json', field: '_extra' } };
    const e = endpoint();
    expect(childOf(open, { id: 1n, country: null, tags: [], note: null, _extra: { 'rare.one': 'x' } }, e)).toEqual({
      id: 1,
      tags: { [JSON_WRAPPER]: '[]' },
      'rare%2Eone': 'x',
    });
  });

  test('reading: the path gives the key and group; unknown fields follow the policy; a non-object child is a rejected record', () => {
    const read: ObjectSchema = { ...schema, key: ['id'], fields: [...schema.fields, f('_extra', 'json')], unknownFields: { policy: 'json', field: '_extra' } };
    const r = new RecordReader(read, { group: 'country', key: 'id' }, 'percent');
    const out = r.batch([
      { key: '7', group: 'St%2E Kitts', value: { id: 999, tags: ['a'], extra: { deep: 1 } } },
      { key: '8', group: 'DE', value: 'just a string' },
    ]);
    expect(out.rows).toEqual([{ id: 7n, country: 'St. Kitts', tags: ['a'], note: null, _extra: { extra: { deep: 1 } } }]);
    expect(out.rejected).toEqual([{ row: { id: '8', value: 'just a string' }, error: expect.stringMatching(/child 8 is a string, not an object/) }]);
    const dropping = new RecordReader({ ...schema, unknownFields: { policy: 'drop', field: '_extra' } }, { group: null, key: 'id' }, 'percent');
    expect(dropping.batch([{ key: '1', value: { a: 1, b: 2 } }]).droppedFields).toBe(2);
  });

  test('inference: integral numbers → int64, mixed numbers → float64, objects keep their shape, integer key texts → int64', () => {
    const fields = inferFields(
      [
        { n: 1, x: 1.5, o: { city: 'a', zip: 1 }, s: 'x', l: ['a'] },
        { n: 2, x: 2, o: { city: 'b' }, b: true },
      ],
      { key: ['1', '22'] },
    );
    const byName = Object.fromEntries(fields.map((x) => [x.name, x]));
    expect(fields[0]).toMatchObject({ name: 'key', type: 'int64', nullable: false });
    expect(byName.n!.type).toBe('int64');
    expect(byName.x!.type).toBe('float64');
    expect(byName.o!.fields!.map((c) => [c.name, c.type, c.nullable])).toEqual([
      ['city', 'string', false],
      ['zip', 'int64', true],
    ]);
    expect(byName.l!.type).toBe('json');
    expect(byName.b).toMatchObject({ type: 'boolean', nullable: true });
    expect(inferFields([{}], { key: ['a1'] })[0]!.type).toBe('string');
  });
});

describe('rtdb endpoint and credentials', () => {
  test('a literal credential is refused; the batch limits stay within RTDB limits', () => {
    expect(() => endpoint({ connection: { databaseURL: 'https://x.firebaseio.com', credentials: '{"private_key":"k"}' } })).toThrow(/secret reference/);
    expect(() => endpoint({ maxChildrenPerUpdate: 1001 })).toThrow();
    expect(() => endpoint({ maxUpdateBytes: 16 * 1024 * 1024 })).toThrow();
    expect(() => endpoint({ path: '/a.b' })).toThrow(/database path/);
    expect(endpoint()).toMatchObject({ keyField: 'key', maxChildrenPerUpdate: 500, datesAs: 'iso', keyEncoding: 'percent' });
  });

  test('a malformed service account fails fast as AuthError naming the connector, never echoing the secret', async () => {
    const d = getConnector('rtdb');
    const secret = '{"private_key":"-----BEGIN PRIVATE KEY-----s3cr3t-material","client_email":"sa@x.iam.gserviceaccount.com"';
    for (const credentials of [secret, '{"private_key":"s3cr3t-material-not-pem","client_email":"sa@x.iam.gserviceaccount.com","project_id":"p"}']) {
      const err = (await d.open(d.endpointSchema.parse(endpoint()), { databaseURL: 'https://x.firebaseio.com', credentials }, logger).then(
        () => null,
        (e: unknown) => e,
      )) as Error & { kind?: string };
      expect(err).not.toBeNull();
      expect(err.kind).toBe('AuthError');
      expect(err.message).toContain('[rtdb]');
      expect(err.message).not.toContain('s3cr3t');
    }
  });
});
