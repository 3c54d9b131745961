import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createGzip, gzipSync } from 'node:zlib';
import { configError, schemaError, transientError } from '../../errors';
import type { Logger } from '../../logging';
import { coerce } from '../../model/coerce';
import { keyText } from '../../model/keys';
import { rowToJsonSafe } from '../../model/json-safe';
import { deadLetterId } from '../dead-letter-id';
import type { ObjectSchema, QuarantinedRecord, RejectedRecord, Row, Value, WriteOutcome } from '../../model/types';
import { csvLine, ndjsonRecord } from './encode';
import { decodeRecords, type RawRecord } from './records';
import type { FileEndpoint, FileFormat } from './spec';

const C = 'file';
const LOCK_WAIT_MS = 120_000;
const LOCK_STALE_MS = 120_000;

/**
 * A local NDJSON or CSV file as a target, upserted by key so a replayed batch changes nothing:
 * - a batch whose keys are all new is appended (one write call; a gzip file gets one more gzip member);
 * - a batch holding a key the file already has rewrites the file without those records into a temporary file,
 *   appends the batch and renames it over the original (atomic), so the newest record of a key wins once.
 * The key index is the set of keys in the file (keys only, never records): built by a streamed scan the first
 * time, then extended from the last scanned byte. Writers of every partition and process take a lock file
 * (`<path>.lock`) per batch, so concurrent chunks never interleave. Rewrites cost a pass over the file; they
 * happen only on replay (about one batch per partition after a crash) or when a source repeats a key.
 */
export class FileTarget {
  private keys = new Set<string>();
  private scanned: { ino: number; size: number } | null = null;
  private readonly gzip: boolean;

  constructor(
    private readonly path: string,
    private readonly format: Exclude<FileFormat, 'json'>,
    private readonly endpoint: FileEndpoint,
    private readonly log: Logger,
  ) {
    this.gzip = endpoint.compression === 'gzip' || (endpoint.compression === 'auto' && /\.gz(ip)?$/i.test(path));
  }

  async prepare(schema: ObjectSchema): Promise<void> {
    await fs.mkdir(dirname(this.path), { recursive: true });
    await this.locked(async () => {
      const have = await fs.stat(this.path).catch(() => null);
      if (have) return;
      await fs.writeFile(this.path, this.format === 'csv' && this.endpoint.csv.header ? this.encode(this.header(schema)) : '');
    });
  }

  private header(schema: ObjectSchema): string {
    const { delimiter, quote } = this.endpoint.csv;
    return csvLine(
      schema.fields.map((f) => f.name),
      delimiter,
      quote,
    );
  }

  private encode(text: string): Buffer {
    return this.gzip ? gzipSync(text) : Buffer.from(text);
  }

  private line(schema: ObjectSchema, row: Row): string {
    if (this.format === 'ndjson') return `${JSON.stringify(ndjsonRecord(schema, row))}\n`;
    const { delimiter, quote } = this.endpoint.csv;
    return csvLine(
      schema.fields.map((f) => row[f.name]),
      delimiter,
      quote,
    );
  }

  /** Values that do not fit their field's type, or a missing key, make the row a rejected record (never thrown). */
  private checked(schema: ObjectSchema, rows: Row[]): { ok: Map<string, Row>; rejected: RejectedRecord[] } {
    const ok = new Map<string, Row>();
    const rejected: RejectedRecord[] = [];
    for (const row of rows) {
      try {
        const clean: Row = { ...row };
        for (const f of schema.fields) clean[f.name] = coerce(row[f.name], f.type);
        const key = keyText(clean, schema.key);
        if (key === null || schema.key.some((k) => clean[k] === null)) throw new Error(`key (${schema.key.join(', ')}) missing`);
        ok.delete(key); // the last of a key in one batch wins, at the end like an upsert
        ok.set(key, clean);
      } catch (err) {
        rejected.push({ row, error: (err as Error).message });
      }
    }
    return { ok, rejected };
  }

  async write(schema: ObjectSchema, rows: Row[]): Promise<WriteOutcome> {
    const { ok, rejected } = this.checked(schema, rows);
    if (ok.size === 0) return { written: 0, rejected };
    const text = [...ok.values()].map((r) => this.line(schema, r)).join('');
    await this.locked(async () => {
      await this.refreshKeys(schema);
      const replayed = [...ok.keys()].filter((k) => this.keys.has(k));
      if (replayed.length) await this.rewriteWithout(schema, new Set(replayed), text);
      else await fs.appendFile(this.path, this.encode(text));
      for (const k of ok.keys()) this.keys.add(k);
      const st = await fs.stat(this.path);
      this.scanned = { ino: st.ino, size: st.size };
    });
    return { written: ok.size, rejected };
  }

  /** Records of the file from byte `start` (a record boundary, or a gzip member boundary). */
  private scan(schema: ObjectSchema, start: number): AsyncIterable<RawRecord> {
    const csvHeaderRead = this.format === 'csv' && this.endpoint.csv.header && start === 0;
    return decodeRecords(createReadStream(this.path, { start }), {
      format: this.format,
      compression: this.gzip ? 'gzip' : 'none',
      start,
      lineBefore: 0,
      csv: this.endpoint.csv,
      ...(this.format === 'csv' && !csvHeaderRead ? { columns: schema.fields.map((f) => f.name) } : {}),
    });
  }

  private keyOfRecord(schema: ObjectSchema, value: Record<string, unknown>): string | null {
    const row: Row = {};
    for (const k of schema.key) {
      const f = schema.fields.find((x) => x.name === k)!;
      row[k] = coerce(value[k] as Value, f.type);
    }
    return keyText(row, schema.key);
  }

  /** Brings the key index up to the file as it is now (other writers may have appended or rewritten it). */
  private async refreshKeys(schema: ObjectSchema): Promise<void> {
    const st = await fs.stat(this.path).catch(() => null);
    if (!st) throw schemaError(`target file ${this.path} disappeared (prepare creates it)`, C);
    let from = this.scanned && this.scanned.ino === st.ino && st.size >= this.scanned.size ? this.scanned.size : 0;
    if (from === 0) this.keys = new Set();
    if (from === st.size) return;
    if (from === 0 && this.scanned) this.log.info({ file: this.path }, 'file target: rescanning the key index (the file was rewritten)');
    for await (const r of this.scan(schema, from)) {
      if (!r.value) throw schemaError(`target file ${this.path} holds a record it cannot read (${r.error}): refusing to write to it`, C);
      const k = this.keyOfRecord(schema, r.value);
      if (k !== null) this.keys.add(k);
    }
    from = st.size;
    this.scanned = { ino: st.ino, size: from };
  }

  /** Copies the file without the records of `drop`, appends `tail`, and renames the copy over the original. */
  private async rewriteWithout(schema: ObjectSchema, drop: Set<string>, tail: string): Promise<void> {
    this.log.info(
      { file: this.path, replaced: drop.size },
      'file target: batch holds keys already written (a replay): rewriting the file so each key is written once',
    );
    const tmp = `${this.path}.tmp-${process.pid}-${Date.now()}`;
    const text = Readable.from(this.textWithout(schema, drop, tail));
    const out = createWriteStream(tmp);
    await (this.gzip ? pipeline(text, createGzip(), out) : pipeline(text, out));
    await fs.rename(tmp, this.path);
  }

  private async *textWithout(schema: ObjectSchema, drop: Set<string>, tail: string): AsyncIterable<string> {
    const { delimiter, quote, header } = this.endpoint.csv;
    if (this.format === 'csv' && header) yield this.header(schema);
    for await (const r of this.scan(schema, 0)) {
      const k = this.keyOfRecord(schema, r.value!);
      if (k !== null && drop.has(k)) {
        this.keys.delete(k);
        continue;
      }
      yield this.format === 'ndjson'
        ? `${JSON.stringify(r.value)}\n`
        : csvLine(
            schema.fields.map((f) => r.value![f.name] as Value),
            delimiter,
            quote,
          );
    }
    yield tail;
  }

  /**
   * Dead letters beside the file, one NDJSON record each: `<path>.dead-letters.ndjson`, each with the dead
   * letter's identity as `id`: a batch replayed after a crash finds its letters there and adds no copies.
   */
  async quarantine(records: QuarantinedRecord[]): Promise<void> {
    if (records.length === 0) return;
    const file = `${this.path}.dead-letters.ndjson`;
    const now = new Date().toISOString();
    await this.locked(async () => {
      const seen = await deadLetterIdsIn(file);
      const text = records
        .map((r) => ({ id: deadLetterId(r, this.path), r }))
        .filter(({ id }) => !seen.has(id) && seen.add(id))
        .map(({ id, r }) =>
          JSON.stringify({
            id,
            job: r.job,
            run_id: r.runId,
            partition: r.partition,
            record_key: r.key,
            stage: r.stage,
            error: r.error,
            record: rowToJsonSafe(r.record),
            created_at: now,
          }),
        );
      if (text.length > 0) await fs.appendFile(file, `${text.join('\n')}\n`);
    });
  }

  /** Runs fn holding `<path>.lock` (O_EXCL create); a lock older than LOCK_STALE_MS is a crashed writer's. */
  private async locked<T>(fn: () => Promise<T>): Promise<T> {
    const lock = `${this.path}.lock`;
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      try {
        await (await fs.open(lock, 'wx')).close();
        break;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') throw configError(`cannot create ${lock}: the directory does not exist`, C);
        if (code !== 'EEXIST') throw transientError(`cannot take ${lock}: ${code}`, C, err);
        const st = await fs.stat(lock).catch(() => null);
        if (st && Date.now() - st.mtimeMs > LOCK_STALE_MS) await fs.rm(lock, { force: true });
        if (Date.now() > deadline) throw transientError(`${lock} held for more than ${LOCK_WAIT_MS / 1000} s`, C);
        await new Promise((r) => setTimeout(r, 10 + Math.random() * 20));
      }
    }
    try {
      return await fn();
    } finally {
      await fs.rm(lock, { force: true });
    }
  }
}

/** The ids of the dead letters already in the file (streamed; dead letters are few next to the data). */
async function deadLetterIdsIn(file: string): Promise<Set<string>> {
  const ids = new Set<string>();
  const exists = await fs.stat(file).then(
    () => true,
    () => false,
  );
  if (!exists) return ids;
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line) continue;
    const id = (JSON.parse(line) as { id?: unknown }).id;
    if (typeof id === 'string') ids.add(id);
  }
  return ids;
}
