import type { FieldSchema, FieldType, ObjectSchema, Row } from '../model/types';
import { childrenOf } from '../model/nested';
import { isPlainObject } from '../model/values';

/**
 * One spelling per value, whatever driver produced it, so a row read from the source (and transformed)
 * and the same row read back from the target encode to the same bytes. The expected (transformed)
 * schema's types decide the spelling, not the runtime type of the value.
 */

const trimFraction = (iso: string) => iso.replace(/\.(\d*?)0+(?=Z?$)/, (_m, d: string) => (d ? `.${d}` : ''));

function decimalText(v: unknown): string {
  let s = String(v).trim();
  if (/e/i.test(s)) {
    const n = Number(s);
    if (Number.isFinite(n) && Math.abs(n) < 1e21) s = n.toString();
    if (/e/i.test(s)) return s.toLowerCase();
  }
  const neg = s.startsWith('-');
  s = s.replace(/^[+-]/, '');
  let [int = '0', frac = ''] = s.split('.');
  int = int.replace(/^0+(?=\d)/, '');
  frac = frac.replace(/0+$/, '');
  const body = frac ? `${int}.${frac}` : int;
  return neg && body !== '0' ? `-${body}` : body;
}

function stableJson(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'bigint') return v.toString();
  if (Buffer.isBuffer(v)) return JSON.stringify(v.toString('base64'));
  if (v instanceof Date) return JSON.stringify(v.toISOString());
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (typeof v === 'object') {
    const o = v as { toHexString?: () => string; toJSON?: () => unknown };
    if (typeof o.toHexString === 'function') return JSON.stringify(o.toHexString());
    const keys = Object.keys(v).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  if (typeof v === 'number') return Number.isFinite(v) ? JSON.stringify(v) : JSON.stringify(String(v));
  return JSON.stringify(v);
}

function asBuffer(v: unknown): Buffer | null {
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v);
  const b = v as { buffer?: unknown; value?: (asRaw?: boolean) => unknown };
  if (b && b.buffer instanceof Uint8Array) return Buffer.from(b.buffer); // bson Binary
  return null;
}

export function canonicalValue(v: unknown, type: FieldType): string {
  if (v === null || v === undefined) return '\u0000';
  switch (type) {
    case 'string':
      return typeof v === 'string' ? v : typeof v === 'object' ? stableJson(v) : String(v);
    case 'uuid':
    case 'objectid': {
      const o = v as { toHexString?: () => string };
      return (typeof o.toHexString === 'function' ? o.toHexString() : String(v)).toLowerCase();
    }
    case 'int32':
    case 'int64':
      return typeof v === 'number' && !Number.isInteger(v) ? String(v) : String(v).replace(/^\+/, '');
    case 'float64': {
      const n = typeof v === 'number' ? v : Number(String(v));
      return Object.is(n, -0) ? '0' : String(n);
    }
    case 'decimal':
      return decimalText(v);
    case 'boolean':
      return v === true || v === 't' || v === 'true' || v === 1 ? 't' : 'f';
    case 'timestamptz':
    case 'timestamp': {
      const text = v instanceof Date ? v.toISOString() : String(v);
      return trimFraction(type === 'timestamp' ? text.replace(/Z$/, '') : text);
    }
    case 'date':
      return v instanceof Date ? v.toISOString().slice(0, 10) : String(v).slice(0, 10);
    case 'json':
      return stableJson(v);
    case 'bytes': {
      const b = asBuffer(v);
      return b ? b.toString('base64') : String(v);
    }
  }
}

/**
 * Leaf types whose spelling inside JSON differs by store and the values each admits: an int64 leaf is
 * "10006" after unflatten (JSON-safe text) and 10006 from a store that keeps integers, a timestamp leaf
 * "…123Z" or "…123000Z". A leaf the predicate refuses keeps its JSON spelling, so a value that does not
 * fit its sampled type is never folded into another.
 */
const INTEGER_TEXT = /^[+-]?\d+$/;
const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const TYPED_LEAF: Partial<Record<FieldType, (v: unknown) => boolean>> = {
  int32: (v) => typeof v === 'bigint' || Number.isInteger(v) || (typeof v === 'string' && INTEGER_TEXT.test(v)),
  int64: (v) => typeof v === 'bigint' || Number.isInteger(v) || (typeof v === 'string' && INTEGER_TEXT.test(v)),
  float64: (v) => (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && NUMBER_TEXT.test(v)),
  decimal: (v) => typeof v === 'bigint' || (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && NUMBER_TEXT.test(v)),
  timestamptz: (v) => v instanceof Date || (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/.test(v)),
};

/** A json value with a described shape: each described leaf in its type's spelling (tagged, so it cannot pass for JSON). */
function shapedJson(v: unknown, children: FieldSchema[]): string {
  if (!isPlainObject(v)) return stableJson(v);
  const byName = new Map(children.map((c) => [c.name, c]));
  const parts = Object.keys(v)
    .sort()
    .map((k) => {
      const leaf = v[k];
      const child = byName.get(k);
      const nested = child && childrenOf(child);
      let text: string;
      if (nested) text = shapedJson(leaf, nested);
      else if (child && leaf !== null && leaf !== undefined && TYPED_LEAF[child.type]?.(leaf))
        text = `\u0003${child.type}:${JSON.stringify(canonicalValue(leaf, child.type))}`;
      else text = stableJson(leaf);
      return `${JSON.stringify(k)}:${text}`;
    });
  return `{${parts.join(',')}}`;
}

/** One field's canonical text: its type's spelling, and for a json field of described shape its leaves' types too. */
export function canonicalField(v: unknown, f: FieldSchema): string {
  const children = childrenOf(f);
  return children && isPlainObject(v) ? shapedJson(v, children) : canonicalValue(v, f.type);
}

/** The row as one string: fields of the expected schema, by name, so column order never matters. */
export function canonicalRow(row: Row, schema: ObjectSchema, sortedFields = [...schema.fields].sort((a, b) => (a.name < b.name ? -1 : 1))): string {
  let out = '';
  for (const f of sortedFields) out += `${f.name}\u0001${canonicalField(row[f.name], f)}\u0002`;
  return out;
}
