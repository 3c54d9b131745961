import { applyForeignKeys as applyForeignKeysEngine, type ApplyForeignKeysInput, type ForeignKeyOutcome } from '../src/engine/foreign-keys';
import { planJob as planJobEngine, type JobPlan } from '../src/engine/plan-job';
import type { MultiJobSpec } from '../src/job/multi-spec';
import { adapt } from './failures';

/** Thin adapters for the parent workflow of a many-object job: names, counts and outcomes only, never rows. */

export async function planJob(spec: MultiJobSpec): Promise<JobPlan> {
  return adapt(() => planJobEngine(spec));
}

export async function applyForeignKeys(input: ApplyForeignKeysInput): Promise<ForeignKeyOutcome[]> {
  return adapt(() => applyForeignKeysEngine(input));
}
