/** A many-object job names `objects` or `include` patterns; a pure test so workflows may import this file. */
export const isMultiObjectInput = (input: unknown): boolean =>
  input !== null && typeof input === 'object' && !Array.isArray(input) && ('objects' in input || 'include' in input);

/**
 * Which workflow type a spec starts: a many-object job (`objects` or `include`) runs the parent `jobWorkflow`,
 * anything else the single-object `migrationWorkflow`. The names are the workflows' registered names
 * (workflows/definitions.ts); kept here as strings so schedules and clients need no workflow import.
 */
export const WORKFLOW_TYPES = { single: 'migrationWorkflow', job: 'jobWorkflow' } as const;
export type WorkflowTypeName = (typeof WORKFLOW_TYPES)[keyof typeof WORKFLOW_TYPES];

export const workflowTypeOf = (spec: unknown): WorkflowTypeName => (isMultiObjectInput(spec) ? WORKFLOW_TYPES.job : WORKFLOW_TYPES.single);
