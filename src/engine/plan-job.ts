import type { ListedObject } from '../connectors/contract';
import { getConnector } from '../connectors/registry';
import { configError, DatamigratoError, scrubSecrets, transientError } from '../errors';
import type { JobSpec } from '../job/job-spec';
import { childSpec, type MultiJobSpec, type ObjectEntry } from '../job/multi-spec';
import { selectObjects } from '../job/patterns';
import { logger } from '../logging';
import { resolveConnection } from '../secrets/resolve';

/**
 * Prepare of a many-object job: which objects, and each one's single-object spec. Named objects are taken as
 * given; patterns are resolved by listing the source once, here, so the plan (names only) is fixed in history
 * and a replay or a retry never lists again.
 */

export interface JobObjectPlan {
  /** The source object as reports name it (`public.orders`): the object's identity in the job and in a retry. */
  name: string;
  /** The target object as reports name it. */
  target: string;
  spec: JobSpec;
}

export interface JobPlan {
  objects: JobObjectPlan[];
  /** Both ends keep foreign keys (PostgreSQL → PostgreSQL): they are added after the data. */
  foreignKeys: boolean;
}

export async function planJob(job: MultiJobSpec): Promise<JobPlan> {
  const entries = job.objects ? job.objects.map((entry, i) => ({ label: `objects[${i}]`, entry })) : await listedEntries(job);
  const objects = entries.map(({ label, entry }, i) => {
    const res = childSpec(job, entry, i);
    if (!res.ok) throw configError(`object ${label}: ${res.issues.map((x) => `${x.path.join('.') || '(root)'}: ${x.message}`).join('; ')}`);
    return { name: nameOf(res.spec.source), target: nameOf(res.spec.target), spec: res.spec };
  });
  const dupes = objects.map((o) => o.target).filter((t, i, all) => all.indexOf(t) !== i);
  if (dupes.length) throw configError(`two objects would be written to the same target: ${[...new Set(dupes)].join(', ')}`);
  const fk = (type: string) => Boolean(getConnector(type).capabilities.foreignKeys);
  return { objects, foreignKeys: fk(job.source.type) && fk(job.target.type) };
}

const nameOf = (endpoint: { type: string }) => getConnector(endpoint.type).objectName(endpoint as never);

/** Listed objects selected by include/exclude, each as an entry naming its target after its leaf (with the prefix). */
async function listedEntries(job: MultiJobSpec): Promise<{ label: string; entry: ObjectEntry }[]> {
  const target = getConnector(job.target.type);
  if (!target.targetNaming) throw configError(`connector "${target.type}" cannot name a target after a listed object; name each one in objects`);
  const listed = await listObjects(job.source);
  const chosen = selectObjects(listed, job.include ?? [], job.exclude);
  if (!chosen.length) {
    const some = listed.slice(0, 20).map((o) => o.name);
    throw configError(
      `include ${JSON.stringify(job.include)} (exclude ${JSON.stringify(job.exclude)}) matched no object of the source; it lists ${
        some.length ? `${some.join(', ')}${listed.length > some.length ? ', …' : ''}` : 'none'
      }`,
      job.source.type,
    );
  }
  return chosen.map((o) => ({ label: o.name, entry: { source: o.naming, target: target.targetNaming!(`${job.targetPrefix}${o.leaf}`) } }));
}

/** The source's objects through its connector's `list`; errors leave with every resolved secret scrubbed. */
export async function listObjects(scope: MultiJobSpec['source']): Promise<ListedObject[]> {
  const connector = getConnector(scope.type);
  if (!connector.list) throw configError(`connector "${connector.type}" cannot list its objects; name each one in objects`);
  const { connection, secrets } = await resolveConnection(scope.connection, 'source.connection');
  try {
    return await connector.list(scope, connection, logger.child({ side: 'source', connector: connector.type }));
  } catch (err) {
    if (err instanceof DatamigratoError) throw new DatamigratoError(err.kind, scrubSecrets(err.message, secrets));
    throw transientError(scrubSecrets(String((err as Error)?.message ?? err), secrets), connector.type);
  }
}
