import { Client, errors, types, type ClientOptions } from 'cassandra-driver';
import { schemaError } from '../../errors';
import type { Logger } from '../../logging';
import type { ConnectorSession, ResolvedConnection } from '../contract';
import { rowToJsonSafe } from '../../model/json-safe';
import type { Cursor, FieldSchema, KeyRange, ObjectSchema, QuarantinedRecord, RejectedRecord, Row, RowBatch, WriteOutcome } from '../../model/types';
import { buildClientOptions, checkBundle, parseResolved } from './client-options';
import { singleKey } from '../../model/keys';
import { classifyCassandraError, isRecordError } from './errors';
import type { CassandraEndpoint } from './spec';
import { cqlColumnType, neutralTypeOfCql, readCql, toCql } from './types';

const q = (ident: string) => `"${ident.replace(/"/g, '""')}"`;
const lit = (v: string | number) => (typeof v === 'number' ? String(v) : `'${v.replace(/'/g, "''")}'`);
const DEAD_LETTERS = '_datamigrato_dead_letters';
const TOKEN_ALIAS = 'dm_token';

/** Murmur3Partitioner's ring. MIN itself is never a row's token, so `token > MIN` covers every row. */
export const MIN_TOKEN = -(2n ** 63n);
export const MAX_TOKEN = 2n ** 63n - 1n;

/** Where a token-range read stopped: the driver's paging state for the exact same query, or the last token. */
export interface TokenCursor {
  [k: string]: string | null;
  /** Lower bound of the query the paging state belongs to (paging state is only valid for that query). */
  lower: string;
  pageState: string | null;
  token: string;
}

interface TableMeta {
  columns: Map<string, string>;
  partitionKeys: string[];
  clustering: string[];
}

/** Splits the whole ring into `count` equal token ranges (Murmur3 spreads keys evenly over it). */
export function splitTokenRing(count: number): { lower: string | null; upper: string | null }[] {
  const n = BigInt(Math.max(1, count));
  const span = MAX_TOKEN - MIN_TOKEN;
  const ranges: { lower: string | null; upper: string | null }[] = [];
  let lower: string | null = null;
  for (let i = 1n; i <= n; i++) {
    const upper = i === n ? null : (MIN_TOKEN + (span * i) / n).toString();
    ranges.push({ lower, upper });
    lower = upper;
  }
  return ranges;
}

const sk = (schema: ObjectSchema) => singleKey(schema, 'cassandra');

export class CassandraSession implements ConnectorSession {
  private readonly client: Client;
  private readonly table: string;
  private meta: TableMeta | null = null;

  constructor(
    private readonly endpoint: CassandraEndpoint,
    options: ClientOptions,
    private readonly log: Logger,
  ) {
    this.client = new Client(options);
    this.table = `${q(endpoint.keyspace)}.${q(endpoint.table)}`;
  }

  private get name() {
    return `${this.endpoint.keyspace}.${this.endpoint.table}`;
  }

  private async run<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      await this.client.connect();
      return await fn();
    } catch (err) {
      throw classifyCassandraError(err, `${what} ${this.name}`);
    }
  }

  async check(): Promise<void> {
    await this.run('check', () => this.client.execute('SELECT release_version FROM system.local'));
  }

  private async loadMeta(): Promise<TableMeta | null> {
    const res = await this.client.execute(
      'SELECT column_name, type, kind, position FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?',
      [this.endpoint.keyspace, this.endpoint.table],
    );
    if (res.rows.length === 0) return null;
    const byKind = (kind: string) =>
      res.rows.filter((r) => r.kind === kind).sort((a, b) => a.position - b.position).map((r) => r.column_name as string);
    const partitionKeys = byKind('partition_key');
    const clustering = byKind('clustering');
    const rest = res.rows.filter((r) => r.kind !== 'partition_key' && r.kind !== 'clustering').map((r) => r.column_name as string).sort();
    const columns = new Map<string, string>();
    for (const name of [...partitionKeys, ...clustering, ...rest]) columns.set(name, res.rows.find((r) => r.column_name === name)!.type);
    return { columns, partitionKeys, clustering };
  }

  private async tableMeta(): Promise<TableMeta> {
    this.meta ??= await this.loadMeta();
    if (!this.meta) throw schemaError(`table ${this.name} does not exist`, 'cassandra');
    return this.meta;
  }

  async describe(): Promise<ObjectSchema | null> {
    return this.run('describe', async () => {
      this.meta = await this.loadMeta();
      if (!this.meta) return null;
      const { columns, partitionKeys, clustering } = this.meta;
      const primary = new Set([...partitionKeys, ...clustering]);
      const fields: FieldSchema[] = [...columns].map(([name, cql]) => ({
        name,
        type: neutralTypeOfCql(cql),
        nullable: !primary.has(name),
        nativeType: cql,
        nativeOf: 'cassandra',
      }));
      let key = this.endpoint.key;
      if (!key) {
        if (partitionKeys.length !== 1 || clustering.length > 0)
          throw schemaError(
            `${this.name} has primary key ((${partitionKeys.join(', ')})${clustering.length ? `, ${clustering.join(', ')}` : ''}): ` +
              'set "key" to a column that is unique per row',
            'cassandra',
          );
        key = partitionKeys[0]!;
      }
      if (!columns.has(key)) throw schemaError(`key column "${key}" not found in ${this.name}`, 'cassandra');
      return { object: this.name, fields, key: [key] };
    });
  }

  async planPartitions(_schema: ObjectSchema, count: number): Promise<KeyRange[]> {
    return this.run('plan partitions of', async () => {
      await this.tableMeta();
      const total = await this.estimateRows();
      const ranges = splitTokenRing(count);
      return ranges.map((r, id) => ({ id, ...r, ...(total === undefined ? {} : { estimatedRows: Math.round(total / ranges.length) }) }));
    });
  }

  /** Partition count from the node's size estimates (refreshed every few minutes; absent on fresh tables). */
  private async estimateRows(): Promise<number | undefined> {
    try {
      const res = await this.client.execute(
        'SELECT partitions_count FROM system.size_estimates WHERE keyspace_name = ? AND table_name = ?',
        [this.endpoint.keyspace, this.endpoint.table],
      );
      const total = res.rows.reduce((n, r) => n + Number(r.partitions_count ?? 0), 0);
      return total > 0 ? total : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Pages one token range with the driver's paging state: each page is a batch, and the cursor after
   * it (paging state + the query's lower bound + last token) resumes exactly after it. Should a paging
   * state be refused (e.g. after a cluster upgrade), the read continues after the last token instead.
   */
  async *read(schema: ObjectSchema, range: KeyRange, after: Cursor | null, batchSize: number): AsyncIterable<RowBatch> {
    const meta = await this.run('read', () => this.tableMeta());
    const missing = schema.fields.filter((f) => !meta.columns.has(f.name)).map((f) => f.name);
    if (missing.length) throw schemaError(`${this.name} lacks columns: ${missing.join(', ')}`, 'cassandra');
    const token = `token(${meta.partitionKeys.map(q).join(', ')})`;
    const cql = `SELECT ${schema.fields.map((f) => q(f.name)).join(', ')}, ${token} AS ${TOKEN_ALIAS} FROM ${this.table} WHERE ${token} > ? AND ${token} <= ?`;
    const resume = after as TokenCursor | null;
    let lower = resume ? BigInt(resume.pageState ? resume.lower : resume.token) : range.lower === null ? MIN_TOKEN : BigInt(range.lower);
    const upper = range.upper === null ? MAX_TOKEN : BigInt(range.upper);
    let pageState = resume?.pageState ?? undefined;
    let lastToken = resume?.token ?? null;
    for (;;) {
      let res: types.ResultSet;
      try {
        await this.client.connect();
        res = await this.client.execute(cql, [lower, upper], { prepare: true, fetchSize: batchSize, pageState });
      } catch (err) {
        if (pageState && lastToken && err instanceof errors.ResponseError && /paging state/i.test(err.message)) {
          this.log.warn({ err: err.message }, 'paging state refused; continuing after the last token read');
          [lower, pageState] = [BigInt(lastToken), undefined];
          continue;
        }
        throw classifyCassandraError(err, `read ${this.name}`);
      }
      const next = res.pageState ?? null;
      if (res.rows.length > 0) {
        const rows = res.rows.map((r) => {
          const row: Row = {};
          for (const f of schema.fields) row[f.name] = readCql(r.get(f.name), f);
          return row;
        });
        lastToken = String(res.rows[res.rows.length - 1]!.get(TOKEN_ALIAS));
        const cursor: TokenCursor = { lower: lower.toString(), pageState: next, token: lastToken };
        yield { rows, cursor };
      }
      if (!next) return;
      pageState = next;
    }
  }

  async prepare(schema: ObjectSchema): Promise<void> {
    await this.run('prepare', async () => {
      const replication = Object.entries(this.endpoint.replication).map(([k, v]) => `${lit(k)}: ${lit(v)}`).join(', ');
      await this.client.execute(`CREATE KEYSPACE IF NOT EXISTS ${q(this.endpoint.keyspace)} WITH replication = {${replication}}`);
      if (!(await this.loadMeta())) {
        const cols = schema.fields.map((f) => `${q(f.name)} ${cqlColumnType(f)}`);
        await this.client.execute(`CREATE TABLE IF NOT EXISTS ${this.table} (${cols.join(', ')}, PRIMARY KEY (${q(sk(schema))}))`);
        this.log.info({ table: this.name, key: sk(schema) }, 'created target table');
      }
      this.meta = await this.loadMeta();
      const meta = await this.tableMeta();
      const missing = schema.fields.filter((f) => !meta.columns.has(f.name)).map((f) => f.name);
      if (missing.length) throw schemaError(`target ${this.name} lacks columns: ${missing.join(', ')}`, 'cassandra');
      const primary = [...meta.partitionKeys, ...meta.clustering];
      const unbound = primary.filter((c) => !schema.fields.some((f) => f.name === c));
      if (unbound.length || !primary.includes(sk(schema)))
        throw schemaError(
          `target ${this.name} has primary key (${primary.join(', ')}); the records' key "${sk(schema)}" must be part of it and ` +
            `every primary key column must be a field${unbound.length ? ` (missing: ${unbound.join(', ')})` : ''}`,
          'cassandra',
        );
    });
  }

  /**
   * Prepared INSERTs, `concurrency` in flight. INSERT is an upsert by primary key, so a batch written
   * twice leaves the same rows. A row the server or the driver refuses for its data is rejected; a
   * cluster problem stops the lanes and fails the batch, which the engine retries.
   */
  async write(schema: ObjectSchema, rows: Row[]): Promise<WriteOutcome> {
    if (rows.length === 0) return { written: 0, rejected: [] };
    const meta = await this.run('write', () => this.tableMeta());
    const missing = schema.fields.filter((f) => !meta.columns.has(f.name)).map((f) => f.name);
    if (missing.length) throw schemaError(`target ${this.name} lacks columns: ${missing.join(', ')}`, 'cassandra');
    const cql = `INSERT INTO ${this.table} (${schema.fields.map((f) => q(f.name)).join(', ')}) VALUES (${schema.fields.map(() => '?').join(', ')})`;
    const empty = this.endpoint.nullToUnset ? types.unset : null;
    const rejected: RejectedRecord[] = [];
    const jobs: { row: Row; params: unknown[] }[] = [];
    for (const row of rows) {
      try {
        jobs.push({
          row,
          params: schema.fields.map((f) => {
            try {
              const v = toCql(row[f.name], meta.columns.get(f.name)!, f.type);
              return v === null ? (f.name === sk(schema) ? null : empty) : v;
            } catch (err) {
              throw new Error(`${f.name}: ${(err as Error).message}`);
            }
          }),
        });
      } catch (err) {
        rejected.push({ row, error: (err as Error).message });
      }
    }
    let written = 0;
    let failure: unknown = null;
    let next = 0;
    const lane = async () => {
      while (next < jobs.length && failure === null) {
        const job = jobs[next++]!;
        try {
          await this.client.execute(cql, job.params, { prepare: true });
          written++;
        } catch (err) {
          if (isRecordError(err)) rejected.push({ row: job.row, error: (err as Error).message });
          else failure ??= err;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.endpoint.concurrency, jobs.length) }, lane));
    if (failure !== null) throw classifyCassandraError(failure, `write ${this.name}`);
    return { written, rejected };
  }

  async quarantine(records: QuarantinedRecord[]): Promise<void> {
    if (records.length === 0) return;
    const dl = `${q(this.endpoint.keyspace)}.${q(DEAD_LETTERS)}`;
    await this.run('quarantine into', async () => {
      await this.client.execute(
        `CREATE TABLE IF NOT EXISTS ${dl} (job text, run_id text, id timeuuid, target_table text, partition int, record_key text,
           stage text, error text, record text, created_at timestamp, PRIMARY KEY ((job, run_id), id))`,
      );
      const cql = `INSERT INTO ${dl} (job, run_id, id, target_table, partition, record_key, stage, error, record, created_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
      for (const r of records) {
        await this.client.execute(
          cql,
          [r.job, r.runId, types.TimeUuid.now(), this.name, r.partition, r.key, r.stage, r.error, JSON.stringify(rowToJsonSafe(r.record)), new Date()],
          { prepare: true },
        );
      }
    });
  }

  async close(): Promise<void> {
    await this.client.shutdown();
  }
}

/** Opens a session on the endpoint's table: contact points, an Astra DB bundle or a named connection. */
export async function openCassandra(endpoint: CassandraEndpoint, connection: ResolvedConnection, log: Logger): Promise<ConnectorSession> {
  const resolved = parseResolved(connection);
  await checkBundle(resolved);
  return new CassandraSession(endpoint, buildClientOptions(resolved, endpoint), log);
}
