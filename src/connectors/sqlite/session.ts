import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { configError, schemaError } from '../../errors';
import type { Logger } from '../../logging';
import { keyFieldsOf, keyLabel, toKeyValue } from '../../model/keys';
import { coerce } from '../../model/coerce';
import { rowToJsonSafe } from '../../model/json-safe';
import { deadLetterId } from '../dead-letter-id';
import type {
  Cursor,
  FieldSchema,
  FieldType,
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
import type { ConnectorSession, ResolvedConnection } from '../contract';
import { cursorOf, keyList, pageQuery, q, type KeyCursor } from '../sql/keyset';
import { classifySqliteError, isRowError } from './errors';
import { DATE_ENCODINGS, type DateEncoding, type SqliteEndpoint } from './spec';
import {
  ACCEPTED_CLASSES,
  ENCODING_CLASSES,
  STORAGE_CLASS_TYPE,
  TARGET_DECLARED_TYPE,
  dateValue,
  declaredTypeOf,
  detectEncoding,
  encodingOfValue,
  plainValue,
  storageClassOf,
  toSqliteValue,
  type Converted,
  type StorageClass,
} from './types';

const CONNECTOR = 'sqlite';
const DEAD_LETTERS = '_datamigrato_dead_letters';
const DATE_TYPES = new Set<FieldType>(['timestamptz', 'timestamp', 'date']);
type DateType = 'timestamptz' | 'timestamp' | 'date';
type SqlValue = string | number | bigint | Buffer | null;

/** A column as PRAGMA table_xinfo or a statement's columns() gives it. */
interface SourceColumn {
  name: string;
  declared: string | null;
  notNull: boolean;
  pk: number;
}

/** What a sample of rows showed of one column: how many values of each storage class, and the values. */
interface ColumnSample {
  classes: Partial<Record<StorageClass, number>>;
  values: unknown[];
}

/**
 * One database file. Sources open it read-only (the file must exist); anything that writes reopens it
 * read-write in WAL mode, creating the file. better-sqlite3 is synchronous, so every call here is bounded
 * by one batch: the activity's event loop gets its turn between batches to heartbeat.
 */
export class SqliteSession implements ConnectorSession {
  private ro: Database.Database | null = null;
  private rw: Database.Database | null = null;
  private readonly statements = new Map<string, Database.Statement>();
  /** `"table"` or `(query) AS q`: what keyset pages select from. */
  private readonly from: string;

  constructor(
    private readonly endpoint: SqliteEndpoint,
    private readonly path: string,
    private readonly log: Logger,
  ) {
    this.from = endpoint.query ? `(${endpoint.query}) AS q` : q(endpoint.table!);
  }

  private get name(): string {
    return this.endpoint.table ?? 'query';
  }

  /** Where the file comes from, for messages: the reference, never the path (it is treated as a secret). */
  private get pathReference(): string {
    const c = this.endpoint.connection as { path?: unknown; name?: string };
    return c.name ? `the path of named connection "${c.name}"` : `connection.path ${JSON.stringify(c.path)}`;
  }

  private reader(): Database.Database {
    if (this.rw) return this.rw;
    if (!this.ro) {
      if (!existsSync(this.path)) throw configError(`database file not found at ${this.pathReference}; a source file must exist`, CONNECTOR);
      this.ro = this.open({ readonly: true, fileMustExist: true });
    }
    return this.ro;
  }

  private writer(): Database.Database {
    if (!this.rw) {
      if (!existsSync(dirname(this.path))) throw configError(`the directory of ${this.pathReference} does not exist`, CONNECTOR);
      this.rw = this.open({});
      this.rw.pragma('journal_mode = WAL');
      // WAL with synchronous=NORMAL stays durable across a process crash (not across power loss), at a fraction of the fsyncs.
      this.rw.pragma('synchronous = NORMAL');
      this.ro?.close();
      this.ro = null;
      this.statements.clear();
    }
    return this.rw;
  }

  private open(options: Database.Options): Database.Database {
    try {
      const db = new Database(this.path, options);
      db.defaultSafeIntegers(true); // int64 exactly, and a value's JS type is its storage class
      db.pragma('busy_timeout = 5000');
      return db;
    } catch (err) {
      throw configError(`cannot open the database file at ${this.pathReference}: ${(err as Error).message}`, CONNECTOR);
    }
  }

  private run<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw classifySqliteError(err, `${what} ${this.name}`);
    }
  }

  /** Prepared once per SQL text (and mode: a raw statement returns rows as arrays) for the session's life. */
  private statement(db: Database.Database, sql: string, raw = false): Database.Statement {
    const id = raw ? `raw:${sql}` : sql;
    let s = this.statements.get(id);
    if (!s) {
      s = db.prepare(sql);
      if (raw) s.raw(true);
      this.statements.set(id, s);
    }
    return s;
  }

  async check(): Promise<void> {
    // A target's file may not exist yet (prepare creates it); a source's is required by describe.
    if (!existsSync(this.path)) {
      if (!existsSync(dirname(this.path))) throw configError(`the directory of ${this.pathReference} does not exist`, CONNECTOR);
      return;
    }
    this.run('check', () => this.reader().prepare('SELECT 1').get());
  }

  async describe(): Promise<ObjectSchema | null> {
    const db = this.reader();
    return this.run('describe', () => {
      const columns = this.endpoint.query ? this.queryColumns(db) : this.tableColumns(db);
      if (!columns) return null;
      const sample = this.sampleColumns(
        db,
        columns.columns.map((c) => c.name),
      );
      const fields = columns.columns.map((c) => this.fieldOf(c, sample.get(c.name)!));
      const pk = columns.columns
        .filter((c) => c.pk > 0)
        .sort((a, b) => a.pk - b.pk)
        .map((c) => c.name);
      let key = keyList(this.endpoint.key) ?? pk;
      if (key.length === 0 && columns.rowid) {
        // A rowid table without a declared primary key: rowid is its key, carried as a column named rowid.
        fields.unshift({ name: 'rowid', type: 'int64', nullable: false, nativeType: 'INTEGER (rowid)', nativeOf: CONNECTOR });
        key = ['rowid'];
        this.log.info({ table: this.name }, 'no primary key declared: rowid is the key and travels as a column named rowid');
      }
      if (key.length === 0) throw schemaError(`${this.name} has no key; set "key" to the column(s) unique and non-null per row`, CONNECTOR);
      const unknown = key.filter((k) => !fields.some((f) => f.name === k));
      if (unknown.length) throw schemaError(`key column(s) ${unknown.map((k) => `"${k}"`).join(', ')} not found in ${this.name}`, CONNECTOR);
      for (const f of fields) if (key.includes(f.name)) f.nullable = false;
      this.logSample(fields, sample);
      return { object: this.name, fields, key };
    });
  }

  /** PRAGMA table_xinfo: declared types, NOT NULL and pk order; hidden columns of virtual tables are left out. */
  private tableColumns(db: Database.Database): { columns: SourceColumn[]; rowid: boolean } | null {
    const table = this.endpoint.table!;
    const entry = db.prepare(`SELECT type, sql FROM sqlite_schema WHERE name = ? AND type IN ('table', 'view')`).get(table) as
      { type: string; sql: string | null } | undefined;
    if (!entry) return null;
    const info = db.prepare(`SELECT name, type, "notnull" AS nn, pk, hidden FROM pragma_table_xinfo(?)`).all(table) as {
      name: string;
      type: string;
      nn: bigint;
      pk: bigint;
      hidden: bigint;
    }[];
    const withoutRowid = /\bWITHOUT\s+ROWID\s*$/i.test(entry.sql ?? '');
    return {
      columns: info.filter((c) => c.hidden !== 1n).map((c) => ({ name: c.name, declared: c.type, notNull: c.nn === 1n, pk: Number(c.pk) })),
      rowid: entry.type === 'table' && !withoutRowid,
    };
  }

  /** A query's result columns from the prepared statement: declared types where a column is a table's column. */
  private queryColumns(db: Database.Database): { columns: SourceColumn[]; rowid: boolean } {
    const stmt = db.prepare(`SELECT * FROM ${this.from}`);
    return { columns: stmt.columns().map((c) => ({ name: c.name, declared: c.type, notNull: false, pk: 0 })), rowid: false };
  }

  /** The first typeCheckSample rows: SQLite's typing is dynamic, so what a column holds is looked at, not assumed. */
  private sampleColumns(db: Database.Database, names: string[]): Map<string, ColumnSample> {
    const out = new Map(names.map((n) => [n, { classes: {}, values: [] } as ColumnSample]));
    const limit = this.endpoint.typeCheckSample;
    if (limit === 0) return out;
    for (const row of db.prepare(`SELECT ${names.map(q).join(', ')} FROM ${this.from} LIMIT ${limit}`).iterate() as Iterable<Row>) {
      for (const n of names) {
        const s = out.get(n)!;
        const v = row[n];
        const cls = storageClassOf(v);
        s.classes[cls] = (s.classes[cls] ?? 0) + 1;
        if (cls !== 'null' && cls !== 'blob') s.values.push(v);
      }
    }
    return out;
  }

  private fieldOf(c: SourceColumn, sample: ColumnSample): FieldSchema {
    const declared = (c.declared ?? '').trim();
    const configured = this.endpoint.dateColumns?.[c.name];
    let type = configured ? declaredTypeOfDate(declared) : declaredTypeOf(declared);
    if (!declared && !configured) type = typeOfUndeclared(sample);
    const field: FieldSchema = { name: c.name, type: 'string', nullable: !c.notNull, nativeType: declared || '(none)', nativeOf: CONNECTOR };
    if (type !== 'datetime' && !DATE_TYPES.has(type)) return { ...field, type };
    const encoding: DateEncoding = configured && configured !== 'auto' ? configured : detectEncoding(sample.values);
    if (!configured || configured === 'auto')
      this.log.info({ table: this.name, column: c.name, encoding, sampled: sample.values.length }, 'date encoding detected');
    const zoned = sample.values.length > 0 && sample.values.every((v) => typeof v === 'string' && /(Z|[+-]\d{2}:?\d{2})$/i.test(v));
    const dateType: DateType = type === 'datetime' ? (encoding !== 'iso' || zoned ? 'timestamptz' : 'timestamp') : (type as DateType);
    return { ...field, type: dateType, nativeType: `${declared || '(none)'} (${encoding})` };
  }

  /** What the sample found, and the drift it saw: values whose storage class the declared type does not take. */
  private logSample(fields: FieldSchema[], sample: Map<string, ColumnSample>): void {
    const classes = Object.fromEntries(fields.filter((f) => sample.has(f.name)).map((f) => [f.name, sample.get(f.name)!.classes]));
    this.log.info({ table: this.name, sampled: this.endpoint.typeCheckSample, classes }, 'storage classes sampled');
    for (const f of fields) {
      const s = sample.get(f.name);
      if (!s) continue;
      const accepted = acceptedClasses(f);
      const drift = Object.entries(s.classes).filter(([cls]) => cls !== 'null' && accepted && !accepted.includes(cls as StorageClass));
      if (drift.length)
        this.log.warn(
          { table: this.name, column: f.name, declared: f.nativeType, drift: Object.fromEntries(drift) },
          'values of another storage class than the column declares: those rows will be rejected at read',
        );
    }
  }

  /** Ranges of the leading key column: integers evenly between min and max, others at sampled quantiles. */
  async planPartitions(schema: ObjectSchema, count: number): Promise<KeyRange[]> {
    const db = this.reader();
    const lead = keyFieldsOf(schema)[0]!;
    const col = q(lead.name);
    return this.run('plan partitions of', () => {
      const total = Number((db.prepare(`SELECT count(*) AS n FROM ${this.from}`).get() as { n: bigint }).n);
      const bounds: KeyValue[] = [];
      if (count > 1 && (lead.type === 'int64' || lead.type === 'int32')) {
        // Only integer values: a drifted text key sorts after every integer, so the last (unbounded) range still reads it.
        const mm = db.prepare(`SELECT min(${col}) AS lo, max(${col}) AS hi FROM ${this.from} WHERE typeof(${col}) = 'integer'`).get() as {
          lo: bigint | null;
          hi: bigint | null;
        };
        if (mm.lo !== null && mm.hi !== null) {
          const step = (mm.hi - mm.lo + 1n) / BigInt(count);
          if (step > 0n) for (let i = 1; i < count; i++) bounds.push(toKeyValue(mm.lo + step * BigInt(i) - 1n));
        }
      } else if (count > 1 && total > 0) {
        // Ordered sampling: the key at each quantile's offset, one index seek per boundary.
        const at = db.prepare(`SELECT ${col} AS k FROM ${this.from} WHERE ${col} IS NOT NULL ORDER BY ${col} LIMIT 1 OFFSET ?`);
        for (let i = 1; i < count; i++) {
          const r = at.get(Math.floor((total * i) / count)) as { k: Value } | undefined;
          if (r) bounds.push(toKeyValue(r.k));
        }
      }
      const unique = bounds.filter((b, i) => i === 0 || b !== bounds[i - 1]);
      const ranges: KeyRange[] = [];
      let lower: KeyValue | null = null;
      for (const upper of [...unique, null]) {
        ranges.push({ id: ranges.length, lower, upper, estimatedRows: Math.round(total / (unique.length + 1)) });
        lower = upper;
      }
      return ranges;
    });
  }

  async *read(schema: ObjectSchema, range: KeyRange, after: Cursor | null, batchSize: number): AsyncIterable<RowBatch> {
    const keyFields = keyFieldsOf(schema);
    const cols = schema.fields.map((f) => q(f.name)).join(', ');
    const converters = schema.fields.map((f) => this.converterOf(f));
    let cursor = after as KeyCursor | null;
    for (;;) {
      // pageQuery asks for the cursor's values in key order, then the range's bounds on the leading column.
      const bindOrder = [
        ...(cursor !== null ? keyFields : []),
        ...(range.lower !== null ? [keyFields[0]!] : []),
        ...(range.upper !== null ? [keyFields[0]!] : []),
      ];
      const params: SqlValue[] = [];
      const sql = pageQuery(this.from, cols, schema.key, range, cursor, batchSize, (v) => {
        params.push(bindKey(v, bindOrder[params.length]!));
        return '?';
      });
      // raw(): rows as value arrays in the selected columns' order, no object with named keys per stored row.
      const raw = this.run('read', () => this.statement(this.reader(), sql, true).all(params) as Value[][]);
      if (raw.length === 0) return;
      const batch: RowBatch = { rows: [], cursor: cursorOf(rowOf(schema, raw[raw.length - 1]!), schema.key), rejected: [] };
      for (const r of raw) {
        const converted = this.toNeutralRow(schema, converters, r);
        if ('error' in converted) batch.rejected!.push({ row: rowOf(schema, r), error: converted.error });
        else batch.rows.push(converted.row);
      }
      cursor = batch.cursor as KeyCursor;
      yield batch;
      if (raw.length < batchSize) return;
    }
  }

  /** A stored row as neutral values, or why not: every column whose storage class does not fit is named. */
  private toNeutralRow(schema: ObjectSchema, converters: readonly FieldConverter[], r: readonly Value[]): { row: Row } | { error: string } {
    const row: Row = {};
    let problems: string[] | null = null;
    for (let i = 0; i < converters.length; i++) {
      const f = schema.fields[i]!;
      const c = converters[i]!(r[i] ?? null);
      if (c.ok) row[f.name] = c.value;
      else (problems ??= []).push(`column "${f.name}" (${f.nativeOf === CONNECTOR ? f.nativeType : f.type}) holds ${c.why}`);
    }
    return problems ? { error: problems.join('; ') } : { row };
  }

  /**
   * A field's value converter, decided once per read rather than per value: date or not, and the date
   * encoding when the field carries it. The text that shows a value is built only for a value that does not fit.
   */
  private converterOf(f: FieldSchema): FieldConverter {
    if (DATE_TYPES.has(f.type)) {
      const fixed = this.fixedEncodingOf(f);
      const type = f.type as DateType;
      return (v) => {
        const cls = storageClassOf(v);
        if (cls === 'null') return NULL_VALUE;
        const encoding = fixed ?? encodingOfValue(v);
        if (!encoding || !ENCODING_CLASSES[encoding].includes(cls))
          return unfit(v, cls, `expected ${encoding === 'iso' ? 'ISO text' : (encoding ?? 'a date')}`);
        const text = dateValue(v, encoding, type);
        return text === null ? unfit(v, cls, `that is not a ${encoding} date/time`, ' ') : { ok: true, value: text };
      };
    }
    const type = f.type as keyof typeof ACCEPTED_CLASSES;
    const accepted = ACCEPTED_CLASSES[type];
    return (v) => {
      const cls = storageClassOf(v);
      if (cls === 'null') return NULL_VALUE;
      if (!accepted.includes(cls)) return unfit(v, cls, `expected ${accepted.join(' or ')} for ${f.type}`);
      const c = plainValue(v, cls, type);
      return c.ok ? c : unfit(v, cls, c.why);
    };
  }

  /** A date column's encoding when the field fixes it (a SQLite nativeType, else the endpoint's dateColumns); null: per value. */
  private fixedEncodingOf(f: FieldSchema): DateEncoding | null {
    if (f.nativeOf === CONNECTOR) {
      const m = /\((\w+)\)$/.exec(f.nativeType ?? '');
      if (m && (DATE_ENCODINGS as readonly string[]).includes(m[1]!)) return m[1] as DateEncoding;
    }
    const configured = this.endpoint.dateColumns?.[f.name];
    return configured && configured !== 'auto' ? configured : null;
  }

  async prepare(schema: ObjectSchema): Promise<void> {
    if (this.endpoint.query) throw configError('target.query: a query source cannot be a target; give target.table', CONNECTOR);
    const db = this.writer();
    this.run('prepare', () => {
      const cols = schema.fields.map((f) => `${q(f.name)} ${TARGET_DECLARED_TYPE[f.type]}${schema.key.includes(f.name) ? ' NOT NULL' : ''}`);
      db.exec(`CREATE TABLE IF NOT EXISTS ${this.from} (${cols.join(', ')}, PRIMARY KEY (${schema.key.map(q).join(', ')}))`);
    });
    try {
      // Preparing the upsert checks what it needs of an existing table: every column, and a unique index on the key.
      this.upsert(schema);
    } catch (err) {
      throw schemaError(`target ${this.name} cannot take upserts on (${keyLabel(schema.key)}): ${(err as Error).message}`, CONNECTOR, err);
    }
  }

  private upsert(schema: ObjectSchema): Database.Statement {
    const names = schema.fields.map((f) => q(f.name));
    const others = schema.fields.filter((f) => !schema.key.includes(f.name)).map((f) => `${q(f.name)} = excluded.${q(f.name)}`);
    const sql =
      `INSERT INTO ${this.from} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')}) ` +
      `ON CONFLICT (${schema.key.map(q).join(', ')}) DO ${others.length ? `UPDATE SET ${others.join(', ')}` : 'NOTHING'}`;
    return this.statement(this.writer(), sql);
  }

  /** One transaction per batch; a row the database refuses is rejected alone (SQLite aborts only that statement). */
  async write(schema: ObjectSchema, rows: Row[]): Promise<WriteOutcome> {
    if (rows.length === 0) return { written: 0, rejected: [] };
    const db = this.writer();
    const stmt = this.run('write', () => this.upsert(schema));
    const rejected: RejectedRecord[] = [];
    this.run('write', () =>
      db.transaction(() => {
        for (const row of rows) {
          try {
            stmt.run(schema.fields.map((f) => bindable(row[f.name], f)));
          } catch (err) {
            if (err instanceof UnfitValue) {
              rejected.push({ row, error: err.message });
              continue;
            }
            if (!isRowError(err)) throw err;
            rejected.push({ row, error: `${(err as Error).message} (${(err as { code?: string }).code})` });
          }
        }
      })(),
    );
    return { written: rows.length - rejected.length, rejected };
  }

  /** One statement per key in one transaction; keys bind as the upsert binds them, so they match the stored form. */
  async deleteKeys(schema: ObjectSchema, keys: Row[]): Promise<number> {
    if (keys.length === 0) return 0;
    const db = this.writer();
    const fields = schema.key.map((k) => schema.fields.find((f) => f.name === k)!);
    const stmt = this.run('delete from', () => this.statement(db, `DELETE FROM ${this.from} WHERE ${fields.map((f) => `${q(f.name)} = ?`).join(' AND ')}`));
    let deleted = 0;
    this.run('delete from', () =>
      db.transaction(() => {
        for (const k of keys) deleted += stmt.run(fields.map((f) => bindable(k[f.name], f))).changes;
      })(),
    );
    return deleted;
  }

  async quarantine(records: QuarantinedRecord[]): Promise<void> {
    if (records.length === 0) return;
    const db = this.writer();
    this.run('quarantine into', () => {
      db.exec(
        `CREATE TABLE IF NOT EXISTS ${q(DEAD_LETTERS)} (id INTEGER PRIMARY KEY, job TEXT NOT NULL, run_id TEXT NOT NULL,
           target_table TEXT NOT NULL, partition INTEGER NOT NULL, record_key TEXT, stage TEXT NOT NULL, error TEXT NOT NULL,
           record JSON_TEXT NOT NULL, created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), dedup TEXT)`,
      );
      // A table made before dead letters had an identity gains it (its old rows keep a NULL dedup).
      const columns = db.prepare(`SELECT name FROM pragma_table_info(?)`).all(DEAD_LETTERS) as { name: string }[];
      if (!columns.some((c) => c.name === 'dedup')) db.exec(`ALTER TABLE ${q(DEAD_LETTERS)} ADD COLUMN dedup TEXT`);
      db.exec(`CREATE UNIQUE INDEX IF NOT EXISTS ${q(`${DEAD_LETTERS}_dedup`)} ON ${q(DEAD_LETTERS)} (dedup)`);
      // A replayed batch meets its own dead letters by dedup and keeps the first.
      const insert = db.prepare(
        `INSERT INTO ${q(DEAD_LETTERS)} (job, run_id, target_table, partition, record_key, stage, error, record, dedup)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedup) DO NOTHING`,
      );
      db.transaction(() => {
        for (const r of records)
          insert.run(r.job, r.runId, this.name, r.partition, r.key, r.stage, r.error, JSON.stringify(rowToJsonSafe(r.record)), deadLetterId(r, this.name));
      })();
    });
  }

  async close(): Promise<void> {
    this.statements.clear();
    this.ro?.close();
    this.rw?.close();
    this.ro = this.rw = null;
  }
}

/** With dateColumns naming a column, it is a date whatever its declared type: DATE stays a date, anything else an instant. */
function declaredTypeOfDate(declared: string): FieldType | 'datetime' {
  const t = declaredTypeOf(declared);
  return t === 'date' || t === 'timestamptz' ? t : 'datetime';
}

/** A column without a declared type takes the sample's one storage class; mixed or unseen classes travel as text. */
function typeOfUndeclared(sample: ColumnSample): FieldType {
  const seen = (Object.keys(sample.classes) as StorageClass[]).filter((c) => c !== 'null') as Exclude<StorageClass, 'null'>[];
  if (seen.length === 1) return STORAGE_CLASS_TYPE[seen[0]!];
  if (seen.length === 2 && seen.includes('integer') && seen.includes('real')) return 'float64';
  return 'string';
}

function acceptedClasses(f: FieldSchema): readonly StorageClass[] | null {
  if (!DATE_TYPES.has(f.type)) return ACCEPTED_CLASSES[f.type as keyof typeof ACCEPTED_CLASSES];
  const m = /\((\w+)\)$/.exec(f.nativeType ?? '');
  return m && m[1]! in ENCODING_CLASSES ? ENCODING_CLASSES[m[1] as DateEncoding] : null;
}

/** A key value (cursor or bound) bound as the key column's type: int64 travels as decimal text but compares as an integer. */
function bindKey(v: KeyValue, field: FieldSchema): SqlValue {
  if ((field.type === 'int64' || field.type === 'int32') && typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  if ((field.type === 'int64' || field.type === 'int32') && typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  return v;
}

/** Opens a session on the endpoint's file; the path has been resolved from its secret reference or named connection. */
export async function openSqlite(endpoint: SqliteEndpoint, connection: ResolvedConnection, log: Logger): Promise<ConnectorSession> {
  const path = connection.path;
  if (typeof path !== 'string' || path === '') throw configError('connection.path did not resolve to a file path', CONNECTOR);
  return new SqliteSession(endpoint, path, log);
}

class UnfitValue extends Error {}

type FieldConverter = (v: Value) => Converted;

/** A raw row (values in the schema's field order) as a stored row with named columns. */
function rowOf(schema: ObjectSchema, values: readonly Value[]): Row {
  const row: Row = {};
  schema.fields.forEach((f, i) => (row[f.name] = values[i] ?? null));
  return row;
}
const NULL_VALUE: Converted = { ok: true, value: null };

/** Why a stored value does not fit, with the value shown: its storage class and its first 40 characters (or its size). */
function unfit(v: Value, cls: StorageClass, why: string, sep = ': '): Converted {
  const shown = `${cls === 'integer' ? 'an' : 'a'} ${cls} value${cls === 'blob' ? ` (${(v as Buffer).length} bytes)` : ` (${JSON.stringify(String(v).slice(0, 40))})`}`;
  return { ok: false, why: `${shown}${sep}${why}` };
}

/**
 * A value as the column takes it. SQLite's dynamic typing would store the text "toto" in an INTEGER column and
 * turn NaN into NULL without a word, so a value that does not convert to its field's type is a rejected record.
 */
function bindable(v: Value | undefined, f: FieldSchema): SqlValue {
  let value: Value;
  try {
    value = coerce(v, f.type);
  } catch (err) {
    throw new UnfitValue(`${f.name}: ${(err as Error).message}`);
  }
  if (typeof value === 'number' && Number.isNaN(value)) throw new UnfitValue(`${f.name}: SQLite cannot store NaN (it would become NULL)`);
  return toSqliteValue(value, f.type);
}
