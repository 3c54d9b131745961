import { MAX_NESTED_DEPTH, MAX_NESTED_KEYS, ShapeInference, keysFirst, type ValueKinds } from '../../src/model/infer';
import type { FieldSchema } from '../../src/model/types';

type Kind = 'string' | 'number' | 'object';
const KINDS: ValueKinds<Kind> = {
  kindOf: (v) => (v === null ? null : typeof v === 'string' ? 'string' : typeof v === 'number' ? 'number' : 'object'),
  record: 'object',
  entries: (v) => Object.entries(v as Record<string, unknown>),
  typeOf: (k) => (k.size === 1 && k.has('string') ? 'string' : k.size === 1 && k.has('number') ? 'int32' : 'json'),
  noNative: 'null',
  nativeOf: 'test',
};
const infer = (...records: Record<string, unknown>[]) => {
  const i = new ShapeInference(KINDS);
  records.forEach((r) => i.add(r));
  return i.fields();
};
const depthOf = (f: FieldSchema | undefined): number => (f?.fields ? 1 + depthOf(f.fields[0]) : 0);

describe('src/model/infer: the nested-shape inference every schemaless connector uses', () => {
  test('nested records keep their shape; nullable when absent or null; mixed kinds by typeOf', () => {
    const [a, b, c] = infer({ a: 'x', b: { n: 1, s: 'y' }, c: 1 }, { a: null, b: { n: 2 }, c: 'z' });
    expect(a).toMatchObject({ name: 'a', type: 'string', nullable: true, nativeType: 'string' });
    expect(b).toMatchObject({ name: 'b', type: 'json', nullable: false });
    expect(b!.fields).toEqual([
      expect.objectContaining({ name: 'n', type: 'int32', nullable: false }),
      expect.objectContaining({ name: 's', type: 'string', nullable: true }),
    ]);
    expect(c).toMatchObject({ type: 'json', nativeType: 'number|string' });
    expect(infer({ z: null })[0]).toMatchObject({ nullable: true, nativeType: 'null' });
  });

  test(`an object wider than ${MAX_NESTED_KEYS} keys is a map (no shape); shapes stop at depth ${MAX_NESTED_DEPTH}; the top level has no key limit`, () => {
    const wide = Object.fromEntries(Array.from({ length: MAX_NESTED_KEYS + 1 }, (_, i) => [`k${i}`, i]));
    expect(infer({ m: wide })[0]!.fields).toBeUndefined();
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < MAX_NESTED_DEPTH + 3; i++) deep = { d: deep };
    expect(depthOf(infer({ deep })[0])).toBe(MAX_NESTED_DEPTH - 1);
    expect(infer(wide)).toHaveLength(MAX_NESTED_KEYS + 1);
  });

  test('keysFirst: key fields first in key order, an integral one int64', () => {
    const fields = keysFirst(infer({ v: 'x', b: 1, a: 'k' }), ['a', 'b']);
    expect(fields.map((f) => [f.name, f.type])).toEqual([
      ['a', 'string'],
      ['b', 'int64'],
      ['v', 'string'],
    ]);
  });
});
