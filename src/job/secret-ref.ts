import { z } from 'zod';

const envRef = z.object({ env: z.string().min(1).describe('Name of an environment variable on the worker') }).strict();
const fileRef = z.object({ file: z.string().min(1).describe('Path of a file on the worker holding the secret') }).strict();

/**
 * A secret is never written in a spec: specs travel through workflow history, which is stored
 * unencrypted. Only a reference goes there; the activity resolves it on the worker.
 */
export const SecretRefSchema = z.union([envRef, fileRef], {
  error: (issue) =>
    typeof issue.input === 'string'
      ? 'must be a secret reference ({ "env": "VAR" } or { "file": "/path" }), not a literal value: literal credentials would be stored in workflow history'
      : 'must be a secret reference: { "env": "VAR" } or { "file": "/path" }',
});
export type SecretRef = z.infer<typeof SecretRefSchema>;

/** A connection defined in the worker's connections file (DATAMIGRATO_CONNECTIONS_FILE), by name. */
export const NamedConnectionSchema = z.object({ name: z.string().min(1).describe('A connection named in the worker connections file') }).strict();
export type NamedConnection = z.infer<typeof NamedConnectionSchema>;

export const isSecretRef = (v: unknown): v is SecretRef =>
  typeof v === 'object' && v !== null && (('env' in v && Object.keys(v).length === 1) || ('file' in v && Object.keys(v).length === 1));

/**
 * The connection block of a connector reached by one URL: the URL as a secret reference, or a named
 * connection from the worker's connections file — exactly one of them.
 */
export const urlConnectionSchema = (urlDescription: string) =>
  z
    .object({
      url: SecretRefSchema.optional().describe(urlDescription),
      name: z.string().min(1).optional().describe('A connection named in the worker connections file'),
    })
    .strict()
    .refine((c) => (c.url ? 1 : 0) + (c.name ? 1 : 0) === 1, {
      message: 'give exactly one of url (a secret reference) or name (a named connection)',
    })
    // The same rule in the JSON Schema / OpenAPI document (a refine is invisible there).
    .meta({ oneOf: [{ required: ['url'] }, { required: ['name'] }] });

/**
 * JSON Schema of "a named connection takes no other fields; without a name, `required` are": the rule the
 * connection schemas' refinements enforce, stated in the OpenAPI document (refinements are invisible there).
 */
export const namedOrFields = (others: readonly string[], required: readonly string[] = []) => ({
  oneOf: [
    { required: ['name'], not: { anyOf: others.map((k) => ({ required: [k] })) } },
    { not: { required: ['name'] }, ...(required.length ? { required: [...required] } : {}) },
  ],
});
