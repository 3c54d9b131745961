import type { Payload, PayloadCodec } from '@temporalio/common';
import express, { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { loadConfig, type Config } from '../../src/config';
import { codecFromConfig } from '../../temporal/data-converter';
import { asyncRoute } from '../http';
import { HttpProblem } from '../problems';

/**
 * Temporal's codec server protocol, for the Web UI (and `temporal … --codec-endpoint`): POST /encode and
 * POST /decode with `{"payloads":[{"metadata":{k: base64}, "data": base64}]}`, answered in the same shape.
 * The UI calls it from the browser, so CORS admits its origin (preflight included, which carries no
 * credentials and so is answered before `authorize`). X-Namespace, when sent, must be one this codec serves.
 * `authorize` is the hook for API auth: decode hands out plaintext, so it must be at least as strict as the API.
 */
export interface CodecRouterOptions {
  codec: PayloadCodec;
  /** Origins allowed to call from a browser (the Web UI's), exact match. */
  origins: readonly string[];
  /** Namespaces whose payloads these keys protect; another X-Namespace gets 403. */
  namespaces: readonly string[];
  authorize?: RequestHandler;
}

const Base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, { error: 'expected base64' });
const Body = z.object({
  payloads: z.array(z.object({ metadata: z.record(z.string(), Base64).optional(), data: Base64.optional() }).loose()).max(10_000),
});
type JsonPayload = z.infer<typeof Body>['payloads'][number];

const fromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});
const toJson = (p: Payload) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')])),
  data: Buffer.from(p.data ?? []).toString('base64'),
});

export function codecRouter(o: CodecRouterOptions): Router {
  const router = Router();
  router.use((req, res, next) => {
    const origin = req.get('origin');
    if (origin && o.origins.includes(origin)) {
      res.set({
        'Access-Control-Allow-Origin': origin,
        'Access-Control-Allow-Credentials': 'true',
        'Access-Control-Allow-Methods': 'POST, OPTIONS',
        'Access-Control-Allow-Headers': 'Content-Type, X-Namespace, Authorization',
        Vary: 'Origin',
      });
    }
    if (req.method === 'OPTIONS') return res.status(204).end();
    next();
  });
  if (o.authorize) router.use(o.authorize);
  // Payloads may be as large as a gRPC message (4 MB) plus base64.
  router.use(express.json({ limit: '6mb' }));
  for (const action of ['encode', 'decode'] as const) {
    router.post(
      `/${action}`,
      asyncRoute(async (req, res) => {
        const ns = req.get('x-namespace');
        if (ns && !o.namespaces.includes(ns)) throw new HttpProblem(403, 'forbidden', 'Forbidden', `this codec does not serve namespace "${ns.slice(0, 100)}"`);
        const body = Body.safeParse(req.body);
        if (!body.success) throw new HttpProblem(400, 'invalid-request', 'Bad Request', `expected {"payloads":[…]}: ${body.error.issues[0]?.message}`);
        let out: Payload[];
        try {
          out = await o.codec[action](body.data.payloads.map(fromJson));
        } catch (err) {
          // CodecError says which key id failed; nothing secret in it.
          throw new HttpProblem(400, 'codec-failed', 'Codec failed', (err as Error).message);
        }
        res.json({ payloads: out.map(toJson) });
      }),
    );
  }
  return router;
}

/** From the environment: undefined when DATAMIGRATO_CODEC_KEYS is unset (no encryption, nothing to serve). */
export function codecOptionsFromConfig(c: Config = loadConfig()): Omit<CodecRouterOptions, 'authorize'> | undefined {
  const codec = codecFromConfig(c);
  if (!codec) return undefined;
  const origins = c.DATAMIGRATO_CODEC_CORS_ORIGINS?.split(',').map((s) => s.trim()) ?? [new URL(c.TEMPORAL_UI_URL).origin];
  return { codec, origins, namespaces: [c.TEMPORAL_NAMESPACE] };
}
