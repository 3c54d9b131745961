import { Binary, Double, Int32, Long, MongoClient, ObjectId, type Document } from 'mongodb';
import { env } from './env';

export async function withMongo<T>(fn: (c: MongoClient) => Promise<T>, url = env.mongoUrl): Promise<T> {
  const c = new MongoClient(url, { serverSelectionTimeoutMS: 10_000 });
  try {
    await c.connect();
    return await fn(c);
  } finally {
    await c.close();
  }
}

const T0 = Date.UTC(2020, 0, 1);

/**
 * A person document with every type the MongoDB connector maps (ObjectId, Int32, Long, Double, Date,
 * bool, Binary, arrays, nested documents two levels deep, missing and null fields), deterministic in i.
 * Nothing FerretDB lacks: no Decimal128, no nested arrays, no "." or "$" in keys.
 */
export function personDoc(i: number, id: unknown = new ObjectId()): Document {
  const doc: Document = {
    _id: id,
    name: `person ${i} — ünïcødé "q" \\`,
    age: new Int32(i % 97),
    score: new Double(i / 7),
    balance: Long.fromNumber(i * 1_000_003 - 7_000_000_000),
    createdAt: new Date(T0 + i * 1_234),
    active: i % 3 !== 0,
    tags: i % 5 === 0 ? [] : [`t${i % 7}`, 'x', i % 4],
    avatar: i % 11 === 0 ? null : new Binary(Buffer.from([i & 255, (i >> 8) & 255, 0])),
    meta: { createdBy: new ObjectId(), version: new Int32(1 + (i % 4)), updatedAt: new Date(T0 + i * 999), flags: { vip: i % 10 === 0 } },
  };
  if (i % 13 !== 0)
    doc.address = {
      city: `city ${i % 50}`,
      zip: new Int32(10_000 + (i % 9_000)),
      geo: { lat: new Double((i % 180) - 90.5), lng: new Double((i % 360) - 180.25) },
    };
  return doc;
}

/** Seeds `count` documents in batches (FerretDB inserts ~10k docs/s; each batch is one insertMany). */
export async function seedPeople(db: string, collection: string, count: number, idOf: (i: number) => unknown = () => new ObjectId()): Promise<void> {
  await withMongo(async (c) => {
    const coll = c.db(db).collection(collection);
    await coll.drop().catch(() => undefined);
    for (let i = 0; i < count; i += 5_000) {
      const docs = Array.from({ length: Math.min(5_000, count - i) }, (_, k) => personDoc(i + k + 1, idOf(i + k + 1)));
      await coll.insertMany(docs, { ordered: false });
    }
  });
}

/** Every _id of a collection, as text (ObjectIds as hex). */
export async function mongoIds(db: string, collection: string): Promise<Set<string>> {
  return withMongo(async (c) => {
    const ids = new Set<string>();
    for await (const d of c
      .db(db)
      .collection(collection)
      .find({}, { projection: { _id: 1 }, batchSize: 10_000 }))
      ids.add(String(d._id));
    return ids;
  });
}

/** Real mongod for what FerretDB lacks (Decimal128, $sample, transactions); unset here, so those tests skip loudly. */
export const realMongoUrl = process.env.MONGO_REAL_URL;
