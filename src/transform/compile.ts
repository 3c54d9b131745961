import { configError } from '../errors';
import type { ObjectSchema, Row } from '../model/types';
import { compileCast, compileJsonEncode } from './cast';
import { compileCompute } from './compute';
import { compileFilter } from './filter';
import { compileFlatten, compileUnflatten } from './flatten';
import { compileMap } from './map';
import { compileMask } from './mask';
import type { StepOf, TransformStep } from './steps';

/**
 * A compiled pipeline: the schema the target will have, and the per-row function producing it. apply
 * returns null for a row a `filter` step left out (counted as filtered, never written nor expected).
 */
export interface CompiledTransform {
  schema: ObjectSchema;
  apply(row: Row): Row | null;
}

/** A step's per-row function; null = the row is filtered out. */
type RowFn = (row: Row) => Row | null;

/** Secrets the steps need, resolved on the worker: mask keys by step index. Never in specs or history. */
export interface TransformSecrets {
  maskKeys: ReadonlyMap<number, Buffer>;
}

export const NO_SECRETS: TransformSecrets = { maskKeys: new Map() };

/** What a step compiler gets besides its step and the schema before it. */
export interface StepContext {
  where: string;
  index: number;
  secrets: TransformSecrets;
}

/** One step compiled against the schema before it: the schema after it and the per-row function. */
export interface CompiledStep {
  schema: ObjectSchema;
  fn: RowFn;
}

/**
 * Compiles steps against the source schema once, so unknown fields are reported before any row moves
 * and the per-row work is plain property copying.
 */
export function compileTransforms(steps: readonly TransformStep[], source: ObjectSchema, secrets: TransformSecrets = NO_SECRETS): CompiledTransform {
  let schema: ObjectSchema = { ...source, fields: source.fields.map((f) => ({ ...f })) };
  const fns: RowFn[] = [];
  steps.forEach((step, i) => {
    const compiled = compileStep(step, schema, { where: `transform[${i}] (${step.op})`, index: i, secrets });
    schema = compiled.schema;
    fns.push(compiled.fn);
  });
  return {
    schema,
    apply: (row) => {
      let r: Row | null = row;
      for (const fn of fns) if ((r = fn(r)) === null) return null;
      return r;
    },
  };
}

function compileStep(step: TransformStep, schema: ObjectSchema, ctx: StepContext): CompiledStep {
  const { where } = ctx;
  switch (step.op) {
    case 'rename':
      return compileRename(step, schema, where);
    case 'select':
    case 'drop':
      return compileSelectDrop(step, schema, where);
    case 'flatten':
      return compileFlatten(step, schema, where);
    case 'unflatten':
      return compileUnflatten(step, schema, where);
    case 'cast':
      return compileCast(step, schema, where);
    case 'jsonEncode':
      return compileJsonEncode(step, schema, where);
    case 'mask':
      return compileMask(step, schema, ctx);
    case 'compute':
      return compileCompute(step, schema, where);
    case 'filter':
      return compileFilter(step, schema, where);
    case 'map':
      return compileMap(step, schema, where);
  }
}

export function requireKnown(schema: ObjectSchema, names: string[], where: string): void {
  const known = new Set(schema.fields.map((f) => f.name));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length) throw configError(`${where}: unknown field(s) ${unknown.join(', ')}; known: ${[...known].join(', ')}`);
}

function compileRename(step: StepOf<'rename'>, schema: ObjectSchema, where: string): CompiledStep {
  // A Map, not the spec's object: a field called "constructor" must not find Object.prototype's.
  const map = new Map(Object.entries(step.fields));
  const renamed = (name: string) => map.get(name) ?? name;
  requireKnown(schema, [...map.keys()], where);
  const after = schema.fields.map((f) => renamed(f.name));
  if (new Set(after).size !== after.length) throw configError(`${where}: renaming would produce duplicate field names`);
  return {
    schema: {
      ...schema,
      key: schema.key.map(renamed),
      fields: schema.fields.map((f) => ({ ...f, name: renamed(f.name) })),
    },
    // for…in allocates no entry arrays: this runs once per row on the row path.
    fn: (row) => {
      const out: Row = {};
      for (const k in row) out[renamed(k)] = row[k]!;
      return out;
    },
  };
}

function compileSelectDrop(step: StepOf<'select'> | StepOf<'drop'>, schema: ObjectSchema, where: string): CompiledStep {
  requireKnown(schema, step.fields, where);
  const listed = new Set(step.fields);
  const droppedKey = step.op === 'drop' ? schema.key.find((k) => listed.has(k)) : undefined;
  if (droppedKey) throw configError(`${where}: cannot drop the key field "${droppedKey}"`);
  const keep = schema.fields.filter((f) => schema.key.includes(f.name) || (step.op === 'select' ? listed.has(f.name) : !listed.has(f.name)));
  const names = keep.map((f) => f.name);
  return {
    schema: { ...schema, fields: keep },
    fn: (row) => {
      const out: Row = {};
      for (const n of names) if (n in row) out[n] = row[n]!;
      return out;
    },
  };
}
