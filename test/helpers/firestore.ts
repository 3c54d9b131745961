import { existsSync } from 'node:fs';
import { deleteApp, initializeApp } from 'firebase-admin/app';
import { getFirestore, type Firestore } from 'firebase-admin/firestore';

/** The genuine emulator (Debian package google-cloud-cli-firestore-emulator), started by scripts/stack.sh up firestore. */
export const FIRESTORE_JAR = '/usr/lib/google-cloud-sdk/platform/cloud-firestore-emulator/cloud-firestore-emulator.jar';
export const firestoreProject = () => process.env.FIRESTORE_PROJECT_ID ?? 'demo-datamigrato';

// Never let the Google auth library probe the cloud metadata server from a test.
process.env.METADATA_SERVER_DETECTION = 'none';

/** Why Firestore tests cannot run here, or null. */
export function firestoreUnavailable(): string | null {
  if (!process.env.FIRESTORE_EMULATOR_HOST)
    return existsSync(FIRESTORE_JAR)
      ? 'FIRESTORE_EMULATOR_HOST unset: run `bash scripts/stack.sh up firestore` and eval "$(bash scripts/stack.sh env)"'
      : `the Cloud Firestore emulator is absent (${FIRESTORE_JAR}): install the Debian package google-cloud-cli-firestore-emulator`;
  return null;
}

/** The endpoint connection block (the worker's FIRESTORE_EMULATOR_HOST points it at the emulator). */
export const firestoreConnectionSpec = () => ({ projectId: firestoreProject() });
export const firestoreConnection = () => ({ projectId: firestoreProject(), databaseId: '(default)' });

let n = 0;
/** The Firestore client itself, not the connector: seeds and reads natively. */
export async function withFirestore<T>(fn: (db: Firestore) => Promise<T>): Promise<T> {
  const app = initializeApp({ projectId: firestoreProject() }, `test-${process.pid}-${++n}`);
  const db = getFirestore(app);
  db.settings({ useBigInt: true, ignoreUndefinedProperties: true });
  try {
    return await fn(db);
  } finally {
    await deleteApp(app);
  }
}

/** Deletes a collection (and its documents' subcollections), unthrottled: the default ramp-up starts at 500 deletes/s. */
export const dropCollection = (path: string) => withFirestore((db) => db.recursiveDelete(db.collection(path), db.bulkWriter({ throttling: false })));
