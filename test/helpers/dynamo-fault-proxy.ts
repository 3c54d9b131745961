import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback HTTP proxy in front of the local DynamoDB server that injects what a local server never does:
 * throttling and partially processed batches. Per request (counted over BatchWriteItem calls):
 *   - every `throttleEvery`-th one opens a window of `throttleForMs` in which every BatchWriteItem is
 *     answered HTTP 400 ProvisionedThroughputExceededException without reaching the server (a window longer
 *     than the SDK's own retries, maxAttempts 3, so the connector's backoff has to act, as under a real hot partition);
 *   - every `unprocessedEvery`-th one forwards only the first half of its items; the rest come back as
 *     UnprocessedItems in the server's answer.
 * Rewriting a request breaks its SigV4 signature: fine for dynalite, which does not verify signatures.
 */
export interface FaultOptions {
  throttleEvery?: number;
  throttleForMs?: number;
  unprocessedEvery?: number;
}

export interface FaultProxy {
  url: string;
  stats: { requests: number; batchWrites: number; throttled: number; partial: number; itemsHeldBack: number };
  close(): Promise<void>;
}

const THROTTLE_BODY = JSON.stringify({
  __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
  message: 'The level of configured provisioned throughput for the table was exceeded (injected by the test proxy)',
});

export async function startFaultProxy(upstream: string, opts: FaultOptions): Promise<FaultProxy> {
  const target = new URL(upstream);
  const stats = { requests: 0, batchWrites: 0, throttled: 0, partial: 0, itemsHeldBack: 0 };
  let throttleUntil = 0;

  const forward = (req: http.IncomingMessage, body: Buffer, onAnswer: (status: number, headers: http.IncomingHttpHeaders, body: Buffer) => void) => {
    const headers = { ...req.headers, host: target.host, 'content-length': String(body.length) };
    const up = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => onAnswer(res.statusCode ?? 500, res.headers, Buffer.concat(chunks)));
    });
    up.on('error', () => onAnswer(502, {}, Buffer.from('{"__type":"ProxyUpstreamError","message":"upstream failed"}')));
    up.end(body);
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      stats.requests++;
      const body = Buffer.concat(chunks);
      const op = String(req.headers['x-amz-target'] ?? '')
        .split('.')
        .pop();
      const reply = (status: number, headers: http.IncomingHttpHeaders, out: Buffer) => {
        const h: Record<string, string | string[] | undefined> = { ...headers, 'content-length': String(out.length) };
        delete h['x-amz-crc32']; // the body may have changed
        delete h['transfer-encoding'];
        res.writeHead(status, h);
        res.end(out);
      };
      if (op !== 'BatchWriteItem') return forward(req, body, reply);
      const n = ++stats.batchWrites;
      if (opts.throttleEvery && n % opts.throttleEvery === 0) throttleUntil = Date.now() + (opts.throttleForMs ?? 0);
      if (Date.now() < throttleUntil || (opts.throttleEvery && n % opts.throttleEvery === 0)) {
        stats.throttled++;
        return reply(400, { 'content-type': 'application/x-amz-json-1.0' }, Buffer.from(THROTTLE_BODY));
      }
      if (!opts.unprocessedEvery || n % opts.unprocessedEvery !== 0) return forward(req, body, reply);
      const parsed = JSON.parse(body.toString('utf8')) as { RequestItems: Record<string, unknown[]> };
      const held: Record<string, unknown[]> = {};
      for (const [table, reqs] of Object.entries(parsed.RequestItems)) {
        if (reqs.length < 2) continue;
        const keep = Math.ceil(reqs.length / 2);
        held[table] = reqs.slice(keep);
        parsed.RequestItems[table] = reqs.slice(0, keep);
        stats.itemsHeldBack += reqs.length - keep;
      }
      if (Object.keys(held).length === 0) return forward(req, body, reply);
      stats.partial++;
      forward(req, Buffer.from(JSON.stringify(parsed)), (status, headers, out) => {
        if (status !== 200) return reply(status, headers, out);
        const answer = JSON.parse(out.toString('utf8')) as { UnprocessedItems?: Record<string, unknown[]> };
        const unprocessed = answer.UnprocessedItems ?? {};
        for (const [t, reqs] of Object.entries(held)) unprocessed[t] = [...(unprocessed[t] ?? []), ...reqs];
        reply(200, headers, Buffer.from(JSON.stringify({ ...answer, UnprocessedItems: unprocessed })));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
