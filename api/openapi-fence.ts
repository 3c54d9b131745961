import type { SecretPolicy } from '../src/secrets/confine';

/**
 * The served document states this instance's secrets fence (src/secrets/confine.ts), which the static
 * JobSpec schema cannot know: every `{ env }` reference gets the allowlist as a pattern, and `{ file }`
 * references are impossible (`not: {}`) when no secrets directory is configured. A fuzzer or a client
 * generator then produces only references the API accepts.
 */
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function envPattern(allow: readonly string[]): string {
  return `^(${allow.map((a) => (a.endsWith('*') ? `${escape(a.slice(0, -1))}.*` : escape(a))).join('|')})$`;
}

type Schema = Record<string, unknown> & { properties?: Record<string, Record<string, unknown>>; required?: string[] };

const isRef = (s: Schema, key: string) =>
  s.type === 'object' && s.additionalProperties === false && s.properties && Object.keys(s.properties).join() === key && s.required?.join() === key;

export function stateFence<T>(doc: T, policy: SecretPolicy): T {
  const pattern = envPattern(policy.envAllow);
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!v || typeof v !== 'object') return;
    const s = v as Schema;
    if (isRef(s, 'env')) s.properties!.env = { ...s.properties!.env, pattern, description: 'An allowlisted environment variable on the worker' };
    if (isRef(s, 'file')) {
      if (!policy.secretsDir) s.not = {};
      else s.properties!.file = { ...s.properties!.file, pattern: '^(?!.*(^|/)\\.\\.(/|$))[^\\u0000]+$', description: `A file inside ${policy.secretsDir}` };
    }
    Object.values(s).forEach(walk);
  };
  walk(doc);
  return doc;
}
