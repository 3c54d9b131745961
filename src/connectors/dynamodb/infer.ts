import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { FieldSchema, FieldType } from '../../model/types';
import { parseDecimal } from '../../model/values';
import { NATIVE_OF, attrType, type Item } from './attributes';

/**
 * Fields and types from sampled items (the idea of MongoDB's infer.ts, for attribute values):
 *   S → string, N → int32 / int64 when every sampled number is an integer in that range, else decimal,
 *   B → bytes, BOOL → boolean, M → json with its nested shape, L → json, SS/NS/BS → json with nativeType
 *   SS/NS/BS (a DynamoDB target writes the set back). Mixed numbers widen; any other mix → json.
 * Integral key attributes are int64 (ids outgrow samples). nativeType is the attribute type letter(s) seen, e.g. "N" or "S|N".
 */

type Kind = 'string' | 'int32' | 'int64' | 'decimal' | 'bytes' | 'boolean' | 'map' | 'list' | 'SS' | 'NS' | 'BS';

const MAX_NESTED_KEYS = 100;
const MAX_NESTED_DEPTH = 8;

interface Shape {
  present: number;
  nulls: number;
  kinds: Set<Kind>;
  natives: Set<string>;
  maps: number;
  children: Map<string, Shape> | null;
}

const newShape = (): Shape => ({ present: 0, nulls: 0, kinds: new Set(), natives: new Set(), maps: 0, children: new Map() });

const INT32 = 2n ** 31n;
const INT64 = 2n ** 63n;

/** The narrowest integer kind that holds a DynamoDB number exactly, or decimal. */
export function numberKind(text: string): Kind {
  const p = parseDecimal(text);
  if (!p) return 'decimal';
  const frac = p.scale > 0 ? p.unscaled.slice(-p.scale) : '';
  if (/[1-9]/.test(frac)) return 'decimal';
  const int = BigInt((p.negative ? '-' : '') + (p.scale > 0 ? p.unscaled.slice(0, -p.scale) || '0' : p.unscaled));
  if (int >= -INT32 && int < INT32) return 'int32';
  if (int >= -INT64 && int < INT64) return 'int64';
  return 'decimal';
}

function kindOf(a: AttributeValue): Kind {
  const t = attrType(a);
  switch (t) {
    case 'S':
      return 'string';
    case 'N':
      return numberKind(a.N!);
    case 'B':
      return 'bytes';
    case 'BOOL':
      return 'boolean';
    case 'M':
      return 'map';
    case 'L':
      return 'list';
    default:
      return t as Kind;
  }
}

function observe(shape: Shape, a: AttributeValue | undefined, depth: number): void {
  if (a === undefined) return;
  shape.present++;
  if (a.NULL !== undefined) {
    shape.nulls++;
    return;
  }
  const kind = kindOf(a);
  shape.kinds.add(kind);
  shape.natives.add(attrType(a));
  if (kind !== 'map') return;
  shape.maps++;
  if (!shape.children) return;
  if (depth >= MAX_NESTED_DEPTH) {
    shape.children = null;
    return;
  }
  for (const [k, x] of Object.entries(a.M!)) {
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

const SINGLE: Record<Kind, FieldType> = {
  string: 'string',
  int32: 'int32',
  int64: 'int64',
  decimal: 'decimal',
  bytes: 'bytes',
  boolean: 'boolean',
  map: 'json',
  list: 'json',
  SS: 'json',
  NS: 'json',
  BS: 'json',
};
const NUMERIC: Kind[] = ['int32', 'int64', 'decimal'];

function typeOf(kinds: Set<Kind>): FieldType {
  if (kinds.size === 0) return 'json'; // only NULLs seen
  if (kinds.size === 1) return SINGLE[[...kinds][0]!];
  if ([...kinds].every((k) => NUMERIC.includes(k))) return kinds.has('decimal') ? 'decimal' : 'int64';
  return 'json';
}

function toField(name: string, shape: Shape, parentCount: number): FieldSchema {
  const field: FieldSchema = {
    name,
    type: typeOf(shape.kinds),
    nullable: shape.nulls > 0 || shape.present < parentCount,
    nativeType: [...shape.natives].sort().join('|') || 'NULL',
    nativeOf: NATIVE_OF,
  };
  if (shape.kinds.size === 1 && shape.kinds.has('map') && shape.children && shape.children.size > 0)
    field.fields = [...shape.children].map(([k, s]) => toField(k, s, shape.maps));
  return field;
}

/** Fields of sampled items, the key attributes first (in key order), then in order of first appearance. */
export function inferFields(items: readonly Item[], key: readonly string[]): FieldSchema[] {
  const root = newShape();
  for (const item of items) {
    root.present++;
    for (const [k, a] of Object.entries(item)) {
      let s = root.children!.get(k);
      if (!s) root.children!.set(k, (s = newShape()));
      observe(s, a, 1);
    }
  }
  const fields = [...root.children!].map(([k, s]) => toField(k, s, items.length));
  const keyed = key.map((k) => fields.find((f) => f.name === k)).filter((f): f is FieldSchema => !!f);
  // Keys are ids that grow past what a sample shows: an integral key is int64, never int32.
  for (const f of keyed) if (f.type === 'int32') f.type = 'int64';
  return [...keyed, ...fields.filter((f) => !key.includes(f.name))];
}
