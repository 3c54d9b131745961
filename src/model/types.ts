/**
 * The neutral data model every connector reads into and writes from. Rows live only inside
 * activities; nothing here is ever a workflow input or result except schemas, ranges and cursors.
 */

/** Field types connectors agree on. `nativeType` keeps the exact source type for same-kind copies. */
export type FieldType =
  | 'string'
  | 'int32'
  | 'int64' // bigint in rows: int64 does not fit a JS number
  | 'float64'
  | 'decimal' // string in rows: exact
  | 'boolean'
  | 'timestamptz' // ISO-8601 UTC string with up to 6 fractional digits, e.g. 2024-01-02T03:04:05.123456Z
  | 'timestamp' // ISO-8601 without zone
  | 'date' // YYYY-MM-DD
  | 'uuid' // lowercase string
  | 'json' // any JSON value (objects, arrays)
  | 'bytes' // Buffer
  | 'objectid'; // 24 lowercase hex chars (MongoDB ObjectId)

export interface FieldSchema {
  name: string;
  type: FieldType;
  nullable: boolean;
  /** The source's own type name, e.g. "numeric(12,2)"; a target of the same kind may reuse it. */
  nativeType?: string;
  /** Which connector kind nativeType belongs to. */
  nativeOf?: string;
  /** A `json` field holding objects of a known shape (sampled by a document store): the shape. */
  fields?: FieldSchema[];
}

export interface ObjectSchema {
  /** Human name of the object, e.g. public.orders. */
  object: string;
  fields: FieldSchema[];
  /**
   * The key, as an ordered list of field names (one or more): keyset pagination follows this order,
   * partitions split on the leading field (or on tokens), and upserts are idempotent by the whole tuple.
   */
  key: string[];
  /** Set by schemaless sources (document stores): a record may hold fields that `fields` does not list. */
  open?: boolean;
  /**
   * How a reader treats a record's fields outside `fields`; set by the engine from the spec's
   * onUnknownField on open schemas. `json` collects them into `field` (one JSON object), `reject` sends
   * the record to onRecordError, `drop` leaves them out and counts them.
   */
  unknownFields?: UnknownFieldPolicy;
}

export interface UnknownFieldPolicy {
  policy: 'json' | 'reject' | 'drop';
  /** The JSON field that carries them (`_extra`); a document-store target spreads it back into the document. */
  field: string;
}

export type Value = null | boolean | number | bigint | string | Buffer | Date | JsonValue;
export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };
export type Row = Record<string, Value>;

/**
 * A key value as it can travel through Temporal (JSON): int64 keys as decimal strings, ObjectIds as hex.
 * Interpreted with the key field's type.
 */
export type KeyValue = string | number;

/**
 * A slice of the source by key: lower exclusive, upper inclusive, null = unbounded.
 * For token-ring stores (Cassandra) bounds are tokens, not key values.
 */
export interface KeyRange {
  id: number;
  lower: KeyValue | null;
  upper: KeyValue | null;
  estimatedRows?: number;
}

/**
 * Where a reader stopped inside a range; opaque to the engine, JSON-serializable. Key-ordered stores use
 * the last key (a KeyValue for one key field, a KeyValue tuple for a composite key).
 */
export type Cursor = KeyValue | KeyValue[] | { [k: string]: JsonValue };

export interface RowBatch {
  rows: Row[];
  /** Cursor after the last row of this batch (rejected records included): reading again continues after it. */
  cursor: Cursor;
  /**
   * Records the reader could not bring to the schema (an unknown field under `onUnknownField: reject`, a
   * value of another type than its column): they follow `onRecordError` at the 'read' stage, never vanish.
   */
  rejected?: RejectedRecord[];
  /** Field values left out under `onUnknownField: drop`, counted so the report says what did not travel. */
  droppedFields?: number;
}

/**
 * A batch in a store's own bulk format (PostgreSQL: COPY text), moved between two endpoints of the same
 * connector type without being parsed into rows.
 */
export interface RawBatch {
  format: string;
  data: Buffer;
  rows: number;
  cursor: Cursor;
}

export interface RejectedRecord {
  row: Row;
  error: string;
}

export interface WriteOutcome {
  written: number;
  rejected: RejectedRecord[];
}

export type RecordStage = 'read' | 'transform' | 'write';

export interface QuarantinedRecord {
  job: string;
  runId: string;
  partition: number;
  /** The record's key as text: the value for one key field, a JSON array for a composite key. */
  key: string | null;
  record: Row;
  error: string;
  stage: RecordStage;
}
