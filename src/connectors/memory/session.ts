import { authError, configError, schemaError } from '../../errors';
import type { Logger } from '../../logging';
import { coerce } from '../../model/coerce';
import { keyLabel } from '../../model/keys';
import { rowToJsonSafe } from '../../model/json-safe';
import { deadLetterId } from '../dead-letter-id';
import type { Cursor, KeyRange, KeyValue, ObjectSchema, QuarantinedRecord, RejectedRecord, Row, RowBatch, WriteOutcome } from '../../model/types';
import type { ConnectorSession, EndpointBase, ListedObject, ResolvedConnection } from '../contract';
import type { MemoryEndpoint } from './spec';
import {
  DEAD_LETTERS,
  cloneSchema,
  cloneValue,
  compareKeyValue,
  deleteRow,
  findObject,
  firstAfter,
  firstLeadAbove,
  keyOrder,
  objectsOf,
  storableRow,
  upsertRow,
  type MemoryObject,
} from './store';

const C = 'memory';

/** The store name that simulates rejected credentials, so auth-failure paths can be tested without a server. */
export const DENIED_STORE = 'denied';

const DEAD_LETTER_SCHEMA: ObjectSchema = {
  object: DEAD_LETTERS,
  key: ['id'],
  fields: [
    { name: 'id', type: 'string', nullable: false },
    { name: 'job', type: 'string', nullable: false },
    { name: 'run_id', type: 'string', nullable: false },
    { name: 'target_object', type: 'string', nullable: false },
    { name: 'partition', type: 'int32', nullable: false },
    { name: 'record_key', type: 'string', nullable: true },
    { name: 'stage', type: 'string', nullable: false },
    { name: 'error', type: 'string', nullable: false },
    { name: 'record', type: 'json', nullable: false },
    { name: 'created_at', type: 'timestamptz', nullable: false },
  ],
};

const keyListOf = (key: string | string[] | undefined) => (key === undefined ? undefined : typeof key === 'string' ? [key] : key);
const sameKey = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((k, i) => k === b[i]);

export class MemorySession implements ConnectorSession {
  private readonly name: string;

  constructor(
    private readonly endpoint: MemoryEndpoint,
    private readonly store: string,
    private readonly log: Logger,
  ) {
    this.name = `${store}.${endpoint.object}`;
  }

  /** Every call checks access, as a real server would refuse every request with bad credentials. */
  private ensureAccess(): void {
    if (this.store === DENIED_STORE) throw authError(`access to store "${this.store}" denied (simulated bad credentials)`, C);
  }

  private existing(what: string): MemoryObject {
    this.ensureAccess();
    const obj = findObject(this.store, this.endpoint.object);
    if (!obj) throw schemaError(`cannot ${what} ${this.name}: it does not exist`, C);
    return obj;
  }

  /** The object's key must be the key the engine pages or upserts by: rows are kept sorted by it. */
  private checkKey(obj: MemoryObject, schema: ObjectSchema): void {
    if (!sameKey(obj.schema.key, schema.key)) throw schemaError(`${this.name} is keyed by (${keyLabel(obj.schema.key)}), not (${keyLabel(schema.key)})`, C);
  }

  async check(): Promise<void> {
    this.ensureAccess();
  }

  async describe(): Promise<ObjectSchema | null> {
    this.ensureAccess();
    const obj = findObject(this.store, this.endpoint.object);
    if (!obj) return null;
    const wanted = keyListOf(this.endpoint.key);
    if (wanted && !sameKey(wanted, obj.schema.key))
      throw schemaError(`${this.name} is keyed by (${keyLabel(obj.schema.key)}); the endpoint asks for (${keyLabel(wanted)})`, C);
    return { ...cloneSchema(obj.schema), object: this.name };
  }

  /** Ranges of the leading key field at quantiles of its distinct values, so one leading value is in one range. */
  async planPartitions(schema: ObjectSchema, count: number): Promise<KeyRange[]> {
    const obj = this.existing('plan partitions of');
    this.checkKey(obj, schema);
    const lead = obj.schema.key[0]!;
    const { tupleOf } = keyOrder(obj.schema);
    const distinct: KeyValue[] = [];
    for (const r of obj.rows) {
      const v = tupleOf(r)[0]!;
      if (distinct.length === 0 || distinct[distinct.length - 1] !== v) distinct.push(v);
    }
    const bounds: KeyValue[] = [];
    for (let i = 1; i < count && distinct.length > 1; i++) {
      const b = distinct[Math.ceil((i * distinct.length) / count) - 1]!;
      if (bounds[bounds.length - 1] !== b && b !== distinct[distinct.length - 1]) bounds.push(b);
    }
    this.log.debug({ object: this.name, lead, bounds: bounds.length }, 'memory partitions');
    const ranges: KeyRange[] = [];
    let lower: KeyValue | null = null;
    for (const upper of [...bounds, null]) {
      ranges.push({ id: ranges.length, lower, upper, estimatedRows: Math.round(obj.rows.length / (bounds.length + 1)) });
      lower = upper;
    }
    return ranges;
  }

  private cursorTuple(schema: ObjectSchema, after: Cursor | null): KeyValue[] | null {
    if (after === null) return null;
    const tuple = Array.isArray(after) ? after : typeof after === 'object' ? null : [after];
    if (!tuple || tuple.length !== schema.key.length)
      throw configError(`cursor ${JSON.stringify(after)} does not match the key (${keyLabel(schema.key)}) of ${this.name}`, C);
    return tuple;
  }

  /**
   * Keyset pages: each page searches again for the first row after the cursor, so rows written meanwhile
   * are seen as a real store's next page would see them. Values are brought to the asked schema's types;
   * a stored value that does not convert makes its row a rejected record.
   */
  async *read(schema: ObjectSchema, range: KeyRange, after: Cursor | null, batchSize: number): AsyncIterable<RowBatch> {
    const obj = this.existing('read');
    this.checkKey(obj, schema);
    const order = keyOrder(obj.schema);
    const leadType = order.types[0]!;
    const belowUpper = (lead: KeyValue) => range.upper === null || compareKeyValue(lead, range.upper, leadType) <= 0;
    let cursor = this.cursorTuple(schema, after);
    for (;;) {
      this.ensureAccess();
      const rows: Row[] = [];
      const rejected: RejectedRecord[] = [];
      let last: KeyValue[] | null = null;
      for (let i = Math.max(firstAfter(obj, cursor), firstLeadAbove(obj, range.lower)); i < obj.rows.length && rows.length + rejected.length < batchSize; i++) {
        const stored = obj.rows[i]!;
        const tuple = order.tupleOf(stored);
        if (!belowUpper(tuple[0]!)) break;
        last = tuple;
        try {
          rows.push(this.projected(schema, stored));
        } catch (err) {
          rejected.push({ row: Object.fromEntries(Object.entries(stored).map(([k, v]) => [k, cloneValue(v)])), error: (err as Error).message });
        }
      }
      if (last === null) return;
      cursor = last;
      yield { rows, cursor: last.length === 1 ? last[0]! : last, ...(rejected.length ? { rejected } : {}) };
      if (rows.length + rejected.length < batchSize) return;
    }
  }

  /** A copy of the stored row with the asked fields, each in the asked type. */
  private projected(schema: ObjectSchema, stored: Row): Row {
    const out: Row = {};
    for (const f of schema.fields) {
      const v = stored[f.name] ?? null;
      try {
        out[f.name] = cloneValue(coerce(v, f.type));
      } catch (err) {
        throw new Error(`field ${f.name} (${f.type}): ${(err as Error).message}`);
      }
    }
    return out;
  }

  async prepare(schema: ObjectSchema): Promise<void> {
    this.ensureAccess();
    const obj = findObject(this.store, this.endpoint.object);
    const key = keyListOf(this.endpoint.key) ?? schema.key;
    if (!obj) {
      const created: ObjectSchema = { object: this.endpoint.object, key: [...key], fields: structuredClone(schema.fields) };
      const missing = key.filter((k) => !created.fields.some((f) => f.name === k));
      if (missing.length) throw schemaError(`cannot create ${this.name}: key field(s) ${missing.join(', ')} not in the schema`, C);
      for (const f of created.fields) if (key.includes(f.name)) f.nullable = false;
      objectsOf(this.store).set(this.endpoint.object, { schema: created, rows: [] });
      return;
    }
    this.checkKey(obj, { ...schema, key });
    const have = new Set(obj.schema.fields.map((f) => f.name));
    const missing = schema.fields.filter((f) => !have.has(f.name)).map((f) => f.name);
    if (missing.length) throw schemaError(`target ${this.name} lacks fields: ${missing.join(', ')}`, C);
  }

  async write(schema: ObjectSchema, rows: Row[]): Promise<WriteOutcome> {
    const obj = this.existing('write to');
    this.checkKey(obj, schema);
    const rejected: RejectedRecord[] = [];
    let written = 0;
    for (const row of rows) {
      let stored: Row;
      try {
        stored = storableRow(obj.schema, row);
      } catch (err) {
        rejected.push({ row, error: (err as Error).message });
        continue;
      }
      upsertRow(obj, stored);
      written++;
    }
    return { written, rejected };
  }

  async deleteKeys(schema: ObjectSchema, keys: Row[]): Promise<number> {
    const obj = this.existing('delete from');
    this.checkKey(obj, schema);
    return keys.filter((k) => deleteRow(obj, k)).length;
  }

  async quarantine(records: QuarantinedRecord[]): Promise<void> {
    if (records.length === 0) return;
    this.ensureAccess();
    const objects = objectsOf(this.store);
    let dl = objects.get(DEAD_LETTERS);
    if (!dl) objects.set(DEAD_LETTERS, (dl = { schema: cloneSchema(DEAD_LETTER_SCHEMA), rows: [] }));
    // Keyed by the dead letter's identity: a replayed batch rewrites its own dead letters.
    for (const r of records) {
      upsertRow(
        dl,
        storableRow(dl.schema, {
          id: deadLetterId(r, this.endpoint.object),
          job: r.job,
          run_id: r.runId,
          target_object: this.endpoint.object,
          partition: r.partition,
          record_key: r.key,
          stage: r.stage,
          error: r.error,
          record: rowToJsonSafe(r.record),
          created_at: new Date().toISOString(),
        }),
      );
    }
  }

  async close(): Promise<void> {
    // Nothing to release: the data outlives the session, as a database outlives a connection.
  }
}

/** Every object of the store but the dead letters, in name order. */
export async function listMemory(scope: EndpointBase, connection: ResolvedConnection): Promise<ListedObject[]> {
  const store = connection.store ?? (scope.connection as { store?: unknown } | undefined)?.store;
  if (typeof store !== 'string' || store === '') throw configError('connection.store must name a store', C);
  if (store === DENIED_STORE) throw authError(`access to store "${store}" denied (simulated bad credentials)`, C);
  return [...objectsOf(store).keys()]
    .filter((o) => o !== DEAD_LETTERS)
    .sort()
    .map((o) => ({ name: `${store}.${o}`, leaf: o, naming: { object: o } }));
}

export async function openMemory(endpoint: MemoryEndpoint, connection: ResolvedConnection, log: Logger): Promise<ConnectorSession> {
  const store = connection.store ?? endpoint.connection.store;
  if (typeof store !== 'string' || store === '') throw configError('connection.store must name a store', C);
  return new MemorySession(endpoint, store, log);
}
