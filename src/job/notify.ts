import { z } from 'zod';
import { NamedConnectionSchema, SecretRefSchema } from './secret-ref';

/** The outcomes a webhook can subscribe to. */
export const NOTIFY_EVENTS = ['completed', 'failed', 'canceled'] as const;
export type NotifyEventName = (typeof NOTIFY_EVENTS)[number];

/**
 * Where a webhook goes. Webhook URLs carry tokens (Slack, Teams, most SaaS hooks), so the URL is a secret
 * reference or a named connection (its `url` field) like a database URL — never a literal in the spec.
 */
export const NotifyUrlSchema = z.union([SecretRefSchema, NamedConnectionSchema], {
  error: (issue) =>
    typeof issue.input === 'string'
      ? 'must be a secret reference ({ "env": "VAR" } or { "file": "/path" }) or a named connection ({ "name": "…" }), not a literal URL: webhook URLs carry tokens and specs are stored in workflow history'
      : 'must be a secret reference ({ "env": "VAR" } or { "file": "/path" }) or a named connection ({ "name": "…" })',
});

export const NotifyTargetSchema = z
  .object({
    url: NotifyUrlSchema.describe('the webhook URL, resolved on the worker'),
    events: z.array(z.enum(NOTIFY_EVENTS)).min(1).default(['completed', 'failed']).describe('outcomes that are sent'),
    secret: SecretRefSchema.describe('HMAC-SHA256 key the body is signed with (X-Datamigrato-Signature)'),
  })
  .strict();

export type NotifyTarget = z.output<typeof NotifyTargetSchema>;

export const NotifySchema = z
  .array(NotifyTargetSchema)
  .max(10)
  .describe('webhooks POSTed a signed JSON summary when the run completes, fails or is canceled; delivery never changes the outcome');
