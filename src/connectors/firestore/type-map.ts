import { Timestamp, GeoPoint, DocumentReference, type Firestore } from 'firebase-admin/firestore';
import { toDeclaredType } from '../../model/declared-type';
import { coerce, toText } from '../../model/coerce';
import { childrenOf } from '../../model/nested';
import type { FieldSchema, FieldType, JsonValue, Value } from '../../model/types';
import {
  isPlainObject,
  toBoolean,
  toBytes,
  toDateText,
  toDecimalText,
  toFloat64,
  toInt64,
  toObjectIdText,
  toTimestampText,
  toTimestamptzText,
  toUuidText,
} from '../../model/values';
import type { FirestoreFieldType } from './spec';

/**
 * Firestore values ⇄ the neutral model, as data:
 *   string → string, boolean → boolean, integer (int64, read with useBigInt) → int64, double → float64
 *   (NaN/±Infinity kept), Timestamp → timestamptz (µs), Bytes → bytes, map → json (+ shape), array → json,
 *   GeoPoint → json {latitude, longitude} (nativeType geopoint), DocumentReference → string, the path
 *   (nativeType reference). A Firestore target turns those two back by nativeType or `fieldTypes`.
 * Inside json values: Timestamp → ISO text, Bytes → {$base64}, GeoPoint → {latitude, longitude},
 * reference → path, integers beyond 2^53 → decimal text, NaN/±Infinity → their text.
 */
export const NATIVE_OF = 'firestore';

/** The kind of a Firestore value, as inference sees it. */
export type Kind = 'string' | 'boolean' | 'integer' | 'double' | 'timestamp' | 'bytes' | 'geopoint' | 'reference' | 'map' | 'array';

export function kindOf(v: unknown): Kind | null {
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'boolean';
    case 'bigint':
      return 'integer';
    case 'number':
      return 'double';
  }
  if (v === null || v === undefined) return null;
  if (v instanceof Timestamp) return 'timestamp';
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return 'bytes';
  if (v instanceof GeoPoint) return 'geopoint';
  if (v instanceof DocumentReference) return 'reference';
  if (Array.isArray(v)) return 'array';
  return 'map';
}

/** One kind → the neutral field type (several kinds: see infer.ts). */
export const NEUTRAL_OF_KIND: Record<Kind, FieldType> = {
  string: 'string',
  boolean: 'boolean',
  integer: 'int64',
  double: 'float64',
  timestamp: 'timestamptz',
  bytes: 'bytes',
  geopoint: 'json',
  reference: 'string',
  map: 'json',
  array: 'json',
};

/** Timestamp → ISO-8601 UTC with microseconds (Firestore keeps µs; finer digits are zero). */
export function timestampText(t: Timestamp): string {
  const base = new Date(t.seconds * 1000).toISOString().slice(0, 19);
  return `${base}.${String(Math.floor(t.nanoseconds / 1000)).padStart(6, '0')}Z`;
}

/** ISO text (any fraction length, any zone) → Timestamp, keeping microseconds that Date would drop. */
export function toTimestamp(v: unknown): Timestamp {
  const text = toTimestamptzText(v);
  const m = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$/.exec(text);
  if (!m) throw new Error(`not a timestamp: ${text}`);
  const seconds = Math.floor(Date.parse(`${m[1]}Z`) / 1000);
  const nanos = Number((m[2] ?? '').padEnd(9, '0').slice(0, 9));
  if (!Number.isFinite(seconds)) throw new Error(`not a timestamp: ${text}`);
  return new Timestamp(seconds, nanos);
}

const geoJson = (g: GeoPoint): JsonValue => ({ latitude: g.latitude, longitude: g.longitude });

/** A Firestore value as plain JSON (for json fields and `_extra`). */
export function firestoreToJson(v: unknown): JsonValue {
  switch (kindOf(v)) {
    case null:
      return null;
    case 'integer':
      return Number.isSafeInteger(Number(v)) ? Number(v) : String(v);
    case 'double':
      return Number.isFinite(v) ? (v as number) : String(v);
    case 'timestamp':
      return timestampText(v as Timestamp);
    case 'bytes':
      return { $base64: Buffer.from(v as Uint8Array).toString('base64') };
    case 'geopoint':
      return geoJson(v as GeoPoint);
    case 'reference':
      return (v as DocumentReference).path;
    case 'array':
      return (v as unknown[]).map(firestoreToJson);
    case 'map': {
      const out: Record<string, JsonValue> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = firestoreToJson(x);
      return out;
    }
    default:
      return v as JsonValue;
  }
}

/** A field's value as read → the neutral value of its declared type (other types pass: the target decides). */
export function readField(v: unknown, f: FieldSchema): Value {
  if (v === null || v === undefined) return null;
  if (f.type === 'json') return firestoreToJson(v);
  const kind = kindOf(v);
  if (kind === 'timestamp') {
    const text = timestampText(v as Timestamp);
    return f.type === 'timestamp' ? text.replace(/Z$/, '') : f.type === 'date' ? text.slice(0, 10) : text;
  }
  if (kind === 'bytes') return Buffer.from(v as Uint8Array);
  if (kind === 'reference') return (v as DocumentReference).path;
  if (kind === 'geopoint' || kind === 'map' || kind === 'array') return firestoreToJson(v);
  return toDeclaredType(v as Value, v, f.type);
}

/** How a target stores one field: the declared Firestore type (fieldTypes), else the source's native type. */
export interface WriteContext {
  db: Firestore;
  /** Firestore types by dotted field path (the endpoint's fieldTypes). */
  fieldTypes: Record<string, FirestoreFieldType>;
  /** Reference path prefix → replacement (the endpoint's references). */
  references: Record<string, string>;
}

export function remapPath(path: string, references: Record<string, string>): string {
  let best = '';
  for (const from of Object.keys(references)) if ((path === from || path.startsWith(`${from}/`)) && from.length > best.length) best = from;
  return best ? references[best] + path.slice(best.length) : path;
}

function toGeoPoint(v: unknown): GeoPoint {
  const o = typeof v === 'string' ? (JSON.parse(v) as unknown) : v;
  if (isPlainObject(o) && typeof o.latitude === 'number' && typeof o.longitude === 'number') return new GeoPoint(o.latitude, o.longitude);
  throw new Error('not a geopoint: expected {latitude, longitude} numbers');
}

function toReference(v: unknown, ctx: WriteContext): DocumentReference {
  if (typeof v !== 'string' || !/^[^/]+\/[^/]+(\/[^/]+\/[^/]+)*$/.test(v)) throw new Error('not a document path (collection/doc[/collection/doc…])');
  return ctx.db.doc(remapPath(v, ctx.references));
}

/** A value declared as a Firestore type (fieldTypes, or the nativeType a Firestore source described). */
function asDeclared(v: Value, t: FirestoreFieldType, ctx: WriteContext): unknown {
  switch (t) {
    case 'geopoint':
      return toGeoPoint(v);
    case 'reference':
      return toReference(v, ctx);
    case 'timestamp':
      return toTimestamp(v);
    case 'bytes':
      return toBytes(v);
    case 'integer':
      return toInt64(v);
  }
}

const NATIVE_DECLARED: Record<string, FirestoreFieldType> = { geopoint: 'geopoint', reference: 'reference' };

function declaredOf(f: FieldSchema, path: string, ctx: WriteContext): FirestoreFieldType | undefined {
  return ctx.fieldTypes[path] ?? (f.nativeOf === NATIVE_OF && f.nativeType ? NATIVE_DECLARED[f.nativeType] : undefined);
}

/** A neutral value → the Firestore value stored for its field; throws (record rejected) when it does not convert. */
export function toFirestore(v: Value | undefined, f: FieldSchema, path: string, ctx: WriteContext): unknown {
  if (v === null || v === undefined) return null;
  const declared = declaredOf(f, path, ctx);
  if (declared) return asDeclared(v, declared, ctx);
  switch (f.type) {
    case 'int32':
    case 'int64':
      return toInt64(v);
    case 'float64':
      return toFloat64(v); // whole numbers are stored as integers by the SDK; read back as float64 by the schema
    case 'decimal':
      return toDecimalText(v); // Firestore has no decimal: exact text
    case 'boolean':
      return toBoolean(v);
    case 'timestamptz':
      return toTimestamp(v);
    case 'timestamp':
      return toTimestamp(`${toTimestampText(v)}Z`);
    case 'date':
      return toDateText(v);
    case 'uuid':
      return toUuidText(v);
    case 'objectid':
      return toObjectIdText(v);
    case 'bytes':
      return toBytes(v);
    case 'string':
      return typeof v === 'string' ? v : toText(v);
    case 'json':
      return jsonToFirestore(typeof v === 'string' ? parseJson(v) : v, childrenOf(f), path, ctx);
  }
}

function parseJson(text: string): Value {
  try {
    return JSON.parse(text) as Value;
  } catch {
    return text; // a plain string in a json field stays a string
  }
}

/** JSON → Firestore: leaves of a described shape (or of a declared path) get their type back. */
function jsonToFirestore(v: Value, children: FieldSchema[] | undefined, path: string, ctx: WriteContext): unknown {
  if (Array.isArray(v)) return v.map((x) => jsonToFirestore(x as Value, undefined, path, ctx));
  if (!isPlainObject(v)) return typeof v === 'number' && Number.isInteger(v) ? v : v;
  const byName = new Map((children ?? []).map((c) => [c.name, c]));
  const out: Record<string, unknown> = {};
  for (const [k, leaf] of Object.entries(v)) {
    const childPath = `${path}.${k}`;
    const child = byName.get(k);
    const declared = child ? declaredOf(child, childPath, ctx) : ctx.fieldTypes[childPath];
    if (declared) out[k] = leaf === null ? null : asDeclared(leaf as Value, declared, ctx);
    else if (child) out[k] = toFirestore(child.type === 'json' ? (leaf as Value) : coerce(leaf as Value, child.type), child, childPath, ctx);
    else out[k] = jsonToFirestore(leaf as Value, undefined, childPath, ctx);
  }
  return out;
}
