import net from 'node:net';
import tls from 'node:tls';
import type { TemporalConnectionOptions } from './connection';

/**
 * Why a TLS connection to Temporal fails. gRPC's own errors hide it: the client reports only "Failed to connect
 * before the deadline" or DEADLINE_EXCEEDED while it retries a handshake the server (or we) keep rejecting.
 * One handshake of our own with the same CA, client certificate, server name and ALPN names the cause.
 * The outcome is cached per process so synchronous error mapping (client/migrations.ts) can add it.
 */
const HANDSHAKE_MS = 3_000;
// TLS 1.3 sends a missing/refused client certificate's alert after the client thinks the handshake is done.
const LATE_ALERT_MS = 300;

function hintFor(message: string): string {
  if (/certificate required|handshake failure|peer did not return|alert bad certificate|unknown ca/i.test(message))
    return 'the server refused our client certificate (TEMPORAL_TLS_CERT / TEMPORAL_TLS_KEY)';
  if (/altnames|hostname/i.test(message)) return 'the server certificate is not for this name (TEMPORAL_TLS_SERVER_NAME)';
  if (/wrong version number|packet length too long|unexpected eof|ECONNRESET/i.test(message)) return 'the server may not speak TLS (TEMPORAL_TLS)';
  return 'the server certificate is not trusted (TEMPORAL_TLS_CA, or the system CAs when it is unset)';
}

/** undefined: the handshake succeeded, or the failure is not a TLS one (refused, timeout). */
export function diagnoseTls(o: TemporalConnectionOptions): Promise<string | undefined> {
  const at = o.address.lastIndexOf(':');
  const host = o.address.slice(0, at);
  const servername = o.tls?.serverNameOverride ?? (net.isIP(host) ? undefined : host);
  return new Promise((resolve) => {
    let settled = false;
    const done = (why: string | undefined) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(why);
    };
    const socket = tls.connect({
      host,
      port: Number(o.address.slice(at + 1)),
      servername,
      ca: o.tls?.serverRootCACertificate ? Buffer.from(o.tls.serverRootCACertificate) : undefined,
      cert: o.tls?.clientCertPair ? Buffer.from(o.tls.clientCertPair.crt) : undefined,
      key: o.tls?.clientCertPair ? Buffer.from(o.tls.clientCertPair.key) : undefined,
      ALPNProtocols: ['h2'],
    });
    socket.setTimeout(HANDSHAKE_MS, () => done(undefined));
    socket.on('secureConnect', () => setTimeout(() => done(undefined), LATE_ALERT_MS));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED' || err.code === 'ENOTFOUND') return done(undefined);
      // OpenSSL's "<hex>:error:<hex>:SSL routines:<fn>:<reason>:<file>.c:<line>:…" → "<reason>".
      const message = err.message
        .split('\n')[0]
        .replace(/^[0-9A-F]+:error:[0-9A-F]+:SSL routines:[^:]*:/, '')
        .replace(/:[^:]*\.c:\d+:.*$/, '');
      done(`TLS handshake with ${o.address} failed: ${message} — ${hintFor(message)}`);
    });
  });
}

let last: string | undefined;
let watched: TemporalConnectionOptions | undefined;
let checkedAt = 0;
const RECHECK_MS = 5_000;

/**
 * Diagnoses in the background and remembers the answer: a lazy connection (the API) fails later, per RPC.
 * Without options it re-runs the last diagnosis, at most every few seconds, so a fixed server clears the hint.
 */
export function recheckTls(o: TemporalConnectionOptions | undefined = watched): void {
  if (!o?.tls || (o === watched && Date.now() - checkedAt < RECHECK_MS)) return;
  watched = o;
  checkedAt = Date.now();
  void diagnoseTls(o).then((why) => (last = why));
}

/** The last TLS failure seen in this process, to add to "Temporal is not reachable"; triggers a re-check. */
export function lastTlsProblem(): string | undefined {
  recheckTls();
  return last;
}
