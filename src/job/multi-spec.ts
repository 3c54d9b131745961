import { z } from 'zod';
import { getConnector } from '../connectors/registry';
import { JOB_NAME_PATTERN, JOB_NAME_RULE } from '../names';
import { JobSpecSchema, formatPath, type JobSpec, type JobSpecInput, type SpecIssue } from './job-spec';

/**
 * A job over many objects: the job-level `source`/`target` hold the connection (and what is common, such as a
 * PostgreSQL `schema`); each object adds its own naming and may override any job option. Objects are named
 * (`objects`) or listed from the source at prepare (`include`/`exclude` patterns). Every object becomes one
 * ordinary single-object spec (`childSpec`), so a child run is exactly a migration of today.
 */

/** The options a job and each of its objects share; anything a single-object spec has but its endpoints and name. */
const { name: _name, source: _source, target: _target, ...optionShape } = JobSpecSchema.shape;
export const JOB_OPTION_KEYS = Object.keys(optionShape);
const OptionsSchema = z.object(optionShape);

/** `{ type, connection, …common fields }`: validated in full only once merged with an object's naming. */
const ScopeEndpointSchema = z.object({ type: z.string().min(1), connection: z.unknown() }).catchall(z.unknown());

const NamingSchema = z
  .record(z.string(), z.unknown())
  .describe('endpoint fields naming the object (`table`, `collection`…), merged over the job-level endpoint');

export const ObjectEntrySchema = z
  .object({ source: NamingSchema, target: NamingSchema.describe('the target naming (required for named objects)') })
  .catchall(z.unknown())
  .describe('one object: its source and target naming, and any job option to override for it (batchSize, transform, onRecordError…)');

const pattern = z
  .string()
  .min(1)
  .max(300)
  .describe('a glob over object names as the source lists them (`public.*`, `shop.tmp_?`); `*` any run, `?` one character');

export const MultiJobSpecSchema = OptionsSchema.extend({
  name: z.string().regex(JOB_NAME_PATTERN, JOB_NAME_RULE),
  source: ScopeEndpointSchema,
  target: ScopeEndpointSchema,
  objects: z.array(ObjectEntrySchema).min(1).max(500).optional(),
  include: z.array(pattern).min(1).max(100).optional().describe('objects listed from the source at prepare whose name matches any pattern'),
  exclude: z.array(pattern).max(100).default([]).describe('listed objects matching any of these are left out'),
  targetPrefix: z.string().max(60).default('').describe('listed objects: the target object is named prefix + the source leaf name'),
  maxParallelObjects: z.number().int().min(1).max(32).default(2).describe('objects (child workflows) migrated at once'),
  failFast: z.boolean().default(false).describe('on the first failed object, cancel the others; by default they go on'),
})
  .strict()
  .superRefine((spec, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    if ((spec.objects ? 1 : 0) + (spec.include ? 1 : 0) !== 1)
      issue(['objects'], 'give exactly one of objects (named) or include (patterns listed from the source)');
    for (const side of ['source', 'target'] as const) scopeIssues(spec[side], side).forEach((i) => issue(i.path, i.message));
    if (spec.include) {
      const src = safeConnector(spec.source.type);
      if (src && !src.list) issue(['include'], `connector "${src.type}" cannot list its objects; name each one in objects`);
      const dst = safeConnector(spec.target.type);
      if (dst && !dst.targetNaming) issue(['include'], `connector "${dst.type}" cannot name a target after a listed object; name each one in objects`);
    }
    spec.objects?.forEach((entry, i) => {
      const res = childSpec(spec, entry, i);
      if (!res.ok) res.issues.forEach((x) => issue(['objects', i, ...x.path], x.message));
    });
  });

export type MultiJobSpecInput = z.input<typeof MultiJobSpecSchema>;
export type MultiJobSpec = z.output<typeof MultiJobSpecSchema>;
/** Either kind of spec a saved job or a schedule may hold. */
export type AnyJobSpec = JobSpec | MultiJobSpec;
export type ObjectEntry = z.output<typeof ObjectEntrySchema>;

const safeConnector = (type: string) => {
  try {
    return getConnector(type);
  } catch {
    return undefined;
  }
};

/** The job-level endpoint's type and connection, checked against the connector's own connection schema. */
function scopeIssues(e: { type: string; connection: unknown }, side: string): { path: (string | number)[]; message: string }[] {
  const c = safeConnector(e.type);
  if (!c) return [{ path: [side, 'type'], message: `unknown connector type "${e.type}"` }];
  const conn = (c.endpointSchema as unknown as { shape: { connection: z.ZodType } }).shape.connection.safeParse(e.connection);
  return conn.success ? [] : conn.error.issues.map((i) => ({ path: [side, 'connection', ...(i.path as (string | number)[])], message: i.message }));
}

/** A spec is a many-object job when it names objects or patterns; everything else is a single-object spec. */
export { isMultiObjectInput } from './kind';

/** Child job names: the job's name and the object's, within the job-name rule. */
export function childName(job: string, object: string, index: number): string {
  const tail = object.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._-]+/, '');
  return `${job}.${tail || index}`.slice(0, 100);
}

type ChildResult = { ok: true; spec: JobSpec } | { ok: false; issues: { path: (string | number)[]; message: string }[] };

/** One object's single-object spec: job options, then the object's overrides, then both endpoints merged. */
export function childSpec(job: MultiJobSpec, entry: ObjectEntry, index: number): ChildResult {
  const { source, target, ...overrides } = entry;
  const unknown = Object.keys(overrides).filter((k) => !JOB_OPTION_KEYS.includes(k));
  if (unknown.length) return { ok: false, issues: unknown.map((k) => ({ path: [k], message: `unknown field "${k}" (an object overrides job options only)` })) };
  // Webhooks belong to the job: the parent notifies once, its children do not.
  const options = Object.fromEntries(JOB_OPTION_KEYS.filter((k) => k !== 'notify').map((k) => [k, (job as Record<string, unknown>)[k]]));
  const sourceEndpoint = { ...job.source, ...source };
  const objectLabel = safeObjectName(sourceEndpoint) ?? String(index);
  const input: JobSpecInput = {
    ...options,
    ...overrides,
    name: childName(job.name, objectLabel, index),
    source: sourceEndpoint as JobSpecInput['source'],
    target: { ...job.target, ...target } as JobSpecInput['target'],
  } as JobSpecInput;
  const res = JobSpecSchema.safeParse(input);
  if (res.success) return { ok: true, spec: res.data };
  return { ok: false, issues: res.error.issues.map((i) => ({ path: i.path as (string | number)[], message: i.message })) };
}

function safeObjectName(endpoint: { type: string }): string | undefined {
  try {
    return getConnector(endpoint.type).objectName(endpoint as never);
  } catch {
    return undefined;
  }
}

export type MultiSpecParseResult = { ok: true; spec: MultiJobSpec } | { ok: false; issues: SpecIssue[] };

export function parseMultiJobSpec(input: unknown): MultiSpecParseResult {
  const res = MultiJobSpecSchema.safeParse(input);
  if (res.success) return { ok: true, spec: res.data };
  return { ok: false, issues: res.error.issues.map((i) => ({ path: formatPath(i.path) || '(root)', message: i.message })) };
}
