import { descriptor } from '../contract';
import { RtdbEndpointSchema } from './spec';
import type * as Session from './session';

/** The driver-bearing module, loaded on first open only (see ConnectorDescriptor in ../contract). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const session = (): typeof Session => require('./session');

export const rtdb = descriptor({
  type: 'rtdb',
  connectionUrls: [{ field: 'databaseURL', schemes: ['http:', 'https:'] }],
  description: 'Firebase Realtime Database (firebase-admin 13): children of a path as records, orderByKey pages, multi-path update() batches',
  capabilities: {
    source: true,
    target: true,
    documentStore: true,
    notes: [
      "Object = a path; each child is a record keyed by its key (keyField, default 'key'); groupByField nests records one level deeper (<path>/<group>/<key>), and a two-field key does the same.",
      'Reads: orderByKey().startAfter(cursor).limitToFirst(batchSize) with once("value") and a timeout (never get()); results are filtered and capped client-side, so a server that over-delivers (firebase-server ignores queries) stays correct. Cursor = last key (or [group, key]).',
      'Partitions: REST shallow=true key listing split at quantiles; a server that ignores shallow (firebase-server) gets one partition, logged.',
      'Writes: multi-path update() of whole children, ≤ maxChildrenPerUpdate (500) and ≤ maxUpdateBytes (8 MB) per call, idempotent by key. Keys with . $ # [ ] / % or control characters are percent-encoded (keyEncoding: reject → record policy).',
      'Types: JSON only. int64 beyond 2^53 and decimals → strings, bytes → base64, timestamps/dates → ISO text or epoch ms (datesAs), NaN/±Infinity → strings; json values RTDB would change (null members, empty arrays/objects, integer-like object keys) travel as JSON text in {"__datamigrato_json": …}. The key fields are also stored inside each child, so no record is ever an empty node.',
      'Schema: inferred from sampleSize children, open: unforeseen fields follow onUnknownField (default _extra). A target records its key layout in /_datamigrato_layout.',
      'Verified here against firebase-server 1.1.0 (protocol paths); server-side paging, shallow listing and rules need the official emulator (docker-compose).',
    ],
  },
  endpointSchema: RtdbEndpointSchema,
  objectName: (e) => `/${e.path.replace(/^\/+|\/+$/g, '')}`,
  open: async (e, connection, log) => session().openRtdb(e, connection, log),
});
