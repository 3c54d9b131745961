import type { ForeignKey } from '../connectors/contract';
import type { JobSpec } from '../job/job-spec';
import { withEndpoints } from './sessions';

/**
 * Foreign keys after the data (pgloader's order): target tables are created without them, the objects load in
 * any order and in parallel, then each source foreign key whose both ends were migrated is added to the target.
 * A constraint the data breaks (an orphan row) is reported by name, not silently dropped.
 */

export interface FkObject {
  name: string;
  spec: JobSpec;
}

export interface ForeignKeyOutcome {
  object: string;
  name: string;
  status: 'added' | 'exists' | 'skipped' | 'failed';
  /** Why it was skipped or failed. */
  reason?: string;
}

export interface ApplyForeignKeysInput {
  /** Objects whose data is complete (this run's, and in a retry the original run's completed ones). */
  done: FkObject[];
  /** Of those, the ones whose foreign keys are to be added now (a retry adds only what touches its objects). */
  ownersOrReferenced?: string[];
}

export async function applyForeignKeys(input: ApplyForeignKeysInput): Promise<ForeignKeyOutcome[]> {
  const bySource = new Map(input.done.map((o) => [o.name, o]));
  const touch = input.ownersOrReferenced ? new Set(input.ownersOrReferenced) : null;
  const out: ForeignKeyOutcome[] = [];
  for (const owner of input.done) {
    const fks = await withEndpoints([{ side: 'source', endpoint: owner.spec.source }], (s) => s.source.foreignKeys?.() ?? Promise.resolve([]));
    for (const fk of fks) {
      const ref = bySource.get(fk.references.object);
      if (touch && !touch.has(owner.name) && !touch.has(fk.references.object)) continue;
      if (!ref) {
        out.push({
          object: owner.name,
          name: fk.name,
          status: 'skipped',
          reason: `references ${fk.references.object}, which was not migrated (not in this job, or it failed)`,
        });
        continue;
      }
      out.push(await addOne(owner, fk, ref));
    }
  }
  return out;
}

async function addOne(owner: FkObject, fk: ForeignKey, ref: FkObject): Promise<ForeignKeyOutcome> {
  try {
    const status = await withEndpoints([{ side: 'target', endpoint: owner.spec.target }], async (t) => {
      if (!t.target.addForeignKey) throw new Error(`the ${owner.spec.target.type} target cannot add foreign keys`);
      return t.target.addForeignKey({ ...fk, references: { endpoint: ref.spec.target, fields: fk.references.fields } });
    });
    return { object: owner.name, name: fk.name, status };
  } catch (err) {
    return { object: owner.name, name: fk.name, status: 'failed', reason: (err as Error).message };
  }
}
