import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ScanCommand,
  type AttributeValue,
  type ScanCommandInput,
  type TableDescription,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { configError, schemaError, transientError } from '../../errors';
import { mapLimited } from '../../concurrency';
import type { Logger } from '../../logging';
import { rowToJsonSafe } from '../../model/json-safe';
import { applyUnknownFields } from '../../model/unknown-fields';
import type { Cursor, FieldSchema, KeyRange, ObjectSchema, QuarantinedRecord, RejectedRecord, Row, RowBatch, WriteOutcome } from '../../model/types';
import type { ConnectorSession, ResolvedConnection } from '../contract';
import { attrToJson, cursorToKey, fromAttr, itemBytes, itemOf, keyOfItem, keyToCursor, keyTypeOf, type Item } from './attributes';
import { inferFields } from './infer';
import { classifyDynamoError, errorName, fullJitterDelay, isNotFound, isThrottling, isValidation } from './retry';
import type { DynamoEndpoint } from './spec';

export const DEAD_LETTERS = '_datamigrato_dead_letters';
const MAX_BATCH_ITEMS = 25;
const MAX_BATCH_BYTES = 16 * 1024 * 1024;
const WRITE_CONCURRENCY = 4;
/** The SDK's own retries stay few, so the backoff below (which logs) is the one that shows. */
const SDK_MAX_ATTEMPTS = 3;
const DEAD_LETTER_RECORD_CHARS = 300_000;

interface Pending {
  row: Row;
  item: Item;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class DynamoSession implements ConnectorSession {
  private readonly client: DynamoDBClient;
  private table: Promise<TableDescription | null> | null = null;

  constructor(
    private readonly endpoint: DynamoEndpoint,
    connection: ResolvedConnection,
    private readonly log: Logger,
  ) {
    const { region, endpoint: url, accessKeyId, secretAccessKey, sessionToken } = connection as Record<string, string | undefined>;
    if (!region) throw configError('connection.region is required', 'dynamodb');
    this.client = new DynamoDBClient({
      region,
      ...(url ? { endpoint: url } : {}),
      ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } } : {}),
      maxAttempts: SDK_MAX_ATTEMPTS,
    });
  }

  private get name() {
    return this.endpoint.table;
  }

  private async send<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw classifyDynamoError(err, `${what} ${this.name}`);
    }
  }

  /** The table's description (key schema, attribute types, item count), cached; null when it does not exist. */
  private describeTable(fresh = false): Promise<TableDescription | null> {
    if (fresh || !this.table)
      this.table = this.send('describe', async () => {
        try {
          return (await this.client.send(new DescribeTableCommand({ TableName: this.name }))).Table ?? null;
        } catch (err) {
          if (isNotFound(err)) return null;
          throw err;
        }
      }).catch((err) => {
        this.table = null;
        throw err;
      });
    return this.table;
  }

  private async tableKey(): Promise<string[]> {
    const t = await this.describeTable();
    if (!t) throw schemaError(`table ${this.name} does not exist`, 'dynamodb');
    return keyNamesOf(t);
  }

  async check(): Promise<void> {
    await this.describeTable(true);
  }

  /** Scans up to sampleSize items for inference (the raw attribute values, so N stays text). */
  private async sample(): Promise<Item[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const out = await this.client.send(
        new ScanCommand({ TableName: this.name, Limit: Math.min(1000, this.endpoint.sampleSize - items.length), ExclusiveStartKey: start }),
      );
      items.push(...((out.Items ?? []) as Item[]));
      start = out.LastEvaluatedKey as Item | undefined;
    } while (start && items.length < this.endpoint.sampleSize);
    return items;
  }

  async describe(): Promise<ObjectSchema | null> {
    const t = await this.describeTable(true);
    if (!t) return null;
    const tableKey = keyNamesOf(t);
    const key = this.endpoint.key ?? tableKey;
    const items = await this.send('sample', () => this.sample());
    const fields = inferFields(items, key);
    for (const k of tableKey) {
      const f = fields.find((x) => x.name === k);
      const declared = t.AttributeDefinitions?.find((a) => a.AttributeName === k)?.AttributeType ?? 'S';
      if (!f)
        fields.splice(tableKey.indexOf(k), 0, {
          name: k,
          type: KEY_NEUTRAL[declared] ?? 'string',
          nullable: false,
          nativeType: declared,
          nativeOf: 'dynamodb',
        });
      else f.nullable = false;
    }
    for (const k of key)
      if (!fields.some((f) => f.name === k)) throw schemaError(`key field "${k}" not found in ${items.length} sampled items of ${this.name}`, 'dynamodb');
    return { object: this.name, fields, key, open: true };
  }

  /**
   * One parallel Scan segment per range. Bounds are segment ids, not key values: lower = Segment,
   * upper = TotalSegments (as Cassandra's ranges are tokens).
   */
  async planPartitions(_schema: ObjectSchema, count: number): Promise<KeyRange[]> {
    const t = await this.describeTable(true);
    const total = Math.max(1, Math.min(1_000_000, this.endpoint.segments ?? count));
    const estimated = Math.round((t?.ItemCount ?? 0) / total);
    return Array.from({ length: total }, (_, i) => ({ id: i, lower: i, upper: total, estimatedRows: estimated }));
  }

  private scanInput(schema: ObjectSchema, range: KeyRange, batchSize: number): ScanCommandInput {
    const input: ScanCommandInput = { TableName: this.name, Limit: batchSize, ConsistentRead: true };
    if (range.lower !== null && range.upper !== null) {
      input.Segment = Number(range.lower);
      input.TotalSegments = Number(range.upper);
    }
    // Every name goes through ExpressionAttributeNames: many attribute names are reserved words (name,
    // status, size, data…). Under an unknown-field policy the whole item is needed, so no projection.
    if (!schema.unknownFields) {
      const names = schema.fields.map((f) => f.name);
      input.ProjectionExpression = names.map((_, i) => `#f${i}`).join(', ');
      input.ExpressionAttributeNames = Object.fromEntries(names.map((n, i) => [`#f${i}`, n]));
    }
    return input;
  }

  /**
   * A segment page by page (Limit = batchSize), from ExclusiveStartKey = cursor. The cursor after a
   * batch is the LastEvaluatedKey, or the last item's key on the last page (scanning after it yields nothing).
   */
  async *read(schema: ObjectSchema, range: KeyRange, after: Cursor | null, batchSize: number): AsyncIterable<RowBatch> {
    const tableKey = await this.tableKey();
    const reader = new ItemReader(schema);
    let start: Item | undefined = after === null ? undefined : cursorToKey(after);
    const input = this.scanInput(schema, range, batchSize);
    for (;;) {
      const out = await this.send('read', () => this.client.send(new ScanCommand({ ...input, ExclusiveStartKey: start })));
      const items = (out.Items ?? []) as Item[];
      const next = out.LastEvaluatedKey as Item | undefined;
      if (items.length > 0) {
        const batch = reader.batch(items);
        yield { ...batch, cursor: keyToCursor(next ?? keyOfItem(items[items.length - 1]!, tableKey)) };
      }
      if (!next) return;
      start = next;
    }
  }

  async prepare(schema: ObjectSchema): Promise<void> {
    const existing = await this.describeTable(true);
    if (existing) {
      const missing = keyNamesOf(existing).filter((k) => !schema.fields.some((f) => f.name === k));
      if (missing.length)
        throw schemaError(`table ${this.name} is keyed by ${keyNamesOf(existing).join(', ')}, but the records have no field ${missing.join(', ')}`, 'dynamodb');
      if (existing.TableStatus !== 'ACTIVE') await this.waitActive();
      return;
    }
    const hash = this.endpoint.create?.partitionKey ?? schema.key[0]!;
    const range = this.endpoint.create?.sortKey ?? (this.endpoint.create?.partitionKey ? undefined : schema.key[1]);
    if (!this.endpoint.create && schema.key.length > 2)
      throw schemaError(
        `DynamoDB keys have at most two attributes; ${schema.object} has the key (${schema.key.join(', ')}): set create.partitionKey/sortKey`,
        'dynamodb',
      );
    await this.createTable(this.name, schema.fields, hash, range);
  }

  private async createTable(table: string, fields: FieldSchema[], hash: string, range: string | undefined): Promise<void> {
    const typeOf = (k: string) => {
      const f = fields.find((x) => x.name === k);
      if (!f) throw schemaError(`key attribute ${k} is not a field of the records`, 'dynamodb');
      try {
        return keyTypeOf(f.type);
      } catch (err) {
        throw schemaError(`${k}: ${(err as Error).message}`, 'dynamodb');
      }
    };
    const keys = [hash, ...(range ? [range] : [])];
    await this.send('create', async () => {
      try {
        await this.client.send(
          new CreateTableCommand({
            TableName: table,
            BillingMode: 'PAY_PER_REQUEST',
            AttributeDefinitions: keys.map((k) => ({ AttributeName: k, AttributeType: typeOf(k) })),
            KeySchema: keys.map((k, i) => ({ AttributeName: k, KeyType: i === 0 ? 'HASH' : 'RANGE' })),
          }),
        );
        this.log.info({ table, key: keys }, 'dynamodb: created table (on-demand)');
      } catch (err) {
        if (errorName(err) !== 'ResourceInUseException') throw err; // created meanwhile by a parallel prepare
      }
    });
    await this.waitActive(table);
  }

  private async waitActive(table = this.name, timeoutMs = 120_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const t = await this.send('describe', () => this.client.send(new DescribeTableCommand({ TableName: table })).then((o) => o.Table));
      if (t?.TableStatus === 'ACTIVE') break;
      if (Date.now() > until) throw transientError(`table ${table} not ACTIVE after ${timeoutMs / 1000} s (${t?.TableStatus})`, 'dynamodb');
      await sleep(250);
    }
    if (table === this.name) this.table = null;
  }

  async write(schema: ObjectSchema, rows: Row[]): Promise<WriteOutcome> {
    const tableKey = await this.tableKey();
    const rejected: RejectedRecord[] = [];
    // One request may not name a key twice: the last row for a key wins, as a second put would.
    const byKey = new Map<string, Pending>();
    for (const row of rows) {
      try {
        const item = itemOf(schema, row, tableKey);
        const size = itemBytes(item);
        if (size > this.endpoint.maxItemBytes)
          throw new Error(`item of ${size} bytes exceeds ${this.endpoint.maxItemBytes} (DynamoDB counts attribute names and values; the limit is 400 KB)`);
        byKey.set(JSON.stringify(keyToCursor(keyOfItem(item, tableKey))), { row, item });
      } catch (err) {
        rejected.push({ row, error: (err as Error).message });
      }
    }
    const pending = [...byKey.values()];
    const failed = await this.putAll(chunksOf(pending));
    rejected.push(...failed);
    return { written: pending.length - failed.length, rejected };
  }

  /**
   * BatchWriteItem DeleteRequests by the table's key (25 per request, the same backoff as puts). DynamoDB
   * does not say whether an item existed: the count is the distinct keys asked for.
   */
  async deleteKeys(schema: ObjectSchema, keys: Row[]): Promise<number> {
    const tableKey = await this.tableKey();
    const keyOnly: ObjectSchema = { ...schema, fields: schema.fields.filter((f) => schema.key.includes(f.name)), unknownFields: undefined };
    const byKey = new Map<string, Record<string, AttributeValue>>();
    for (const row of keys) {
      const key = keyOfItem(itemOf(keyOnly, row, tableKey), tableKey);
      byKey.set(JSON.stringify(keyToCursor(key)), key);
    }
    const all = [...byKey.values()];
    for (let i = 0; i < all.length; i += 25)
      await this.batchWrite(
        this.name,
        all.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } })),
      ).catch((err: unknown) => {
        throw classifyDynamoError(err, `delete from ${this.name}`);
      });
    return all.length;
  }

  private async putAll(chunks: Pending[][]): Promise<RejectedRecord[]> {
    return (await mapLimited(chunks, WRITE_CONCURRENCY, (chunk) => this.putChunk(chunk))).flat();
  }

  /** A chunk refused as invalid (one bad item fails the whole request) is retried item by item to find it. */
  private async putChunk(chunk: Pending[]): Promise<RejectedRecord[]> {
    try {
      await this.batchWrite(
        this.name,
        chunk.map((p) => ({ PutRequest: { Item: p.item } })),
      );
      return [];
    } catch (err) {
      if (!isValidation(err)) throw classifyDynamoError(err, `write ${this.name}`);
      if (chunk.length === 1) return [{ row: chunk[0]!.row, error: `DynamoDB refused the item: ${(err as Error).message}` }];
      const out: RejectedRecord[] = [];
      for (const p of chunk) out.push(...(await this.putChunk([p])));
      return out;
    }
  }

  /**
   * BatchWriteItem until every request is processed: UnprocessedItems and throttling are retried with
   * full-jitter exponential backoff, each round logged; past the deadline a retryable error fails the
   * batch (the engine retries it; puts by key make that harmless).
   */
  private async batchWrite(table: string, requests: WriteRequest[]): Promise<void> {
    const deadline = Date.now() + this.endpoint.retrySeconds * 1000;
    let left = requests;
    for (let attempt = 1; ; attempt++) {
      let reason: string;
      try {
        const out = await this.client.send(new BatchWriteItemCommand({ RequestItems: { [table]: left } }));
        const sdkAttempts = out.$metadata.attempts ?? 1;
        if (sdkAttempts > 1) this.log.info({ table, sdkAttempts, sdkRetryDelayMs: out.$metadata.totalRetryDelay }, 'dynamodb: the SDK retried BatchWriteItem');
        left = out.UnprocessedItems?.[table] ?? [];
        if (left.length === 0) return;
        reason = 'unprocessed items';
      } catch (err) {
        if (!isThrottling(err)) throw err;
        reason = errorName(err);
      }
      const delayMs = fullJitterDelay(attempt);
      if (Date.now() + delayMs > deadline)
        throw transientError(
          `write ${table}: ${left.length} of ${requests.length} items still not written after ${attempt} attempts over ${this.endpoint.retrySeconds} s (${reason}); the batch will be retried`,
          'dynamodb',
        );
      this.log.info({ table, reason, unprocessed: left.length, of: requests.length, attempt, delayMs }, 'dynamodb: retrying BatchWriteItem after backoff');
      await sleep(delayMs);
    }
  }

  async quarantine(records: QuarantinedRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.ensureDeadLetters();
    const items: Pending[] = records.map((r) => {
      let record = JSON.stringify(rowToJsonSafe(r.record));
      // A dead letter must fit an item itself: the record may be exactly the oversized one.
      const truncated = record.length > DEAD_LETTER_RECORD_CHARS;
      if (truncated) record = record.slice(0, DEAD_LETTER_RECORD_CHARS);
      const item: Item = {
        pk: { S: `${r.job}#${r.runId}` },
        sk: { S: `${this.name}#${r.stage}#${r.partition}#${r.key ?? JSON.stringify(rowToJsonSafe(r.record)).slice(0, 200)}` },
        job: { S: r.job },
        runId: { S: r.runId },
        target: { S: this.name },
        partition: { N: String(r.partition) },
        stage: { S: r.stage },
        error: { S: r.error.slice(0, 10_000) || '-' },
        record: { S: record },
        truncated: { BOOL: truncated },
        createdAt: { S: new Date().toISOString() },
        ...(r.key === null ? {} : { key: { S: r.key } }),
      };
      return { row: r.record, item };
    });
    const unique = [...new Map(items.map((p) => [`${p.item.pk!.S}\u0000${p.item.sk!.S}`, p])).values()];
    for (const chunk of chunksOf(unique))
      await this.send('quarantine into', () =>
        this.batchWrite(
          DEAD_LETTERS,
          chunk.map((p) => ({ PutRequest: { Item: p.item } })),
        ),
      );
  }

  private deadLetters: Promise<void> | null = null;
  private ensureDeadLetters(): Promise<void> {
    this.deadLetters ??= (async () => {
      const exists = await this.send('describe', async () => {
        try {
          return (await this.client.send(new DescribeTableCommand({ TableName: DEAD_LETTERS }))).Table?.TableStatus;
        } catch (err) {
          if (isNotFound(err)) return null;
          throw err;
        }
      });
      if (exists === 'ACTIVE') return;
      const fields: FieldSchema[] = [
        { name: 'pk', type: 'string', nullable: false },
        { name: 'sk', type: 'string', nullable: false },
      ];
      if (!exists) await this.createTable(DEAD_LETTERS, fields, 'pk', 'sk');
      else await this.waitActive(DEAD_LETTERS);
    })().catch((err) => {
      this.deadLetters = null;
      throw err;
    });
    return this.deadLetters;
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}

const KEY_NEUTRAL: Record<string, FieldSchema['type']> = { S: 'string', N: 'decimal', B: 'bytes' };

export const keyNamesOf = (t: TableDescription): string[] => {
  const ks = t.KeySchema ?? [];
  return [...ks.filter((k) => k.KeyType === 'HASH'), ...ks.filter((k) => k.KeyType === 'RANGE')].map((k) => k.AttributeName!);
};

/** Requests of at most 25 items and 16 MB. */
function chunksOf(items: Pending[]): Pending[][] {
  const out: Pending[][] = [];
  let cur: Pending[] = [];
  let bytes = 0;
  for (const p of items) {
    const size = itemBytes(p.item);
    if (cur.length && (cur.length >= MAX_BATCH_ITEMS || bytes + size > MAX_BATCH_BYTES)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(p);
    bytes += size;
  }
  if (cur.length) out.push(cur);
  return out;
}

/**
 * Items → rows of a schema. Each attribute must fit its declared type (N is coerced to int32/int64/
 * decimal as declared); one that does not makes the record a read-stage rejected record. Attributes
 * outside the schema follow its unknown-field policy (json: collected into the carrier field; reject:
 * the record is rejected; drop: left out and counted); a schema without a policy ignores them.
 */
export class ItemReader {
  private readonly fields: FieldSchema[];
  private readonly known: Set<string>;
  private readonly policy: ObjectSchema['unknownFields'];

  constructor(schema: ObjectSchema) {
    this.policy = schema.unknownFields;
    const carrier = this.policy?.policy === 'json' ? this.policy.field : null;
    this.fields = schema.fields.filter((f) => f.name !== carrier);
    this.known = new Set(this.fields.map((f) => f.name));
  }

  batch(items: Item[]): Omit<RowBatch, 'cursor'> {
    const rows: Row[] = [];
    const rejected: RejectedRecord[] = [];
    let dropped = 0;
    for (const item of items) {
      const row: Row = {};
      try {
        for (const f of this.fields) row[f.name] = fromAttr(item[f.name], f);
      } catch (err) {
        rejected.push({ row: wholeAsJson(item), error: (err as Error).message });
        continue;
      }
      const unknown = this.policy ? Object.keys(item).filter((k) => !this.known.has(k)) : [];
      const u = applyUnknownFields(this.policy, row, unknown, (k) => attrToJson(item[k]!));
      dropped += u.dropped;
      if (u.rejected) rejected.push({ row: wholeAsJson(item), error: u.rejected });
      else rows.push(row);
    }
    return { rows, ...(rejected.length ? { rejected } : {}), ...(dropped ? { droppedFields: dropped } : {}) };
  }
}

const wholeAsJson = (item: Item): Row => Object.fromEntries(Object.entries(item).map(([k, a]) => [k, attrToJson(a as AttributeValue)]));

/** Opens a session on the endpoint's table; credentials have been resolved from their secret references. */
export async function openDynamo(endpoint: DynamoEndpoint, connection: ResolvedConnection, log: Logger): Promise<ConnectorSession> {
  return new DynamoSession(endpoint, connection, log);
}
