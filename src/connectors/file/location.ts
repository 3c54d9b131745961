import { createReadStream, promises as fs } from 'node:fs';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { transientError } from '../../errors';
import { fsError, httpError } from './errors';
import { isHttp } from './spec';

const C = 'file';

/** A byte stream of the file, and where in the file it starts. */
export interface Opened {
  bytes: AsyncIterable<Buffer>;
  /** The byte offset the stream starts at: the asked one when the store could seek, else 0. */
  start: number;
  /** Content-Type of an http(s) answer, used when neither the endpoint nor the name says the format. */
  contentType?: string;
}

/** The local path a location names (a path or a file:// URL), or null for http(s). */
export function localPath(url: string): string | null {
  if (isHttp(url)) return null;
  return /^file:\/\//i.test(url) ? fileURLToPath(url) : url;
}

/** A URL as logs and errors may show it: no query string (it may hold a signature or token). */
export const shownUrl = (url: string) => url.replace(/\?.*$/, '?…');

/**
 * Opens the bytes at `start` (0 = the beginning). A local file seeks. An http(s) server is asked for a Range
 * only when start > 0; one that answers 200 instead of 206 sends the whole file, which the caller re-reads from
 * the start (start: 0 in the result). `identity` encoding is asked so offsets are offsets in the file itself.
 */
export async function openBytes(url: string, headers: Record<string, string>, start = 0): Promise<Opened> {
  const path = localPath(url);
  if (path !== null) {
    await statLocal(path);
    return { bytes: createReadStream(path, { start, highWaterMark: 1 << 16 }), start };
  }
  const res = await httpGet(url, { ...headers, 'accept-encoding': 'identity', ...(start > 0 ? { range: `bytes=${start}-` } : {}) });
  const seeked = start > 0 && res.status === 206;
  return { bytes: Readable.fromWeb(res.body as never), start: seeked ? start : 0, contentType: res.headers.get('content-type') ?? undefined };
}

/** Size and identity of a local file; a missing file is a SchemaError naming it (the object does not exist). */
export async function statLocal(path: string) {
  try {
    const st = await fs.stat(path);
    if (st.isDirectory()) throw Object.assign(new Error('directory'), { code: 'EISDIR' });
    return st;
  } catch (err) {
    throw fsError(err, path);
  }
}

/** True when the location exists (describe of a missing target answers null). */
export async function exists(url: string, headers: Record<string, string>): Promise<boolean> {
  const path = localPath(url);
  if (path !== null)
    return fs.stat(path).then(
      () => true,
      () => false,
    );
  // GET, not HEAD: some servers (and signed URLs) answer HEAD differently; the body is not read.
  const res = await httpGet(url, headers).catch((err: unknown) => {
    if ((err as { kind?: string }).kind === 'SchemaError') return null;
    throw err;
  });
  await res?.body?.cancel().catch(() => undefined);
  return res !== null;
}

async function httpGet(url: string, headers: Record<string, string>, method = 'GET'): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, { method, headers, redirect: 'follow' });
  } catch (err) {
    throw transientError(`GET ${shownUrl(url)}: ${(err as Error & { cause?: { code?: string } }).cause?.code ?? (err as Error).message}`, C, err);
  }
  if (res.ok) return res;
  await res.body?.cancel().catch(() => undefined);
  throw httpError(res.status, `${method} ${shownUrl(url)} answered ${res.status} ${res.statusText}`);
}
