import { seedMemoryObject } from '../../src/connectors/memory/store';
import { openControlDb, type ControlDb } from '../../src/control/db';
import type { JobSpecInput } from '../../src/job/job-spec';
import type { Row } from '../../src/model/types';

/**
 * The control store for the saved-job, schedule and notify tests: the stack's PostgreSQL
 * (DATAMIGRATO_CONTROL_URL) in a schema of our own, so the tests never see another file's jobs.
 * Set before the worker's first activity reads the config (loadConfig caches per process).
 */
export const CONTROL_SCHEMA = 'sched_control_test';
process.env.DATAMIGRATO_CONTROL_SCHEMA = CONTROL_SCHEMA;

/** Without a control store these files cannot run: say so instead of passing. */
export function controlAvailable(file: string): boolean {
  if (process.env.DATAMIGRATO_CONTROL_URL) return true;
  console.warn(`SKIPPED ${file}: DATAMIGRATO_CONTROL_URL is not set (eval "$(bash scripts/stack.sh env)" gives the stack's)`);
  return false;
}

export const openTestControl = (): Promise<ControlDb> => openControlDb({ ...process.env, DATAMIGRATO_CONTROL_SCHEMA: CONTROL_SCHEMA });

/** A memory → memory job: the in-process worker shares this process's memory store with the test. */
export const memorySpec = (name: string, store: string, extra: Partial<JobSpecInput> = {}): JobSpecInput => ({
  name,
  source: { type: 'memory', connection: { store }, object: 'src' },
  target: { type: 'memory', connection: { store }, object: 'dst' },
  batchSize: 50,
  parallelism: 2,
  ...extra,
});

export function seedSource(store: string, count: number): void {
  const rows: Row[] = Array.from({ length: count }, (_, i) => ({ id: BigInt(i + 1), name: `r${i + 1}` }));
  seedMemoryObject(
    store,
    {
      object: 'src',
      key: ['id'],
      fields: [
        { name: 'id', type: 'int64', nullable: false },
        { name: 'name', type: 'string', nullable: true },
      ],
    },
    rows,
  );
}
