import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { ShapeInference, keysFirst, type ValueKinds } from '../../model/infer';
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

function typeOf(kinds: ReadonlySet<Kind>): FieldType {
  if (kinds.size === 0) return 'json'; // only NULLs seen
  if (kinds.size === 1) return SINGLE[[...kinds][0]!];
  if ([...kinds].every((k) => NUMERIC.includes(k))) return kinds.has('decimal') ? 'decimal' : 'int64';
  return 'json';
}

const DYNAMO_KINDS: ValueKinds<Kind> = {
  kindOf: (a) => ((a as AttributeValue).NULL !== undefined ? null : kindOf(a as AttributeValue)),
  record: 'map',
  entries: (a) => Object.entries((a as AttributeValue).M!),
  native: (a) => attrType(a as AttributeValue),
  typeOf,
  sortNatives: true,
  noNative: 'NULL',
  nativeOf: NATIVE_OF,
};

/** Fields of sampled items, the key attributes first (in key order; integral ones int64), then in order of first appearance. */
export function inferFields(items: readonly Item[], key: readonly string[]): FieldSchema[] {
  const inference = new ShapeInference(DYNAMO_KINDS);
  for (const item of items) inference.add(item);
  return keysFirst(inference.fields(), key);
}
