import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';

/**
 * Test PKI and a TLS-terminating proxy for Temporal. The dev server (`temporal server start-dev`) has no TLS
 * flags, so the tests put this proxy in front of its plain gRPC port: TLS (ALPN h2, as gRPC clients expect)
 * on the outside, the same HTTP/2 bytes piped to the frontend inside. With `requireClientCert` it is an
 * mTLS endpoint: a client without a certificate signed by the test CA is refused in the handshake.
 */
const run = promisify(execFile);

export const TLS_SERVER_NAME = 'tls-temporal.datamigrato.test';

export interface TestPki {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A CA that signed nothing here: trusting it instead of `ca` must fail the handshake. */
  otherCa: string;
}

async function openssl(args: string[], cwd: string) {
  await run('openssl', args, { cwd });
}

/** A CA, a server certificate for TLS_SERVER_NAME and a client certificate, all made fresh with openssl. */
export async function makeTestPki(): Promise<TestPki> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tls_pki-'));
  const ca = async (name: string) =>
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${name}`], dir);
  const leaf = async (name: string, ext: string) => {
    await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`], dir);
    await fs.writeFile(path.join(dir, `${name}.ext`), ext);
    await openssl(
      [
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'tls_ca.pem',
        '-CAkey',
        'tls_ca.key',
        '-CAcreateserial',
        '-out',
        `${name}.pem`,
        '-days',
        '2',
        '-extfile',
        `${name}.ext`,
      ],
      dir,
    );
  };
  await Promise.all([ca('tls_ca'), ca('tls_other_ca')]);
  await leaf('tls_server', `subjectAltName=DNS:${TLS_SERVER_NAME}\nextendedKeyUsage=serverAuth\n`);
  await leaf('tls_client', 'extendedKeyUsage=clientAuth\n');
  const p = (f: string) => path.join(dir, f);
  return {
    dir,
    ca: p('tls_ca.pem'),
    serverCert: p('tls_server.pem'),
    serverKey: p('tls_server.key'),
    clientCert: p('tls_client.pem'),
    clientKey: p('tls_client.key'),
    otherCa: p('tls_other_ca.pem'),
  };
}

export interface TlsProxy {
  address: string;
  /** Handshakes the proxy refused (no or a wrong client certificate), with the reason. */
  refused: string[];
  close(): Promise<void>;
}

export async function startTlsProxy(pki: TestPki, upstream: string, opts: { requireClientCert: boolean }): Promise<TlsProxy> {
  const [host, port] = [upstream.slice(0, upstream.lastIndexOf(':')), Number(upstream.slice(upstream.lastIndexOf(':') + 1))];
  const refused: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = tls.createServer(
    {
      key: await fs.readFile(pki.serverKey),
      cert: await fs.readFile(pki.serverCert),
      ca: await fs.readFile(pki.ca),
      requestCert: opts.requireClientCert,
      rejectUnauthorized: opts.requireClientCert,
      ALPNProtocols: ['h2'],
    },
    (client) => {
      const inner = net.connect(port, host);
      for (const s of [client, inner]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => (s === client ? inner : client).destroy());
      }
      client.pipe(inner).pipe(client);
    },
  );
  server.on('tlsClientError', (err) => refused.push(err.message));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: own } = server.address() as net.AddressInfo;
  return {
    address: `127.0.0.1:${own}`,
    refused,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * A TLS gRPC proxy that checks an API key the way Temporal Cloud expects it (`authorization: Bearer <key>`): an
 * HTTP/2 server that forwards each stream to the plain frontend, headers, body and trailers, and answers
 * UNAUTHENTICATED (16) itself when the key is absent or wrong. `seen` counts requests by the key they carried.
 */
export interface ApiKeyProxy extends TlsProxy {
  seen: { good: number; bad: number };
}

export async function startApiKeyProxy(pki: TestPki, upstream: string, apiKey: string): Promise<ApiKeyProxy> {
  const http2 = await import('node:http2');
  const inner = http2.connect(`http://${upstream}`);
  inner.on('error', () => undefined); // surfaced per stream
  const seen = { good: 0, bad: 0 };
  const server = http2.createSecureServer({ key: await fs.readFile(pki.serverKey), cert: await fs.readFile(pki.serverCert), ALPNProtocols: ['h2'] });
  server.on('stream', (stream, headers) => {
    stream.on('error', () => undefined);
    if (headers.authorization !== `Bearer ${apiKey}`) {
      seen.bad++;
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '16', 'grpc-message': 'tls proxy: bad api key' },
        { endStream: true },
      );
      return;
    }
    seen.good++;
    const forwarded = Object.fromEntries(Object.entries(headers).filter(([k]) => !k.startsWith(':') || k === ':method' || k === ':path'));
    const up = inner.request(forwarded);
    up.on('error', () => stream.destroy());
    stream.on('close', () => up.close());
    let trailers: Record<string, string | string[] | undefined> = {};
    up.on('trailers', (t) => (trailers = t));
    up.on('response', (h) => {
      const { ':status': status, ...rest } = h;
      // A trailers-only answer (an error) carries grpc-status in its headers and has nothing after them.
      const trailersOnly = 'grpc-status' in rest;
      stream.respond({ ':status': status, ...rest }, trailersOnly ? {} : { waitForTrailers: true });
      if (!trailersOnly) stream.on('wantTrailers', () => stream.sendTrailers(trailers));
      up.pipe(stream);
    });
    stream.pipe(up);
  });
  const open = new Set<import('node:http2').Http2Session>();
  server.on('session', (s) => {
    open.add(s);
    s.on('close', () => open.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    refused: [],
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        inner.destroy();
        server.close(() => resolve());
        for (const s of open) s.destroy();
      }),
  };
}
