import { Readable } from 'node:stream';
import { createPool, type Pool, type PoolConnection, type RowDataPacket, type ResultSetHeader, type TypeCast } from 'mysql2/promise';
import { configError, schemaError } from '../../errors';
import type { Logger } from '../../logging';
import type { ConnectorSession, ResolvedConnection } from '../contract';
import { keyFieldsOf, keyLabel } from '../../model/keys';
import { rowToJsonSafe } from '../../model/json-safe';
import { deadLetterId } from '../dead-letter-id';
import type {
  Cursor,
  FieldSchema,
  KeyRange,
  KeyValue,
  ObjectSchema,
  QuarantinedRecord,
  RejectedRecord,
  Row,
  RowBatch,
  Value,
  WriteOutcome,
} from '../../model/types';
import { classifyMysqlError, isDataError } from './errors';
import { afterTuple, keyList, keyLiteral, keyValueOf, pageQuery, q, type KeyCursor } from './keyset';
import { boundKindOf, incrementalPageQuery, watermarkOfRow } from '../sql/incremental';
import type { IncrementalWindow } from '../../incremental/window';
import type { MysqlEndpoint } from './spec';
import { ZeroDate, codecOf, decodeValue, mysqlColumnType, neutralTypeOf, toLoadDataField, toSqlLiteral, type Codec, type MysqlColumn } from './types';

const CONNECTOR = 'mysql';
const DEAD_LETTERS = '_datamigrato_dead_letters';
const STAGE = '_dm_stage';
/**
 * Strict for every statement: a value MySQL would otherwise truncate or turn into a zero date is refused,
 * so it becomes a rejected record instead of silently different data. NO_AUTO_VALUE_ON_ZERO keeps a key 0 as 0.
 */
const SQL_MODE = 'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION,NO_AUTO_VALUE_ON_ZERO';
/** A multi-row INSERT stays below this many bytes (and below max_allowed_packet). */
const STATEMENT_BYTES = 4 << 20;

const BYTE_TYPES = new Set(['BIT', 'BLOB', 'TINY_BLOB', 'MEDIUM_BLOB', 'LONG_BLOB', 'VAR_STRING', 'STRING', 'GEOMETRY']);

/**
 * Numbers, dates and times as the server's text; every string-like column as its bytes (the session is
 * utf8mb4, so text columns arrive as UTF-8 whatever their character set, and binary ones as they are).
 * Decoding into the neutral model then follows the type table (types.ts), not the driver's guesses (it
 * parses JSON itself, and a MariaDB JSON holding a JSON string would come back unquoted).
 */
const rawText: TypeCast = (field, next) => {
  if (BYTE_TYPES.has(field.type)) return field.buffer();
  if (field.type === 'JSON') return field.string('utf8');
  return field.type ? field.string() : next();
};

export interface MysqlConnectionOptions {
  host: string;
  port: number;
  user: string;
  password: string;
  database?: string;
}

/** mysql://user:password@host:port/database (user and password percent-decoded). */
export function parseMysqlUrl(url: string): MysqlConnectionOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw configError('connection.url is not a URL (mysql://user:password@host:port/database)', CONNECTOR);
  }
  if (u.protocol !== 'mysql:' && u.protocol !== 'mariadb:') throw configError(`connection.url must be mysql://…, not ${u.protocol}//…`, CONNECTOR);
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 3306,
    user: decodeURIComponent(u.username || 'root'),
    password: decodeURIComponent(u.password),
    ...(database ? { database } : {}),
  };
}

type RawRow = Record<string, string | Buffer | null>;

export class MysqlSession implements ConnectorSession {
  private readonly pool: Pool;
  private readonly database: string;
  private readonly table: string;
  private maxPacket: number | undefined;

  constructor(
    private readonly endpoint: MysqlEndpoint,
    conn: MysqlConnectionOptions,
    private readonly log: Logger,
  ) {
    const database = endpoint.database ?? conn.database;
    if (!database) throw configError('no database: set "database" on the endpoint or name one in the connection URL', CONNECTOR);
    this.database = database;
    this.table = `${q(database)}.${q(endpoint.table)}`;
    this.pool = createPool({
      host: conn.host,
      port: conn.port,
      user: conn.user,
      password: conn.password,
      // No default database: the endpoint's may not exist yet (prepare creates it); every name is qualified.
      connectionLimit: 4,
      connectTimeout: 10_000,
      timezone: 'Z',
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
      charset: 'utf8mb4',
      typeCast: rawText,
    });
    // TIMESTAMP columns are read and written in UTC; strict sql_mode for every statement (see SQL_MODE).
    this.pool.on('connection', (c) => {
      // The pool hands out callback connections here (not promise ones), so the callback form; a failure
      // surfaces as the next statement's error on this connection and must not crash the worker.
      // (mysql2's typings say promise connection; at run time it is the callback one.)
      const core = c as unknown as { query(sql: string, cb: (err: Error | null) => void): void };
      core.query(`SET time_zone = '+00:00', sql_mode = '${SQL_MODE}'`, (err) => {
        if (err) this.log.warn({ err: err.message }, 'mysql session setup failed');
      });
    });
  }

  private get name() {
    return `${this.database}.${this.endpoint.table}`;
  }

  private escape = (v: string | Buffer) => this.pool.escape(v);

  private async query<T = RowDataPacket[]>(what: string, sql: string, conn?: PoolConnection): Promise<T> {
    try {
      const [res] = await (conn ?? this.pool).query(sql);
      return res as T;
    } catch (err) {
      throw classifyMysqlError(err, `${what} ${this.name}`);
    }
  }

  private async withConnection<T>(what: string, fn: (c: PoolConnection) => Promise<T>): Promise<T> {
    let c: PoolConnection;
    try {
      c = await this.pool.getConnection();
    } catch (err) {
      throw classifyMysqlError(err, `connect for ${what}`);
    }
    try {
      return await fn(c);
    } finally {
      c.release();
    }
  }

  async check(): Promise<void> {
    await this.query('check', 'SELECT 1');
  }

  private async columns(): Promise<MysqlColumn[]> {
    const lit = (s: string) => this.escape(s);
    const cols = await this.query<RawRow[]>(
      'describe',
      `SELECT COLUMN_NAME AS name, DATA_TYPE AS dt, COLUMN_TYPE AS ct, IS_NULLABLE AS nullable FROM information_schema.COLUMNS
        WHERE TABLE_SCHEMA = ${lit(this.database)} AND TABLE_NAME = ${lit(this.endpoint.table)} ORDER BY ORDINAL_POSITION`,
    );
    // MariaDB's JSON type is longtext with a json_valid check; MySQL 8 has a real JSON type (and no TABLE_NAME here).
    let jsonCols = new Set<string>();
    if (cols.some((c) => String(c.dt).toLowerCase() === 'longtext')) {
      const checks = await this.pool
        .query(
          `SELECT CHECK_CLAUSE AS c FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ${lit(this.database)} AND TABLE_NAME = ${lit(this.endpoint.table)}`,
        )
        .then(
          ([rows]) => rows as RawRow[],
          () => [] as RawRow[],
        );
      jsonCols = new Set(checks.map((r) => /^json_valid\(`((?:[^`]|``)+)`\)$/i.exec(String(r.c))?.[1]?.replace(/``/g, '`')).filter((x): x is string => !!x));
    }
    return cols.map((c) => ({
      name: String(c.name),
      dataType: String(c.dt).toLowerCase(),
      columnType: String(c.ct).toLowerCase(),
      nullable: String(c.nullable) === 'YES',
      json: jsonCols.has(String(c.name)),
    }));
  }

  async describe(): Promise<ObjectSchema | null> {
    const cols = await this.columns();
    if (cols.length === 0) return null;
    const pk = await this.query<RawRow[]>(
      'describe',
      `SELECT COLUMN_NAME AS name FROM information_schema.KEY_COLUMN_USAGE
        WHERE TABLE_SCHEMA = ${this.escape(this.database)} AND TABLE_NAME = ${this.escape(this.endpoint.table)} AND CONSTRAINT_NAME = 'PRIMARY'
        ORDER BY ORDINAL_POSITION`,
    );
    const fields: FieldSchema[] = cols.map((c) => ({
      name: c.name,
      type: neutralTypeOf(c),
      nullable: c.nullable,
      nativeType: c.json ? 'json' : c.columnType,
      nativeOf: CONNECTOR,
    }));
    const key = keyList(this.endpoint.key) ?? pk.map((r) => String(r.name));
    if (key.length === 0) throw schemaError(`${this.name} has no primary key; set "key" to the column(s) unique and non-null per row`, CONNECTOR);
    const unknown = key.filter((k) => !fields.some((f) => f.name === k));
    if (unknown.length) throw schemaError(`key column(s) ${unknown.map((k) => `"${k}"`).join(', ')} not found in ${this.name}`, CONNECTOR);
    return { object: this.name, fields, key };
  }

  /** Ranges of the leading key column, so every row of one leading value falls in one range. */
  async planPartitions(schema: ObjectSchema, count: number): Promise<KeyRange[]> {
    const lead = keyFieldsOf(schema)[0]!;
    const col = q(lead.name);
    const codec = codecOf(lead);
    const [{ n }] = (await this.query<RawRow[]>('plan partitions of', `SELECT COUNT(*) AS n FROM ${this.table}`)) as [RawRow];
    const total = Number(n);
    let bounds: KeyValue[] = [];
    if (count > 1 && total > 1) bounds = (await this.integerBounds(col, codec, count)) ?? (await this.sampledBounds(col, codec, total, count));
    const ranges: KeyRange[] = [];
    let lower: KeyValue | null = null;
    for (const upper of [...bounds, null]) {
      ranges.push({ id: ranges.length, lower, upper, estimatedRows: Math.round(total / (bounds.length + 1)) });
      lower = upper;
    }
    return ranges;
  }

  /** Integer keys (int, bigint, bigint unsigned as decimal): min..max split evenly. null for other keys. */
  private async integerBounds(col: string, codec: Codec, count: number): Promise<KeyValue[] | null> {
    if (codec !== 'int32' && codec !== 'int64' && codec !== 'decimal') return null;
    const [mm] = (await this.query<RawRow[]>(
      'plan partitions of',
      `SELECT CAST(MIN(${col}) AS CHAR) AS lo, CAST(MAX(${col}) AS CHAR) AS hi FROM ${this.table}`,
    )) as [RawRow];
    const [lo, hi] = [mm.lo, mm.hi].map((v) => (v === null ? '' : String(v)));
    if (!/^-?\d+$/.test(lo!) || !/^-?\d+$/.test(hi!)) return codec === 'decimal' ? null : [];
    const [l, h] = [BigInt(lo!), BigInt(hi!)];
    const step = (h - l + 1n) / BigInt(count);
    const bounds: KeyValue[] = [];
    if (step > 0n) for (let i = 1; i < count; i++) bounds.push((l + step * BigInt(i) - 1n).toString());
    return codec === 'int32' ? bounds.map(Number) : bounds;
  }

  /** Other keys: the leading value at each quantile, by ordered offset on the key's index. */
  private async sampledBounds(col: string, codec: Codec, total: number, count: number): Promise<KeyValue[]> {
    const bounds: KeyValue[] = [];
    for (let i = 1; i < count; i++) {
      const offset = Math.floor((total * i) / count) - 1;
      if (offset < 0) continue;
      const rows = await this.query<RawRow[]>('plan partitions of', `SELECT ${col} AS k FROM ${this.table} ORDER BY ${col} LIMIT 1 OFFSET ${offset}`);
      if (rows.length === 0) continue;
      const v = decodeValue(rows[0]!.k ?? null, codec);
      if (v === null || v instanceof ZeroDate) continue;
      const kv = keyValueOf(v, codec);
      if (bounds.length === 0 || bounds[bounds.length - 1] !== kv) bounds.push(kv);
    }
    return bounds;
  }

  async *read(schema: ObjectSchema, range: KeyRange, after: Cursor | null, batchSize: number): AsyncIterable<RowBatch> {
    const keyFields = keyFieldsOf(schema);
    const codecs = schema.fields.map((f) => [f.name, codecOf(f)] as const);
    const keyCodecs = keyFields.map(codecOf);
    const cols = schema.fields.map((f) => q(f.name)).join(', ');
    let cursor = after as KeyCursor | null;
    for (;;) {
      // Keyset pagination: each page is an index range scan, memory bounded by one batch.
      const raw = await this.query<RawRow[]>('read', pageQuery(this.table, cols, keyFields, range, cursor, batchSize, this.escape));
      if (raw.length === 0) return;
      const { rows, rejected, zeroDates } = this.decodeRows(raw, codecs);
      const last = raw[raw.length - 1]!;
      const tuple = keyFields.map((f, i) => {
        const v = decodeValue(last[f.name] ?? null, keyCodecs[i]!);
        return keyValueOf(v instanceof ZeroDate ? null : v, keyCodecs[i]!);
      });
      cursor = tuple.length === 1 ? tuple[0]! : tuple;
      if (zeroDates) this.log.info({ object: this.name, zeroDates }, 'zero dates read as null (counted as droppedFields)');
      yield { rows, cursor, ...(rejected.length ? { rejected } : {}), ...(zeroDates ? { droppedFields: zeroDates } : {}) };
      if (raw.length < batchSize) return;
    }
  }

  /** Raw rows → neutral rows; a row that cannot be read is rejected (not thrown), zero dates become null and are counted. */
  private decodeRows(raw: RawRow[], codecs: (readonly [string, Codec])[]): { rows: Row[]; rejected: RejectedRecord[]; zeroDates: number } {
    const rows: Row[] = [];
    const rejected: RejectedRecord[] = [];
    let zeroDates = 0;
    for (const r of raw) {
      const row: Row = {};
      try {
        for (const [name, codec] of codecs) {
          const v = decodeValue(r[name] ?? null, codec);
          if (v instanceof ZeroDate) {
            zeroDates++;
            row[name] = null;
          } else row[name] = v;
        }
        rows.push(row);
      } catch (err) {
        rejected.push({ row: r as Row, error: `cannot read ${this.name}: ${(err as Error).message}` });
      }
    }
    return { rows, rejected, zeroDates };
  }

  /** The bound from the server's clock in the session's UTC (time_zone +00:00), microseconds kept. */
  async incrementalBound(schema: ObjectSchema, cursorField: string, lagSeconds: number): Promise<{ upTo: KeyValue | null; nullRows: number }> {
    const field = schema.fields.find((f) => f.name === cursorField);
    const kind = boundKindOf(field, cursorField, 'mysql');
    const c = q(cursorField);
    const micros = Math.round(lagSeconds * 1e6);
    const sql =
      kind === 'max'
        ? `SELECT CAST(max(${c}) AS CHAR) AS b FROM ${this.table}`
        : `SELECT DATE_FORMAT(UTC_TIMESTAMP(6) - INTERVAL ${micros} MICROSECOND, '%Y-%m-%dT%H:%i:%s.%f${kind === 'timestamptz' ? 'Z' : ''}') AS b`;
    // The session's type cast hands computed text back as bytes.
    const raw = ((await this.query<RowDataPacket[]>('plan the incremental window of', sql))[0]?.b ?? null) as string | Buffer | null;
    const b = raw === null ? null : Buffer.isBuffer(raw) ? raw.toString('utf8') : String(raw);
    const nulls = await this.query<RowDataPacket[]>('plan the incremental window of', `SELECT count(*) AS n FROM ${this.table} WHERE ${c} IS NULL`);
    return { upTo: b === null ? null : field!.type === 'int32' ? Number(b) : b, nullRows: Number(nulls[0]?.n ?? 0) };
  }

  async *readIncremental(schema: ObjectSchema, window: IncrementalWindow, after: Cursor | null, batchSize: number): AsyncIterable<RowBatch> {
    const keyFields = keyFieldsOf(schema);
    const cursorField = schema.fields.find((f) => f.name === window.cursorField)!;
    const codecs = schema.fields.map((f) => [f.name, codecOf(f)] as const);
    const cols = schema.fields.map((f) => q(f.name)).join(', ');
    const terms = {
      cursor: q(cursorField.name),
      key: keyFields.map((f) => q(f.name)),
      cursorValue: (v: KeyValue) => keyLiteral(cursorField, v, this.escape),
      keyAfter: (values: KeyValue[]) => afterTuple(keyFields, values, this.escape),
      nullsFirst: '', // MariaDB sorts NULLs first ascending
    };
    let position = after;
    for (;;) {
      const raw = await this.query<RawRow[]>('read', incrementalPageQuery(this.table, cols, window, position, batchSize, terms));
      if (raw.length === 0) return;
      const { rows, rejected, zeroDates } = this.decodeRows(raw, codecs);
      // The position from the decoded last row, so it compares like the values the next page's literals carry.
      const lastRaw = raw[raw.length - 1]!;
      const last: Row = {};
      for (const [name, codec] of codecs)
        if (name === cursorField.name || schema.key.includes(name)) {
          const v = decodeValue(lastRaw[name] ?? null, codec);
          last[name] = v instanceof ZeroDate ? null : v;
        }
      const w = watermarkOfRow(last, cursorField.name, schema.key);
      position = { cursor: w.cursor, key: keyFields.map((f) => keyValueOf(last[f.name] ?? null, codecOf(f))) };
      yield { rows, cursor: position, ...(rejected.length ? { rejected } : {}), ...(zeroDates ? { droppedFields: zeroDates } : {}) };
      if (raw.length < batchSize) return;
    }
  }

  async prepare(schema: ObjectSchema): Promise<void> {
    if (this.endpoint.database) await this.query('prepare', `CREATE DATABASE IF NOT EXISTS ${q(this.database)} CHARACTER SET utf8mb4`);
    const cols = schema.fields.map((f) => {
      const isKey = schema.key.includes(f.name);
      return `${q(f.name)} ${mysqlColumnType(f, isKey)}${isKey ? ' NOT NULL' : ' NULL'}`;
    });
    // utf8mb4_bin: keys compare byte for byte, so 'a' and 'A' (or 'e' and 'é') stay two rows, as in the source.
    await this.query(
      'prepare',
      `CREATE TABLE IF NOT EXISTS ${this.table} (${cols.join(', ')}, PRIMARY KEY (${schema.key.map(q).join(', ')}))
        ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
    );
    const existing = await this.columns();
    const have = new Set(existing.map((c) => c.name));
    const missing = schema.fields.filter((f) => !have.has(f.name)).map((f) => f.name);
    if (missing.length) throw schemaError(`target ${this.name} lacks columns: ${missing.join(', ')}`, CONNECTOR);
    // ON DUPLICATE KEY UPDATE needs a unique index on exactly the key's columns.
    const idx = await this.query<RawRow[]>(
      'prepare',
      `SELECT INDEX_NAME AS i, GROUP_CONCAT(COLUMN_NAME ORDER BY COLUMN_NAME SEPARATOR '\\0') AS cols FROM information_schema.STATISTICS
        WHERE TABLE_SCHEMA = ${this.escape(this.database)} AND TABLE_NAME = ${this.escape(this.endpoint.table)} AND NON_UNIQUE = 0
        GROUP BY INDEX_NAME`,
    );
    const want = [...schema.key].sort().join('\0');
    if (!idx.some((r) => String(r.cols) === want))
      throw schemaError(`target ${this.name} has no unique index on (${keyLabel(schema.key)}): upserts need one`, CONNECTOR);
  }

  private upsertTail(schema: ObjectSchema): string {
    const others = schema.fields.filter((f) => !schema.key.includes(f.name));
    const set = (others.length ? others : keyFieldsOf(schema).slice(0, 1)).map((f) => `${q(f.name)} = VALUES(${q(f.name)})`);
    return `ON DUPLICATE KEY UPDATE ${set.join(', ')}`;
  }

  async write(schema: ObjectSchema, rows: Row[]): Promise<WriteOutcome> {
    if (rows.length === 0) return { written: 0, rejected: [] };
    try {
      if (this.endpoint.writeMode === 'loadData') await this.loadDataUpsert(schema, rows);
      else await this.insertUpsert(schema, rows);
      return { written: rows.length, rejected: [] };
    } catch (err) {
      if (!isDataError((err as { cause?: unknown }).cause ?? err)) throw err;
      return this.writeRowByRow(schema, rows);
    }
  }

  private async packetBudget(): Promise<number> {
    if (this.maxPacket === undefined) {
      const [r] = (await this.query<RawRow[]>('write', 'SELECT @@max_allowed_packet AS p')) as [RawRow];
      this.maxPacket = Number(r.p);
    }
    return Math.min(STATEMENT_BYTES, this.maxPacket - 64 * 1024);
  }

  private tuple(schema: ObjectSchema, codecs: Codec[], row: Row): string {
    return `(${schema.fields.map((f, i) => toSqlLiteral(row[f.name], codecs[i]!, this.escape)).join(', ')})`;
  }

  /** Multi-row INSERT … ON DUPLICATE KEY UPDATE statements below the packet budget, in one transaction. */
  private async insertUpsert(schema: ObjectSchema, rows: Row[]): Promise<void> {
    const codecs = schema.fields.map(codecOf);
    const head = `INSERT INTO ${this.table} (${schema.fields.map((f) => q(f.name)).join(', ')}) VALUES `;
    const tail = ` ${this.upsertTail(schema)}`;
    const budget = await this.packetBudget();
    await this.inTransaction('write', async (c) => {
      let tuples: string[] = [];
      let bytes = 0;
      const flush = async () => {
        if (tuples.length) await this.query<ResultSetHeader>('write', head + tuples.join(', ') + tail, c);
        tuples = [];
        bytes = 0;
      };
      for (const row of rows) {
        const t = this.tuple(schema, codecs, row);
        if (tuples.length && bytes + t.length + head.length + tail.length > budget) await flush();
        tuples.push(t);
        bytes += t.length + 2;
      }
      await flush();
    });
  }

  /**
   * LOAD DATA LOCAL INFILE from an in-memory stream into a session temp table, then one INSERT … SELECT …
   * ON DUPLICATE KEY UPDATE. LOCAL loads turn bad values into warnings (the server cannot stop the client's
   * stream), so any warning counts as a data error and the batch goes row by row.
   */
  private async loadDataUpsert(schema: ObjectSchema, rows: Row[]): Promise<void> {
    const codecs = schema.fields.map(codecOf);
    const cols = schema.fields.map((f) => q(f.name)).join(', ');
    // Temporary tables live in a database too; the pool selects none, so name it.
    const stage = `${q(this.database)}.${q(STAGE)}`;
    const payload = Buffer.from(rows.map((r) => schema.fields.map((f, i) => toLoadDataField(r[f.name], codecs[i]!)).join('\t')).join('\n') + '\n');
    const targets = schema.fields.map((f, i) =>
      Buffer.isBuffer(rows.find((r) => r[f.name] != null)?.[f.name]) || codecs[i] === 'bytes' ? `@v${i}` : q(f.name),
    );
    const sets = schema.fields.flatMap((f, i) => (targets[i]!.startsWith('@') ? [`${q(f.name)} = UNHEX(@v${i})`] : []));
    await this.inTransaction('write', async (c) => {
      await this.query('write', `CREATE TEMPORARY TABLE IF NOT EXISTS ${stage} ENGINE=InnoDB AS SELECT ${cols} FROM ${this.table} WHERE 1 = 0`, c);
      await this.query('write', `DELETE FROM ${stage}`, c);
      let loaded: ResultSetHeader;
      try {
        [loaded] = (await c.query({
          sql: `LOAD DATA LOCAL INFILE 'datamigrato-batch' INTO TABLE ${stage} CHARACTER SET utf8mb4
                  FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (${targets.join(', ')})${sets.length ? ` SET ${sets.join(', ')}` : ''}`,
          infileStreamFactory: () => Readable.from([payload]),
        })) as [ResultSetHeader, unknown];
      } catch (err) {
        throw classifyMysqlError(err, `write ${this.name}`);
      }
      if (loaded.warningStatus > 0) {
        const err = Object.assign(new Error(`LOAD DATA reported ${loaded.warningStatus} warning(s)`), { code: 'ER_TRUNCATED_WRONG_VALUE' });
        throw err;
      }
      await this.query('write', `INSERT INTO ${this.table} (${cols}) SELECT ${cols} FROM ${stage} ${this.upsertTail(schema)}`, c);
    });
  }

  private async inTransaction(what: string, fn: (c: PoolConnection) => Promise<void>): Promise<void> {
    await this.withConnection(what, async (c) => {
      await this.query(what, 'START TRANSACTION', c);
      try {
        await fn(c);
        await this.query(what, 'COMMIT', c);
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  /** A batch the server refused for its data: find the rows at fault one by one, keep the rest. */
  private async writeRowByRow(schema: ObjectSchema, rows: Row[]): Promise<WriteOutcome> {
    const codecs = schema.fields.map(codecOf);
    const head = `INSERT INTO ${this.table} (${schema.fields.map((f) => q(f.name)).join(', ')}) VALUES `;
    const tail = ` ${this.upsertTail(schema)}`;
    const rejected: RejectedRecord[] = [];
    let written = 0;
    await this.withConnection('write', async (c) => {
      for (const row of rows) {
        try {
          await c.query(head + this.tuple(schema, codecs, row) + tail);
          written++;
        } catch (err) {
          if (!isDataError(err)) throw classifyMysqlError(err, `write ${this.name}`);
          const code = (err as { code?: string }).code;
          rejected.push({ row, error: `${(err as Error).message}${code ? ` (${code})` : ''}` });
        }
      }
    });
    return { written, rejected };
  }

  /** `DELETE … WHERE (k…) IN ((…), …)` with the same literals the upsert writes, a few hundred keys per statement. */
  async deleteKeys(schema: ObjectSchema, keys: Row[]): Promise<number> {
    const fields = keyFieldsOf(schema);
    const codecs = fields.map(codecOf);
    const cols = `(${fields.map((f) => q(f.name)).join(', ')})`;
    let deleted = 0;
    for (let i = 0; i < keys.length; i += 500) {
      const tuples = keys.slice(i, i + 500).map((k) => `(${fields.map((f, j) => toSqlLiteral(k[f.name], codecs[j]!, this.escape)).join(', ')})`);
      deleted += (await this.query<ResultSetHeader>('delete from', `DELETE FROM ${this.table} WHERE ${cols} IN (${tuples.join(', ')})`)).affectedRows;
    }
    return deleted;
  }

  async quarantine(records: QuarantinedRecord[]): Promise<void> {
    if (records.length === 0) return;
    const dl = `${q(this.database)}.${q(DEAD_LETTERS)}`;
    if (!this.deadLettersReady) await this.prepareDeadLetters(dl);
    const e = (v: string | null) => (v === null ? 'NULL' : this.escape(v));
    const values = records.map(
      (r) =>
        `(${[r.job, r.runId, this.name].map(e).join(', ')}, ${Number(r.partition)}, ${e(r.key)}, ${e(r.stage)}, ${e(r.error)}, ${e(JSON.stringify(rowToJsonSafe(r.record)))}, ${e(deadLetterId(r, this.name))})`,
    );
    // A replayed batch meets its own dead letters by dedup: keep the first (not INSERT IGNORE, which hides other errors).
    await this.query(
      'quarantine into',
      `INSERT INTO ${dl} (job, run_id, target_table, \`partition\`, record_key, stage, error, record, dedup) VALUES ${values.join(', ')}
       ON DUPLICATE KEY UPDATE id = id`,
    );
  }

  private deadLettersReady = false;

  private async prepareDeadLetters(dl: string): Promise<void> {
    await this.query(
      'quarantine into',
      `CREATE TABLE IF NOT EXISTS ${dl} (id bigint NOT NULL AUTO_INCREMENT PRIMARY KEY, job varchar(255) NOT NULL, run_id varchar(255) NOT NULL,
         target_table varchar(255) NOT NULL, \`partition\` int NOT NULL, record_key text NULL, stage varchar(16) NOT NULL,
         error text NOT NULL, record longtext NOT NULL, created_at datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
         dedup char(40) NULL, KEY target_table (target_table), UNIQUE KEY dedup (dedup)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
    );
    // A table made before dead letters had an identity gains it (its old rows keep a NULL dedup).
    await this.query('quarantine into', `ALTER TABLE ${dl} ADD COLUMN IF NOT EXISTS dedup char(40) NULL, ADD UNIQUE KEY IF NOT EXISTS dedup (dedup)`);
    this.deadLettersReady = true;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** Values a key tuple may hold, for cursors (re-exported for tests). */
export type { Value };

/** Opens a session on the endpoint's table; the URL has been resolved from its secret reference. */
export async function openMysql(endpoint: MysqlEndpoint, connection: ResolvedConnection, log: Logger): Promise<ConnectorSession> {
  const url = connection.url;
  if (typeof url !== 'string') throw configError('connection.url did not resolve to a string', CONNECTOR);
  return new MysqlSession(endpoint, parseMysqlUrl(url), log);
}
