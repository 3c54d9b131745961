import { configError } from '../errors';
import { compileExpression } from './cel';
import type { CompiledStep } from './compile';
import type { StepOf } from './steps';

/**
 * filter: keeps the rows the CEL expression accepts. A left-out row is null to the pipeline, counted as
 * `filtered` by the copy, and skipped by validation's source scan the same way, so counts still match.
 * An expression that fails or yields a non-boolean on a row rejects that record (onRecordError).
 */
export function compileFilter(step: StepOf<'filter'>, schema: CompiledStep['schema'], where: string): CompiledStep {
  const compiled = compileExpression(step.expression, schema, `${where}: expression`);
  if (compiled.celType !== 'bool' && compiled.celType !== 'dyn')
    throw configError(`${where}: expression: must be a boolean, but its type is ${compiled.celType}`);
  return {
    schema,
    fn: (row) => {
      const keep = compiled.evaluate(row);
      if (typeof keep !== 'boolean') throw new Error(`filter: expression gave ${keep === null ? 'null' : typeof keep}, not a boolean`);
      return keep ? row : null;
    },
  };
}
