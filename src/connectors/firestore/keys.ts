import { coerce, toText } from '../../model/coerce';
import type { FieldSchema, Row, Value } from '../../model/types';
import { isPlainObject } from '../../model/values';

/**
 * Document id ⇄ key. A one-field key is the document id itself (its text: 42 → "42"); a composite key is
 * its parts, each URI-encoded (so "/" and "|" cannot occur in them), joined by "|": (a, 2) → "a|2". The
 * key fields are also stored in the document, so their types survive (the id alone is text).
 */
export const SEPARATOR = '|';

export const keyPartText = (v: Value): string => (typeof v === 'string' ? v : toText(v));

/** Why Firestore refuses this document id, or null. */
export function invalidDocumentId(id: string): string | null {
  if (id === '') return 'an empty document id';
  if (id.includes('/')) return `document id "${id.slice(0, 60)}" contains "/"`;
  if (id === '.' || id === '..') return `document id "${id}" is reserved`;
  if (/^__.*__$/.test(id)) return `document id "${id.slice(0, 60)}" matches the reserved __.*__`;
  if (Buffer.byteLength(id) > 1500) return 'document id longer than 1,500 bytes';
  return null;
}

/** The document id a row is written under; throws (record rejected) when the key is null or not a valid id. */
export function documentIdOf(row: Row, key: string[]): string {
  const parts = key.map((k) => {
    const v = row[k];
    if (v === null || v === undefined) throw new Error(`key ${k} is null`);
    if (isPlainObject(v) || Array.isArray(v)) throw new Error(`key ${k} is not a scalar`);
    return keyPartText(v);
  });
  const id = parts.length === 1 ? parts[0]! : parts.map(encodeURIComponent).join(SEPARATOR);
  const invalid = invalidDocumentId(id);
  if (invalid) throw new Error(`cannot be a Firestore document: ${invalid}`);
  return id;
}

/** The key parts of a composite document id (null when it has another number of parts). */
export function idParts(id: string, count: number): string[] | null {
  if (count === 1) return [id];
  const parts = id.split(SEPARATOR);
  if (parts.length !== count) return null;
  try {
    return parts.map(decodeURIComponent);
  } catch {
    return null;
  }
}

/** A key value parsed from document id text, to its declared type; throws when it does not convert. */
export const keyFromText = (text: string, f: FieldSchema): Value => coerce(text, f.type);

/**
 * The composite key documents written by this connector carry: fields whose texts, joined as above, are
 * the id of every sampled document — in id order. Null when the ids are not such tuples.
 */
export function detectCompositeKey(docs: { id: string; data: Record<string, unknown> }[], fields: FieldSchema[]): string[] | null {
  const first = docs[0];
  if (!first || !first.id.includes(SEPARATOR)) return null;
  const n = first.id.split(SEPARATOR).length;
  const scalar = fields.filter((f) => f.type !== 'json' && f.type !== 'bytes');
  const text = (v: unknown) => (typeof v === 'bigint' || typeof v === 'number' || typeof v === 'string' ? String(v) : null);
  const key: string[] = [];
  for (let i = 0; i < n; i++) {
    const f = scalar.find((c) => !key.includes(c.name) && docs.every((d) => idParts(d.id, n)?.[i] === text(d.data[c.name])));
    if (!f) return null;
    key.push(f.name);
  }
  return key;
}
