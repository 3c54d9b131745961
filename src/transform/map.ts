import { isSupportedCountry, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { configError } from '../errors';
import { coerce, toText } from '../model/coerce';
import { withoutChildren } from '../model/nested';
import type { FieldSchema, FieldType, Row, Value } from '../model/types';
import type { CompiledStep } from './compile';
import type { MapOp, StepOf } from './steps';

type Schema = CompiledStep['schema'];
type ValueFn = (v: Value) => Value;

/**
 * map: value operations per field, applied in order: lowercase, uppercase, trim, regex replace, phone
 * numbers to E.164, a lookup table with a default, a default for nulls. Text operations need a string
 * field; a lookup's replacements set the field's type (string unless every replacement is a number/boolean).
 */
export function compileMap(step: StepOf<'map'>, schema: Schema, where: string): CompiledStep {
  const byName = new Map(schema.fields.map((f) => [f.name, f]));
  const changes = new Map<string, ValueFn>();
  const fields = new Map<string, FieldSchema>();
  for (const [name, ops] of Object.entries(step.fields)) {
    let f = byName.get(name);
    if (!f) throw configError(`${where}: unknown field ${name}; known: ${[...byName.keys()].join(', ')}`);
    if (schema.key.includes(name)) throw configError(`${where}: ${name} is a key field; mapping it would change record identity (compute a new field instead)`);
    const fns: ValueFn[] = [];
    ops.forEach((op, i) => {
      const compiled = compileOp(op, f!, `${where}: ${name}[${i}]`);
      fns.push(compiled.fn);
      f = compiled.field;
    });
    fields.set(name, f);
    changes.set(name, (v) => fns.reduce((acc, fn) => fn(acc), v));
  }
  return {
    schema: { ...schema, fields: schema.fields.map((f) => fields.get(f.name) ?? f) },
    fn: (row) => {
      const out: Row = { ...row };
      for (const [name, fn] of changes) {
        try {
          out[name] = fn(row[name] ?? null);
        } catch (err) {
          throw new Error(`map ${name}: ${(err as Error).message}`);
        }
      }
      return out;
    },
  };
}

const retyped = (f: FieldSchema, type: FieldType, nullable = f.nullable): FieldSchema => {
  if (f.type === type && f.nullable === nullable) return f;
  const { nativeType: _n, nativeOf: _o, ...rest } = withoutChildren(f);
  return { ...rest, type, nullable };
};

const onText =
  (fn: (s: string) => string): ValueFn =>
  (v) =>
    v === null ? null : fn(String(v));

function requireString(f: FieldSchema, at: string, what: string): void {
  if (f.type !== 'string') throw configError(`${at}: ${what} needs a string field, but it is ${f.type} (cast it to string first)`);
}

function compileOp(op: MapOp, f: FieldSchema, at: string): { field: FieldSchema; fn: ValueFn } {
  if (typeof op === 'string') {
    requireString(f, at, op);
    const fn = op === 'lowercase' ? (s: string) => s.toLowerCase() : op === 'uppercase' ? (s: string) => s.toUpperCase() : (s: string) => s.trim();
    return { field: f, fn: onText(fn) };
  }
  if ('replace' in op) {
    requireString(f, at, 'replace');
    const re = new RegExp(op.replace.pattern, op.replace.flags);
    return { field: f, fn: onText((s) => s.replace(re, op.replace.with)) };
  }
  if ('phone' in op) return compilePhone(op.phone, f, at);
  if ('lookup' in op) return compileLookup(op, f, at);
  return compileIfNull(op.ifNull, f, at);
}

function compilePhone(opts: Extract<MapOp, { phone: unknown }>['phone'], f: FieldSchema, at: string): { field: FieldSchema; fn: ValueFn } {
  requireString(f, at, 'phone');
  const region = opts.defaultRegion as CountryCode | undefined;
  if (region && !isSupportedCountry(region)) throw configError(`${at}: phone.defaultRegion ${region} is not a region libphonenumber knows`);
  return {
    field: opts.onInvalid === 'null' ? retyped(f, 'string', true) : f,
    fn: (v) => {
      if (v === null) return null;
      const s = String(v);
      const parsed = parsePhoneNumberFromString(s, region);
      if (parsed?.isValid()) return parsed.number;
      if (opts.onInvalid === 'keep') return s;
      if (opts.onInvalid === 'null') return null;
      // The value itself is left out of the message: it lands in logs and dead-letter errors.
      throw new Error(`not a valid phone number${region ? ` (default region ${region})` : ''}`);
    },
  };
}

function compileLookup(op: Extract<MapOp, { lookup: unknown }>, f: FieldSchema, at: string): { field: FieldSchema; fn: ValueFn } {
  const replacements = [...Object.values(op.lookup), ...(op.default === undefined || op.default === null ? [] : [op.default])];
  const kinds = new Set(replacements.map((r) => typeof r));
  // Unmatched values are kept unless a default is given, so they must fit the result type too.
  const type: FieldType =
    kinds.size === 1 && op.default !== undefined
      ? kinds.has('number')
        ? replacements.every(Number.isInteger)
          ? 'int64'
          : 'float64'
        : kinds.has('boolean')
          ? 'boolean'
          : 'string'
      : 'string';
  if (op.default === undefined && type !== f.type && f.type !== 'string')
    throw configError(`${at}: lookup without default keeps unmatched ${f.type} values; give a default`);
  const table = new Map(Object.entries(op.lookup).map(([k, v]) => [k, coerce(v, type)]));
  const fallback = op.default === undefined ? undefined : op.default === null ? null : coerce(op.default, type);
  return {
    field: retyped(f, type, f.nullable || op.default === null),
    fn: (v) => {
      if (v === null) return null;
      const hit = table.get(toText(v));
      if (hit !== undefined) return hit;
      return fallback === undefined ? coerce(v, type) : fallback;
    },
  };
}

function compileIfNull(value: string | number | boolean, f: FieldSchema, at: string): { field: FieldSchema; fn: ValueFn } {
  let filler: Value;
  try {
    filler = coerce(value, f.type);
  } catch (err) {
    throw configError(`${at}: ifNull ${JSON.stringify(value)} does not fit ${f.type}: ${(err as Error).message}`);
  }
  return { field: retyped(f, f.type, false), fn: (v) => (v === null ? filler : v) };
}
