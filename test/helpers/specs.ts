import { parseJobSpec, type JobSpec, type JobSpecInput } from '../../src/job/job-spec';

/** A PG → PG spec in the test schema; connections are secret references to PG_URL, never literals. */
export function pgSpec(name: string, source: string, target: string, extra: Partial<JobSpecInput> = {}): JobSpecInput {
  return {
    name,
    source: { type: 'postgres', connection: { url: { env: 'PG_URL' } }, schema: 'dm_test', table: source },
    target: { type: 'postgres', connection: { url: { env: 'PG_URL' } }, schema: 'dm_test', table: target },
    batchSize: 2000,
    parallelism: 4,
    ...extra,
  };
}

export function parsed(input: JobSpecInput): JobSpec {
  const r = parseJobSpec(input);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.spec;
}
