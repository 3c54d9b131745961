import * as driver from 'cassandra-driver';
import { Client, errors, types, type ClientOptions } from 'cassandra-driver';
import { schemaError } from '../../errors';
import { mapLimited } from '../../concurrency';
import type { Logger } from '../../logging';
import type { ConnectorSession, ResolvedConnection } from '../contract';
import { rowToJsonSafe } from '../../model/json-safe';
import { deadLetterTimeUuid } from '../dead-letter-id';
import type { Cursor, FieldSchema, KeyRange, ObjectSchema, QuarantinedRecord, RejectedRecord, Row, RowBatch, WriteOutcome } from '../../model/types';
import { buildClientOptions, checkBundle, parseResolved } from './client-options';
import { keyLabel } from '../../model/keys';
import {
  checkTargetPrimaryKey,
  createTableCql,
  keyList,
  primaryColumns,
  q,
  rangeQuery,
  restOfPartitionQueries,
  targetLayout,
  type PrimaryKeyLayout,
} from './cql';
import { classifyCassandraError, isRecordError } from './errors';
import type { CassandraEndpoint } from './spec';
import { neutralTypeOfCql, readCql, toCql } from './types';

const lit = (v: string | number) => (typeof v === 'number' ? String(v) : `'${v.replace(/'/g, "''")}'`);
const DEAD_LETTERS = '_datamigrato_dead_letters';
const TOKEN_ALIAS = 'dm_token';

/** Murmur3Partitioner's ring. MIN itself is never a row's token, so `token > MIN` covers every row. */
export const MIN_TOKEN = -(2n ** 63n);
export const MAX_TOKEN = 2n ** 63n - 1n;

/**
 * Where a token-range read stopped: the driver's paging state for the exact same query, and the last
 * row's position for when there is none (or the server refuses it): its token and, on a table with
 * clustering columns, its partition key and clustering values (base64 of their CQL encoding, so any
 * column type binds back exactly as it was read).
 */
export interface TokenCursor {
  [k: string]: string | string[] | null;
  /** Lower bound of the query the paging state belongs to (paging state is only valid for that query). */
  lower: string;
  pageState: string | null;
  token: string;
  /** The last row's partition key values (empty without clustering columns: the token is enough then). */
  partition: string[];
  clustering: string[];
}

/** The last row read: a read resumes after it with the rest of its partition, then the tokens above. */
interface RowPosition {
  token: string;
  partition: string[];
  clustering: string[];
}

interface TableMeta {
  columns: Map<string, string>;
  layout: PrimaryKeyLayout;
}

/** The driver's value encoder (public in the driver, untyped): a row's own key values re-encode as it read them. */
interface ValueEncoder {
  encode(value: unknown, type: unknown): Buffer | null;
}
const { Encoder } = driver as unknown as { Encoder: new (protocolVersion: number, options: ClientOptions) => ValueEncoder };
/** Value encodings are the same in protocols v3 to v5 (only v1/v2 collections differ). */
const ENCODING_PROTOCOL = 4;

const isPagingStateRefused = (err: unknown) => err instanceof errors.ResponseError && /paging state/i.test(err.message);

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

const positionOf = (c: TokenCursor): RowPosition => ({ token: c.token, partition: c.partition ?? [], clustering: c.clustering ?? [] });
const fromBase64 = (b: string) => Buffer.from(b, 'base64');
// eslint-disable-next-line require-yield
async function* nothing(from: RowPosition): AsyncGenerator<RowBatch, RowPosition> {
  return from;
}

export class CassandraSession implements ConnectorSession {
  private readonly client: Client;
  private readonly table: string;
  private meta: TableMeta | null = null;
  private readonly encoder: ValueEncoder;

  constructor(
    private readonly endpoint: CassandraEndpoint,
    options: ClientOptions,
    private readonly log: Logger,
  ) {
    this.client = new Client(options);
    this.encoder = new Encoder(ENCODING_PROTOCOL, options);
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
      'SELECT column_name, type, kind, position, clustering_order FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?',
      [this.endpoint.keyspace, this.endpoint.table],
    );
    if (res.rows.length === 0) return null;
    const byKind = (kind: string) => res.rows.filter((r) => r.kind === kind).sort((a, b) => a.position - b.position);
    const partition = byKind('partition_key').map((r) => r.column_name as string);
    const clusteringRows = byKind('clustering');
    const clustering = clusteringRows.map((r) => r.column_name as string);
    const descending = clusteringRows.map((r) => String(r.clustering_order).toLowerCase() === 'desc');
    const rest = res.rows
      .filter((r) => r.kind !== 'partition_key' && r.kind !== 'clustering')
      .map((r) => r.column_name as string)
      .sort();
    const columns = new Map<string, string>();
    for (const name of [...partition, ...clustering, ...rest]) columns.set(name, res.rows.find((r) => r.column_name === name)!.type);
    return { columns, layout: { partition, clustering, descending } };
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
      const { columns, layout } = this.meta;
      const primary = new Set(primaryColumns(layout));
      const fields: FieldSchema[] = [...columns].map(([name, cql]) => ({
        name,
        type: neutralTypeOfCql(cql),
        nullable: !primary.has(name),
        nativeType: cql,
        nativeOf: 'cassandra',
      }));
      // The primary key identifies a row: partition key columns, then clustering columns, in order.
      const key = keyList(this.endpoint.key) ?? primaryColumns(layout);
      const unknown = key.filter((k) => !columns.has(k));
      if (unknown.length) throw schemaError(`key column(s) ${unknown.map((k) => `"${k}"`).join(', ')} not found in ${this.name}`, 'cassandra');
      return { object: this.name, fields, key };
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
      const res = await this.client.execute('SELECT partitions_count FROM system.size_estimates WHERE keyspace_name = ? AND table_name = ?', [
        this.endpoint.keyspace,
        this.endpoint.table,
      ]);
      const total = res.rows.reduce((n, r) => n + Number(r.partitions_count ?? 0), 0);
      return total > 0 ? total : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Pages one token range with the driver's paging state: each page is a batch, and the cursor after
   * it (paging state + the query's lower bound + the last row's position) resumes exactly after it.
   * Without a paging state, or should the server refuse one (e.g. after a cluster upgrade), the read
   * continues after the last row: the rest of its partition in clustering order, then the tokens above.
   */
  async *read(schema: ObjectSchema, range: KeyRange, after: Cursor | null, batchSize: number): AsyncIterable<RowBatch> {
    const meta = await this.run('read', () => this.tableMeta());
    const missing = schema.fields.filter((f) => !meta.columns.has(f.name)).map((f) => f.name);
    if (missing.length) throw schemaError(`${this.name} lacks columns: ${missing.join(', ')}`, 'cassandra');
    const { layout } = meta;
    // The primary key columns are always selected: the cursor needs them even when the schema leaves them out.
    const cols = [...new Set([...schema.fields.map((f) => f.name), ...primaryColumns(layout)])].map(q).join(', ');
    const byRange = rangeQuery(this.table, cols, layout, TOKEN_ALIAS);
    const restQueries = restOfPartitionQueries(this.table, cols, layout, TOKEN_ALIAS);
    const upper = range.upper === null ? MAX_TOKEN : BigInt(range.upper);
    const resume = after as TokenCursor | null;
    let last: RowPosition | null = resume ? positionOf(resume) : null;
    let lower = range.lower === null ? MIN_TOKEN : BigInt(range.lower);
    let pageState: string | undefined;
    let fromLast = false;
    if (resume?.pageState) [lower, pageState] = [BigInt(resume.lower), resume.pageState];
    else if (last) fromLast = true;
    for (;;) {
      if (fromLast && last) {
        const [rest, nextLower] = this.afterRow(last, layout, restQueries, schema, batchSize);
        last = yield* rest;
        [lower, pageState, fromLast] = [nextLower, undefined, false];
      }
      let res: types.ResultSet;
      try {
        await this.client.connect();
        res = await this.client.execute(byRange, [lower, upper], { prepare: true, fetchSize: batchSize, pageState });
      } catch (err) {
        if (pageState && isPagingStateRefused(err)) {
          this.log.warn({ err: (err as Error).message }, 'paging state refused; continuing after the last row read');
          // After the last row read (the cursor's or this read's); with none yet, the same query from its start.
          [pageState, fromLast] = [undefined, last !== null];
          continue;
        }
        throw classifyCassandraError(err, `read ${this.name}`);
      }
      const next = res.pageState ?? null;
      if (res.rows.length > 0) {
        const batch = this.batchOf(res, schema, layout, lower.toString(), next);
        last = batch.position;
        yield batch.batch;
      }
      if (!next) return;
      pageState = next;
    }
  }

  /**
   * What follows a row: the rest of its partition (a generator returning the last position read), and
   * the lower token bound after it. A cursor without the row's key values (written before clustering
   * columns were tracked) re-reads its whole partition instead: duplicates an upsert absorbs, never a loss.
   */
  private afterRow(
    from: RowPosition,
    layout: PrimaryKeyLayout,
    queries: ReturnType<typeof restOfPartitionQueries>,
    schema: ObjectSchema,
    batchSize: number,
  ): [AsyncGenerator<RowBatch, RowPosition>, bigint] {
    const token = BigInt(from.token);
    const known = from.partition.length === layout.partition.length && from.clustering.length === layout.clustering.length;
    if (layout.clustering.length > 0 && !known) return [nothing(from), token - 1n];
    return [this.restOfPartition(from, layout, queries, schema, batchSize), token];
  }

  private async *restOfPartition(
    from: RowPosition,
    layout: PrimaryKeyLayout,
    queries: ReturnType<typeof restOfPartitionQueries>,
    schema: ObjectSchema,
    batchSize: number,
  ): AsyncGenerator<RowBatch, RowPosition> {
    let last = from;
    const partition = from.partition.map(fromBase64);
    const clustering = from.clustering.map(fromBase64);
    for (const { cql, clusteringParams } of queries) {
      let pageState: string | undefined;
      do {
        let res: types.ResultSet;
        try {
          await this.client.connect();
          res = await this.client.execute(cql, [...partition, ...clusteringParams.map((i) => clustering[i])], {
            prepare: true,
            fetchSize: batchSize,
            pageState,
          });
        } catch (err) {
          throw classifyCassandraError(err, `read ${this.name}`);
        }
        if (res.rows.length > 0) {
          // No paging state in these cursors: a resume from one goes through this path again, from its last row.
          const batch = this.batchOf(res, schema, layout, from.token, null);
          last = batch.position;
          yield batch.batch;
        }
        pageState = res.pageState ?? undefined;
      } while (pageState);
    }
    return last;
  }

  /** A page as a batch, and the position of its last row (the cursor carries it). */
  private batchOf(res: types.ResultSet, schema: ObjectSchema, layout: PrimaryKeyLayout, lower: string, pageState: string | null) {
    const rows = res.rows.map((r) => {
      const row: Row = {};
      for (const f of schema.fields) row[f.name] = readCql(r.get(f.name), f);
      return row;
    });
    const lastRow = res.rows[res.rows.length - 1]!;
    const encoded = (cols: string[]) =>
      layout.clustering.length === 0 ? [] : cols.map((c) => this.encodeValue(lastRow.get(c), res.columns.find((x) => x.name === c)!.type));
    const position: RowPosition = { token: String(lastRow.get(TOKEN_ALIAS)), partition: encoded(layout.partition), clustering: encoded(layout.clustering) };
    const cursor: TokenCursor = { lower, pageState, ...position };
    return { batch: { rows, cursor } as RowBatch, position };
  }

  private encodeValue(value: unknown, type: unknown): string {
    const bytes = this.encoder.encode(value, type);
    if (!bytes) throw schemaError(`${this.name}: a primary key value read as null`, 'cassandra');
    return bytes.toString('base64');
  }

  async prepare(schema: ObjectSchema): Promise<void> {
    const { partitionKey, clusteringKey } = this.endpoint;
    const layout = targetLayout(schema.key, partitionKey, clusteringKey);
    await this.run('prepare', async () => {
      const replication = Object.entries(this.endpoint.replication)
        .map(([k, v]) => `${lit(k)}: ${lit(v)}`)
        .join(', ');
      await this.client.execute(`CREATE KEYSPACE IF NOT EXISTS ${q(this.endpoint.keyspace)} WITH replication = {${replication}}`);
      if (!(await this.loadMeta())) {
        await this.client.execute(createTableCql(this.table, schema.fields, layout));
        this.log.info({ table: this.name, partitionKey: layout.partition, clusteringKey: layout.clustering }, 'created target table');
      }
      this.meta = await this.loadMeta();
      const meta = await this.tableMeta();
      const missing = schema.fields.filter((f) => !meta.columns.has(f.name)).map((f) => f.name);
      if (missing.length) throw schemaError(`target ${this.name} lacks columns: ${missing.join(', ')}`, 'cassandra');
      checkTargetPrimaryKey(this.name, meta.layout, schema.key, { partitionKey, clusteringKey });
    });
  }

  /**
   * Prepared INSERTs, `concurrency` in flight. INSERT is an upsert by primary key, so a batch written
   * twice leaves the same rows. A row the server or the driver refuses for its data (a null in a primary
   * key column among them) is rejected; a cluster problem stops the lanes and fails the batch, which the
   * engine retries.
   */
  async write(schema: ObjectSchema, rows: Row[]): Promise<WriteOutcome> {
    if (rows.length === 0) return { written: 0, rejected: [] };
    const meta = await this.run('write', () => this.tableMeta());
    const missing = schema.fields.filter((f) => !meta.columns.has(f.name)).map((f) => f.name);
    if (missing.length) throw schemaError(`target ${this.name} lacks columns: ${missing.join(', ')}`, 'cassandra');
    const cql = `INSERT INTO ${this.table} (${schema.fields.map((f) => q(f.name)).join(', ')}) VALUES (${schema.fields.map(() => '?').join(', ')})`;
    const primary = new Set(primaryColumns(meta.layout));
    const empty = this.endpoint.nullToUnset ? types.unset : null;
    const rejected: RejectedRecord[] = [];
    const jobs: { row: Row; params: unknown[] }[] = [];
    for (const row of rows) {
      try {
        const nullKeys = [...primary].filter((c) => row[c] === null || row[c] === undefined);
        if (nullKeys.length) throw new Error(`primary key column(s) ${keyLabel(nullKeys)} null: Cassandra needs every primary key column`);
        jobs.push({
          row,
          params: schema.fields.map((f) => {
            try {
              const v = toCql(row[f.name], meta.columns.get(f.name)!, f.type);
              return v === null ? empty : v;
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

  /**
   * Prepared DELETEs by the whole primary key, `concurrency` in flight. Cassandra does not say whether a
   * row existed, so the count is the keys asked for (repair only asks for keys this session just read).
   */
  async deleteKeys(schema: ObjectSchema, keys: Row[]): Promise<number> {
    if (keys.length === 0) return 0;
    const meta = await this.run('delete from', () => this.tableMeta());
    const columns = primaryColumns(meta.layout);
    const cql = `DELETE FROM ${this.table} WHERE ${columns.map((c) => `${q(c)} = ?`).join(' AND ')}`;
    const fieldOf = (c: string) => schema.fields.find((f) => f.name === c)!;
    await mapLimited(keys, this.endpoint.concurrency, (k) => {
      const params = columns.map((c) => toCql(k[c], meta.columns.get(c)!, fieldOf(c).type));
      return this.run('delete from', () => this.client.execute(cql, params, { prepare: true }));
    });
    return keys.length;
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
      // The id derives from the dead letter's identity: a replayed batch overwrites its own dead letters.
      for (const r of records) {
        await this.client.execute(
          cql,
          [
            r.job,
            r.runId,
            deadLetterTimeUuid(r, this.name),
            this.name,
            r.partition,
            r.key,
            r.stage,
            r.error,
            JSON.stringify(rowToJsonSafe(r.record)),
            new Date(),
          ],
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
