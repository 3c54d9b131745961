import type { FieldSchema, FieldType } from '../../model/types';
import { isPlainObject } from '../../model/values';
import { JSON_WRAPPER } from './type-map';

/**
 * Fields and types from sampled children (JSON values). RTDB numbers are doubles: integral ones infer as
 * int64 (never int32: a later child may be larger), others as float64, a mix as float64. Strings stay
 * strings (an ISO-looking string is not guessed to be a date: cast it in the job). Objects keep their shape
 * in `fields` (so flatten works), up to 100 keys and depth 8; arrays and any other mix → json.
 */

type Kind = 'string' | 'boolean' | 'integer' | 'float' | 'object' | 'json';
const MAX_NESTED_KEYS = 100;
const MAX_NESTED_DEPTH = 8;

interface Shape {
  present: number;
  kinds: Set<Kind>;
  objects: number;
  children: Map<string, Shape> | null;
}
const newShape = (): Shape => ({ present: 0, kinds: new Set(), objects: 0, children: new Map() });

function kindOf(v: unknown): Kind {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number') return Number.isSafeInteger(v) ? 'integer' : 'float';
  if (isPlainObject(v) && !(JSON_WRAPPER in v)) return 'object';
  return 'json';
}

function observe(shape: Shape, v: unknown, depth: number): void {
  if (v === null || v === undefined) return;
  shape.present++;
  const kind = kindOf(v);
  shape.kinds.add(kind);
  if (kind !== 'object') return;
  shape.objects++;
  if (!shape.children) return;
  if (depth >= MAX_NESTED_DEPTH) {
    shape.children = null;
    return;
  }
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    let child = shape.children.get(k);
    if (!child) {
      if (shape.children.size >= MAX_NESTED_KEYS) {
        shape.children = null; // a map keyed by data, not a record
        return;
      }
      shape.children.set(k, (child = newShape()));
    }
    observe(child, x, depth + 1);
  }
}

const SINGLE: Record<Kind, FieldType> = { string: 'string', boolean: 'boolean', integer: 'int64', float: 'float64', object: 'json', json: 'json' };

function typeOf(kinds: Set<Kind>): FieldType {
  if (kinds.size === 1) return SINGLE[[...kinds][0]!];
  if (kinds.size === 2 && kinds.has('integer') && kinds.has('float')) return 'float64';
  return 'json';
}

function toField(name: string, shape: Shape, parentCount: number): FieldSchema {
  const field: FieldSchema = {
    name,
    type: typeOf(shape.kinds),
    nullable: shape.present < parentCount,
    nativeType: [...shape.kinds].sort().join('|') || 'absent',
    nativeOf: 'rtdb',
  };
  if (shape.kinds.size === 1 && shape.kinds.has('object') && shape.children && shape.children.size > 0)
    field.fields = [...shape.children].map(([k, s]) => toField(k, s, shape.objects));
  return field;
}

/** An integer-looking key text (what an int64 key field is read from). */
export const INTEGER_KEY = /^-?(0|[1-9]\d{0,18})$/;

/**
 * Fields of sampled records. `keys` are the path-level fields (the child key, the group) with their key
 * texts: integer-like everywhere → int64, else string; they come first, in order.
 */
export function inferFields(children: readonly Record<string, unknown>[], keys: Record<string, string[]>): FieldSchema[] {
  const root = newShape();
  for (const c of children) observe(root, c, 0);
  const keyNames = Object.keys(keys);
  const keyFields = keyNames.map((name): FieldSchema => {
    const texts = keys[name]!;
    const integral = texts.length > 0 && texts.every((t) => INTEGER_KEY.test(t) && BigInt(t) < 2n ** 63n && BigInt(t) >= -(2n ** 63n));
    return { name, type: integral ? 'int64' : 'string', nullable: false, nativeType: 'key', nativeOf: 'rtdb' };
  });
  const rest = [...(root.children ?? new Map<string, Shape>())].filter(([k]) => !keyNames.includes(k)).map(([k, s]) => toField(k, s, children.length));
  return [...keyFields, ...rest];
}
