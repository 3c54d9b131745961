import type { ResolvedConnection } from '../../src/connectors/contract';
import type { Endpoint } from '../../src/job/endpoints';
import type { FieldType, ObjectSchema, Row, Value } from '../../src/model/types';

/** The behaviours every connector must show; the table printed at the end has one row per behaviour. */
export const BEHAVIOURS = [
  'check ok',
  'check auth failure',
  'describe',
  'partitions disjoint and complete',
  'resume from any cursor',
  'idempotent rewrite',
  'rejected record + quarantine',
  'composite keys',
  'type torture round trip',
  'delete by key',
  'list objects',
] as const;
export type Behaviour = (typeof BEHAVIOURS)[number];

/**
 * How a store holds a type it cannot keep exactly: the expected value after a write → read round trip.
 * `doc` says why, so the table of mappings doubles as documentation of the connector's limits.
 */
export interface TypeMapping {
  type: FieldType;
  doc: string;
  expect: (v: Value) => Value;
}

/** What one connector brings to the conformance suite: native access to its store, and its documented limits. */
export interface ConformanceFixture {
  type: string;
  /** Reads follow the key tuple (key-ordered stores) rather than a token ring. */
  ordered: boolean;
  /** The name a natively seeded object's one key field is described under (MongoDB: _id); default the seeded name. */
  nativeKey?: string;
  /** The neutral type a natively seeded `integer` column is described as, when the store has no 32-bit integers. */
  describedInt32As?: FieldType;
  /** null when the store can be reached, otherwise the reason every behaviour of this connector skips. */
  unavailable(): string | null;
  /** An (unparsed) endpoint on a fresh object of this name. */
  endpoint(object: string): Endpoint;
  /** The endpoint's connection with secrets resolved, as withEndpoints would hand it to open(). */
  connection(): ResolvedConnection;
  /** A connection with a wrong password and that password (it must not appear in the error), or why there is none. */
  badCredentials(): { connection: ResolvedConnection; secret: string } | string;
  /** Creates the object with this schema and rows through the store's own client (not the connector). */
  seed(object: string, schema: ObjectSchema, rows: Row[]): Promise<void>;
  /** Every row of the object through the store's own client, values as the store gives them. */
  readAll(object: string, schema: ObjectSchema): Promise<Row[]>;
  /** The dead letters stored beside the object, through the store's own client. */
  deadLetters(object: string): Promise<{ key: string | null; error: string }[]>;
  drop(object: string): Promise<void>;
  mappings: TypeMapping[];
  /** Torture-set fields the store cannot hold at all, with the reason (left out of its round trip, loudly). */
  unsupportedFields: Record<string, string>;
  /** Behaviours that cannot run against this store here, with the reason. */
  skips: Partial<Record<Behaviour, string>>;
}

/** Set by `npm run test:unit`: only the memory connector runs; server fixtures skip. */
export const noServers = () => process.env.DATAMIGRATO_NO_SERVERS === '1';
export const NO_SERVER = 'no server: run npm test';

/** Milliseconds only: what stores with millisecond timestamps keep of an ISO text. */
export const toMillis = (v: Value): Value => {
  if (typeof v !== 'string') return v;
  return v.replace(/(\.\d{3})\d+/, '$1');
};
