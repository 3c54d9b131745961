import { DocumentReference, GeoPoint, Timestamp, type Firestore } from 'firebase-admin/firestore';
import type { JsonValue } from '../../model/types';
import { isPlainObject } from '../../model/values';
import { kindOf, remapPath, timestampText, toTimestamp } from './type-map';

/**
 * Subcollections travel in one reserved json field, `_subcollections`:
 *   [{ collection: "orders", documents: [{ id: "o1", data: {…}, subcollections?: [...] }] }]
 * (arrays of objects, so ids never become keys — FerretDB refuses "." and "$" in keys). Values in `data`
 * keep their Firestore type through any store as tagged JSON: {"@timestamp": iso}, {"@geopoint":
 * {latitude, longitude}}, {"@ref": path}, {"@bytes": base64}, {"@int": text} (beyond 2^53), {"@double":
 * "NaN"}; a map whose only key starts with "@" is wrapped as {"@map": {…}}. A Firestore target writes the
 * documents back under the same document path; any other target keeps the field as json.
 */
export const SUBCOLLECTIONS = '_subcollections';

export interface SubDoc {
  id: string;
  data: Record<string, JsonValue>;
  subcollections?: SubCollection[];
}
export interface SubCollection {
  collection: string;
  documents: SubDoc[];
}

export function encodeTagged(v: unknown): JsonValue {
  switch (kindOf(v)) {
    case null:
      return null;
    case 'integer':
      return Number.isSafeInteger(Number(v)) ? Number(v) : { '@int': String(v) };
    case 'double':
      return Number.isFinite(v) ? (v as number) : { '@double': String(v) };
    case 'timestamp':
      return { '@timestamp': timestampText(v as Timestamp) };
    case 'bytes':
      return { '@bytes': Buffer.from(v as Uint8Array).toString('base64') };
    case 'geopoint':
      return { '@geopoint': { latitude: (v as GeoPoint).latitude, longitude: (v as GeoPoint).longitude } };
    case 'reference':
      return { '@ref': (v as DocumentReference).path };
    case 'array':
      return (v as unknown[]).map(encodeTagged);
    case 'map': {
      const out: Record<string, JsonValue> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = encodeTagged(x);
      const keys = Object.keys(out);
      return keys.length === 1 && keys[0]!.startsWith('@') ? { '@map': out } : out;
    }
    default:
      return v as JsonValue;
  }
}

export function decodeTagged(v: unknown, db: Firestore, references: Record<string, string>): unknown {
  if (Array.isArray(v)) return v.map((x) => decodeTagged(x, db, references));
  if (!isPlainObject(v)) return v;
  const keys = Object.keys(v);
  if (keys.length === 1) {
    const x = v[keys[0]!];
    switch (keys[0]) {
      case '@int':
        return BigInt(String(x));
      case '@double':
        return Number(x);
      case '@timestamp':
        return toTimestamp(x);
      case '@bytes':
        return Buffer.from(String(x), 'base64');
      case '@geopoint': {
        const g = x as { latitude: number; longitude: number };
        return new GeoPoint(g.latitude, g.longitude);
      }
      case '@ref':
        return db.doc(remapPath(String(x), references));
      case '@map':
        return decodeMap(x, db, references);
    }
  }
  return decodeMap(v, db, references);
}

const decodeMap = (v: unknown, db: Firestore, references: Record<string, string>) =>
  Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, decodeTagged(x, db, references)]));

/**
 * A document's subcollections, recursively, as the reserved field's value (null when it has none).
 * Throws when they hold more than `limit` documents: the record is rejected rather than cut.
 */
export async function readSubcollections(ref: DocumentReference, limit: number): Promise<SubCollection[] | null> {
  let budget = limit;
  const walk = async (doc: DocumentReference): Promise<SubCollection[]> => {
    const out: SubCollection[] = [];
    const colls = (await doc.listCollections()).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (const c of colls) {
      const snap = await c.limit(budget + 1).get();
      budget -= snap.size;
      if (budget < 0) throw new Error(`${ref.path} has more than ${limit} subcollection documents (subcollectionLimit)`);
      const documents: SubDoc[] = [];
      for (const d of snap.docs) {
        const sub = await walk(d.ref);
        documents.push({ id: d.id, data: encodeTagged(d.data()) as Record<string, JsonValue>, ...(sub.length ? { subcollections: sub } : {}) });
      }
      out.push({ collection: c.id, documents });
    }
    return out;
  };
  const found = await walk(ref);
  return found.length ? found : null;
}

/** The (reference, data) pairs to write for a parent's carried subcollections; throws on a malformed value. */
export function subcollectionWrites(
  parent: DocumentReference,
  value: unknown,
  db: Firestore,
  references: Record<string, string>,
): [DocumentReference, Record<string, unknown>][] {
  const v = typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
  if (v === null || v === undefined) return [];
  if (!Array.isArray(v)) throw new Error(`${SUBCOLLECTIONS}: expected an array of {collection, documents}`);
  const out: [DocumentReference, Record<string, unknown>][] = [];
  for (const c of v as SubCollection[]) {
    if (!c || typeof c.collection !== 'string' || !Array.isArray(c.documents)) throw new Error(`${SUBCOLLECTIONS}: expected {collection, documents}`);
    for (const d of c.documents) {
      const ref = parent.collection(c.collection).doc(String(d.id));
      out.push([ref, decodeMap(d.data ?? {}, db, references) as Record<string, unknown>]);
      if (d.subcollections) out.push(...subcollectionWrites(ref, d.subcollections, db, references));
    }
  }
  return out;
}
