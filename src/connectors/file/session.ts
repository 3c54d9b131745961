import { configError, schemaError, transientError } from '../../errors';
import type { Logger } from '../../logging';
import type { Cursor, FieldSchema, KeyRange, ObjectSchema, QuarantinedRecord, Row, RowBatch, WriteOutcome } from '../../model/types';
import type { ConnectorSession, ResolvedConnection } from '../contract';
import { RecordInference } from './infer';
import { exists, localPath, openBytes, shownUrl, statLocal } from './location';
import { decodeRecords, type RawRecord } from './records';
import { RecordReader } from './reader';
import { FILE_FORMATS, LINE_FIELD, formatOfName, isHttp, keyOf, type FileEndpoint, type FileFormat } from './spec';
import { FileTarget } from './target';

const C = 'file';
/** Cuts in a row without a new record before a read gives up (and the engine's retry takes over). */
const MAX_IDLE_REOPENS = 3;
const REOPEN_PAUSE_MS = 1_000;
/** Marks a TransientError raised because the bytes stopped mid-read (as opposed to failing to open). */
const CUT = Symbol('file.cut');
const isCut = (err: unknown) => typeof err === 'object' && err !== null && (err as { [CUT]?: boolean })[CUT] === true;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Where a read stopped: the last record's line, and the byte offset after it when the bytes can be seeked. */
interface FileCursor {
  line: number;
  offset?: number;
}

function cursorOf(after: Cursor | null): FileCursor {
  if (after === null) return { line: 0 };
  const c = after as unknown as FileCursor;
  if (typeof c !== 'object' || typeof c.line !== 'number') throw configError(`cursor ${JSON.stringify(after)} is not a file cursor {line, offset?}`, C);
  return c;
}

const FORMAT_OF_TYPE: [RegExp, FileFormat][] = [
  [/ndjson|jsonl|jsonlines|x-ndjson/i, 'ndjson'],
  [/json/i, 'json'],
  [/csv/i, 'csv'],
];

export class FileSession implements ConnectorSession {
  private readonly name: string;
  private readonly headers: Record<string, string>;
  private format: FileFormat | null;
  private target: FileTarget | null = null;

  constructor(
    private readonly endpoint: FileEndpoint,
    connection: ResolvedConnection,
    private readonly log: Logger,
  ) {
    this.name = shownUrl(endpoint.url);
    this.headers = (connection.headers as Record<string, string> | undefined) ?? {};
    this.format = endpoint.format ?? formatOfName(endpoint.url);
  }

  async check(): Promise<void> {
    const path = localPath(this.endpoint.url);
    if (path === null) {
      const opened = await openBytes(this.endpoint.url, this.headers);
      (opened.bytes as unknown as { destroy(): void }).destroy();
    } else if (await exists(path, {})) await statLocal(path);
  }

  /** The format the endpoint names, its extension shows, or (http) its content-type says. */
  private async formatOf(contentType?: string): Promise<FileFormat> {
    if (this.format) return this.format;
    const byType = contentType && FORMAT_OF_TYPE.find(([re]) => re.test(contentType));
    if (byType) return (this.format = byType[1]);
    throw configError(
      `cannot tell the format of ${this.name} from its name${contentType ? ` or content-type ${contentType}` : ''}: set format (${FILE_FORMATS.join(', ')})`,
      C,
    );
  }

  /**
   * Records from `cursor` on, surviving cuts: when the bytes stop coming mid-file (a server closing the
   * connection, a reset), the file is opened again after the last record handed out — by Range/seek when its
   * offset is known, else re-read and skipped — so one long scan (validation reads the whole file in one pass)
   * does not fail the run. Why cuts happen on a healthy server: node:http (like nginx's keepalive_timeout)
   * starts its keep-alive idle timer once the response is handed to the kernel, then closes the connection;
   * a reader still working through the buffered tail (gunzip and parsing slower than the socket) sees
   * "other side closed" / "terminated" from fetch. Each reopen must make progress: MAX_IDLE_REOPENS cuts in a
   * row at the same line end the read with the TransientError (the engine retries it from its own cursor).
   */
  private async *records(from: FileCursor): AsyncIterable<RawRecord> {
    let cursor = from;
    let idleReopens = 0;
    for (;;) {
      let last: RawRecord | null = null;
      try {
        for await (const r of this.recordsOnce(cursor)) {
          last = r;
          yield r;
        }
        return;
      } catch (err) {
        if (!isCut(err)) throw err;
        const progressed = last !== null;
        if (last) cursor = { line: last.line, ...(last.end !== undefined ? { offset: last.end } : {}) };
        idleReopens = progressed ? 0 : idleReopens + 1;
        if (idleReopens >= MAX_IDLE_REOPENS) throw err;
        this.log.warn(
          { object: this.name, line: cursor.line, error: (err as Error).message },
          `file: the bytes of ${this.name} stopped after line ${cursor.line}; opening it again from there`,
        );
        if (!progressed) await sleep(REOPEN_PAUSE_MS * idleReopens);
      }
    }
  }

  /** Records from `cursor` on in one pass over the bytes: seeks when it can, else re-reads from the start and skips to the cursor (logged). */
  private async *recordsOnce(cursor: FileCursor): AsyncIterable<RawRecord> {
    const seek = cursor.offset !== undefined ? cursor.offset : 0;
    const opened = await openBytes(this.endpoint.url, this.headers, seek);
    const format = await this.formatOf(opened.contentType);
    const seeked = seek > 0 && opened.start === seek;
    if (cursor.line > 0 && !seeked)
      this.log.info(
        { object: this.name, line: cursor.line },
        `file: resuming by re-reading ${this.name} from the start and skipping ${cursor.line} lines (no seekable offset for this file)`,
      );
    const decoded = decodeRecords(opened.bytes, {
      format,
      compression: this.endpoint.compression,
      start: opened.start,
      lineBefore: seeked ? cursor.line : 0,
      csv: this.endpoint.csv,
    });
    let line = cursor.line;
    try {
      for await (const r of decoded) {
        if (r.line <= cursor.line) continue;
        line = r.line;
        yield r;
      }
    } catch (err) {
      const e = err as { kind?: string; message: string };
      if (e.kind === 'TransientError') throw Object.assign(transientError(`${this.name}: reading after line ${line}: ${e.message}`, C, err), { [CUT]: true });
      if (e.kind) throw err;
      // A parser error: the data is broken there (a truncated JSON array, an unbalanced CSV quote, bad gzip).
      throw configError(`${this.name}: cannot read as ${format} after line ${line}: ${e.message}`, C);
    }
  }

  async describe(): Promise<ObjectSchema | null> {
    if (!(await exists(this.endpoint.url, this.headers))) return null;
    const key = keyOf(this.endpoint);
    let fields: FieldSchema[] = [];
    if (this.endpoint.schema) fields = this.endpoint.schema.map((f) => ({ ...f }));
    else {
      // Created at the first record, when the format (CSV cells are text) is known.
      let inference: RecordInference | null = null;
      for await (const r of this.records({ line: 0 })) {
        inference ??= new RecordInference(this.format === 'csv');
        if (r.value) inference.add(r.value);
        if (inference.records >= this.endpoint.sampleSize) break;
      }
      fields = inference?.fields(key) ?? [];
    }
    if (key[0] === LINE_FIELD) fields.unshift({ name: LINE_FIELD, type: 'int64', nullable: false, nativeType: 'line number', nativeOf: 'file' });
    const missing = key.filter((k) => !fields.some((f) => f.name === k));
    if (missing.length && fields.length > 0)
      throw schemaError(`${this.name}: key field(s) ${missing.join(', ')} not found in the first ${this.endpoint.sampleSize} records`, C);
    // CSV rows cannot hold more than the header's columns; JSON records may hold fields the sample did not see.
    return { object: this.name, key, fields, open: this.format !== 'csv' };
  }

  /** A file is read front to back: one partition (say so when more were asked). */
  async planPartitions(_schema: ObjectSchema, count: number): Promise<KeyRange[]> {
    if (count > 1) this.log.info({ object: this.name, asked: count }, 'file: one partition (a file is read sequentially)');
    return [{ id: 0, lower: null, upper: null }];
  }

  async *read(schema: ObjectSchema, _range: KeyRange, after: Cursor | null, batchSize: number): AsyncIterable<RowBatch> {
    const reader = new RecordReader(schema, (await this.formatOf()) === 'csv');
    let pending: RawRecord[] = [];
    const batch = (): RowBatch => {
      const last = pending[pending.length - 1]!;
      const cursor: FileCursor = { line: last.line, ...(last.end !== undefined ? { offset: last.end } : {}) };
      const out = { ...reader.batch(pending), cursor: cursor as unknown as Cursor };
      pending = [];
      return out;
    };
    for await (const r of this.records(cursorOf(after))) {
      pending.push(r);
      if (pending.length >= batchSize) yield batch();
    }
    if (pending.length) yield batch();
  }

  private targetOf(): FileTarget {
    const path = localPath(this.endpoint.url);
    if (path === null || isHttp(this.endpoint.url)) throw configError(`${this.name}: a file target must be a local path or file:// URL`, C);
    const format = this.format ?? 'ndjson';
    if (format === 'json') throw configError(`${this.name}: a JSON array cannot be appended to batch by batch; write ndjson (or csv) instead`, C);
    return (this.target ??= new FileTarget(path, format, this.endpoint, this.log));
  }

  async prepare(schema: ObjectSchema): Promise<void> {
    await this.targetOf().prepare(schema);
  }

  async write(schema: ObjectSchema, rows: Row[]): Promise<WriteOutcome> {
    return this.targetOf().write(schema, rows);
  }

  async quarantine(records: QuarantinedRecord[]): Promise<void> {
    await this.targetOf().quarantine(records);
  }

  async close(): Promise<void> {
    // Every read and write opens and closes its own file handles.
  }
}

export async function openFile(endpoint: FileEndpoint, connection: ResolvedConnection, log: Logger): Promise<ConnectorSession> {
  return new FileSession(endpoint, connection, log);
}
