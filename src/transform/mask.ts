import { createHmac } from 'node:crypto';
import { DatamigratoError, configError } from '../errors';
import { coerce, toText } from '../model/coerce';
import { withoutChildren } from '../model/nested';
import type { FieldSchema, FieldType, Row, Value } from '../model/types';
import type { CompiledStep, StepContext } from './compile';
import { MaskMethodSchema, type MaskMethod, type StepOf } from './steps';

type Schema = CompiledStep['schema'];
type Hmac = (text: string, counter?: number) => Buffer;

/**
 * mask: keyed HMAC-SHA256 of each value's text (no per-field salt, so the same value masks the same in
 * every field, table and run with the same key: joins on masked columns still hold), or redaction.
 * The key comes from a secret reference resolved on the worker; it never reaches the spec, history or logs.
 */
export function compileMask(step: StepOf<'mask'>, schema: Schema, ctx: StepContext): CompiledStep {
  const { where } = ctx;
  const key = ctx.secrets.maskKeys.get(ctx.index);
  const hmac: Hmac = (text, counter = 0) => {
    if (!key) throw new DatamigratoError('ConfigError', `${where}: the mask key was not resolved on this worker`);
    return createHmac('sha256', key)
      .update(counter ? `${text}\u0000${counter}` : text)
      .digest();
  };
  const byName = new Map(schema.fields.map((f) => [f.name, f]));
  const changes = new Map<string, { field: FieldSchema; fn: (v: Value) => Value }>();
  for (const [name, given] of Object.entries(step.fields)) {
    const f = byName.get(name);
    if (!f) throw configError(`${where}: unknown field ${name}; known: ${[...byName.keys()].join(', ')}`);
    const method = typeof given === 'string' ? MaskMethodSchema.parse({ as: given }) : given;
    const isKey = schema.key.includes(name);
    if (isKey && !step.allowKey) throw configError(`${where}: ${name} is a key field; masking it changes record identity — set allowKey: true to mask it`);
    if (isKey && (method.as === 'null' || method.as === 'constant')) throw configError(`${where}: the key field ${name} cannot be redacted to one value`);
    changes.set(name, maskerFor(method, f, hmac, `${where}: ${name}`));
  }
  return {
    schema: { ...schema, fields: schema.fields.map((f) => changes.get(f.name)?.field ?? f) },
    fn: (row) => {
      const out: Row = { ...row };
      for (const [name, c] of changes) out[name] = c.fn(row[name] ?? null);
      return out;
    },
  };
}

const retyped = (f: FieldSchema, type: FieldType, nullable = f.nullable): FieldSchema => {
  if (f.type === type && nullable === f.nullable) return f;
  const { nativeType: _n, nativeOf: _o, ...rest } = withoutChildren(f);
  return { ...rest, type, nullable };
};

const DIGIT_TYPES = new Set<FieldType>(['string', 'int32', 'int64', 'decimal', 'float64']);

function maskerFor(m: MaskMethod, f: FieldSchema, hmac: Hmac, at: string): { field: FieldSchema; fn: (v: Value) => Value } {
  const skipNull = (fn: (v: Value) => Value) => (v: Value) => (v === null ? null : fn(v));
  switch (m.as) {
    case 'hex':
      return { field: retyped(f, 'string'), fn: skipNull((v) => hexMask(toText(v), m.length, m.keepLast, hmac)) };
    case 'email':
      if (f.type !== 'string') throw configError(`${at}: email masks a string field, not ${f.type}`);
      return { field: f, fn: skipNull((v) => emailMask(String(v), m.length, hmac)) };
    case 'digits':
      if (!DIGIT_TYPES.has(f.type)) throw configError(`${at}: digits masks strings and numbers, not ${f.type}`);
      return { field: f, fn: skipNull((v) => digitsMask(v, f.type, m.keepLast, hmac)) };
    case 'null':
      return { field: retyped(f, f.type, true), fn: () => null };
    case 'constant': {
      let value: Value;
      try {
        value = coerce(m.value, f.type);
      } catch (err) {
        throw configError(`${at}: constant ${JSON.stringify(m.value)} does not fit ${f.type}: ${(err as Error).message}`);
      }
      return { field: f, fn: () => value };
    }
  }
}

function hexMask(text: string, length: number, keepLast: number, hmac: Hmac): string {
  return hmac(text).toString('hex').slice(0, length) + (keepLast > 0 ? text.slice(-keepLast) : '');
}

/** The local part hashed, the domain kept (lowercased): joins and per-domain statistics still work. */
function emailMask(text: string, length: number, hmac: Hmac): string {
  const at = text.lastIndexOf('@');
  // Not an e-mail: hash it whole rather than reject it (a rejected record would carry the original).
  if (at < 1) return hmac(text).toString('hex').slice(0, length);
  return `${hmac(text.slice(0, at).toLowerCase()).toString('hex').slice(0, length)}@${text.slice(at + 1).toLowerCase()}`;
}

/** Keyed digits, as many as needed: HMAC blocks of the text with a counter. */
function keyedDigits(text: string, count: number, hmac: Hmac): number[] {
  const out: number[] = [];
  for (let block = 0; out.length < count; block++) for (const b of hmac(text, block)) if (b < 250 && out.length < count) out.push(b % 10);
  return out;
}

/**
 * Every digit replaced by a keyed digit, every other character kept (+, spaces, dashes, sign, point), the
 * last keepLast characters left as they are. Numbers stay numbers of the same length (no leading zero);
 * an int32 whose masked digits exceed its range wraps modulo 2^31.
 */
function digitsMask(v: Value, type: FieldType, keepLast: number, hmac: Hmac): Value {
  const text = toText(v);
  const head = keepLast > 0 ? text.slice(0, Math.max(0, text.length - keepLast)) : text;
  const tail = text.slice(head.length);
  const count = head.replace(/\D/g, '').length;
  const digits = keyedDigits(text, count, hmac);
  let i = 0;
  const numeric = type !== 'string';
  const masked = head.replace(/\d/g, () => {
    const d = digits[i++]!;
    return numeric && i === 1 && count + tail.replace(/\D/g, '').length > 1 && d === 0 ? '1' : String(d);
  });
  const out = masked + tail;
  switch (type) {
    case 'int32': {
      const n = BigInt(out.replace(/[^\d-]/g, ''));
      return Number(BigInt.asIntN(32, n) === n ? n : n % 2147483648n);
    }
    case 'int64':
      return BigInt.asIntN(64, BigInt(out));
    case 'float64':
      return Number(out);
    default:
      return out;
  }
}
