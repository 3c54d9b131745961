import { descriptor } from '../contract';
import { DynamoEndpointSchema } from './spec';
import type * as Session from './session';

/** The driver-bearing module, loaded on first open only (see ConnectorDescriptor in ../contract). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const session = (): typeof Session => require('./session');

export const dynamodb = descriptor({
  type: 'dynamodb',
  connectionUrls: [{ field: 'endpoint', schemes: ['http:', 'https:'], optional: true }],
  description: 'Amazon DynamoDB (AWS SDK v3): parallel Scan segments, BatchWriteItem puts with backoff on unprocessed items and throttling',
  capabilities: {
    source: true,
    target: true,
    documentStore: true,
    notes: [
      'Partitions: one parallel Scan segment per partition (Segment/TotalSegments); range bounds are segment ids (lower = Segment, upper = TotalSegments), not key values. The cursor is the LastEvaluatedKey (marshalled attribute values, binary as base64).',
      'Schema: DescribeTable gives the key (partition key, sort key); other attributes are inferred from a Scan sample (sampleSize, default 1000). Fields never seen in the sample follow onUnknownField (default: carried in _extra, spread back as attributes by a DynamoDB target).',
      'Types: S→string, N→int32/int64 when every sampled value is an integer in range, else decimal (exact text, never a JS number), B→bytes, BOOL→boolean, M→json (nested shape kept), L→json, SS/NS/BS→json arrays with nativeType SS/NS/BS so a DynamoDB target writes sets back. Timestamps, dates, uuids and ObjectIds are stored as S.',
      'Not storable: NaN/±Infinity, numbers beyond 38 significant digits or outside 1E-130..9.9E+125 (float64 extremes), items over 400 KB: such records are rejected, never truncated. A null key attribute is rejected.',
      'Writes: BatchWriteItem PutRequest by ≤25 items / ≤16 MB, idempotent by key; UnprocessedItems and throttling retried with full-jitter exponential backoff (logged at info) until retrySeconds, then a retryable error fails the batch. The SDK itself retries at most twice (maxAttempts 3).',
      'Dead letters: an account-level table _datamigrato_dead_letters (pk = job#runId, sk = table#stage#partition#key), created on demand.',
      'Verified here against dynalite 4 (local server); Amazon DynamoDB Local is not used (licence).',
    ],
  },
  endpointSchema: DynamoEndpointSchema,
  objectName: (e) => e.table,
  open: async (e, connection, log) => session().openDynamo(e, connection, log),
  targetNaming: (name) => ({ table: name }),
});
