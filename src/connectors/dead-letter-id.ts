import { createHash } from 'node:crypto';
import type { QuarantinedRecord } from '../model/types';
import { rowToJsonSafe } from '../model/json-safe';

/**
 * The identity of a dead letter: the same record refused at the same stage of the same run of the same job
 * into the same object. A batch re-read after a worker crash quarantines its refused records again; every
 * target stores dead letters by this id (a unique column, a document `_id`, an item key), so the replay
 * rewrites them instead of adding copies — the dead-letter table then holds exactly one row per refused record,
 * like the report's `quarantined` count. A keyless record is identified by its content.
 */
export function deadLetterId(r: QuarantinedRecord, target: string): string {
  const who = r.key ?? JSON.stringify(rowToJsonSafe(r.record));
  return createHash('sha1')
    .update(JSON.stringify([r.job, r.runId, target, r.stage, r.partition, who]))
    .digest('hex');
}

/**
 * The id as a version-1 UUID, for stores whose dead-letter clustering column is a timeuuid (Cassandra): the
 * bits come from the hash, not a clock, so a replay produces the same UUID; rows keep a created_at column for time.
 */
export function deadLetterTimeUuid(r: QuarantinedRecord, target: string): string {
  const h = deadLetterId(r, target).slice(0, 32).split('');
  h[12] = '1'; // version 1
  h[16] = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16); // RFC 4122 variant
  const s = h.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}
