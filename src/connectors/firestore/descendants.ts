import { FieldPath, Query, type Firestore, type QueryDocumentSnapshot } from 'firebase-admin/firestore';
import type { JsonValue, KeyRange } from '../../model/types';
import { encodeTagged, type SubCollection, type SubDoc } from './subcollections';

/**
 * Documents of a collection together with their subcollections, from ONE paged query per page instead of
 * `listCollections` (and a query per subcollection) for every document: a kindless all-descendants query at
 * the collection's parent, ordered by document path, bounded to the collection's path range. Document paths
 * order segment by segment, so a document is followed by all of its descendants before the next document of
 * the collection (`c/b`, `c/b/notes/n1`, `c/b/notes/n1/replies/r1`, `c/b0`, …): a document is complete when
 * the next one of the collection arrives. The successor of an id in that order is the id plus a NUL
 * character, which bounds "after document X and its descendants" (`>= c/X\0`) and "up to X and its
 * descendants" (`< c/X\0`) — the same bounds the client library's own recursiveDelete uses.
 *
 * The kindless query has no public constructor in firebase-admin 13 (@google-cloud/firestore 7); it is built
 * from the collection reference's own query options, as recursiveDelete builds it. `descendantsQuery` answers
 * null when a library version lacks those internals: the caller then falls back to listCollections per document.
 */
const NUL = '\u0000';
/** The smallest document id (the client library's REFERENCE_NAME_MIN_ID). */
const MIN_ID = '__id-9223372036854775808__';
const docId = () => FieldPath.documentId();

interface QueryInternals {
  _resourcePath: { popLast(): unknown };
  _queryOptions: { constructor: { forKindlessAllDescendants?: (parent: unknown, id: string, requireConsistency?: boolean) => unknown } };
}

/** The kindless all-descendants query at the parent of `collection`, or null when the library has no such internals. */
export function descendantsQuery(db: Firestore, collection: string): Query | null {
  const ref = db.collection(collection) as unknown as QueryInternals;
  const make = ref._queryOptions?.constructor?.forKindlessAllDescendants;
  if (typeof make !== 'function' || typeof ref._resourcePath?.popLast !== 'function') return null;
  const options = make.call(ref._queryOptions.constructor, ref._resourcePath.popLast(), db.collection(collection).id, false);
  const QueryClass = Query as unknown as new (db: Firestore, options: unknown) => Query;
  return new QueryClass(db, options);
}

/** A page of complete documents of the collection, each with its subcollections (or the error that rejects it). */
export interface TreePage {
  docs: QueryDocumentSnapshot[];
  subs: (JsonValue | Error)[];
}

/** Where the reader stands in one document's subtree. */
class Tree {
  readonly nodes = new Map<string, SubDoc | { subcollections?: SubCollection[] }>();
  readonly root: { subcollections?: SubCollection[] } = {};
  count = 0;
  error: Error | null = null;

  constructor(readonly doc: QueryDocumentSnapshot) {
    this.nodes.set(doc.ref.path, this.root);
  }

  /**
   * Adds a descendant; false when it is not carried: its parent document does not exist (a "missing"
   * document, which Firestore lists no record for) or it is not under this document at all.
   */
  add(d: QueryDocumentSnapshot, limit: number): boolean {
    if (this.error) return d.ref.path.startsWith(`${this.doc.ref.path}/`);
    const parentDoc = d.ref.parent.parent;
    const parent = parentDoc ? this.nodes.get(parentDoc.path) : undefined;
    if (!parent) return false;
    if (++this.count > limit) {
      this.error = new Error(`${this.doc.ref.path} has more than ${limit} subcollection documents (subcollectionLimit)`);
      this.nodes.clear(); // nothing more is kept for a rejected document
      return true;
    }
    const collections = (parent.subcollections ??= []);
    let c = collections[collections.length - 1];
    if (!c || c.collection !== d.ref.parent.id) collections.push((c = { collection: d.ref.parent.id, documents: [] }));
    const node: SubDoc = { id: d.id, data: encodeTagged(d.data()) as Record<string, JsonValue> };
    c.documents.push(node);
    this.nodes.set(d.ref.path, node);
    return true;
  }

  value(): JsonValue | Error {
    return this.error ?? ((this.root.subcollections ?? null) as JsonValue);
  }
}

/**
 * Pages of `batchSize` documents of `collection` in the range, after `after` (a document path), each with its
 * subcollections. Each query asks for `batchSize` paths (documents and descendants mixed) after the last one
 * seen, so memory holds one page and its subtrees (each at most `limit` documents). `onOrphans` counts
 * descendants whose parent document does not exist: Firestore lists them, but no record carries them.
 */
export async function* readTrees(
  db: Firestore,
  base: Query,
  collection: string,
  range: KeyRange,
  after: string | null,
  batchSize: number,
  limit: number,
  run: <T>(fn: () => Promise<T>) => Promise<T>,
  onOrphans: (n: number) => void,
): AsyncIterable<TreePage> {
  const depth = collection.split('/').length + 1;
  const lower = after ?? (range.lower === null ? null : String(range.lower));
  const coll = db.collection(collection);
  const parentPath = coll.parent ? `${coll.parent.path}/` : '';
  let q = base
    .where(docId(), '>=', lower === null ? db.doc(`${collection}/${MIN_ID}`) : db.doc(`${lower}${NUL}`))
    .where(docId(), '<', range.upper === null ? db.doc(`${parentPath}${coll.id}${NUL}/${MIN_ID}`) : db.doc(`${String(range.upper)}${NUL}`))
    .orderBy(docId())
    .limit(batchSize);
  let page: Tree[] = [];
  let current: Tree | null = null;
  let orphans = 0;
  const out = (): TreePage => {
    const p = { docs: page.map((t) => t.doc), subs: page.map((t) => t.value()) };
    page = [];
    return p;
  };
  for (;;) {
    const snap = await run(() => q.get());
    for (const d of snap.docs) {
      if (d.ref.path.split('/').length === depth) {
        if (current) page.push(current);
        if (page.length >= batchSize) yield out();
        current = new Tree(d);
      } else if (!current?.add(d, limit)) orphans++;
    }
    if (snap.size < batchSize) break;
    q = q.startAfter(snap.docs[snap.docs.length - 1]!);
  }
  if (current) page.push(current);
  if (orphans) onOrphans(orphans);
  if (page.length) yield out();
}
