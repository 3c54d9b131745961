import { Binary, Double, Int32, Long, type Document } from 'mongodb';
import { DocumentReference, GeoPoint, Timestamp } from 'firebase-admin/firestore';
import type { JobSpecInput } from '../../src/job/job-spec';
import { cassandraConnection } from '../helpers/cassandra';
import { TEST_DB as DB, TEST_KEYSPACE as KS, cleanup, runMigration } from '../helpers/cross';
import { uniqueSuffix } from '../helpers/env';
import { dropCollection, firestoreConnectionSpec, firestoreUnavailable, withFirestore } from '../helpers/firestore';
import { withMongo } from '../helpers/mongo';
import { startHarness, type TemporalHarness } from '../helpers/temporal';

// 60: every type, subcollections two levels deep (d000050), ~30 s; more documents cost time, not coverage.
// The figure is FIRESTORE_ROUNDTRIP_DOCS=50000 (subcollections are read by one descendants query per
// page, so the size is bounded by the emulator's write and query speed, not by a call per document).
const DOCS = Number(process.env.FIRESTORE_ROUNDTRIP_DOCS ?? 60);
/** Four hops, each copied and validated: generous per document, never below 30 min. */
const TIMEOUT_MS = Math.max(1_800_000, DOCS * 250);
const unavailable = firestoreUnavailable();
if (unavailable) console.warn(`SKIPPED MongoDB → Firestore → Cassandra → Firestore → MongoDB: ${unavailable}`);
const maybe = unavailable ? describe.skip : describe;
const T0 = Date.UTC(2021, 4, 6, 7, 8, 9, 123);
const pad = (n: number) => String(n).padStart(6, '0');

/**
 * A nested document with every type the Firestore connector maps that MongoDB (FerretDB) can originate:
 * int64 beyond 2^53, doubles, dates, bytes, maps, arrays, nulls; a GeoPoint as {latitude, longitude} and a
 * reference as a path (made Firestore types by the Firestore targets' fieldTypes); every 10th document carries
 * subcollections (every 50th two levels deep) in `_subcollections`, values tagged as the connector spells them.
 */
function sourceDoc(i: number, users: string): Document {
  const doc: Document = {
    _id: `d${pad(i)}`,
    name: `doc ${i} — ünïcødé 🙂`,
    n: new Int32(i % 1000),
    big: Long.fromBigInt(9007199254740993n + BigInt(i) * 1_000_003n),
    score: new Double(i / 8 + 0.1),
    at: new Date(T0 + i * 1_001),
    raw: i % 7 === 0 ? null : new Binary(Buffer.from([i & 255, (i >> 8) & 255, 0, 255])),
    flag: i % 3 === 0,
    loc: { latitude: new Double((i % 170) - 84.5), longitude: new Double((i % 350) - 174.25) },
    owner: `${users}/u${i % 50}`,
    tags: i % 5 === 0 ? [] : [`t${i % 7}`, new Int32(i % 4)],
    addr: i % 13 === 0 ? null : { city: `city ${i % 40}`, zip: new Int32(10_000 + i), geo: { lat: new Double(i / 3 + 0.5), lng: new Double(-i / 9 - 0.5) } },
  };
  if (i % 10 === 0) {
    const note = (k: number) => ({
      id: `n${k}`,
      data: {
        text: `note ${k} of ${i}`,
        at: { '@timestamp': new Date(T0 + k).toISOString().replace('Z', '000Z') },
        big: { '@int': String(2n ** 60n + BigInt(i)) },
        k,
      },
      ...(i % 50 === 0 && k === 1
        ? {
            subcollections: [
              { collection: 'replies', documents: [{ id: 'r1', data: { ok: true, where: { '@geopoint': { latitude: 1.5, longitude: -2.5 } } } }] },
            ],
          }
        : {}),
    });
    doc._subcollections = [{ collection: 'notes', documents: [note(1), note(2)] }];
  }
  return doc;
}

/** Plain values for comparing documents: Firestore has one integer type, so Int32 and Long both become bigint. */
function plain(v: unknown): unknown {
  if (v === null || v === undefined) return undefined;
  if (v instanceof Int32 || v instanceof Long) return BigInt(v.toString());
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : v;
  if (typeof v === 'bigint') return v;
  if (v instanceof Double) return plain(v.valueOf());
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Binary) return Buffer.from(v.buffer).toString('hex');
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (x !== null && x !== undefined) out[k] = plain(x);
    return out;
  }
  return v;
}

const fs = (collection: string, extra: Record<string, unknown> = {}) =>
  ({ type: 'firestore', connection: firestoreConnectionSpec(), collection, ...extra }) as const;
const mongo = (collection: string) =>
  ({ type: 'mongodb', connection: { url: { env: 'MONGO_URL' } }, database: DB, collection, writeMode: 'insert', decimalAs: 'string' }) as const;
const FIRESTORE_TYPES = { fieldTypes: { loc: 'geopoint', owner: 'reference' } } as const;
const common = { batchSize: 500, parallelism: 2, chunk: { maxBatches: 10_000, maxSeconds: 600 } } as const;

maybe('MongoDB → Firestore → Cassandra → Firestore → MongoDB round trip', () => {
  let h: TemporalHarness;
  const s = uniqueSuffix();
  const [src, fsA, table, fsB, back, users] = ['src', 'a', 'mid', 'b', 'back', 'users'].map((x) => `wt_firestore_${x}_${s}`) as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const drop = cleanup();

  beforeAll(async () => {
    h = await startHarness('fs-roundtrip');
    drop.collection(src);
    drop.collection(back);
    drop.table(table);
    await withMongo(async (c) => {
      const coll = c.db(DB).collection(src);
      for (let i = 0; i < DOCS; i += 5_000) await coll.insertMany(Array.from({ length: Math.min(5_000, DOCS - i) }, (_, k) => sourceDoc(i + k, users)));
    });
  }, TIMEOUT_MS);
  afterAll(async () => {
    await h?.stop();
    await drop.run();
    for (const c of [fsA, fsB]) await dropCollection(c).catch(() => undefined);
  }, 600_000);

  test(
    `${DOCS} nested documents with subcollections: validated at each hop, equal at the end`,
    async () => {
      console.warn(
        'SKIPPED in this round trip: NaN/±Infinity (FerretDB refuses them, so MongoDB cannot originate them; the firestore conformance torture set round-trips them) and µs timestamps (BSON and CQL dates hold ms; conformance covers µs)',
      );
      const hops: [string, JobSpecInput][] = [
        [
          'mongo→firestore',
          {
            name: `fs-rt1-${s}`,
            source: mongo(src),
            target: fs(fsA, { ...FIRESTORE_TYPES, includeSubcollections: true }),
            transform: [{ op: 'rename', fields: { _id: 'id' } }],
            partitions: 1,
            ...common,
          },
        ],
        [
          'firestore→cassandra',
          {
            name: `fs-rt2-${s}`,
            source: fs(fsA, { includeSubcollections: true }),
            target: { type: 'cassandra', connection: cassandraConnection(), keyspace: KS, table },
            transform: [{ op: 'flatten' }],
            partitions: 4,
            ...common,
          },
        ],
        [
          'cassandra→firestore',
          {
            name: `fs-rt3-${s}`,
            source: { type: 'cassandra', connection: cassandraConnection(), keyspace: KS, table },
            target: fs(fsB, { ...FIRESTORE_TYPES, includeSubcollections: true }),
            transform: [
              { op: 'unflatten', fields: ['addr'] },
              { op: 'cast', fields: { loc: 'json', tags: 'json', _subcollections: 'json' } },
            ],
            partitions: 4,
            ...common,
          },
        ],
        [
          'firestore→mongo',
          {
            name: `fs-rt4-${s}`,
            source: fs(fsB, { includeSubcollections: true }),
            target: mongo(back),
            transform: [{ op: 'rename', fields: { id: '_id' } }],
            partitions: 4,
            ...common,
          },
        ],
      ];
      for (const [pair, spec] of hops) {
        const report = await runMigration(h, pair, spec);
        if (report.validation?.status !== 'match') console.log(JSON.stringify({ pair, validation: report.validation }));
        expect({ pair, status: report.status, rows: report.rows, quarantined: report.quarantined }).toEqual({
          pair,
          status: 'completed',
          rows: DOCS,
          quarantined: 0,
        });
        expect(report.validation).toMatchObject({ status: 'match', source: { count: DOCS }, target: { count: DOCS } });
      }

      // In Firestore the types are Firestore's own, and subcollections are real subcollections.
      await withFirestore(async (db) => {
        for (const c of [fsA, fsB]) {
          const d = (await db.doc(`${c}/d000050`).get()).data()!;
          expect(d.loc).toBeInstanceOf(GeoPoint);
          expect(d.owner).toBeInstanceOf(DocumentReference);
          expect((d.owner as DocumentReference).path).toBe(`${users}/u0`);
          expect(d.big).toBe(9007199254740993n + 50n * 1_000_003n);
          expect(d.at).toBeInstanceOf(Timestamp);
          expect(Buffer.isBuffer(d.raw)).toBe(true);
          const note = (await db.doc(`${c}/d000050/notes/n1`).get()).data()!;
          expect(note.at).toBeInstanceOf(Timestamp);
          expect(note.big).toBe(2n ** 60n + 50n);
          const reply = (await db.doc(`${c}/d000050/notes/n1/replies/r1`).get()).data()!;
          expect(reply.where).toBeInstanceOf(GeoPoint);
          expect((await db.collection(c).count().get()).data().count).toBe(BigInt(DOCS));
        }
      });

      // Documents equal at the end, read by the MongoDB client itself.
      const read = (coll: string) =>
        withMongo(async (c) => new Map((await c.db(DB).collection(coll).find({}, { promoteValues: false }).toArray()).map((d) => [String(d._id), plain(d)])));
      const [before, after] = await Promise.all([read(src), read(back)]);
      expect(after.size).toBe(DOCS);
      const differing = [...before].filter(([id, d]) => JSON.stringify(after.get(id), big) !== JSON.stringify(d, big)).map(([id]) => id);
      if (differing.length) expect(after.get(differing[0]!)).toEqual(before.get(differing[0]!));
      expect(differing).toEqual([]);
    },
    TIMEOUT_MS,
  );
});

function big(_k: string, v: unknown) {
  if (typeof v === 'bigint') return `${v}n`;
  if (v && typeof v === 'object' && !Array.isArray(v)) return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)));
  return v;
}
