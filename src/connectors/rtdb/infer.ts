import { ShapeInference, type ValueKinds } from '../../model/infer';
import type { FieldSchema, FieldType } from '../../model/types';
import { isPlainObject } from '../../model/values';
import { JSON_WRAPPER } from './type-map';

/**
 * Fields and types from sampled children (JSON values). RTDB numbers are doubles: integral ones infer as
 * int64 (never int32: a later child may be larger), others as float64, a mix as float64. Strings stay
 * strings (an ISO-looking string is not guessed to be a date: cast it in the job). Objects keep their shape
 * in `fields` (so flatten works; limits in src/model/infer.ts); arrays and any other mix → json.
 */

type Kind = 'string' | 'boolean' | 'integer' | 'float' | 'object' | 'json';

function kindOf(v: unknown): Kind | null {
  if (v === null) return null; // RTDB stores no nulls: a null is an absent value
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number') return Number.isSafeInteger(v) ? 'integer' : 'float';
  if (isPlainObject(v) && !(JSON_WRAPPER in v)) return 'object';
  return 'json';
}

const SINGLE: Record<Kind, FieldType> = { string: 'string', boolean: 'boolean', integer: 'int64', float: 'float64', object: 'json', json: 'json' };

function typeOf(kinds: ReadonlySet<Kind>): FieldType {
  if (kinds.size === 1) return SINGLE[[...kinds][0]!];
  if (kinds.size === 2 && kinds.has('integer') && kinds.has('float')) return 'float64';
  return 'json';
}

const RTDB_KINDS: ValueKinds<Kind> = {
  kindOf,
  record: 'object',
  entries: (v) => Object.entries(v as Record<string, unknown>),
  typeOf,
  sortNatives: true,
  noNative: 'absent',
  nativeOf: 'rtdb',
};

/** An integer-looking key text (what an int64 key field is read from). */
export const INTEGER_KEY = /^-?(0|[1-9]\d{0,18})$/;

/**
 * Fields of sampled records. `keys` are the path-level fields (the child key, the group) with their key
 * texts: integer-like everywhere → int64, else string; they come first, in order.
 */
export function inferFields(children: readonly Record<string, unknown>[], keys: Record<string, string[]>): FieldSchema[] {
  const inference = new ShapeInference(RTDB_KINDS);
  for (const c of children) inference.add(c);
  const keyNames = Object.keys(keys);
  const keyFields = keyNames.map((name): FieldSchema => {
    const texts = keys[name]!;
    const integral = texts.length > 0 && texts.every((t) => INTEGER_KEY.test(t) && BigInt(t) < 2n ** 63n && BigInt(t) >= -(2n ** 63n));
    return { name, type: integral ? 'int64' : 'string', nullable: false, nativeType: 'key', nativeOf: 'rtdb' };
  });
  return [...keyFields, ...inference.fields().filter((f) => !keyNames.includes(f.name))];
}
