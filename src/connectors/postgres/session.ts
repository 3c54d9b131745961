import type { Pool, PoolClient } from 'pg';
import { givePool, takePool } from './pools';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { configError, schemaError } from '../../errors';
import type { ConnectorSession, ResolvedConnection } from '../contract';
import { keyFieldsOf, keyLabel } from '../../model/keys';
import { rowToJsonSafe } from '../../model/json-safe';
import { deadLetterId } from '../dead-letter-id';
import type {
  Cursor,
  FieldSchema,
  FieldType,
  KeyRange,
  ObjectSchema,
  QuarantinedRecord,
  RawBatch,
  RejectedRecord,
  Row,
  RowBatch,
  WriteOutcome,
} from '../../model/types';
import { classifyPgError, isDataError } from './errors';
import type { PostgresEndpoint } from './spec';
import { neutralTypeOf, pgColumnType, toPgText } from './types';
import { COPY_TEXT, lastRowField } from './copy-text';
import { cursorOf, keyList, pageQuery, q, type KeyCursor } from '../sql/keyset';
import { boundKindOf, incrementalPageQuery, watermarkOfRow } from '../sql/incremental';
import type { IncrementalWindow } from '../../incremental/window';
import type { KeyValue } from '../../model/types';
import { addForeignKeyTo, foreignKeysOf } from './catalog';
import { digestQuery, digestMethodOf, type DigestMethod } from './digest';
import { copyLineWriter } from './copy-lines';
import { copyRowParser, encodedFieldsParser } from './copy-rows';
import { encodedOf, withoutEncoded } from '../../model/encoded';
import { sumToHex, type Digest } from '../../validation/digest';
import type { ForeignKey, TargetForeignKey } from '../contract';

const DEAD_LETTERS = '_datamigrato_dead_letters';
const UNIQUE_VIOLATION = '23505';

export class PostgresSession implements ConnectorSession {
  private readonly pool: Pool;
  private readonly table: string;
  /** What reads select from: the table, or a query source as a subquery (`(query) AS q`). */
  private readonly from: string;

  constructor(
    private readonly endpoint: PostgresEndpoint,
    private readonly url: string,
  ) {
    this.pool = takePool(url);
    this.from = endpoint.query ? `(${endpoint.query}) AS q` : `${q(endpoint.schema)}.${q(endpoint.table!)}`;
    this.table = endpoint.query ? this.from : `${q(endpoint.schema)}.${q(endpoint.table!)}`;
  }

  private get name() {
    return this.endpoint.query ? 'query' : `${this.endpoint.schema}.${this.endpoint.table}`;
  }

  private async withClient<T>(what: string, fn: (c: PoolClient) => Promise<T>): Promise<T> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw classifyPgError(err, `connect for ${what}`);
    }
    let broken: Error | undefined;
    try {
      return await fn(client);
    } catch (err) {
      // The server reported it (a SQLSTATE): the connection is ready for the next statement. Anything else (a
      // socket gone, a statement abandoned) closes the connection rather than handing it to the next session.
      if (!(err as { code?: unknown }).code) broken = err as Error;
      throw classifyPgError(err, `${what} ${this.name}`);
    } finally {
      client.release(broken);
    }
  }

  async check(): Promise<void> {
    await this.withClient('check', (c) => c.query('SELECT 1'));
  }

  async foreignKeys(): Promise<ForeignKey[]> {
    if (this.endpoint.query) return [];
    return this.withClient('read foreign keys of', (c) => foreignKeysOf(c, this.table));
  }

  async addForeignKey(fk: TargetForeignKey): Promise<'added' | 'exists'> {
    if (this.endpoint.query) throw configError('target.query: a query source cannot be a target', 'postgres');
    return this.withClient(`add foreign key ${fk.name} to`, (c) => addForeignKeyTo(c, this.table, fk));
  }

  async describe(): Promise<ObjectSchema | null> {
    if (this.endpoint.query) return this.withClient('describe', (c) => this.describeQuery(c));
    return this.withClient('describe', async (c) => {
      const rel = await c.query<{ oid: number | null }>('SELECT to_regclass($1)::oid AS oid', [this.table]);
      const oid = rel.rows[0]?.oid;
      if (!oid) return null;
      const cols = await c.query<{ name: string; native: string; typname: string; nullable: boolean }>(
        `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS native,
                CASE WHEN t.typtype = 'd' THEN bt.typname ELSE t.typname END AS typname, NOT a.attnotnull AS nullable
           FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_type bt ON bt.oid = t.typbasetype
          WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
        [oid],
      );
      const pk = await c.query<{ name: string }>(
        `SELECT a.attname AS name FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
          WHERE i.indrelid = $1 AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)`,
        [oid],
      );
      const fields: FieldSchema[] = cols.rows.map((r) => ({
        name: r.name,
        type: neutralTypeOf(r.typname),
        nullable: r.nullable,
        nativeType: r.native,
        nativeOf: 'postgres',
      }));
      return this.schemaWithKey(fields, keyList(this.endpoint.key) ?? pk.rows.map((r) => r.name));
    });
  }

  private schemaWithKey(fields: FieldSchema[], key: string[]): ObjectSchema {
    if (key.length === 0) throw schemaError(`${this.name} has no primary key; set "key" to the column(s) unique and non-null per row`, 'postgres');
    const unknown = key.filter((k) => !fields.some((f) => f.name === k));
    if (unknown.length) throw schemaError(`key column(s) ${unknown.map((k) => `"${k}"`).join(', ')} not found in ${this.name}`, 'postgres');
    return { object: this.name, fields, key };
  }

  /** A query source's result columns: their type OIDs (from a LIMIT 0 run) through the same type tables as a table's. */
  private async describeQuery(c: PoolClient): Promise<ObjectSchema> {
    const res = await c.query(`SELECT * FROM ${this.from} LIMIT 0`);
    const types = await c.query<{ native: string; typname: string }>(
      `SELECT format_type(f.oid, f.mod) AS native, CASE WHEN t.typtype = 'd' THEN bt.typname ELSE t.typname END AS typname
         FROM unnest($1::oid[], $2::int[]) WITH ORDINALITY AS f(oid, mod, i)
         JOIN pg_type t ON t.oid = f.oid LEFT JOIN pg_type bt ON bt.oid = t.typbasetype ORDER BY f.i`,
      [res.fields.map((f) => f.dataTypeID), res.fields.map((f) => f.dataTypeModifier)],
    );
    const key = keyList(this.endpoint.key)!;
    const fields: FieldSchema[] = res.fields.map((f, i) => ({
      name: f.name,
      type: neutralTypeOf(types.rows[i]!.typname),
      nullable: !key.includes(f.name), // a query's columns carry no NOT NULL; the key is non-null by contract
      nativeType: types.rows[i]!.native,
      nativeOf: 'postgres',
    }));
    return this.schemaWithKey(fields, key);
  }

  /** Ranges of the leading key column, so every row of one leading value falls in one range. */
  async planPartitions(schema: ObjectSchema, count: number): Promise<KeyRange[]> {
    const keyField = keyFieldsOf(schema)[0]!;
    const key = q(keyField.name);
    return this.withClient('plan partitions of', async (c) => {
      // A query has no statistics of its own: it is counted.
      const est = this.endpoint.query
        ? await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.from}`)
        : await c.query<{ n: string }>(
            `SELECT CASE WHEN reltuples >= 0 THEN reltuples::bigint ELSE (SELECT count(*) FROM ${this.table}) END AS n
               FROM pg_class WHERE oid = to_regclass($1)`,
            [this.table],
          );
      const total = Number(est.rows[0]?.n ?? 0);
      let bounds: (string | number)[] = [];
      if (count > 1 && (keyField.type === 'int32' || keyField.type === 'int64')) {
        const mm = await c.query<{ lo: string | null; hi: string | null }>(`SELECT min(${key})::text AS lo, max(${key})::text AS hi FROM ${this.from}`);
        const { lo, hi } = mm.rows[0]!;
        if (lo !== null && hi !== null) {
          const [l, h] = [BigInt(lo), BigInt(hi)];
          const step = (h - l + 1n) / BigInt(count);
          if (step > 0n) for (let i = 1; i < count; i++) bounds.push((l + step * BigInt(i) - 1n).toString());
        }
        if (keyField.type === 'int32') bounds = bounds.map(Number);
      } else if (count > 1) {
        const fractions = Array.from({ length: count - 1 }, (_, i) => (i + 1) / count);
        // As JSON: the session's type parsers pass arrays through as PostgreSQL text ("{a,b}"), which is not a list.
        const pct = await c.query<{ b: string[] | null }>(
          `SELECT array_to_json((percentile_disc($1::float8[]) WITHIN GROUP (ORDER BY ${key}))::text[]) AS b FROM ${this.from}`,
          [fractions],
        );
        bounds = [...new Set(pct.rows[0]?.b ?? [])];
      }
      const ranges: KeyRange[] = [];
      let lower: string | number | null = null;
      for (const upper of [...bounds, null]) {
        ranges.push({ id: ranges.length, lower, upper, estimatedRows: Math.round(total / (bounds.length + 1)) });
        lower = upper;
      }
      return ranges;
    });
  }

  /**
   * Keyset pagination (each page an index range scan, so memory and latency stay flat however deep we are), each
   * page read as COPY text and parsed into rows by the columns' own types (copy-rows.ts): the values the row
   * protocol gives, with a fraction of its per-field cost. The `encoded` fields are not parsed: selected last, their
   * text is each row's ENCODED tail, for a target of this format to write as it is.
   */
  async *read(schema: ObjectSchema, range: KeyRange, after: Cursor | null, batchSize: number, encoded: readonly string[] = []): AsyncIterable<RowBatch> {
    const actual = await this.columnTypes(schema);
    // The fields left encoded come last, so that one slice of each line is their text.
    const decoded = schema.fields.flatMap((f, i) => (encoded.includes(f.name) ? [] : [{ name: f.name, type: actual[i]! }]));
    const cols = [...decoded.map((f) => f.name), ...encoded].map(q).join(', ');
    const parse = copyRowParser(
      decoded.map((f) => f.name),
      decoded.map((f) => f.type),
      encoded.length > 0,
    );
    let cursor = after as KeyCursor | null;
    for (;;) {
      const rows = parse(await this.copyPage(schema.key, cols, range, cursor, batchSize));
      if (rows.length === 0) return;
      cursor = cursorOf(rows[rows.length - 1]!, schema.key);
      yield { rows, cursor };
      if (rows.length < batchSize) return;
    }
  }

  /** One keyset page as COPY text. COPY takes no bind parameters, so the bounds are inlined as escaped literals. */
  private copyPage(key: readonly string[], cols: string, range: KeyRange, cursor: KeyCursor | null, batchSize: number): Promise<Buffer> {
    return this.withClient('read', async (c) => {
      const sql = pageQuery(this.from, cols, key, range, cursor, batchSize, (v) => c.escapeLiteral(String(v)));
      const parts: Buffer[] = [];
      for await (const part of c.query(copyTo(`COPY (${sql}) TO STDOUT`))) parts.push(part as Buffer);
      return Buffer.concat(parts);
    });
  }

  /**
   * The neutral types the server's columns really have (a target read for validation may differ from the schema
   * it is expected to have): read once per session from the catalog, as the row protocol would go by type OIDs.
   */
  private described: Promise<ObjectSchema | null> | null = null;
  private async columnTypes(schema: ObjectSchema): Promise<FieldType[]> {
    this.described ??= this.describe();
    const actual = new Map(((await this.described)?.fields ?? []).map((f) => [f.name, f.type]));
    return schema.fields.map((f) => actual.get(f.name) ?? f.type);
  }

  /**
   * Validation pushdown: the server counts and hashes the range (digest.ts); nothing but two numbers comes back.
   * Each column is rendered by the type the table really has: a target made before the job may differ from the
   * source (integer for numeric…), and the digests then differ rather than the query fail.
   */
  async digestRange(schema: ObjectSchema, range: KeyRange, fields: readonly string[]): Promise<Digest> {
    const types = await this.columnTypes(schema);
    const actual: ObjectSchema = { ...schema, fields: schema.fields.map((f, i) => ({ ...f, type: types[i]! })) };
    this.digestMethod ??= this.withClient('checksum', async (c) =>
      digestMethodOf(Number((await c.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`)).rows[0]!.v)),
    );
    const params: unknown[] = [];
    const sql = digestQuery(this.from, actual, fields, range, (v) => `$${params.push(v)}`, await this.digestMethod);
    const res = await this.withClient('checksum', (c) => c.query<{ n: string; s: string }>(sql, params));
    const { n, s } = res.rows[0]!;
    return { count: Number(n), sum: sumToHex(BigInt(s)) };
  }

  /** How this server hashes rows for pushdown (digest.ts), asked once per session. */
  private digestMethod: Promise<DigestMethod> | null = null;

  /** The bound from the server's clock (clock_timestamp, not the transaction's now()), in the session's UTC. */
  async incrementalBound(schema: ObjectSchema, cursorField: string, lagSeconds: number): Promise<{ upTo: KeyValue | null; nullRows: number }> {
    const kind = boundKindOf(
      schema.fields.find((f) => f.name === cursorField),
      cursorField,
      'postgres',
    );
    const c = q(cursorField);
    const lagged = `clock_timestamp() - make_interval(secs => $1::float8)`;
    const bound =
      kind === 'max'
        ? { sql: `SELECT max(${c})::text AS b FROM ${this.from}`, params: [] }
        : kind === 'timestamptz'
          ? { sql: `SELECT to_char(${lagged}, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS b`, params: [lagSeconds] }
          : { sql: `SELECT to_char((${lagged})::timestamp, 'YYYY-MM-DD"T"HH24:MI:SS.US') AS b`, params: [lagSeconds] };
    return this.withClient('plan the incremental window of', async (cl) => {
      const b = (await cl.query<{ b: string | null }>(bound.sql, bound.params)).rows[0]?.b ?? null;
      const nulls = await cl.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${this.from} WHERE ${c} IS NULL`);
      const int32 = schema.fields.find((f) => f.name === cursorField)!.type === 'int32';
      return { upTo: b === null ? null : int32 ? Number(b) : b, nullRows: nulls.rows[0]?.n ?? 0 };
    });
  }

  async *readIncremental(schema: ObjectSchema, window: IncrementalWindow, after: Cursor | null, batchSize: number): AsyncIterable<RowBatch> {
    const cols = schema.fields.map((f) => q(f.name)).join(', ');
    let position = after;
    for (;;) {
      const params: unknown[] = [];
      const param = (v: KeyValue) => `$${params.push(v)}`;
      const sql = incrementalPageQuery(this.from, cols, window, position, batchSize, {
        cursor: q(window.cursorField),
        key: schema.key.map(q),
        cursorValue: param,
        keyAfter: (values) =>
          values.length === 1 ? `${q(schema.key[0]!)} > ${param(values[0]!)}` : `(${schema.key.map(q).join(', ')}) > (${values.map(param).join(', ')})`,
        nullsFirst: ' NULLS FIRST',
      });
      const res = await this.withClient('read', (c) => c.query(sql, params));
      if (res.rows.length === 0) return;
      position = watermarkOfRow(res.rows[res.rows.length - 1] as Row, window.cursorField, schema.key);
      yield { rows: res.rows as Row[], cursor: position };
      if (res.rows.length < batchSize) return;
    }
  }

  /** `read` as COPY text: the same keyset pages, but the server's output goes to the target unparsed. */
  async *readRaw(schema: ObjectSchema, range: KeyRange, after: Cursor | null, batchSize: number): AsyncIterable<RawBatch> {
    const keyIndexes = schema.key.map((k) => schema.fields.findIndex((f) => f.name === k));
    const cols = schema.fields.map((f) => q(f.name)).join(', ');
    let cursor = after as KeyCursor | null;
    for (;;) {
      const batch = await this.copyPage(schema.key, cols, range, cursor, batchSize);
      if (batch.length === 0) return;
      let rows = 0;
      for (let i = batch.indexOf(10); i !== -1; i = batch.indexOf(10, i + 1)) rows++;
      // The same cursor type `read` gives, so a chunk may resume from either path.
      const last = keyIndexes.map((i) => {
        const text = lastRowField(batch, i);
        return schema.fields[i]!.type === 'int32' ? Number(text) : text;
      });
      cursor = last.length === 1 ? last[0]! : last;
      yield { format: COPY_TEXT, data: batch, rows, cursor };
      if (rows < batchSize) return;
    }
  }

  async writeRaw(schema: ObjectSchema, batch: RawBatch): Promise<'written' | 'rejected'> {
    if (batch.format !== COPY_TEXT) throw schemaError(`cannot write a ${batch.format} batch`, 'postgres');
    try {
      await this.copyInto(
        schema,
        schema.fields.map((f) => f.name),
        [batch.data],
      );
      return 'written';
    } catch (err) {
      if (isDataError((err as { cause?: unknown }).cause ?? err)) return 'rejected';
      throw err;
    }
  }

  async prepare(schema: ObjectSchema): Promise<void> {
    if (this.endpoint.query) throw configError('target.query: a query source cannot be a target; give target.table', 'postgres');
    await this.withClient('prepare', async (c) => {
      const cols = schema.fields.map((f) => `${q(f.name)} ${pgColumnType(f.type, f.nativeType, f.nativeOf)}${schema.key.includes(f.name) ? ' NOT NULL' : ''}`);
      await c.query(`CREATE SCHEMA IF NOT EXISTS ${q(this.endpoint.schema)}`);
      await c.query(`CREATE TABLE IF NOT EXISTS ${this.table} (${cols.join(', ')}, PRIMARY KEY (${schema.key.map(q).join(', ')}))`);
      // ON CONFLICT needs a unique index on exactly the key's columns (in any order).
      const unique = await c.query(
        `SELECT 1 FROM pg_index i
          WHERE i.indrelid = to_regclass($1) AND i.indisunique AND i.indnatts = cardinality($2::text[])
            AND (SELECT array_agg(a.attname::text) FROM pg_attribute a WHERE a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey))
                @> $2::text[]`,
        [this.table, schema.key],
      );
      if (unique.rowCount === 0) throw schemaError(`target ${this.name} has no unique index on (${keyLabel(schema.key)}): upserts need one`, 'postgres');
      const existing = await c.query<{ name: string }>(
        `SELECT attname AS name FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped`,
        [this.table],
      );
      const have = new Set(existing.rows.map((r) => r.name));
      const missing = schema.fields.filter((f) => !have.has(f.name)).map((f) => f.name);
      if (missing.length) throw schemaError(`target ${this.name} lacks columns: ${missing.join(', ')}`, 'postgres');
    });
  }

  private upsertTail(schema: ObjectSchema): string {
    const others = schema.fields.filter((f) => !schema.key.includes(f.name));
    const set = others.map((f) => `${q(f.name)} = EXCLUDED.${q(f.name)}`).join(', ');
    return `ON CONFLICT (${schema.key.map(q).join(', ')}) DO ${set ? `UPDATE SET ${set}` : 'NOTHING'}`;
  }

  /** COPY text: what `read` leaves encoded, `write` takes as it is (src/model/encoded.ts). */
  readonly encodedFormat = COPY_TEXT;

  /** Columns whose type is the field's: they read the source's COPY text of that type as the decoded value's. */
  async encodedFields(schema: ObjectSchema, fields: readonly string[]): Promise<string[]> {
    if (this.endpoint.writeMode !== 'copy') return [];
    const actual = await this.columnTypes(schema);
    return fields.filter((name) => {
      const i = schema.fields.findIndex((f) => f.name === name);
      return i !== -1 && actual[i] === schema.fields[i]!.type;
    });
  }

  async write(schema: ObjectSchema, rows: Row[], encoded: readonly string[] = []): Promise<WriteOutcome> {
    if (rows.length === 0) return { written: 0, rejected: [] };
    try {
      if (this.endpoint.writeMode === 'copy') await this.writeCopy(schema, rows, encoded);
      else await this.withClient('write', (c) => this.insertRows(c, schema, this.decodeEncoded(schema, rows, encoded)));
      return { written: rows.length, rejected: [] };
    } catch (err) {
      if (!isDataError((err as { cause?: unknown }).cause ?? err)) throw err;
      return this.writeRowByRow(schema, this.decodeEncoded(schema, rows, encoded));
    }
  }

  /** Rows with their encoded fields decoded into values: for parameters of an INSERT, and for dead letters. */
  private decodeEncoded(schema: ObjectSchema, rows: Row[], encoded: readonly string[]): Row[] {
    if (encoded.length === 0) return rows;
    const types = encoded.map((n) => schema.fields.find((f) => f.name === n)!.type);
    const parse = encodedFieldsParser(encoded, types);
    return rows.map((r) => withoutEncoded({ ...r, ...parse(encodedOf(r) ?? '') }));
  }

  private async writeCopy(schema: ObjectSchema, rows: Row[], encoded: readonly string[]): Promise<void> {
    const { columns, write } = this.copyLinesOf(schema, encoded);
    await this.copyInto(schema, columns, write(rows));
  }

  /** The generated COPY text writer of a schema (and its encoded fields), kept for the session (a write per batch, one schema). */
  private copyLines: { schema: ObjectSchema; encoded: string; columns: string[]; write: (rows: readonly Row[]) => Buffer[] } | null = null;
  private copyLinesOf(schema: ObjectSchema, encoded: readonly string[]): { columns: string[]; write: (rows: readonly Row[]) => Buffer[] } {
    const tag = encoded.join('\t');
    if (this.copyLines?.schema !== schema || this.copyLines.encoded !== tag) {
      const decoded = schema.fields.filter((f) => !encoded.includes(f.name));
      this.copyLines = {
        schema,
        encoded: tag,
        columns: [...decoded.map((f) => f.name), ...encoded],
        write: copyLineWriter(
          decoded.map((f) => f.name),
          decoded.map((f) => f.type),
          encoded.length > 0,
        ),
      };
    }
    return this.copyLines;
  }

  /**
   * Until a batch meets a key already in the table, COPY straight into it: half the server's work of the staged
   * upsert (no temp table, no INSERT … SELECT), and COPY is all-or-nothing, so a batch that does meet one
   * (a re-read batch after a crash, a target that already has rows) leaves nothing behind and is upserted
   * instead — as is every later batch of this session, to not pay the failed COPY twice.
   */
  private direct = true;
  private async copyInto(schema: ObjectSchema, columns: readonly string[], payload: readonly Buffer[]): Promise<void> {
    const cols = columns.map(q).join(', ');
    if (this.direct) {
      try {
        await this.withClient('write', (c) => pipeline(Readable.from(payload), c.query(copyFrom(`COPY ${this.table} (${cols}) FROM STDIN`))));
        return;
      } catch (err) {
        if (((err as { cause?: { code?: string } }).cause ?? (err as { code?: string })).code !== UNIQUE_VIOLATION) throw err;
        this.direct = false;
      }
    }
    await this.copyUpsert(schema, cols, payload);
  }

  /** COPY into a session temp table, then one INSERT … ON CONFLICT: the fastest idempotent bulk path measured. */

  private async copyUpsert(schema: ObjectSchema, cols: string, payload: readonly Buffer[]): Promise<void> {
    // Connections outlive sessions (pools.ts): a stage table is named for the table and columns it stages.
    const stage = q(`_dm_stage_${createHash('sha1').update(`${this.table} (${cols})`).digest('hex').slice(0, 16)}`);
    await this.withClient('write', async (c) => {
      await c.query('BEGIN');
      try {
        // Each pooled connection needs its own temp table; IF NOT EXISTS makes that cheap after the first time.
        await c.query(`CREATE TEMP TABLE IF NOT EXISTS ${stage} ON COMMIT DELETE ROWS AS SELECT ${cols} FROM ${this.table} WITH NO DATA`);
        await pipeline(Readable.from(payload), c.query(copyFrom(`COPY ${stage} (${cols}) FROM STDIN`)));
        await c.query(`INSERT INTO ${this.table} (${cols}) SELECT ${cols} FROM ${stage} ${this.upsertTail(schema)}`);
        await c.query('COMMIT');
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  private async insertRows(c: PoolClient, schema: ObjectSchema, rows: Row[]): Promise<void> {
    const cols = schema.fields.map((f) => q(f.name)).join(', ');
    // PostgreSQL caps a statement at 65535 parameters.
    const perStatement = Math.max(1, Math.floor(65535 / schema.fields.length));
    for (let i = 0; i < rows.length; i += perStatement) {
      const slice = rows.slice(i, i + perStatement);
      const params: (string | null)[] = [];
      const tuples = slice.map((r) => `(${schema.fields.map((f) => `$${params.push(toPgText(r[f.name], f.type))}`).join(', ')})`);
      await c.query(`INSERT INTO ${this.table} (${cols}) VALUES ${tuples.join(', ')} ${this.upsertTail(schema)}`, params);
    }
  }

  /** A batch the server rejected for its data: find the rows at fault one by one, keep the rest. */
  private async writeRowByRow(schema: ObjectSchema, rows: Row[]): Promise<WriteOutcome> {
    const rejected: RejectedRecord[] = [];
    let written = 0;
    await this.withClient('write', async (c) => {
      for (const row of rows) {
        try {
          await this.insertRows(c, schema, [row]);
          written++;
        } catch (err) {
          if (!isDataError(err)) throw err;
          rejected.push({ row, error: `${(err as Error).message}${(err as { code?: string }).code ? ` (SQLSTATE ${(err as { code?: string }).code})` : ''}` });
        }
      }
    });
    return { written, rejected };
  }

  /** Key values travel as text parameters; PostgreSQL types each from the key column it is compared with. */
  async deleteKeys(schema: ObjectSchema, keys: Row[]): Promise<number> {
    if (keys.length === 0) return 0;
    const fields = schema.key.map((k) => schema.fields.find((f) => f.name === k)!);
    const perStatement = Math.max(1, Math.floor(65535 / fields.length));
    let deleted = 0;
    await this.withClient('delete', async (c) => {
      for (let i = 0; i < keys.length; i += perStatement) {
        const params: (string | null)[] = [];
        const tuples = keys.slice(i, i + perStatement).map((r) => `(${fields.map((f) => `$${params.push(toPgText(r[f.name], f.type))}`).join(', ')})`);
        const res = await c.query(`DELETE FROM ${this.table} WHERE (${fields.map((f) => q(f.name)).join(', ')}) IN (${tuples.join(', ')})`, params);
        deleted += res.rowCount ?? 0;
      }
    });
    return deleted;
  }

  async quarantine(records: QuarantinedRecord[]): Promise<void> {
    if (records.length === 0) return;
    const dl = `${q(this.endpoint.schema)}.${q(DEAD_LETTERS)}`;
    await this.withClient('quarantine into', async (c) => {
      if (!this.deadLettersReady) await this.prepareDeadLetters(c, dl);
      for (const r of records) {
        await c.query(
          `INSERT INTO ${dl} (job, run_id, target_table, partition, record_key, stage, error, record, dedup)
           VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT (dedup) DO NOTHING`,
          [
            r.job,
            r.runId,
            this.name,
            r.partition,
            r.key,
            r.stage,
            r.error,
            JSON.stringify(rowToJsonSafe(r.record)).replace(/\\u0000/g, ''),
            deadLetterId(r, this.name),
          ],
        );
      }
    });
  }

  private deadLettersReady = false;

  private async prepareDeadLetters(c: PoolClient, dl: string): Promise<void> {
    await c.query(
      `CREATE TABLE IF NOT EXISTS ${dl} (id bigserial PRIMARY KEY, job text NOT NULL, run_id text NOT NULL,
         target_table text NOT NULL, partition integer NOT NULL, record_key text, stage text NOT NULL,
         error text NOT NULL, record jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), dedup text)`,
    );
    // A table made before dead letters had an identity gains it (its old rows keep a NULL dedup).
    await c.query(`ALTER TABLE ${dl} ADD COLUMN IF NOT EXISTS dedup text`);
    await c.query(`CREATE UNIQUE INDEX IF NOT EXISTS ${q(`${DEAD_LETTERS}_dedup`)} ON ${dl} (dedup)`);
    this.deadLettersReady = true;
  }

  /** The pool waits for the next session to this URL (pools.ts); its connections stay open a while. */
  async close(): Promise<void> {
    givePool(this.url, this.pool);
  }
}

/** Opens a session on the endpoint's table; the URL has been resolved from its secret reference. */
export async function openPostgres(endpoint: PostgresEndpoint, connection: ResolvedConnection): Promise<ConnectorSession> {
  const url = connection.url;
  if (typeof url !== 'string') throw configError('connection.url did not resolve to a string', 'postgres');
  return new PostgresSession(endpoint, url);
}
