import { createReadStream, promises as fs } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FileServer {
  url(name: string): string;
  /** Cuts the next answer off after `bytes` bytes of its body. */
  cutNext(bytes: number): void;
  /** Requests seen, with the Range header each asked for (undefined: none). */
  requests: { path: string; range?: string; status: number }[];
  close(): Promise<void>;
}

/**
 * A small static file server over a directory, as a CDN or object store would answer: `range: true` honours
 * `Range: bytes=N-` with 206 and advertises Accept-Ranges, `range: false` ignores it and sends the whole file
 * (200). `token`: every request must carry `Authorization: Bearer <token>`, else 401. `cutNext(n)`: the next
 * answer is cut off (its connection destroyed) after n bytes of the body, as a reset or a server closing a
 * connection mid-download would.
 * node:http's own timeouts are left at their defaults on purpose: its keep-alive timer (5 s, counted from when the
 * whole answer was handed to the kernel) closes the connection under a reader still working through the tail,
 * as real servers do (nginx keepalive_timeout); the reader must survive that (see FileSession.records).
 */
export async function startFileServer(dir: string, o: { range: boolean; token?: string }): Promise<FileServer> {
  const requests: FileServer['requests'] = [];
  let cutAfter: number | null = null;
  const server = http.createServer((req, res) => {
    const name = decodeURIComponent((req.url ?? '/').replace(/\?.*$/, '')).replace(/^\/+/, '');
    const range = req.headers.range;
    const answer = (status: number) => requests.push({ path: name, ...(range ? { range } : {}), status });
    if (o.token && req.headers.authorization !== `Bearer ${o.token}`) {
      answer(401);
      res.writeHead(401).end('unauthorized');
      return;
    }
    void fs.stat(`${dir}/${name}`).then(
      (st) => {
        const type = name.endsWith('.csv') ? 'text/csv' : name.endsWith('.json') ? 'application/json' : 'application/x-ndjson';
        const m = o.range && range ? /^bytes=(\d+)-$/.exec(range) : null;
        const start = m ? Number(m[1]) : 0;
        answer(m ? 206 : 200);
        res.writeHead(m ? 206 : 200, {
          'content-type': type,
          'content-length': String(st.size - start),
          ...(o.range ? { 'accept-ranges': 'bytes' } : {}),
          ...(m ? { 'content-range': `bytes ${start}-${st.size - 1}/${st.size}` } : {}),
        });
        if (req.method === 'HEAD') res.end();
        else if (cutAfter !== null && st.size - start > cutAfter) {
          const body = createReadStream(`${dir}/${name}`, { start, end: start + cutAfter - 1 });
          cutAfter = null;
          body.on('end', () => setTimeout(() => res.socket?.destroy(), 50));
          body.pipe(res, { end: false });
        } else createReadStream(`${dir}/${name}`, { start }).pipe(res);
      },
      () => {
        answer(404);
        res.writeHead(404).end();
      },
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (name) => `http://127.0.0.1:${port}/${name}`,
    requests,
    cutNext: (bytes) => {
      cutAfter = bytes;
    },
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
