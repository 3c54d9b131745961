import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import YAML from 'yaml';
import type { z } from 'zod';
import type { ConnectorCapabilities } from '../src/connectors/contract';
import { listConnectors, objectNameOf } from '../src/connectors/registry';
import { JobSpecSchema, formatPath, type JobSpec, type SpecIssue } from '../src/job/job-spec';
import { confinementIssues, secretPolicy, type SecretPolicy } from '../src/secrets/confine';
import { InvalidSpecError } from './errors';

export interface ConnectorRoles {
  type: string;
  capabilities: Pick<ConnectorCapabilities, 'source' | 'target'>;
}

const join = (prefix: string, path: string) => (!prefix ? path : path === '(root)' ? prefix : path.startsWith('[') ? `${prefix}${path}` : `${prefix}.${path}`);

/**
 * zod issues → {path, message}, one per offending field. Unknown keys are reported at the key itself
 * (`source.connection.password`), not at the enclosing object, and a missing field says "required".
 */
export function specIssues(error: z.ZodError, prefix = ''): SpecIssue[] {
  const out: SpecIssue[] = [];
  for (const issue of error.issues) {
    const path = formatPath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: join(prefix, path ? `${path}.${key}` : key), message: `unknown field "${key}"` });
      continue;
    }
    const missing = /^Invalid input: expected (\w+), received undefined$/.exec(issue.message);
    const message = missing ? `required field is missing (expected ${missing[1]})` : issue.message;
    out.push({ path: join(prefix, path || '(root)'), message });
  }
  return out;
}

/** Which role each endpoint plays must be one its connector supports: a target-only store is not a source. */
export function roleIssues(spec: JobSpec, connectors: readonly ConnectorRoles[] = listConnectors(), prefix = ''): SpecIssue[] {
  const issues: SpecIssue[] = [];
  for (const side of ['source', 'target'] as const) {
    const type = spec[side].type;
    const c = connectors.find((x) => x.type === type);
    if (!c)
      issues.push({
        path: join(prefix, `${side}.type`),
        message: `no connector is registered for type "${type}"; known: ${connectors.map((x) => x.type).join(', ')}`,
      });
    else if (!c.capabilities[side]) issues.push({ path: join(prefix, `${side}.type`), message: `connector "${type}" cannot be a ${side}` });
  }
  return issues;
}

export type SpecCheck = { ok: true; spec: JobSpec } | { ok: false; issues: SpecIssue[] };

/**
 * Schema + roles + the secrets fence (which references this process's configuration lets a spec use; the
 * worker checks again). Nothing is contacted: this is what every entry point runs before anything starts.
 */
export function validateSpec(input: unknown, opts: { prefix?: string; connectors?: readonly ConnectorRoles[]; secrets?: SecretPolicy } = {}): SpecCheck {
  const res = JobSpecSchema.safeParse(input);
  if (!res.success) return { ok: false, issues: specIssues(res.error, opts.prefix) };
  const roles = roleIssues(res.data, opts.connectors, opts.prefix);
  if (roles.length) return { ok: false, issues: roles };
  const fenced = confinementIssues(res.data, opts.secrets ?? secretPolicy());
  if (fenced.length) return { ok: false, issues: fenced.map((i) => ({ ...i, path: join(opts.prefix ?? '', i.path) })) };
  return { ok: true, spec: res.data };
}

export function parseSpecOrThrow(input: unknown, opts?: Parameters<typeof validateSpec>[1]): JobSpec {
  const r = validateSpec(input, opts);
  if (!r.ok) throw new InvalidSpecError(r.issues);
  return r.spec;
}

/** Parses YAML or JSON text (YAML is a superset of JSON); syntax errors come back as spec issues with a line. */
export function parseSpecText(text: string, where = '(spec)'): unknown {
  const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    throw new InvalidSpecError(
      doc.errors.map((e) => ({ path: where, message: e.message.split('\n')[0]! })),
      'the spec file is not valid YAML/JSON',
    );
  }
  return doc.toJS();
}

export async function loadSpecFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new InvalidSpecError([{ path: file, message: `cannot read spec file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` }], 'no spec');
  }
  return parseSpecText(text, file);
}

/** Stable JSON (sorted keys) so the same spec always hashes the same, whatever key order the client used. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Fingerprint of a parsed spec (defaults filled): two requests for the same id must carry the same spec. */
export const specHash = (spec: JobSpec) => createHash('sha256').update(canonicalJson(spec)).digest('hex').slice(0, 32);

/** "postgres public.a → postgres public.b": the one-line summary shown in the Web UI and `temporal workflow list`. */
/** `postgres public.orders`: the connector type and the object as its descriptor names it. */
export const endpointLabel = (e: JobSpec['source']): string => `${e.type} ${objectNameOf(e)}`;

export const specSummary = (spec: JobSpec) => `${endpointLabel(spec.source)} → ${endpointLabel(spec.target)}`;
