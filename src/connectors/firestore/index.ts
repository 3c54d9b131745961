import { descriptor } from '../contract';
import { FirestoreEndpointSchema } from './spec';
import type * as Session from './session';

/** The driver-bearing module, loaded on first open only (see ConnectorDescriptor in ../contract). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const session = (): typeof Session => require('./session');

export const firestore = descriptor({
  type: 'firestore',
  description: 'Cloud Firestore (firebase-admin 13): keyset pages on the document path, BulkWriter set() by document id',
  capabilities: {
    source: true,
    target: true,
    documentStore: true,
    notes: [
      "Object: a collection path (users, users/u1/orders) or a collection group (collectionGroup: orders, source only; the key is then the document path). includeSubcollections carries each document's subcollections in the json field _subcollections, written back under the same document path by a Firestore target.",
      'Reads: orderBy(documentId()).startAfter(last).limit(n), one query per page; the cursor is the last document path. Partitions: getPartitions for collection groups where the server has it; else (the emulator, plain collections) split at evenly spaced offsets of the id order (count(), offset(i·n/p).limit(1)).',
      'Keys: the document id → keyField (default id); a target writes the key\'s text as the id (a composite key: URI-encoded parts joined by "|") and keeps the key fields in the document, so their types survive.',
      'Types: integer→int64 (useBigInt), double→float64 (NaN/±Infinity kept), Timestamp→timestamptz (µs), Bytes→bytes, map→json (+ shape), array→json, GeoPoint→json {latitude, longitude}, DocumentReference→string (the path); fieldTypes declares geopoint/reference/timestamp/bytes/integer for a target, references remaps path prefixes. Whole doubles are stored as integers by the SDK; decimal, uuid, objectid, date travel as text.',
      'Writes: BulkWriter set() (writeMode replace or merge), throttled by the 500/50/5 ramp-up except against the emulator; documents over 1 MiB, deeper than 20 levels or with nested arrays are rejected records; requests stay below 10 MiB.',
      'Verified here against the Cloud Firestore emulator (google-cloud-cli-firestore-emulator); credentials are not checked by the emulator.',
    ],
  },
  endpointSchema: FirestoreEndpointSchema,
  objectName: (e) => e.collection ?? `**/${e.collectionGroup}`,
  open: async (e, connection, log) => session().openFirestore(e, connection, log),
  targetNaming: (name) => ({ collection: name }),
});
