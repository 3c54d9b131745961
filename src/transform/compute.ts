import { configError } from '../errors';
import type { FieldSchema, FieldType, Row, Value } from '../model/types';
import { compileExpression, fromCel } from './cel';
import type { CompiledStep } from './compile';
import type { StepOf } from './steps';

type Schema = CompiledStep['schema'];

interface ComputedField {
  name: string;
  type: FieldType;
  evaluate(row: Row): Value;
}

/**
 * compute: new or replaced fields from CEL expressions over the fields before the step (all of a step's
 * expressions see the same input row). The type is declared or inferred; a value that fails to
 * evaluate or convert rejects its record (onRecordError), naming the field.
 */
export function compileCompute(step: StepOf<'compute'>, schema: Schema, where: string): CompiledStep {
  const computed: ComputedField[] = Object.entries(step.fields).map(([name, spec]) => {
    const { expression, type: declared } = typeof spec === 'string' ? { expression: spec, type: undefined } : spec;
    const at = `${where}: field ${name}`;
    if (schema.key.includes(name)) throw configError(`${at}: the key field cannot be computed (it is the record's identity)`);
    const compiled = compileExpression(expression, schema, at);
    const type = declared ?? compiled.inferred;
    if (!type) throw configError(`${at}: the expression's type is ${compiled.celType}; declare it: { expression, type: string | int64 | decimal | … }`);
    return { name, type, evaluate: (row) => fromCel(compiled.evaluate(row), type) };
  });
  const byName = new Map(computed.map((c) => [c.name, c]));
  const replaced = schema.fields.map((f): FieldSchema => {
    const c = byName.get(f.name);
    return c ? { name: f.name, type: c.type, nullable: true } : f;
  });
  const added = computed.filter((c) => !schema.fields.some((f) => f.name === c.name)).map((c): FieldSchema => ({ name: c.name, type: c.type, nullable: true }));
  return {
    schema: { ...schema, fields: [...replaced, ...added] },
    fn: (row) => {
      const out: Row = { ...row };
      for (const c of computed) {
        try {
          out[c.name] = c.evaluate(row);
        } catch (err) {
          throw new Error(`compute ${c.name}: ${(err as Error).message}`);
        }
      }
      return out;
    },
  };
}
