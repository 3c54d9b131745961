import type { z } from 'zod';
import type { Logger } from '../logging';
import type { IncrementalWindow } from '../incremental/window';
import type { Cursor, KeyValue, KeyRange, ObjectSchema, QuarantinedRecord, RawBatch, RowBatch, Row, WriteOutcome } from '../model/types';
import type { ConnectionUrlRule } from './connection-url';
import type { Digest } from '../validation/digest';

/**
 * The one contract every database implements, in the spirit of Airbyte's spec/check/discover/read/write.
 * A migration is any source connector paired with any target connector; there is no per-pair code.
 * Connectors know nothing of Temporal: the engine drives them and the activities adapt the engine.
 *
 * A descriptor is metadata first, driver later (as dlt's destination factories): its folder's index.ts
 * imports only zod schemas, and `open()` loads the driver lazily, so the API and CLI validate specs and
 * list connectors without loading any database client. The session module is loaded with `require` (not
 * `import()`): the sources run as CommonJS under every loader we use (tsx's CJS hook in the CLI, `node --import
 * tsx` in the worker, ts-jest), and a dynamic `import()` would bypass the CJS hook of the CLI.
 */
export interface ConnectorDescriptor<E extends EndpointBase = EndpointBase> {
  readonly type: string;
  readonly description: string;
  readonly capabilities: ConnectorCapabilities;
  /** zod schema of this connector's endpoint (`{ type: literal, connection, ...object naming }`). */
  readonly endpointSchema: EndpointSchemaOf<E>;
  /** The endpoint's object as reports and the UI name it, e.g. `public.orders` or `shop.users`. */
  objectName(endpoint: E): string;
  /** Connection fields that must be URLs: checked after resolution, before open (a ConfigError naming the field). */
  readonly connectionUrls?: readonly ConnectionUrlRule[];
  /** Opens a session. `connection` has every secret reference already resolved to its value. */
  open(endpoint: E, connection: ResolvedConnection, log: Logger): Promise<ConnectorSession>;
  /**
   * Optional: the objects (tables, collections) a source holds, for jobs that name objects by pattern. `scope` is
   * the job-level endpoint (`type`, `connection`, and whatever narrows the listing, e.g. `schema` or `database`);
   * it has no object naming, so it is not an `E`. Connectors without it cannot be listed (the spec says so).
   */
  list?(scope: EndpointBase, connection: ResolvedConnection, log: Logger): Promise<ListedObject[]>;
  /**
   * Optional: the endpoint fields that name an object of this store called `name` (a listed source object's
   * leaf name, maybe prefixed), e.g. `{ table: name }`; merged over the job-level target endpoint.
   */
  targetNaming?(name: string): Record<string, unknown>;
}

/** One object a source lists: its name as reports give it, the leaf a target names its copy after, its endpoint fields. */
export interface ListedObject {
  /** As `objectName` names it: `public.orders`, `shop.users`; include/exclude patterns match this. */
  name: string;
  /** The bare object name (`orders`): a listed object's target is named after it. */
  leaf: string;
  /** The endpoint fields naming it (`{ schema: 'public', table: 'orders' }`), merged over the job-level source. */
  naming: Record<string, unknown>;
}

/** A foreign key as a source's catalog declares it; object names as `objectName` gives them. */
export interface ForeignKey {
  name: string;
  fields: string[];
  references: { object: string; fields: string[] };
  onDelete?: string;
  onUpdate?: string;
}

/** A foreign key to create on a target: the referenced object is given as a target endpoint of the same store. */
export interface TargetForeignKey extends Omit<ForeignKey, 'references'> {
  references: { endpoint: EndpointBase; fields: string[] };
}

/** The endpoint schema's shape as the job spec's discriminated union needs it. */
export type EndpointSchemaOf<E extends EndpointBase = EndpointBase> = z.ZodType<E> & { shape: { type: z.ZodLiteral<string> } };

/** Widens a typed descriptor to the registry's element type (endpoint types are checked by the schema). */
export const descriptor = <E extends EndpointBase>(d: ConnectorDescriptor<E>): ConnectorDescriptor => d as unknown as ConnectorDescriptor;

export interface ConnectorCapabilities {
  source: boolean;
  target: boolean;
  /**
   * A document store keeps fields a schema did not foresee as they are (a column store collects them
   * into one JSON field): what `onUnknownField: json` does with a record's `_extra` field.
   */
  documentStore?: boolean;
  /** Implements readRaw/writeRaw for `passthrough: true` between two endpoints of this type. */
  passthrough?: boolean;
  /**
   * Validation pushdown: the store counts and checksums a range itself (sessions implement digestRange), in a
   * digest space of its own that this name identifies. Validation uses it when source and target name the same
   * kind and the transform only renames, selects or drops fields; a mismatch there is checked again canonically.
   */
  storeDigest?: string;
  /** Reads the foreign keys a source declares and adds them to a target (sessions implement foreignKeys/addForeignKey). */
  foreignKeys?: boolean;
  /** What a user should know: partitioning strategy, type mapping caveats, what was verified where. */
  notes: string[];
}

export interface EndpointBase {
  type: string;
  connection: unknown;
  [k: string]: unknown;
}

/** The endpoint's connection block with secrets resolved; lives only inside an activity. */
export type ResolvedConnection = Record<string, unknown>;

export interface ConnectorSession {
  /** Connects and authenticates; throws AuthError / TransientError / ConfigError. */
  check(): Promise<void>;
  /** Fields and key of the endpoint's object, or null when it does not exist (a target to be created). */
  describe(): Promise<ObjectSchema | null>;
  /** Splits the object into about `count` disjoint ranges that together cover it. */
  planPartitions(schema: ObjectSchema, count: number): Promise<KeyRange[]>;
  /**
   * Streams one range in key order (or token order), batch by batch, starting after `after`.
   * Memory is bounded by one batch: implementations page, they never load the range.
   */
  read(schema: ObjectSchema, range: KeyRange, after: Cursor | null, batchSize: number, encoded?: readonly string[]): AsyncIterable<RowBatch>;
  /**
   * Optional: the wire format in which this session's `read` can leave fields encoded (`encoded`: those fields,
   * in that order, as the rows' ENCODED text; src/model/encoded.ts) and its `write` takes them (`encoded`: the
   * target's names of those fields, same order). The engine uses it only between two sessions of one format.
   */
  encodedFormat?: string;
  /** Optional (encodedFormat, as a target): of `fields`, those whose columns take the format's text of the schema's type as it is. */
  encodedFields?(schema: ObjectSchema, fields: readonly string[]): Promise<string[]>;
  /** Creates the target object from the (transformed) schema when it is missing; no-op when present. */
  prepare(schema: ObjectSchema): Promise<void>;
  /**
   * Upserts by key, so writing the same batch twice changes nothing. Rejected rows are returned, not thrown, with
   * their encoded fields decoded (a dead letter holds values, not wire text).
   */
  write(schema: ObjectSchema, rows: Row[], encoded?: readonly string[]): Promise<WriteOutcome>;
  /** Stores records that could not be migrated (dead letters) beside the target object. */
  quarantine(records: QuarantinedRecord[]): Promise<void>;
  close(): Promise<void>;
  /**
   * Optional: deletes the rows with these keys (each row holds at least the key fields of `schema`, as this
   * session's own `read` produced them) and returns how many existed. Used by repair with
   * `repair.deleteExtra`; a connector without it has its extra rows reported as not deleted.
   */
  deleteKeys?(schema: ObjectSchema, keys: Row[]): Promise<number>;
  /**
   * Optional pass-through (`passthrough: true`): `read` in the store's bulk format, same ordering and cursor
   * semantics, for a target of the same connector type. Rows are never parsed, so nothing is transformed.
   */
  readRaw?(schema: ObjectSchema, range: KeyRange, after: Cursor | null, batchSize: number): AsyncIterable<RawBatch>;
  /**
   * Upserts a raw batch by key, like `write`. 'rejected' means the server refused the batch for its data:
   * the engine then re-reads that batch as rows so the bad records meet `onRecordError` one by one.
   */
  writeRaw?(schema: ObjectSchema, batch: RawBatch): Promise<'written' | 'rejected'>;
  /**
   * Optional (`mode: incremental`): the run's upper cursor bound — the store's own clock minus `lagSeconds` for a
   * time cursor, the greatest value for an integer one (null when there is none) — and how many rows have a
   * NULL cursor. A ConfigError names `incremental.cursorField` when the field cannot be a cursor.
   */
  incrementalBound?(schema: ObjectSchema, cursorField: string, lagSeconds: number): Promise<{ upTo: KeyValue | null; nullRows: number }>;
  /**
   * Optional (`mode: incremental`): the window's rows after `after` (a Watermark; null = the window's own start)
   * in (cursor, key) order, NULL cursors first; each batch's cursor is the Watermark of its last row.
   */
  readIncremental?(schema: ObjectSchema, window: IncrementalWindow, after: Cursor | null, batchSize: number): AsyncIterable<RowBatch>;
  /**
   * Optional (capabilities.storeDigest): the count and the sum of per-row hashes of one range, computed by the
   * store. `fields` names the schema's fields in the order to hash them; the other side names its own fields in
   * the same order, so a renamed field is hashed in the place of the field it came from.
   */
  digestRange?(schema: ObjectSchema, range: KeyRange, fields: readonly string[]): Promise<Digest>;
  /** Optional: the foreign keys the source object declares (a many-object job re-creates them on the target after the data). */
  foreignKeys?(): Promise<ForeignKey[]>;
  /** Optional: adds a foreign key to the target object unless one of that name exists ('exists'). */
  addForeignKey?(fk: TargetForeignKey): Promise<'added' | 'exists'>;
}
