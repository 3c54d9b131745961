import { configError } from '../errors';
import type { ObjectSchema, Row } from '../connectors/types';
import type { TransformStep } from './steps';

/** A compiled pipeline: the schema the target will have, and the per-row function producing it. */
export interface CompiledTransform {
  schema: ObjectSchema;
  apply(row: Row): Row;
}

type RowFn = (row: Row) => Row;

/**
 * Compiles steps against the source schema once, so unknown fields are reported before any row moves
 * and the per-row work is plain property copying.
 */
export function compileTransforms(steps: readonly TransformStep[], source: ObjectSchema): CompiledTransform {
  let schema: ObjectSchema = { ...source, fields: source.fields.map((f) => ({ ...f })) };
  const fns: RowFn[] = [];
  steps.forEach((step, i) => {
    const where = `transform[${i}] (${step.op})`;
    const known = new Set(schema.fields.map((f) => f.name));
    const requireKnown = (names: string[]) => {
      const unknown = names.filter((n) => !known.has(n));
      if (unknown.length) throw configError(`${where}: unknown field(s) ${unknown.join(', ')}; known: ${[...known].join(', ')}`);
    };
    switch (step.op) {
      case 'rename': {
        const map = step.fields;
        requireKnown(Object.keys(map));
        const after = schema.fields.map((f) => map[f.name] ?? f.name);
        if (new Set(after).size !== after.length) throw configError(`${where}: renaming would produce duplicate field names`);
        schema = {
          ...schema,
          key: map[schema.key] ?? schema.key,
          fields: schema.fields.map((f) => ({ ...f, name: map[f.name] ?? f.name })),
        };
        fns.push((row) => {
          const out: Row = {};
          for (const [k, v] of Object.entries(row)) out[map[k] ?? k] = v;
          return out;
        });
        break;
      }
      case 'select':
      case 'drop': {
        requireKnown(step.fields);
        const listed = new Set(step.fields);
        if (step.op === 'drop' && listed.has(schema.key)) throw configError(`${where}: cannot drop the key field "${schema.key}"`);
        const keep = schema.fields.filter((f) => f.name === schema.key || (step.op === 'select' ? listed.has(f.name) : !listed.has(f.name)));
        const names = keep.map((f) => f.name);
        schema = { ...schema, fields: keep };
        fns.push((row) => {
          const out: Row = {};
          for (const n of names) if (n in row) out[n] = row[n]!;
          return out;
        });
        break;
      }
    }
  });
  return { schema, apply: (row) => fns.reduce((r, fn) => fn(r), row) };
}
