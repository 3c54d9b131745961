import type { FieldSchema, FieldType, Row, Value } from '../model/types';
import { configError } from '../errors';
import { toJsonSafe } from '../model/json-safe';
import { castAllowed, coerce } from '../model/coerce';
import type { CompiledStep } from './compile';
import { withoutChildren } from '../model/nested';
import type { StepOf } from './steps';

type Schema = CompiledStep['schema'];

function mapFields(changes: Map<string, (v: Value) => Value>): CompiledStep['fn'] {
  return (row) => {
    const out: Row = { ...row };
    for (const [name, fn] of changes) {
      try {
        out[name] = fn(row[name] ?? null);
      } catch (err) {
        throw new Error(`${name}: ${(err as Error).message}`);
      }
    }
    return out;
  };
}

/** A field whose values changed type: the source's native type no longer describes it. */
const retyped = (f: FieldSchema, type: FieldType): FieldSchema => {
  const { nativeType: _n, nativeOf: _o, ...rest } = withoutChildren(f);
  return { ...rest, type };
};

/**
 * cast: changes a field's neutral type, e.g. an ObjectId key to text or uuid for a column store.
 * Impossible pairs fail at compile time; a value that does not convert rejects its record.
 */
export function compileCast(step: StepOf<'cast'>, schema: Schema, where: string): CompiledStep {
  const changes = new Map<string, (v: Value) => Value>();
  const byName = new Map(schema.fields.map((f) => [f.name, f]));
  for (const [name, to] of Object.entries(step.fields)) {
    const f = byName.get(name);
    if (!f) throw configError(`${where}: unknown field ${name}; known: ${[...byName.keys()].join(', ')}`);
    if (!castAllowed(f.type, to)) throw configError(`${where}: cannot cast ${name} from ${f.type} to ${to}`);
    if (schema.key.includes(name) && (to === 'json' || to === 'bytes')) throw configError(`${where}: the key field cannot become ${to}`);
    if (f.type === to) continue;
    const from = f.type;
    changes.set(name, (v) => coerce(v, to, from));
  }
  return {
    schema: { ...schema, fields: schema.fields.map((f) => (changes.has(f.name) ? retyped(f, step.fields[f.name]!) : f)) },
    fn: mapFields(changes),
  };
}

/**
 * jsonEncode: json values (nested objects, arrays) become JSON text in a string field — for column
 * stores and tools that want text. Bytes inside are spelled { "$base64": … } and int64s as strings.
 */
export function compileJsonEncode(step: StepOf<'jsonEncode'>, schema: Schema, where: string): CompiledStep {
  const names = step.fields ?? schema.fields.filter((f) => f.type === 'json' && !schema.key.includes(f.name)).map((f) => f.name);
  const changes = new Map<string, (v: Value) => Value>();
  for (const name of names) {
    const f = schema.fields.find((x) => x.name === name);
    if (!f) throw configError(`${where}: unknown field ${name}; known: ${schema.fields.map((x) => x.name).join(', ')}`);
    if (f.type !== 'json') throw configError(`${where}: ${name} is ${f.type}, not json`);
    changes.set(name, (v) => (v === null ? null : JSON.stringify(toJsonSafe(v))));
  }
  return {
    schema: { ...schema, fields: schema.fields.map((f) => (changes.has(f.name) ? retyped(f, 'string') : f)) },
    fn: mapFields(changes),
  };
}
