import { DocumentReference } from 'firebase-admin/firestore';
import { getConnector } from '../../src/connectors/registry';
import { readSubcollections } from '../../src/connectors/firestore/subcollections';
import { withEndpoints } from '../../src/engine/sessions';
import type { Endpoint } from '../../src/job/endpoints';
import type { Cursor, KeyRange, ObjectSchema, RowBatch } from '../../src/model/types';
import { uniqueSuffix } from '../helpers/env';
import { dropCollection, firestoreConnectionSpec, firestoreUnavailable, withFirestore } from '../helpers/firestore';

/**
 * includeSubcollections reads a collection's documents with their subcollections from one all-descendants
 * query per page (src/connectors/firestore/descendants.ts), not listCollections per document. Checked against
 * the emulator: every document once with exactly the subtree listCollections finds (the per-document reader is
 * the oracle), across pages, partitions and a resume cursor; a neighbouring collection whose name extends this
 * one's is not read; a subtree under a document that does not exist is carried by no record; a document over
 * subcollectionLimit is a rejected record; a nested collection path (p/x/items) works the same.
 */
const unavailable = firestoreUnavailable();
if (unavailable) console.warn(`SKIPPED firestore subcollection reads: ${unavailable}`);
const maybe = unavailable ? describe.skip : describe;
const DOCS = 60;
const pad = (i: number) => String(i).padStart(3, '0');

const endpoint = (collection: string, extra: Record<string, unknown> = {}): Endpoint =>
  getConnector('firestore').endpointSchema.parse({
    type: 'firestore',
    connection: firestoreConnectionSpec(),
    collection,
    includeSubcollections: true,
    subcollectionLimit: 5,
    ...extra,
  }) as Endpoint;

maybe('firestore: subcollections read by one descendants query per page', () => {
  const s = uniqueSuffix();
  const coll = `fire_sub_${s}`;
  const nested = `fire_subp_${s}/x/items`;
  const collections = [coll, `${coll}0`, `${coll}x`, `fire_subp_${s}`];

  beforeAll(async () => {
    await withFirestore(async (db) => {
      const w = db.bulkWriter({ throttling: false });
      for (const base of [coll, nested]) {
        for (let i = 0; i < DOCS; i++) {
          const d = `${base}/d${pad(i)}`;
          void w.set(db.doc(d), { n: i });
          if (i % 3 === 0) void w.set(db.doc(`${d}/notes/n1`), { k: 1, at: new Date(Date.UTC(2020, 0, 1, 0, 0, i)) });
          if (i % 3 === 0) void w.set(db.doc(`${d}/notes/n2`), { k: 2 });
          if (i % 6 === 0) void w.set(db.doc(`${d}/notes/n1/replies/r1`), { deep: true });
          if (i % 5 === 0) void w.set(db.doc(`${d}/alpha/a1`), { first: 'alpha' });
          if (i === 7) for (let k = 0; k < 6; k++) void w.set(db.doc(`${d}/many/m${k}`), { k }); // over subcollectionLimit 5
        }
        void w.set(db.doc(`${base}/d010x/ghost/g1`), { orphan: true }); // d010x itself does not exist
      }
      // Neighbours whose paths sort right after the collection's: never part of it.
      void w.set(db.doc(`${coll}0/d000`), { other: true });
      void w.set(db.doc(`${coll}0/d000/notes/n1`), { other: true });
      void w.set(db.doc(`${coll}x/d000/notes/n1`), { other: true });
      await w.close();
    });
  }, 120_000);
  afterAll(async () => {
    for (const c of collections) await dropCollection(c).catch(() => undefined);
  }, 120_000);

  /** What the per-document reader (listCollections, then each collection) finds for every document. */
  const oracle = (base: string) =>
    withFirestore(async (db) => {
      const out = new Map<string, unknown>();
      for (const d of (await db.collection(base).orderBy('__name__').get()).docs)
        out.set(d.id, await readSubcollections(d.ref, 5).catch((e: Error) => `rejected: ${e.message}`));
      return out;
    });

  async function readAll(base: string, ranges: KeyRange[] | number, after: Cursor | null = null, batch = 7) {
    return withEndpoints([{ side: 'source', endpoint: endpoint(base) }], async ({ source }) => {
      const schema = (await source.describe()) as ObjectSchema;
      const plan = typeof ranges === 'number' ? await source.planPartitions(schema, ranges) : ranges;
      const seen = new Map<string, unknown>();
      const batches: RowBatch[] = [];
      for (const r of plan)
        for await (const b of source.read(schema, r, after, batch)) {
          batches.push(b);
          for (const row of b.rows) {
            expect(seen.has(String(row.id))).toBe(false);
            seen.set(String(row.id), row._subcollections);
          }
          for (const j of b.rejected ?? []) seen.set(String(j.row.id).replace(/^.*\//, ''), `rejected: ${j.error}`);
        }
      return { seen, batches, plan };
    });
  }

  test.each([
    ['a root collection', () => coll],
    ['a nested collection path', () => nested],
  ])('%s: every document once with its subtree, as listCollections finds it; the orphan and neighbours are not read', async (_what, base) => {
    const expected = await oracle(base());
    expect(expected.size).toBe(DOCS);
    const listed = jest.spyOn(DocumentReference.prototype, 'listCollections');
    const { seen, plan } = await readAll(base(), 3);
    expect(listed).not.toHaveBeenCalled(); // no call per document
    listed.mockRestore();
    expect(plan.length).toBe(3);
    expect([...seen.keys()].sort()).toEqual([...expected.keys()]); // a batch lists its rejected records after its rows
    for (const [id, subs] of expected) expect({ id, subs: seen.get(id) }).toEqual({ id, subs });
    // Spot checks on the shape itself: ordering, nesting, typed leaves, and the limit.
    expect(seen.get('d006')).toEqual([
      {
        collection: 'notes',
        documents: [
          {
            id: 'n1',
            data: { k: 1, at: { '@timestamp': '2020-01-01T00:00:06.000000Z' } },
            subcollections: [{ collection: 'replies', documents: [{ id: 'r1', data: { deep: true } }] }],
          },
          { id: 'n2', data: { k: 2 } },
        ],
      },
    ]);
    expect(seen.get('d001')).toBeNull();
    expect(String(seen.get('d007'))).toMatch(/^rejected: .*d007 has more than 5 subcollection documents \(subcollectionLimit\)/);
  });

  test('resume after a cursor: the documents after it, each with its whole subtree', async () => {
    const expected = await oracle(coll);
    const { seen } = await readAll(coll, [{ id: 0, lower: null, upper: null }], `${coll}/d030`, 4);
    const after = [...expected.keys()].filter((id) => id > 'd030');
    expect([...seen.keys()].sort()).toEqual(after);
    for (const id of after) expect(seen.get(id)).toEqual(expected.get(id));
  });
});
