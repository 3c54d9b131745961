import { cert, deleteApp, initializeApp, type App, type AppOptions } from 'firebase-admin/app';
import { getDatabase, type DataSnapshot, type Database, type Query, type Reference } from 'firebase-admin/database';
import { authError, configError, transientError } from '../../errors';
import type { Logger } from '../../logging';
import { rowToJsonSafe } from '../../model/json-safe';
import type { Cursor, KeyRange, ObjectSchema, QuarantinedRecord, RejectedRecord, Row, RowBatch, WriteOutcome } from '../../model/types';
import type { ConnectorSession, ResolvedConnection } from '../contract';
import { CONNECTOR, classifyRtdbError, isDataError } from './errors';
import { inferFields } from './infer';
import { compareKeys, decodeKey, encodeKey, inRange, rangesOfKeys } from './keys';
import { RecordReader, childOf, keyTextOf, layoutOf, type Layout, type RawChild } from './records';
import type { RtdbEndpoint } from './spec';

export const LAYOUT_NODE = '_datamigrato_layout';
export const DEAD_LETTERS = '_datamigrato_dead_letters';
const DEAD_LETTER_RECORD_CHARS = 100_000;
/**
 * The SDK cuts every outgoing message into websocket frames of 16,384 UTF-16 units without regard for
 * surrogate pairs: an emoji (or any character beyond U+FFFF) on a frame boundary arrives as two U+FFFD.
 * Updates holding such characters are therefore kept below one frame; a single record that cannot be is refused.
 */
const ONE_FRAME = 16_000;
const ASTRAL = /[\uD800-\uDFFF]/;

let appCounter = 0;

/** A path without leading/trailing slashes, as refs take it. */
export const trimPath = (p: string) => p.replace(/^\/+|\/+$/g, '');
/** One path as one key (for the layout and dead-letter nodes). */
export const pathKey = (p: string) => encodeKey(trimPath(p), 'percent');

export class RtdbSession implements ConnectorSession {
  private readonly app: App;
  private readonly db: Database;
  private readonly root: Reference;
  private readonly timeoutMs: number;
  private readonly emulator: boolean;

  constructor(
    private readonly endpoint: RtdbEndpoint,
    private readonly connection: ResolvedConnection,
    private readonly log: Logger,
  ) {
    const databaseURL = connection.databaseURL as string | undefined;
    if (!databaseURL) throw configError('connection.databaseURL is required', CONNECTOR);
    this.emulator = databaseURL.startsWith('http://');
    const options: AppOptions = { databaseURL };
    const json = connection.credentials as string | undefined;
    if (json) options.credential = cert(parseServiceAccount(json));
    // An app per session: sessions of different endpoints (or credentials) never share state.
    this.app = initializeApp(options, `datamigrato-rtdb-${process.pid}-${++appCounter}`);
    this.db = getDatabase(this.app);
    this.root = this.db.ref(trimPath(endpoint.path));
    this.timeoutMs = endpoint.timeoutSeconds * 1000;
  }

  private get name() {
    return `/${trimPath(this.endpoint.path)}`;
  }

  /** A call with a deadline: firebase-server never answers some calls, and a hung socket must not hang a chunk. */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(transientError(`${what} ${this.name}: no answer within ${this.endpoint.timeoutSeconds} s`, CONNECTOR)), this.timeoutMs);
    });
    try {
      return await Promise.race([fn(), timeout]);
    } catch (err) {
      throw classifyRtdbError(err, `${what} ${this.name}`);
    } finally {
      clearTimeout(timer);
    }
  }

  /** once('value') that can be given up: a listener we remove ourselves on timeout (never ref.get()). */
  private value(q: Query, what: string): Promise<DataSnapshot> {
    return this.call(
      what,
      () =>
        new Promise<DataSnapshot>((resolve, reject) => {
          const cb = q.on(
            'value',
            (snap) => {
              q.off('value', cb);
              resolve(snap);
            },
            (err: Error) => reject(err),
          );
          setTimeout(() => q.off('value', cb), this.timeoutMs + 10).unref();
        }),
    );
  }

  /**
   * Children of `ref` after `after` up to `upper` (inclusive), at most `n`, in key order. Bounds are
   * applied again here and the page is capped: a server may send more than asked (firebase-server
   * ignores queries and sends the whole node).
   */
  private async page(ref: Reference, after: string | null, upper: string | null, n: number): Promise<RawChild[]> {
    let q: Query = ref.orderByKey();
    if (after !== null) q = q.startAfter(after);
    if (upper !== null) q = q.endAt(upper);
    const snap = await this.value(q.limitToFirst(n), 'read');
    const out: RawChild[] = [];
    snap.forEach((c) => {
      if (c.key !== null && inRange(c.key, after, upper)) out.push({ key: c.key, value: c.val() as unknown });
    });
    const page = out.sort((a, b) => compareKeys(a.key, b.key)).slice(0, n);
    // A server cutting its answer into frames through a surrogate pair (firebase-server does) leaves U+FFFD
    // pairs: those children are read again alone, in a message too small to be cut.
    for (const c of page) if (JSON.stringify(c.value).includes('\uFFFD')) c.value = (await this.value(ref.child(c.key), 'read')).val() as unknown;
    return page;
  }

  /** Raw children of a range page by page; with a group level, group by group (a cursor of [group, key]). */
  private async *children(layout: Layout, range: KeyRange, after: Cursor | null, n: number): AsyncIterable<{ children: RawChild[]; cursor: Cursor }> {
    const lower = range.lower === null ? null : String(range.lower);
    const upper = range.upper === null ? null : String(range.upper);
    if (!layout.group) {
      let last = after === null ? lower : String(after);
      for (;;) {
        const children = await this.page(this.root, last, upper, n);
        if (children.length) yield { children, cursor: (last = children[children.length - 1]!.key) };
        if (children.length < n) return;
      }
    }
    let [group, key] = after === null ? [lower, null] : (after as [string, string]);
    let inGroup = after !== null;
    for (;;) {
      if (!inGroup) {
        // The next group's key only (its data comes page by page below).
        const next = await this.page(this.root, group, upper, 1);
        if (!next.length) return;
        [group, key, inGroup] = [next[0]!.key, null, true];
      }
      const children = await this.page(this.root.child(group!), key, null, n);
      if (children.length) yield { children: children.map((c) => ({ ...c, group: group! })), cursor: [group!, (key = children[children.length - 1]!.key)] };
      if (children.length < n) inGroup = false;
    }
  }

  private async layoutNode(): Promise<{ key: string[]; group?: string } | null> {
    const snap = await this.value(this.db.ref(LAYOUT_NODE).child(pathKey(this.endpoint.path)), 'read layout of');
    return (snap.val() as { key: string[]; group?: string } | null) ?? null;
  }

  async check(): Promise<void> {
    const credential = this.connection.credentials ? this.app.options.credential : undefined;
    if (credential)
      await credential.getAccessToken().catch((err: unknown) => {
        // The message of a refused grant names the service account at most, never the key.
        throw authError(`service-account credentials refused: ${(err as Error).message}`, CONNECTOR);
      });
    await this.layoutNode();
  }

  async describe(): Promise<ObjectSchema | null> {
    const meta = await this.layoutNode();
    const group = this.endpoint.groupByField ?? meta?.group ?? null;
    const keyName = this.endpoint.keyField !== 'key' ? this.endpoint.keyField : (meta?.key[meta.key.length - 1] ?? 'key');
    const key = group ? [group, keyName] : [keyName];
    const layout: Layout = { group, key: keyName };
    const sample: Record<string, unknown>[] = [];
    const texts: Record<string, string[]> = Object.fromEntries(key.map((k) => [k, []]));
    const mode = this.endpoint.keyEncoding;
    outer: for await (const { children } of this.children(layout, { id: 0, lower: null, upper: null }, null, Math.min(this.endpoint.sampleSize, 1000)))
      for (const c of children) {
        sample.push(c.value !== null && typeof c.value === 'object' ? (c.value as Record<string, unknown>) : {});
        texts[keyName]!.push(decodeKey(c.key, mode));
        if (group) texts[group]!.push(decodeKey(c.group!, mode));
        if (sample.length >= this.endpoint.sampleSize) break outer;
      }
    if (!sample.length) return null; // RTDB has no empty nodes: a path without children does not exist
    return { object: this.name, fields: inferFields(sample, texts), key, open: true };
  }

  /**
   * Ranges from a REST shallow=true key listing split at quantiles. A server that ignores shallow
   * (firebase-server answers with the whole node) is detected on the first bytes and gets one partition.
   */
  async planPartitions(schema: ObjectSchema, count: number): Promise<KeyRange[]> {
    const one: KeyRange[] = [{ id: 0, lower: null, upper: null }];
    layoutOf(schema, this.endpoint);
    if (count <= 1) return one;
    const keys = await this.call('list keys of', () => this.shallowKeys());
    if (keys === null) {
      this.log.info({ path: this.name }, 'rtdb: the server ignored shallow=true (firebase-server): one partition');
      return one;
    }
    return keys.length ? rangesOfKeys(keys, count) : one;
  }

  private async shallowKeys(): Promise<string[] | null> {
    const base = new URL(this.connection.databaseURL as string);
    const url = new URL(`${base.origin}/${trimPath(this.endpoint.path)}.json`);
    for (const [k, v] of base.searchParams) url.searchParams.set(k, v);
    url.searchParams.set('shallow', 'true');
    const headers: Record<string, string> = {};
    if (this.emulator) headers.authorization = 'Bearer owner';
    else if (this.app.options.credential) url.searchParams.set('access_token', (await this.app.options.credential.getAccessToken()).access_token);
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(this.timeoutMs) });
    if (res.status === 401 || res.status === 403) throw authError(`list keys of ${this.name}: HTTP ${res.status}`, CONNECTOR);
    if (!res.ok || !res.body) throw transientError(`list keys of ${this.name}: HTTP ${res.status}`, CONNECTOR);
    const reader = res.body.getReader();
    let text = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString('utf8');
      // A shallow answer is {"k":true,…}; anything else after the first key means the whole node is coming.
      const first = /^\s*\{\s*"(?:[^"\\]|\\.)*"\s*:\s*(\S)/.exec(text);
      if (first && first[1] !== 't') {
        await reader.cancel();
        return null;
      }
    }
    const parsed = JSON.parse(text) as Record<string, unknown> | null;
    return parsed === null ? [] : Object.keys(parsed);
  }

  async *read(schema: ObjectSchema, range: KeyRange, after: Cursor | null, batchSize: number): AsyncIterable<RowBatch> {
    const layout = layoutOf(schema, this.endpoint);
    const reader = new RecordReader(schema, layout, this.endpoint.keyEncoding);
    for await (const { children, cursor } of this.children(layout, range, after, batchSize)) yield { ...reader.batch(children), cursor };
  }

  /** Records the key layout so describe() of this path finds the key names and the group level again. */
  async prepare(schema: ObjectSchema): Promise<void> {
    const layout = layoutOf(schema, this.endpoint);
    const meta = { key: schema.key, ...(layout.group ? { group: layout.group } : {}) };
    await this.call('prepare', () => this.db.ref(LAYOUT_NODE).child(pathKey(this.endpoint.path)).set(meta));
  }

  async write(schema: ObjectSchema, rows: Row[]): Promise<WriteOutcome> {
    const layout = layoutOf(schema, this.endpoint);
    const mode = this.endpoint.keyEncoding;
    const rejected: RejectedRecord[] = [];
    // One update may not name a path twice: the last row for a key wins, as a second write would.
    const byPath = new Map<string, { row: Row; child: object; bytes: number }>();
    for (const row of rows) {
      try {
        const key = encodeKey(keyTextOf(row, schema, layout.key), mode);
        const path = layout.group ? `${encodeKey(keyTextOf(row, schema, layout.group), mode)}/${key}` : key;
        const child = childOf(schema, row, this.endpoint);
        const bytes = Buffer.byteLength(JSON.stringify(child), 'utf8') + path.length;
        if (bytes > this.endpoint.maxUpdateBytes) throw new Error(`record of ${bytes} bytes exceeds maxUpdateBytes ${this.endpoint.maxUpdateBytes}`);
        byPath.set(path, { row, child, bytes });
      } catch (err) {
        rejected.push({ row, error: (err as Error).message });
      }
    }
    let written = 0;
    // Records with characters beyond U+FFFF go in updates of one frame at most (see ONE_FRAME), the rest in full ones.
    const entries = [...byPath];
    const astral = entries.filter(([, e]) => ASTRAL.test(JSON.stringify(e.child)));
    const plain = entries.filter((e) => !astral.includes(e));
    for (const chunk of [...this.chunks(plain), ...this.chunks(astral, ONE_FRAME - 100)]) {
      const out = await this.update(chunk);
      written += out.written;
      rejected.push(...out.rejected);
    }
    return { written, rejected };
  }

  private chunks<T extends { bytes: number }>(entries: [string, T][], maxBytes = this.endpoint.maxUpdateBytes): [string, T][][] {
    const out: [string, T][][] = [];
    let cur: [string, T][] = [];
    let bytes = 0;
    for (const e of entries) {
      if (cur.length && (cur.length >= this.endpoint.maxChildrenPerUpdate || bytes + e[1].bytes > maxBytes)) {
        out.push(cur);
        [cur, bytes] = [[], 0];
      }
      cur.push(e);
      bytes += e[1].bytes;
    }
    if (cur.length) out.push(cur);
    return out;
  }

  /** One multi-path update; one the SDK refuses for its data is split to find the records at fault. */
  private async update(chunk: [string, { row: Row; child: object }][]): Promise<WriteOutcome> {
    const body = Object.fromEntries(chunk.map(([p, c]) => [p, c.child]));
    const text = JSON.stringify(body);
    if (text.length > ONE_FRAME && ASTRAL.test(text)) {
      if (chunk.length === 1)
        return {
          written: 0,
          rejected: [
            {
              row: chunk[0]![1].row,
              error: `record of ${text.length} UTF-16 units holds characters beyond U+FFFF: the Firebase SDK splits messages into 16,384-unit frames through surrogate pairs and would corrupt it`,
            },
          ],
        };
      return this.halves(chunk);
    }
    try {
      await this.call('write', () => this.root.update(body));
      return { written: chunk.length, rejected: [] };
    } catch (err) {
      const cause = (err as { cause?: unknown }).cause ?? err;
      if (!isDataError(cause)) throw err;
      if (chunk.length === 1) return { written: 0, rejected: [{ row: chunk[0]![1].row, error: `RTDB refused the record: ${(cause as Error).message}` }] };
      return this.halves(chunk);
    }
  }

  private async halves(chunk: [string, { row: Row; child: object }][]): Promise<WriteOutcome> {
    const half = Math.ceil(chunk.length / 2);
    const [a, b] = [await this.update(chunk.slice(0, half)), await this.update(chunk.slice(half))];
    return { written: a.written + b.written, rejected: [...a.rejected, ...b.rejected] };
  }

  async quarantine(records: QuarantinedRecord[]): Promise<void> {
    if (!records.length) return;
    const updates: Record<string, object> = {};
    for (const r of records) {
      let record = JSON.stringify(rowToJsonSafe(r.record));
      const truncated = record.length > DEAD_LETTER_RECORD_CHARS;
      if (truncated) record = record.slice(0, DEAD_LETTER_RECORD_CHARS);
      const run = encodeKey(`${r.job}~${r.runId}`, 'percent');
      const id = encodeKey(`${r.stage}~${r.partition}~${(r.key ?? record).slice(0, 300)}`, 'percent');
      updates[`${run}/${id}`] = {
        job: r.job,
        runId: r.runId,
        partition: r.partition,
        stage: r.stage,
        error: r.error.slice(0, 10_000) || '-',
        record,
        truncated,
        createdAt: new Date().toISOString(),
        ...(r.key === null ? {} : { key: r.key }),
      };
    }
    await this.call('quarantine into', () => this.db.ref(DEAD_LETTERS).child(pathKey(this.endpoint.path)).update(updates));
  }

  async close(): Promise<void> {
    await Promise.race([deleteApp(this.app), new Promise((r) => setTimeout(r, 5000).unref())]).catch(() => undefined);
  }
}

/** The service-account JSON; a malformed one fails fast without echoing its content. */
function parseServiceAccount(json: string): object {
  try {
    const sa = JSON.parse(json) as Record<string, unknown>;
    if (typeof sa.private_key !== 'string' || typeof sa.client_email !== 'string') throw new Error('missing private_key or client_email');
    return { projectId: sa.project_id, clientEmail: sa.client_email, privateKey: sa.private_key };
  } catch (err) {
    throw authError(`connection.credentials is not a service-account JSON (${(err as Error).message.replace(/[^\w\s,.:-].*$/s, '')})`, CONNECTOR);
  }
}

/** Opens a session on the endpoint's path; credentials have been resolved from their secret reference. */
export async function openRtdb(endpoint: RtdbEndpoint, connection: ResolvedConnection, log: Logger): Promise<ConnectorSession> {
  try {
    return new RtdbSession(endpoint, connection, log);
  } catch (err) {
    throw classifyRtdbError(err, `open ${endpoint.path}`);
  }
}
