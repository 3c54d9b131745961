import { DatamigratoError } from '../../src/errors';
import type { ObjectSchema, Row } from '../../src/model/types';
import { toText } from '../../src/model/coerce';
import { compileTransforms, type TransformSecrets } from '../../src/transform/compile';
import { Decimal } from '../../src/transform/decimal';
import { TransformStepSchema, type TransformStep } from '../../src/transform/steps';
import { parseJobSpec } from '../../src/job/job-spec';
import { tortureRows, tortureSchema } from '../conformance/torture';

/**
 * mask, compute, filter and map over the type torture set (nulls, unicode, decimals at 38 digits, nested
 * JSON, int64 edges), plus the spec errors each one gives.
 */
const steps = (...s: unknown[]): TransformStep[] => s.map((x) => TransformStepSchema.parse(x));
const KEY = { env: 'TEST_MASK_KEY' };
const secrets = (key = 'k3y-for-tests', at = [0]): TransformSecrets => ({ maskKeys: new Map(at.map((i) => [i, Buffer.from(key)])) });
const schema = tortureSchema('t.torture');
const rows = tortureRows();
const run = (s: TransformStep[], sc: ObjectSchema = schema, sec?: TransformSecrets) => {
  const t = compileTransforms(s, sc, sec);
  return { schema: t.schema, out: rows.map((r) => t.apply(r)) };
};
const configError = (fn: () => unknown, re: RegExp) => {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(DatamigratoError);
  expect((err as DatamigratoError).kind).toBe('ConfigError');
  expect((err as Error).message).toMatch(re);
};
const nonKey = schema.fields.filter((f) => f.name !== 'id').map((f) => f.name);

describe('mask', () => {
  const hexAll = steps({ op: 'mask', key: KEY, fields: Object.fromEntries(nonKey.map((n) => [n, 'hex'])) });

  test('hex over every type: deterministic, keyed, nulls stay null, no original value left', () => {
    const a = run(hexAll, schema, secrets());
    const b = run(hexAll, schema, secrets());
    const other = run(hexAll, schema, secrets('another key'));
    expect(a.out).toEqual(b.out);
    for (const [i, row] of a.out.entries()) {
      for (const n of nonKey) {
        const original = rows[i]![n]!;
        if (original === null) expect(row![n]).toBeNull();
        else {
          expect(row![n]).toMatch(/^[0-9a-f]{64}$/);
          expect(row![n]).not.toBe(toText(original));
          expect(other.out[i]![n]).not.toBe(row![n]);
        }
      }
      expect(row!.id).toBe(rows[i]!.id);
    }
    expect(a.schema.fields.filter((f) => f.name !== 'id').every((f) => f.type === 'string')).toBe(true);
  });

  test('digits keep the format: same length, sign, point, separators; numbers stay numbers', () => {
    const t = compileTransforms(steps({ op: 'mask', key: KEY, fields: { dec: 'digits', i64: 'digits', i32: 'digits', s: 'digits' } }), schema, secrets());
    const [r1, r2, , r4] = rows.map((r) => t.apply(r)!);
    expect(r1!.dec).toMatch(/^[1-9]\d{37}$/);
    expect(r1!.dec).not.toBe(rows[0]!.dec);
    expect(r2!.dec).toMatch(/^-\d\.\d{37}$/);
    expect(typeof r1!.i64).toBe('bigint');
    expect(typeof r1!.i32).toBe('number');
    expect(Number.isInteger(r1!.i32)).toBe(true);
    expect(Math.abs(r1!.i32 as number)).toBeLessThanOrEqual(2 ** 31);
    expect(r1!.s).toBe(rows[0]!.s); // no digit in that string: nothing to replace
    expect(r4).toEqual(rows[3]);
    expect(t.schema.fields.find((f) => f.name === 'dec')!.type).toBe('decimal');

    const phoneSchema: ObjectSchema = {
      object: 'p',
      key: ['id'],
      fields: [
        { name: 'id', type: 'int64', nullable: false },
        { name: 'phone', type: 'string', nullable: true },
      ],
    };
    const p = compileTransforms(steps({ op: 'mask', key: KEY, fields: { phone: { as: 'digits', keepLast: 2 } } }), phoneSchema, secrets());
    const masked = p.apply({ id: 1n, phone: '+33 6 12 34 56 78' })!.phone as string;
    expect(masked).toMatch(/^\+\d\d \d \d\d \d\d \d\d 78$/);
    expect(masked).not.toBe('+33 6 12 34 56 78');
  });

  test('e-mail keeps the domain, keepLast keeps the tail, null and constant redact', () => {
    const t = compileTransforms(
      steps({
        op: 'mask',
        key: KEY,
        fields: { s: { as: 'email', length: 12 }, u: { as: 'hex', length: 8, keepLast: 4 }, obj: 'null', flag: { as: 'constant', value: false } },
      }),
      schema,
      secrets(),
    );
    const out = rows.map((r) => t.apply(r)!);
    expect(out[0]!.s).toMatch(/^[0-9a-f]{12}$/); // not an e-mail: hashed whole, never rejected (a rejected record would carry the original)
    expect(out[0]!.u).toMatch(/^[0-9a-f]{8}4000$/);
    expect(out.map((r) => r.obj)).toEqual([null, null, null, null]);
    expect(out.map((r) => r.flag)).toEqual([false, false, false, false]);
    const mail = t.apply({ ...rows[0]!, s: 'Ünïcode.User@Example.ORG' })!.s;
    expect(mail).toMatch(/^[0-9a-f]{12}@example\.org$/);
    expect(t.apply({ ...rows[0]!, s: 'ünïcode.user@example.org' })!.s).toBe(mail);
  });

  test('the same value masks the same in two tables with the same key: a join still holds', () => {
    const customers: ObjectSchema = { object: 'c', key: ['id'], fields: [{ name: 'id', type: 'int64', nullable: false }] };
    const orders: ObjectSchema = {
      object: 'o',
      key: ['id'],
      fields: [
        { name: 'id', type: 'int64', nullable: false },
        { name: 'customer_id', type: 'int32', nullable: true },
      ],
    };
    const c = compileTransforms(steps({ op: 'mask', key: KEY, allowKey: true, fields: { id: 'hex' } }), customers, secrets());
    const o = compileTransforms(steps({ op: 'mask', key: KEY, fields: { customer_id: 'hex' } }), orders, secrets());
    expect(o.apply({ id: 9n, customer_id: 42 })!.customer_id).toBe(c.apply({ id: 42n })!.id);
    expect(c.schema.key).toEqual(['id']);
    expect(c.schema.fields[0]!.type).toBe('string');
  });

  test('spec errors: the key needs allowKey, hashing needs a key, types must fit', () => {
    configError(
      () => run(steps({ op: 'mask', key: KEY, fields: { id: 'hex' } }), schema, secrets()),
      /transform\[0\] \(mask\): id is a key field.*allowKey: true/,
    );
    configError(() => run(steps({ op: 'mask', key: KEY, allowKey: true, fields: { id: 'null' } }), schema, secrets()), /cannot be redacted/);
    configError(() => run(steps({ op: 'mask', key: KEY, fields: { flag: 'digits' } }), schema, secrets()), /digits masks strings and numbers, not boolean/);
    configError(() => run(steps({ op: 'mask', key: KEY, fields: { i32: 'email' } }), schema, secrets()), /email masks a string field/);
    configError(() => run(steps({ op: 'mask', fields: { i32: { as: 'constant', value: 'x' } } })), /constant "x" does not fit int32/);
    configError(() => run(steps({ op: 'mask', key: KEY, fields: { nope: 'hex' } }), schema, secrets()), /unknown field nope/);
    expect(TransformStepSchema.safeParse({ op: 'mask', fields: { s: 'hex' } }).error?.issues[0]).toMatchObject({ path: ['key'] });
    expect(TransformStepSchema.safeParse({ op: 'mask', key: 'literal-key', fields: { s: 'hex' } }).success).toBe(false);
    // Redaction needs no key; hashing without a resolved key is a job error, never a record error.
    expect(run(steps({ op: 'mask', fields: { s: 'null' } })).out.every((r) => r!.s === null)).toBe(true);
    const unresolved = compileTransforms(hexAll, schema);
    expect(() => unresolved.apply(rows[0]!)).toThrow(DatamigratoError);
  });
});

describe('compute', () => {
  const people: ObjectSchema = {
    object: 'people',
    key: ['id'],
    fields: [
      { name: 'id', type: 'int64', nullable: false },
      { name: 'first_name', type: 'string', nullable: false },
      { name: 'last_name', type: 'string', nullable: true },
      { name: 'birth_date', type: 'date', nullable: true },
      { name: 'price', type: 'decimal', nullable: false },
      { name: 'profile', type: 'json', nullable: true },
    ],
  };
  const person: Row = { id: 1n, first_name: 'Zoë', last_name: 'Ångström', birth_date: '2000-12-01', price: '19.99', profile: { address: { city: 'Kraków' } } };

  test('full name, time-zone correct age, exact price with tax, nested access; types inferred', () => {
    const t = compileTransforms(
      steps({
        op: 'compute',
        fields: {
          full_name: 'first_name + " " + coalesce(last_name, "")',
          // 03:00 UTC on 1 Dec is still 30 Nov in New York: the birthday has not come yet there.
          age_ny: 'age(birth_date, timestamp("2026-12-01T03:00:00Z"), "America/New_York")',
          age_utc: 'age(birth_date, timestamp("2026-12-01T03:00:00Z"), "UTC")',
          price_ttc: 'round(price * decimal("1.2"), 2)',
          price_raw: 'price * decimal("1.2")',
          city: { expression: 'profile.address.city', type: 'string' },
        },
      }),
      people,
    );
    expect(t.apply(person)).toMatchObject({
      full_name: 'Zoë Ångström',
      age_ny: 25n,
      age_utc: 26n,
      price_ttc: '23.99',
      price_raw: '23.988',
      city: 'Kraków',
    });
    const types = Object.fromEntries(t.schema.fields.map((f) => [f.name, f.type]));
    expect(types).toMatchObject({ full_name: 'string', age_ny: 'int64', price_ttc: 'decimal', city: 'string' });
    expect(t.apply({ ...person, last_name: null })!.full_name).toBe('Zoë ');
  });

  test('over the torture set: 38-digit decimals stay exact, unicode, nulls, nested JSON, int64 edges', () => {
    const t = compileTransforms(
      steps({
        op: 'compute',
        fields: {
          dec2: { expression: 'dec == null ? null : dec * decimal("1.1") + 1', type: 'decimal' },
          // CEL ternaries need one type on both branches: dyn(null) is the way to say "null here".
          s_len: { expression: 's == null ? dyn(null) : size(s)', type: 'int64' },
          s_up: { expression: 's == null ? dyn(null) : upper(s)', type: 'string' },
          deep: { expression: 'has(obj.a) ? obj.a.b.c[1] : "none"', type: 'string' },
          i64_next: { expression: 'i64 == null ? -1 : (i64 > 0 ? i64 : i64 + 1)', type: 'int64' },
          year_tokyo: { expression: 'ts == null ? 0 : ts.getFullYear("Asia/Tokyo")', type: 'int32' },
          sha: { expression: 'sha256(coalesce(s, ""))', type: 'string' },
        },
      }),
      schema,
    );
    const out = rows.map((r) => t.apply(r)!);
    const exact = (d: string) => Decimal.parse(d).mul(Decimal.parse('1.1')).add(Decimal.parse('1')).toString();
    expect(out.map((r) => r.dec2)).toEqual([exact(rows[0]!.dec as string), exact(rows[1]!.dec as string), exact(rows[2]!.dec as string), null]);
    expect(out[0]!.dec2).toBe('13580246791358024679135802467913580246.8');
    expect(out[0]!.s_up).toBe((rows[0]!.s as string).toUpperCase());
    expect(out[2]!.s_len).toBe(BigInt([...(rows[2]!.s as string)].length));
    expect(out.map((r) => r.deep)).toEqual(['two', 'none', 'none', 'none']);
    expect(out.map((r) => r.i64_next)).toEqual([9223372036854775807n, -9223372036854775807n, 1n, -1n]);
    expect(out.map((r) => r.year_tokyo)).toEqual([2024, 1969, 2038, 0]);
    expect(out[3]!.sha).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  test('a failure on one record is a record error naming the field; the spec problems are config errors with positions', () => {
    const t = compileTransforms(steps({ op: 'compute', fields: { x: 'last_name + "!"' } }), people);
    expect(t.apply(person)!.x).toBe('Ångström!');
    expect(() => t.apply({ ...person, last_name: null })).toThrow(/^compute x: expression failed: no such overload/);
    expect(() => compileTransforms(steps({ op: 'compute', fields: { n: { expression: '2147483647 + 1', type: 'int32' } } }), people).apply(person)).toThrow(
      /compute n: .*int32/,
    );
    configError(
      () => compileTransforms(steps({ op: 'compute', fields: { total: 'price * nope' } }), people),
      /transform\[0\] \(compute\): field total: expression is not valid at position 8 \(line 1, column 9\): Unknown variable: nope/,
    );
    configError(() => compileTransforms(steps({ op: 'compute', fields: { x: 'profile.a' } }), people), /field x: the expression's type is dyn; declare it/);
    configError(() => compileTransforms(steps({ op: 'compute', fields: { id: '1' } }), people), /key field cannot be computed/);
    const bad = parseJobSpec({
      name: 'j',
      source: { type: 'memory', connection: { store: 's' }, object: 'a' },
      target: { type: 'memory', connection: { store: 's' }, object: 'b' },
      transform: [
        { op: 'rename', fields: { a: 'b' } },
        { op: 'compute', fields: { full_name: 'first_name + + " "' } },
      ],
    });
    expect(bad.ok).toBe(false);
    if (!bad.ok)
      expect(bad.issues).toEqual([
        { path: 'transform[1].fields.full_name', message: expect.stringMatching(/does not parse at position 13 \(line 1, column 14\)/) },
      ]);
  });
});

describe('filter', () => {
  test('keeps the rows the expression accepts; null means left out', () => {
    const { out } = run(steps({ op: 'filter', expression: 'i32 != null && i32 >= 0' }));
    expect(out.map((r) => r?.id ?? null)).toEqual([1n, null, 3n, null]);
    const unicode = run(steps({ op: 'filter', expression: 's != null && s.contains("שלום")' }));
    expect(unicode.out.filter(Boolean)).toHaveLength(1);
    const nested = run(steps({ op: 'filter', expression: 'has(obj.deep) && obj.deep.er.est.v == 1.5' }));
    expect(nested.out.map((r) => r?.id ?? null)).toEqual([null, null, 3n, null]);
    const dec = run(steps({ op: 'filter', expression: 'dec != null && dec < decimal("0")' }));
    expect(dec.out.map((r) => r?.id ?? null)).toEqual([null, 2n, 3n, null]);
  });

  test('a later step never sees a filtered row; a non-boolean is a record error or a spec error', () => {
    const t = compileTransforms(steps({ op: 'filter', expression: 'id > 2' }, { op: 'compute', fields: { x: '1 / (id - 1)' } }), schema);
    expect(t.apply(rows[0]!)).toBeNull(); // compute would divide by zero on id 1
    expect(() => compileTransforms(steps({ op: 'filter', expression: 'obj' }), schema).apply(rows[3]!)).toThrow(/filter: expression gave null, not a boolean/);
    configError(() => compileTransforms(steps({ op: 'filter', expression: 'size(s)' }), schema), /must be a boolean, but its type is int/);
  });
});

describe('map', () => {
  test('text operations over unicode and nulls; replace with groups', () => {
    const { out } = run(steps({ op: 'map', fields: { s: ['trim', 'uppercase', { replace: { pattern: '(\\p{L}+) (\\p{L}+)', with: '$2 $1', flags: 'u' } }] } }));
    expect(out[0]!.s).toBe('EMOJI 🙂👍🏽 RTL AND: שלום עולם مرحبا'); // the first match only: flags without g
    expect(out[1]!.s).toBe('');
    expect(out[3]!.s).toBeNull();
    expect(run(steps({ op: 'map', fields: { s: ['lowercase'] } })).out[2]!.s).toBe((rows[2]!.s as string).toLowerCase());
  });

  test('phone numbers to E.164 with a default region; invalid ones follow onInvalid', () => {
    const sc: ObjectSchema = {
      object: 'p',
      key: ['id'],
      fields: [
        { name: 'id', type: 'int64', nullable: false },
        { name: 'tel', type: 'string', nullable: true },
      ],
    };
    const fr = compileTransforms(steps({ op: 'map', fields: { tel: [{ phone: { defaultRegion: 'FR' } }] } }), sc);
    expect(fr.apply({ id: 1n, tel: '06 12 34 56 78' })!.tel).toBe('+33612345678');
    expect(fr.apply({ id: 1n, tel: '+1 (415) 555-2671' })!.tel).toBe('+14155552671');
    expect(fr.apply({ id: 1n, tel: null })!.tel).toBeNull();
    expect(() => fr.apply({ id: 1n, tel: 'call me' })).toThrow(/^map tel: not a valid phone number \(default region FR\)$/);
    const lax = compileTransforms(steps({ op: 'map', fields: { tel: [{ phone: { onInvalid: 'null' } }] } }), sc);
    expect(lax.apply({ id: 1n, tel: '06 12 34 56 78' })!.tel).toBeNull(); // no region: not a number
    const keep = compileTransforms(steps({ op: 'map', fields: { tel: [{ phone: { onInvalid: 'keep' } }] } }), sc);
    expect(keep.apply({ id: 1n, tel: 'n/a' })!.tel).toBe('n/a');
    configError(() => compileTransforms(steps({ op: 'map', fields: { tel: [{ phone: { defaultRegion: 'ZZ' } }] } }), sc), /ZZ is not a region/);
  });

  test('lookup with a default, ifNull, and the spec errors', () => {
    const { out, schema: after } = run(
      steps({
        op: 'map',
        fields: { flag: [{ lookup: { true: 'yes', false: 'no' }, default: 'other' }, { ifNull: 'unknown' }], i32: [{ ifNull: -1 }], dec: [{ ifNull: '0.00' }] },
      }),
    );
    expect(out.map((r) => r!.flag)).toEqual(['yes', 'no', 'unknown', 'unknown']);
    expect(out.map((r) => r!.i32)).toEqual([2147483647, -2147483648, 0, -1]);
    expect(out[3]!.dec).toBe('0.00');
    expect(after.fields.find((f) => f.name === 'flag')!.type).toBe('string');
    expect(after.fields.find((f) => f.name === 'i32')!.nullable).toBe(false);
    const g = run(steps({ op: 'map', fields: { s: [{ lookup: { '': 'empty' } }] } }));
    expect(g.out.map((r) => r!.s)).toEqual([rows[0]!.s, 'empty', rows[2]!.s, null]);
    configError(
      () => run(steps({ op: 'map', fields: { i32: ['lowercase'] } })),
      /transform\[0\] \(map\): i32\[0\]: lowercase needs a string field, but it is int32/,
    );
    configError(() => run(steps({ op: 'map', fields: { id: ['trim'] } })), /id is a key field/);
    configError(() => run(steps({ op: 'map', fields: { i32: [{ ifNull: 'abc' }] } })), /ifNull "abc" does not fit int32/);
    const badRegex = TransformStepSchema.safeParse({ op: 'map', fields: { s: [{ replace: { pattern: '(' } }] } }).error?.issues[0];
    expect(badRegex).toMatchObject({ path: ['fields', 's', 0], message: expect.stringMatching(/^replace\.pattern: Invalid regular expression/) });
    expect(TransformStepSchema.safeParse({ op: 'map', fields: { s: ['titlecase'] } }).error?.issues[0]?.message).toMatch(
      /"lowercase", "uppercase", "trim" or one of/,
    );
  });
});
