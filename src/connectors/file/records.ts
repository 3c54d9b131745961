import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { transientError } from '../../errors';
import { isPlainObject } from '../../model/values';
import type { FileFormat } from './spec';

/** One record as the file holds it, before it meets the schema. */
export interface RawRecord {
  /** NDJSON and CSV: the line the record ends on; JSON: the element number (1-based). */
  line: number;
  value: Record<string, unknown> | null;
  /** Why the record could not be parsed (value is null); names the line. */
  error?: string;
  /** The text of a malformed record (cut short), kept for the dead letter. */
  text?: string;
  /** Byte offset just after the record, when offsets are known (uncompressed NDJSON). */
  end?: number;
}

export interface DecodeOptions {
  format: FileFormat;
  compression: 'auto' | 'gzip' | 'none';
  /** Byte offset the bytes start at and the number of the line before them (resume by seek). */
  start: number;
  lineBefore: number;
  csv: { delimiter: string; header: boolean; quote: string; skipEmptyLines: boolean };
  /** CSV without a header line at the start of these bytes (a seeked read): the column names. */
  columns?: string[];
}

const GZIP_MAGIC = [0x1f, 0x8b];
const MAX_LINE = 64 << 20;

/** Records of a byte stream, one at a time: memory is bounded by one record (and the parser's buffer). */
export async function* decodeRecords(bytes: AsyncIterable<Buffer>, o: DecodeOptions): AsyncIterable<RawRecord> {
  const { stream, gzip } = await decompressed(bytes, o.compression);
  if (o.format === 'ndjson') yield* ndjson(stream, gzip ? null : o.start, o.lineBefore);
  else if (o.format === 'csv') yield* csv(stream, o);
  else yield* jsonArray(stream);
}

/** Bytes as they are, or gunzipped when asked or (auto) when they start with the gzip magic bytes. */
export async function decompressed(bytes: AsyncIterable<Buffer>, compression: DecodeOptions['compression']) {
  const it = bytes[Symbol.asyncIterator]();
  const first = await it.next();
  const head: Buffer = first.done ? Buffer.alloc(0) : first.value;
  const gzip = compression === 'gzip' || (compression === 'auto' && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1]);
  async function* all() {
    try {
      if (head.length) yield head;
      for (;;) {
        let r: IteratorResult<Buffer>;
        try {
          r = await it.next();
        } catch (err) {
          // The bytes stopped coming (a connection reset, an aborted HTTP body, a read error): retried, not the data's fault.
          throw transientError(`the bytes stopped: ${(err as Error).message}`, 'file', err);
        }
        if (r.done) break;
        yield r.value;
      }
    } finally {
      await it.return?.(); // a reader that stops early closes the file or the HTTP body
    }
  }
  const raw = Readable.from(all(), { objectMode: false });
  if (!gzip) return { stream: raw, gzip };
  // Concatenated gzip members (a file appended to batch by batch) gunzip as one stream. pipeline, not pipe:
  // an error of the bytes (an aborted HTTP body) must reach the reader, not escape as an unhandled 'error'.
  const gunzip = createGunzip();
  pipeline(raw, gunzip, () => undefined);
  return { stream: gunzip, gzip };
}

async function* lines(stream: AsyncIterable<Buffer>): AsyncIterable<{ text: Buffer; bytes: number }> {
  let pending: Buffer[] = [];
  let pendingLength = 0;
  for await (const chunk of stream) {
    let from = 0;
    for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a, from)) {
      const part = chunk.subarray(from, nl);
      const text = pending.length ? Buffer.concat([...pending, part]) : part;
      pending = [];
      pendingLength = 0;
      yield { text, bytes: text.length + 1 };
      from = nl + 1;
    }
    if (from < chunk.length) {
      pending.push(chunk.subarray(from));
      pendingLength += chunk.length - from;
      if (pendingLength > MAX_LINE) throw new Error(`a line longer than ${MAX_LINE} bytes: not NDJSON`);
    }
  }
  if (pendingLength) yield { text: Buffer.concat(pending), bytes: pendingLength };
}

const cut = (s: string) => (s.length > 2000 ? `${s.slice(0, 2000)}…` : s);

async function* ndjson(stream: AsyncIterable<Buffer>, start: number | null, lineBefore: number): AsyncIterable<RawRecord> {
  let line = lineBefore;
  let offset = start;
  for await (const l of lines(stream)) {
    line++;
    if (offset !== null) offset += l.bytes;
    const text = l.text.toString('utf8').replace(/\r$/, '');
    if (text.trim() === '') continue;
    const end = offset ?? undefined;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      yield { line, value: null, error: `line ${line}: malformed JSON (${(err as Error).message})`, text: cut(text), end };
      continue;
    }
    if (isPlainObject(value)) yield { line, value, end };
    else yield { line, value: null, error: `line ${line}: not a JSON object`, text: cut(text), end };
  }
}

async function* csv(stream: Readable, o: DecodeOptions): AsyncIterable<RawRecord> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { parse } = require('csv-parse') as typeof import('csv-parse');
  const parser = stream.pipe(
    parse({
      delimiter: o.csv.delimiter,
      quote: o.csv.quote,
      skip_empty_lines: o.csv.skipEmptyLines,
      relax_column_count: true,
      info: true,
      bom: true,
      // An unquoted empty cell is null, a quoted one ("") the empty string.
      cast: (value, ctx) => (value === '' && !ctx.quoting ? (null as unknown as string) : value),
    }),
  );
  stream.on('error', (e) => parser.destroy(e));
  let columns = o.columns ?? null;
  const needHeader = o.csv.header && !o.columns;
  for await (const { record, info } of parser as AsyncIterable<{ record: (string | null)[]; info: { lines: number } }>) {
    const line = o.lineBefore + info.lines;
    if (!columns) {
      columns = needHeader ? record.map((c, i) => c ?? `c${i + 1}`) : record.map((_, i) => `c${i + 1}`);
      if (needHeader) continue;
    }
    if (record.length !== columns.length) {
      yield { line, value: null, error: `line ${line}: ${record.length} fields where the header has ${columns.length}`, text: cut(JSON.stringify(record)) };
      continue;
    }
    yield { line, value: Object.fromEntries(columns.map((c, i) => [c, record[i]])) };
  }
}

async function* jsonArray(stream: Readable): AsyncIterable<RawRecord> {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { parser } = require('stream-json') as { parser: () => NodeJS.ReadWriteStream };
  const { streamArray } = require('stream-json/streamers/StreamArray') as { streamArray: () => NodeJS.ReadWriteStream };
  /* eslint-enable @typescript-eslint/no-require-imports */
  const p = parser();
  const elements = stream.pipe(p).pipe(streamArray());
  stream.on('error', (e) => p.emit('error', e));
  p.on('error', (e) => elements.emit('error', e));
  let line = 0;
  for await (const { key, value } of elements as AsyncIterable<{ key: number; value: unknown }>) {
    line = key + 1;
    if (isPlainObject(value)) yield { line, value: value as Record<string, unknown> };
    else yield { line, value: null, error: `record ${line}: not a JSON object`, text: cut(JSON.stringify(value) ?? String(value)) };
  }
}
