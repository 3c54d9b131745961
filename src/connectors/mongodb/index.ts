import { descriptor } from '../contract';
import { MongoEndpointSchema } from './spec';
import type * as Session from './session';
import type * as List from './list';

/** The driver-bearing module, loaded on first open only (see ConnectorDescriptor in ../contract). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const session = (): typeof Session => require('./session');

export const mongodb = descriptor({
  type: 'mongodb',
  connectionUrls: [{ field: 'url', schemes: ['mongodb:', 'mongodb+srv:'] }],
  description: 'MongoDB (mongodb driver 7): key-range reads on one server cursor per range, unordered bulk upserts by _id',
  capabilities: {
    source: true,
    target: true,
    documentStore: true,
    notes: [
      'Partitions: key ranges at quantiles of a $sample of keys; without $sample (FerretDB) evenly between the min and max key (ObjectId, integer, date keys) or one partition.',
      'Reads: find({key: {$gt: cursor, $lte: upper}}).sort({key: 1}) on one cursor per range; the cursor is the last key read. Optional filter (Extended JSON).',
      'Composite keys: source key: [k1, k2] pages by sort {k1: 1, k2: 1} and $or keyset after the last key tuple, partitions on k1 (lower-exclusive/upper-inclusive); a target stores the tuple as an _id document {k1, k2} in key order plus the key fields (and indexes them).',
      'Schema: describe() samples sampleSize documents (default 1000; "all" = infer from a full scan) and is open: fields outside the sample follow onUnknownField — json: carried in _extra (a MongoDB target spreads them back to the top level), reject: the record follows onRecordError, drop: counted in droppedFields. Sub-documents keep their shape for flatten.',
      'Types: ObjectId→objectid, Date→timestamptz (ms), Decimal128→decimal, Long→int64, Int32→int32, Double→float64, Binary→bytes (UUID→uuid), sub-documents/arrays→json; mixed numbers widen, other mixes→json.',
      'Writes: unordered insertMany then replace duplicates (writeMode insert), or bulkWrite replaceOne(upsert) by _id (writeMode upsert), or insert until a batch meets an existing document and upsert from then on (writeMode auto, the default); per-document errors become rejected records.',
      'FerretDB: no Decimal128 (decimalAs: string), no $sample, no keys with "." or leading "$", no nested arrays; every query scans the collection, so keep writeMode auto or insert and few partitions.',
    ],
  },
  endpointSchema: MongoEndpointSchema,
  objectName: (e) => `${e.database}.${e.collection}`,
  open: async (e, connection, log) => session().openMongo(e, connection, log),
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  list: async (scope, connection) => (require('./list') as typeof List).listMongo(scope, connection),
  targetNaming: (name) => ({ collection: name }),
});
