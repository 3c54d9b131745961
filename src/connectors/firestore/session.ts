import { createHash } from 'node:crypto';
import { cert, deleteApp, initializeApp, type App } from 'firebase-admin/app';
import {
  FieldPath,
  getFirestore,
  type BulkWriter,
  type DocumentReference,
  type DocumentSnapshot,
  type Firestore,
  type Query,
  type QueryDocumentSnapshot,
} from 'firebase-admin/firestore';
import { authError, configError, schemaError } from '../../errors';
import type { Logger } from '../../logging';
import { rowToJsonSafe } from '../../model/json-safe';
import { applyUnknownFields } from '../../model/unknown-fields';
import type { Cursor, FieldSchema, JsonValue, KeyRange, ObjectSchema, QuarantinedRecord, RejectedRecord, Row, RowBatch, WriteOutcome } from '../../model/types';
import { isPlainObject } from '../../model/values';
import type { ConnectorSession, ResolvedConnection } from '../contract';
import { classifyFirestoreError, isDataError, isUnimplemented } from './errors';
import { FieldInference } from './infer';
import { detectCompositeKey, documentIdOf, idParts, keyFromText, keyPartText } from './keys';
import { MAX_REQUEST_BYTES, checkShape, documentSize } from './limits';
import type { FirestoreEndpoint } from './spec';
import { descendantsQuery, readTrees } from './descendants';
import { SUBCOLLECTIONS, readSubcollections, subcollectionWrites } from './subcollections';
import { NATIVE_OF, firestoreToJson, readField, toFirestore, type WriteContext } from './type-map';

export const DEAD_LETTERS = '_datamigrato_dead_letters';
/** The engine's carrier of unforeseen fields (src/engine/job-schema.ts). */
const EXTRA = '_extra';
const KEY_TYPES = new Set(['string', 'int32', 'int64', 'float64', 'decimal', 'uuid', 'objectid', 'timestamptz', 'date', 'boolean']);
/** Documents whose subcollections are listed at once while reading a page. */
const SUBCOLLECTION_CONCURRENCY = 8;
const DEAD_LETTER_RECORD_CHARS = 900_000;

let appCount = 0;

interface Pending {
  row: Row;
  ref: DocumentReference;
  data: Record<string, unknown>;
  subs: [DocumentReference, Record<string, unknown>][];
  bytes: number;
}

const docId = () => FieldPath.documentId();

export class FirestoreSession implements ConnectorSession {
  private readonly app: App;
  private readonly db: Firestore;
  private readonly emulator: boolean;
  private readonly ctx: WriteContext;

  constructor(
    private readonly endpoint: FirestoreEndpoint,
    connection: ResolvedConnection,
    private readonly log: Logger,
  ) {
    const { projectId, credentials, emulatorHost, databaseId } = connection as Record<string, string | undefined>;
    if (!projectId) throw configError('connection.projectId is required', 'firestore');
    const host = emulatorHost ?? process.env.FIRESTORE_EMULATOR_HOST;
    this.emulator = Boolean(host);
    let credential;
    if (credentials && !this.emulator) {
      let json: Record<string, string>;
      try {
        json = JSON.parse(credentials) as Record<string, string>;
      } catch {
        throw authError('connection.credentials is not a service-account JSON document', 'firestore');
      }
      try {
        credential = cert({ projectId: json.project_id, clientEmail: json.client_email, privateKey: json.private_key });
      } catch (err) {
        throw classifyFirestoreError(err, 'load service-account credentials');
      }
    }
    // A named app per session: sessions to several projects live side by side in one worker.
    this.app = initializeApp({ projectId, ...(credential ? { credential } : {}) }, `datamigrato-${process.pid}-${++appCount}`);
    this.db = getFirestore(this.app, databaseId ?? '(default)');
    this.db.settings({
      useBigInt: true, // int64 beyond 2^53 read exactly
      ignoreUndefinedProperties: true,
      ...(emulatorHost ? { host: emulatorHost, ssl: false } : {}),
    });
    this.ctx = { db: this.db, fieldTypes: endpoint.fieldTypes ?? {}, references: endpoint.references ?? {} };
  }

  private get name() {
    return this.endpoint.collection ?? `**/${this.endpoint.collectionGroup}`;
  }

  private get group() {
    return this.endpoint.collectionGroup !== undefined;
  }

  private base(): Query {
    return this.endpoint.collection ? this.db.collection(this.endpoint.collection) : this.db.collectionGroup(this.endpoint.collectionGroup!);
  }

  private async run<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw classifyFirestoreError(err, `${what} ${this.name}`);
    }
  }

  async check(): Promise<void> {
    await this.run('check', () => this.base().limit(1).select().get());
  }

  async describe(): Promise<ObjectSchema | null> {
    return this.run('describe', async () => {
      const snap = await this.base().orderBy(docId()).limit(this.endpoint.sampleSize).get();
      if (snap.empty) return null;
      const inference = new FieldInference();
      for (const d of snap.docs) inference.add(d.data());
      let fields = inference.fields();
      const k = this.endpoint.keyField;
      const composite = this.group
        ? null
        : detectCompositeKey(
            snap.docs.map((d) => ({ id: d.id, data: d.data() })),
            fields,
          );
      const key = composite ?? [k];
      if (!composite) {
        const stored = fields.find((f) => f.name === k);
        if (this.group || !stored) {
          fields = fields.filter((f) => f.name !== k);
          fields.unshift({ name: k, type: 'string', nullable: false, nativeType: this.group ? 'document path' : 'document id', nativeOf: NATIVE_OF });
        }
      }
      for (const name of key) {
        const f = fields.find((x) => x.name === name)!;
        if (!KEY_TYPES.has(f.type))
          throw schemaError(`key field "${name}" of ${this.name} holds ${f.nativeType} values; a key must be a scalar of one type`, 'firestore');
        f.nullable = false;
      }
      if (this.endpoint.includeSubcollections && !fields.some((f) => f.name === SUBCOLLECTIONS))
        fields.push({ name: SUBCOLLECTIONS, type: 'json', nullable: true, nativeType: 'subcollections', nativeOf: NATIVE_OF });
      return { object: this.name, fields, key, open: true };
    });
  }

  /**
   * Ranges of document paths (lower exclusive, upper inclusive). Collection groups ask the server
   * (getPartitions); the emulator answers UNIMPLEMENTED and plain collections have no such call, so the
   * fallback splits at evenly spaced offsets of the id order: count(), then offset(i·n/p).limit(1), ids only.
   */
  async planPartitions(_schema: ObjectSchema, count: number): Promise<KeyRange[]> {
    return this.run('plan partitions of', async () => {
      const total = Number((await this.base().count().get()).data().count);
      const bounds = count > 1 && total > count ? ((this.group ? await this.serverBounds(count) : null) ?? (await this.offsetBounds(total, count))) : [];
      const ranges: KeyRange[] = [];
      let lower: string | null = null;
      for (const upper of [...bounds, null]) {
        ranges.push({ id: ranges.length, lower, upper, estimatedRows: Math.round(total / (bounds.length + 1)) });
        lower = upper;
      }
      return ranges;
    });
  }

  private async serverBounds(count: number): Promise<string[] | null> {
    try {
      const bounds: string[] = [];
      for await (const p of this.db.collectionGroup(this.endpoint.collectionGroup!).getPartitions(count)) {
        const end = p.endBefore?.[0] as DocumentReference | undefined;
        if (end) bounds.push(end.path);
      }
      return [...new Set(bounds)].sort(comparePaths);
    } catch (err) {
      if (!isUnimplemented(err)) throw err;
      this.log.info({ object: this.name }, 'firestore: getPartitions is not implemented here (emulator): partitions from sampled document-id boundaries');
      return null;
    }
  }

  private async offsetBounds(total: number, count: number): Promise<string[]> {
    const bounds: string[] = [];
    for (let i = 1; i < count; i++) {
      const snap = await this.base()
        .orderBy(docId())
        .offset(Math.floor((i * total) / count) - 1)
        .limit(1)
        .select()
        .get();
      const path = snap.docs[0]?.ref.path;
      if (path && path !== bounds[bounds.length - 1]) bounds.push(path);
    }
    return bounds;
  }

  private page(range: KeyRange, after: string | null, limit: number, fields: string[] | null): Query {
    let q = this.base().orderBy(docId());
    if (range.lower !== null) q = q.where(docId(), '>', this.db.doc(String(range.lower)));
    if (range.upper !== null) q = q.where(docId(), '<=', this.db.doc(String(range.upper)));
    if (after !== null) q = q.startAfter(this.db.doc(after));
    if (fields) q = q.select(...fields.map((f) => new FieldPath(f)));
    return q.limit(limit);
  }

  /** One query per page (never a long-lived stream); the cursor is the last document path read. */
  async *read(schema: ObjectSchema, range: KeyRange, after: Cursor | null, batchSize: number): AsyncIterable<RowBatch> {
    const reader = new DocumentReader(schema, this.endpoint, this.group);
    const withSubs = this.endpoint.includeSubcollections && schema.fields.some((f) => f.name === SUBCOLLECTIONS);
    let cursor = after === null ? null : String(after);
    const tree = withSubs && !this.group ? this.descendants() : null;
    if (tree) {
      const pages = readTrees(
        this.db,
        tree,
        this.endpoint.collection!,
        range,
        cursor,
        batchSize,
        this.endpoint.subcollectionLimit,
        (fn) => this.run('read', fn),
        (n) =>
          this.log.warn(
            { object: this.name, documents: n },
            `firestore: ${n} subcollection document(s) under documents that do not exist in ${this.name}: no record carries them`,
          ),
      );
      for await (const p of pages) yield { ...reader.batch(p.docs, p.subs), cursor: p.docs[p.docs.length - 1]!.ref.path };
      return;
    }
    for (;;) {
      const snap = await this.run('read', () => this.page(range, cursor, batchSize, reader.projection()).get());
      if (snap.empty) return;
      const subs = withSubs ? await this.run('list subcollections of', () => this.subcollectionsOf(snap.docs)) : null;
      const batch = reader.batch(snap.docs, subs);
      cursor = snap.docs[snap.docs.length - 1]!.ref.path;
      yield { ...batch, cursor };
      if (snap.size < batchSize) return;
    }
  }

  /**
   * The all-descendants query that reads a collection's documents with their subcollections in one pass
   * (descendants.ts), or null — a collection group, or a client library without it — where each document's
   * subcollections are listed one document at a time (logged once, it is much slower).
   */
  private descendants(): Query | null {
    const q = descendantsQuery(this.db, this.endpoint.collection!);
    if (!q && !this.warnedNoDescendants) {
      this.warnedNoDescendants = true;
      this.log.warn({ object: this.name }, 'firestore: this client library has no all-descendants query: listing subcollections per document (slow)');
    }
    return q;
  }
  private warnedNoDescendants = false;

  /** Each document's subcollections (or the error that makes it a rejected record), a few documents at a time. */
  private async subcollectionsOf(docs: QueryDocumentSnapshot[]): Promise<(JsonValue | Error)[]> {
    const out: (JsonValue | Error)[] = new Array(docs.length);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < docs.length; i = next++) {
        try {
          out[i] = (await readSubcollections(docs[i]!.ref, this.endpoint.subcollectionLimit)) as JsonValue;
        } catch (err) {
          if ((err as { code?: unknown }).code !== undefined) throw err;
          out[i] = err as Error;
        }
      }
    };
    await Promise.all(Array.from({ length: SUBCOLLECTION_CONCURRENCY }, worker));
    return out;
  }

  async prepare(schema: ObjectSchema): Promise<void> {
    if (this.group) throw configError(`a collection group (${this.name}) is a source only: give the target a collection path`, 'firestore');
    for (const k of schema.key) if (!schema.fields.some((f) => f.name === k)) throw schemaError(`key field ${k} is not a field of the records`, 'firestore');
    // Firestore creates a collection with its first document: nothing to create.
  }

  async write(schema: ObjectSchema, rows: Row[]): Promise<WriteOutcome> {
    if (this.group) throw configError(`a collection group (${this.name}) is a source only`, 'firestore');
    const rejected: RejectedRecord[] = [];
    const byId = new Map<string, Pending>();
    for (const row of rows) {
      try {
        const p = this.pendingOf(schema, row);
        byId.set(p.ref.path, p); // the last row for a document wins, as a second set() would
      } catch (err) {
        rejected.push({ row, error: (err as Error).message });
      }
    }
    const pending = [...byId.values()];
    const failed = await this.run('write', () => this.bulkSet(pending));
    rejected.push(...failed);
    return { written: pending.length - failed.length, rejected };
  }

  private pendingOf(schema: ObjectSchema, row: Row): Pending {
    const ref = this.db.collection(this.endpoint.collection!).doc(documentIdOf(row, schema.key));
    const extra = carrierOf(schema);
    const data: Record<string, unknown> = {};
    let subs: Pending['subs'] = [];
    for (const f of schema.fields) {
      const v = row[f.name];
      try {
        if (f.name === SUBCOLLECTIONS) subs = subcollectionWrites(ref, v, this.db, this.ctx.references);
        else if (f.name === extra && (isPlainObject(v) || typeof v === 'string' || v === null || v === undefined)) continue;
        else data[f.name] = toFirestore(v, f, f.name, this.ctx);
      } catch (err) {
        throw new Error(`${f.name}: ${(err as Error).message}`);
      }
    }
    const carried = extra ? parseExtra(row[extra], extra) : null;
    if (carried) spreadExtra(data, carried, schema, extra!);
    checkShape(data);
    const bytes = documentSize(ref.path, data);
    if (bytes > this.endpoint.maxDocumentBytes)
      throw new Error(`document of ${bytes} bytes (Firestore storage size) exceeds ${this.endpoint.maxDocumentBytes} (Firestore's limit is 1 MiB)`);
    for (const [r, d] of subs) {
      checkShape(d);
      if (documentSize(r.path, d) > this.endpoint.maxDocumentBytes) throw new Error(`${SUBCOLLECTIONS}: document ${r.path} exceeds 1 MiB`);
    }
    return { row, ref, data, subs, bytes: bytes + subs.reduce((n, [r, d]) => n + documentSize(r.path, d), 0) };
  }

  private bulkWriter(): BulkWriter {
    const t = this.endpoint.throttling ?? !this.emulator;
    return this.db.bulkWriter({ throttling: t });
  }

  /**
   * BulkWriter set() by document id: a replay rewrites the same documents. Batches are flushed before
   * 9 MiB so no request passes Firestore's 10 MiB. A refused document (invalid data) is a rejected record;
   * anything else fails the batch (the engine retries it) once BulkWriter's own retries are spent.
   */
  private async bulkSet(pending: Pending[]): Promise<RejectedRecord[]> {
    const writer = this.bulkWriter();
    const options = this.endpoint.writeMode === 'merge' ? { merge: true } : {};
    const rejected = new Map<Pending, string>();
    let systemic: unknown = null;
    const fail = (p: Pending) => (err: unknown) => {
      if (isDataError(err)) rejected.set(p, `Firestore refused the document: ${(err as Error).message.split('\n')[0]}`);
      else systemic ??= err;
    };
    let bytes = 0;
    for (const p of pending) {
      if (bytes + p.bytes > MAX_REQUEST_BYTES) {
        void writer.flush();
        bytes = 0;
      }
      bytes += p.bytes;
      writer.set(p.ref, p.data, options).catch(fail(p));
      for (const [ref, data] of p.subs) writer.set(ref, data, options).catch(fail(p));
    }
    await writer.close();
    if (systemic) throw systemic;
    return [...rejected].map(([p, error]) => ({ row: p.row, error }));
  }

  async quarantine(records: QuarantinedRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.run('quarantine into', async () => {
      const writer = this.bulkWriter();
      for (const r of records) {
        let record = JSON.stringify(rowToJsonSafe(r.record));
        const truncated = record.length > DEAD_LETTER_RECORD_CHARS; // a dead letter must fit a document itself
        if (truncated) record = record.slice(0, DEAD_LETTER_RECORD_CHARS);
        // A deterministic id: quarantining the same record again (a retried chunk) rewrites one document.
        const id = createHash('sha1')
          .update(JSON.stringify([r.job, r.runId, this.name, r.stage, r.partition, r.key ?? record.slice(0, 2000)]))
          .digest('hex');
        void writer.set(this.db.collection(DEAD_LETTERS).doc(id), {
          job: r.job,
          runId: r.runId,
          target: this.name,
          partition: r.partition,
          key: r.key,
          stage: r.stage,
          error: r.error.slice(0, 10_000),
          record,
          truncated,
          createdAt: new Date(),
        });
      }
      await writer.close();
    });
  }

  async close(): Promise<void> {
    await deleteApp(this.app).catch(() => undefined);
  }
}

/**
 * The field carrying unforeseen fields: the policy's (a schemaless source), or an `_extra` field of a
 * closed schema (a column store that got it from one): a document store spreads it back either way.
 */
function carrierOf(schema: ObjectSchema): string | null {
  if (schema.unknownFields) return schema.unknownFields.policy === 'json' ? schema.unknownFields.field : null;
  return schema.fields.some((f) => f.name === EXTRA && (f.type === 'json' || f.type === 'string')) ? EXTRA : null;
}

function parseExtra(v: unknown, field: string): Record<string, unknown> | null {
  const o = typeof v === 'string' ? (JSON.parse(v) as unknown) : v;
  if (o === null || o === undefined) return null;
  if (!isPlainObject(o)) throw new Error(`${field}: expected an object of carried fields`);
  return o;
}

/** Document paths compare segment by segment (Firestore's document-id order). */
function comparePaths(a: string, b: string): number {
  const x = a.split('/');
  const y = b.split('/');
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
  return x.length - y.length;
}

/** The carried unforeseen fields back at the top level; a name the schema also has is a rejected record. */
function spreadExtra(data: Record<string, unknown>, extra: Record<string, unknown>, schema: ObjectSchema, field: string): void {
  const taken = new Set(schema.fields.map((f) => f.name));
  const clashes = Object.keys(extra).filter((k) => taken.has(k));
  if (clashes.length) throw new Error(`${field} holds ${clashes.join(', ')}, which the schema also has as field(s): cannot spread it into the document`);
  Object.assign(data, extra);
}

/**
 * Documents → rows. The key comes from the stored key fields when present (typed), else from the document
 * id (a collection group: the document path); a stored key that disagrees with the id is a rejected
 * record. Fields outside the schema follow its unknown-field policy (json → `_extra`, reject, drop).
 */
export class DocumentReader {
  private readonly fields: FieldSchema[];
  private readonly known: Set<string>;
  private readonly policy: ObjectSchema['unknownFields'];
  private readonly keyFields: FieldSchema[];

  constructor(
    schema: ObjectSchema,
    private readonly endpoint: FirestoreEndpoint,
    private readonly group: boolean,
  ) {
    // A closed schema with an `_extra` field (validation of a target written from a column store)
    // collects the spread fields back into it, as the writer spread them.
    this.policy = schema.unknownFields ?? (carrierOf(schema) ? { policy: 'json', field: EXTRA } : undefined);
    const carrier = this.policy?.policy === 'json' ? this.policy.field : null;
    this.fields = schema.fields.filter((f) => f.name !== carrier && f.name !== SUBCOLLECTIONS);
    this.known = new Set([...this.fields.map((f) => f.name), SUBCOLLECTIONS]);
    this.keyFields = schema.key.map((k) => schema.fields.find((f) => f.name === k)!).filter(Boolean);
  }

  /** A closed schema reads only its own fields. */
  projection(): string[] | null {
    return this.policy ? null : this.fields.map((f) => f.name);
  }

  batch(docs: QueryDocumentSnapshot[], subs: (JsonValue | Error)[] | null): Omit<RowBatch, 'cursor'> {
    const rows: Row[] = [];
    const rejected: RejectedRecord[] = [];
    let dropped = 0;
    docs.forEach((doc, i) => {
      const data = doc.data();
      const whole = () => ({ [this.endpoint.keyField]: doc.ref.path, ...(firestoreToJson(data) as Record<string, JsonValue>) });
      let row: Row;
      try {
        row = this.rowOf(doc, data);
      } catch (err) {
        rejected.push({ row: whole(), error: `${doc.ref.path}: ${(err as Error).message}` });
        return;
      }
      const sub = subs?.[i];
      if (sub instanceof Error) {
        rejected.push({ row: whole(), error: sub.message });
        return;
      }
      if (subs) row[SUBCOLLECTIONS] = sub ?? null;
      const unknown = this.policy ? Object.keys(data).filter((k) => !this.known.has(k)) : [];
      if (this.group && this.policy && data[this.endpoint.keyField] !== undefined) unknown.push(this.endpoint.keyField);
      const u = applyUnknownFields(this.policy, row, unknown, (k) => firestoreToJson(data[k]));
      dropped += u.dropped;
      if (u.rejected) rejected.push({ row: whole(), error: `${doc.ref.path}: ${u.rejected}` });
      else rows.push(row);
    });
    return { rows, ...(rejected.length ? { rejected } : {}), ...(dropped ? { droppedFields: dropped } : {}) };
  }

  private rowOf(doc: DocumentSnapshot, data: Record<string, unknown>): Row {
    const row: Row = {};
    for (const f of this.fields) row[f.name] = readField(data[f.name], f);
    if (this.group) {
      row[this.keyFields[0]!.name] = doc.ref.path;
      return row;
    }
    const parts = idParts(doc.id, this.keyFields.length);
    this.keyFields.forEach((f, i) => {
      const stored = row[f.name];
      if (stored === null || stored === undefined) {
        if (!parts) throw new Error(`the document id is not a key of ${this.keyFields.length} parts`);
        row[f.name] = keyFromText(parts[i]!, f);
      } else if (parts && keyPartText(stored) !== parts[i]) {
        throw new Error(`field ${f.name} = ${keyPartText(stored).slice(0, 60)} differs from the document id ${doc.id.slice(0, 60)}`);
      }
    });
    return row;
  }
}

/** Opens a session; the service-account JSON has been resolved from its secret reference. */
export async function openFirestore(endpoint: FirestoreEndpoint, connection: ResolvedConnection, log: Logger): Promise<ConnectorSession> {
  return new FirestoreSession(endpoint, connection, log);
}
