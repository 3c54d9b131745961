import { planJob, type JobPlan } from '../src/engine/plan-job';
import { mapLimited } from '../src/concurrency';
import { DatamigratoError } from '../src/errors';
import type { MultiJobSpec } from '../src/job/multi-spec';
import { dryRunCheck, type DryRunOptions, type DryRunResult } from './dry-run';
import { CheckFailedError } from './errors';

export interface JobDryRunObject {
  /** The source object as reports name it (`public.orders`). */
  name: string;
  target: string;
  check: DryRunResult;
}

export interface JobDryRunResult {
  ok: true;
  kind: 'job';
  summary: string;
  objects: JobDryRunObject[];
  /** Foreign keys would be added after the data (both ends keep them). */
  foreignKeys: boolean;
  elapsedMs: number;
}

/** Objects checked at once: each opens two sessions. */
const CHECKS_AT_ONCE = 4;

/**
 * The dry run of a many-object job: the plan a run would make (patterns resolved by listing the source once),
 * then each object's own dry run. Every object is checked even when one fails, so one call names every
 * object a run would fail on; any failure makes the whole check fail, with one issue per failed object.
 */
export async function dryRunJobCheck(spec: MultiJobSpec, opts: DryRunOptions = {}): Promise<JobDryRunResult> {
  const started = Date.now();
  let plan: JobPlan;
  try {
    plan = await planJob(spec);
  } catch (err) {
    const kind = err instanceof DatamigratoError ? err.kind : 'TransientError';
    const message = err instanceof Error ? err.message : String(err);
    throw new CheckFailedError('plan', kind, `plan: ${message}`, [{ path: spec.objects ? 'objects' : 'include', message }]);
  }
  const outcomes = await mapLimited(plan.objects, CHECKS_AT_ONCE, async (o) => {
    try {
      return {
        ok: true as const,
        object: { name: o.name, target: o.target, check: await dryRunCheck(o.spec, { sampleSize: opts.sampleSize ?? 2, connectors: opts.connectors }) },
      };
    } catch (err) {
      if (!(err instanceof CheckFailedError)) throw err;
      return { ok: false as const, name: o.name, err };
    }
  });
  const failed = outcomes.filter((x) => !x.ok);
  if (failed.length) {
    const first = failed[0]!.err;
    throw new CheckFailedError(
      `objects[${failed[0]!.name}].${first.step}`,
      failed.every((f) => f.err.retryable) ? 'TransientError' : failed.find((f) => !f.err.retryable)!.err.kind,
      `${failed.length} of ${plan.objects.length} objects failed the dry run: ${failed.map((f) => f.name).join(', ')}`,
      failed.flatMap((f) => f.err.issues.map((i) => ({ path: `objects[${f.name}].${i.path}`, message: `${f.err.step}: ${i.message}` }))),
    );
  }
  const objects = outcomes.flatMap((x) => (x.ok ? [x.object] : []));
  return {
    ok: true,
    kind: 'job',
    summary: `${spec.source.type} → ${spec.target.type}: ${objects.length} object(s) checked`,
    objects,
    foreignKeys: plan.foreignKeys,
    elapsedMs: Date.now() - started,
  };
}

/** The dry run either kind of spec needs (validated by `validateAnySpec`). */
export const checkAny = (
  checked: { kind: 'single'; spec: unknown } | { kind: 'job'; spec: MultiJobSpec },
  opts: DryRunOptions = {},
): Promise<DryRunResult | JobDryRunResult> => (checked.kind === 'job' ? dryRunJobCheck(checked.spec, opts) : dryRunCheck(checked.spec, opts));
