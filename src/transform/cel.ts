import { Environment, ParseError, parse } from '@marcbachmann/cel-js';
import { configError } from '../errors';
import { toJsonSafe } from '../model/json-safe';
import { coerce } from '../model/coerce';
import type { FieldType, ObjectSchema, Row, Value } from '../model/types';
import { Decimal } from './decimal';
import { registerLibrary } from './cel-library';

/**
 * CEL (Common Expression Language, @marcbachmann/cel-js) for compute and filter: parsed and type-checked
 * once per chunk against the schema before the step, evaluated per row. Never eval or new Function.
 *
 * Each field is a variable of its CEL type (nullable fields are `dyn`, so `x == null` and coalesce work);
 * `row` holds every field, for names that are not identifiers (`row["unit price"]`).
 */

const CEL_OF: Record<FieldType, string> = {
  string: 'string',
  uuid: 'string',
  objectid: 'string',
  int32: 'int',
  int64: 'int',
  float64: 'double',
  decimal: 'decimal',
  boolean: 'bool',
  timestamptz: 'google.protobuf.Timestamp',
  timestamp: 'string',
  date: 'string',
  json: 'dyn',
  bytes: 'bytes',
};

/** A CEL result type → the neutral type a computed field gets when the step declares none. */
const NEUTRAL_OF: Record<string, FieldType> = {
  string: 'string',
  int: 'int64',
  uint: 'int64',
  double: 'float64',
  decimal: 'decimal',
  bool: 'boolean',
  'google.protobuf.Timestamp': 'timestamptz',
  bytes: 'bytes',
};

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RESERVED = new Set(
  'true false null in as break const continue else for function if import let loop package namespace return var void while row'.split(' '),
);

export const ROW_VARIABLE = 'row';

/** Where in the expression: "position 7 (line 1, column 8)". */
export function positionOf(expression: string, offset: number | undefined): string {
  if (offset === undefined) return 'unknown position';
  const before = expression.slice(0, offset).split('\n');
  return `position ${offset} (line ${before.length}, column ${before[before.length - 1]!.length + 1})`;
}

const firstLine = (m: string) => m.split('\n')[0]!;

/** The syntax check the spec schema runs (no source schema needed): null if it parses, else the problem. */
export function syntaxProblem(expression: string): string | null {
  try {
    parse(expression);
    return null;
  } catch (err) {
    if (!(err instanceof ParseError)) throw err;
    return `expression does not parse at ${positionOf(expression, err.range?.start)}: ${firstLine(err.message)}`;
  }
}

export interface CompiledExpression {
  /** The CEL result type, e.g. "string", "decimal", "dyn". */
  celType: string;
  /** The neutral type of that result, or null when CEL cannot tell (dyn, map, list). */
  inferred: FieldType | null;
  evaluate(row: Row): unknown;
}

function environmentFor(schema: ObjectSchema): { env: Environment; fields: [string, FieldType][] } {
  const env = registerLibrary(new Environment({ homogeneousAggregateLiterals: false }));
  env.registerVariable(ROW_VARIABLE, 'map<string, dyn>');
  const fields: [string, FieldType][] = schema.fields.map((f) => [f.name, f.type]);
  for (const f of schema.fields)
    if (IDENT.test(f.name) && !RESERVED.has(f.name)) env.registerVariable(f.name, f.nullable || f.type === 'json' ? 'dyn' : CEL_OF[f.type]);
  return { env, fields };
}

/** A neutral value as CEL sees it: ints as bigint, decimals exact, zoned timestamps as instants. */
export function toCel(v: Value | undefined, type: FieldType): unknown {
  if (v === null || v === undefined) return null;
  switch (type) {
    case 'int32':
    case 'int64':
      return typeof v === 'bigint' ? v : BigInt(v as number | string);
    case 'decimal':
      return Decimal.of(v as string | number);
    case 'timestamptz':
      return v instanceof Date ? v : new Date(String(v));
    default:
      return v;
  }
}

/** A CEL result as a neutral value of `type`; throws when it does not fit (the record is rejected). */
export function fromCel(v: unknown, type: FieldType): Value {
  if (v === null || v === undefined) return null;
  if (v instanceof Decimal) return coerce(v.toString(), type, 'decimal');
  if (v instanceof Uint8Array && !Buffer.isBuffer(v)) return coerce(Buffer.from(v), type);
  if (typeof v === 'object' && !(v instanceof Date) && !Buffer.isBuffer(v)) return coerce(toJsonSafe(v as Value), type);
  return coerce(v as Value, type);
}

/**
 * Parses and type-checks an expression against the fields before the step. `where` names the step and
 * field for the error, which gives the position in the expression.
 */
export function compileExpression(expression: string, schema: ObjectSchema, where: string): CompiledExpression {
  const { env, fields } = environmentFor(schema);
  let program: ReturnType<Environment['parse']>;
  try {
    program = env.parse(expression);
  } catch (err) {
    if (!(err instanceof ParseError)) throw err;
    throw configError(`${where}: expression does not parse at ${positionOf(expression, err.range?.start)}: ${firstLine(err.message)}`);
  }
  const checked = program.check();
  if (!checked.valid) {
    const e = checked.error as { range?: { start: number }; message: string } | undefined;
    throw configError(`${where}: expression is not valid at ${positionOf(expression, e?.range?.start)}: ${firstLine(e?.message ?? 'type error')}`);
  }
  const celType = String(checked.type);
  return {
    celType,
    inferred: NEUTRAL_OF[celType] ?? null,
    evaluate(row) {
      const ctx: Record<string, unknown> = {};
      const all: Record<string, unknown> = {};
      for (const [name, type] of fields) {
        const v = toCel(row[name], type);
        all[name] = v;
        if (name !== ROW_VARIABLE) ctx[name] = v;
      }
      ctx[ROW_VARIABLE] = all;
      try {
        return program(ctx);
      } catch (err) {
        throw new Error(`expression failed: ${firstLine((err as Error).message)}`);
      }
    },
  };
}
