/**
 * What narrowing and repair report to the workflow: counts and a reference to the diff list, never the
 * list itself (it holds keys of user data and can be large). Free of Node APIs: workflows import it.
 */
import type { JsonValue } from '../model/types';
import { VALIDATION_BUCKETS, type BucketMismatch } from './digest';

export type DiffKind = 'missing' | 'extra' | 'different';

/** One line of a diff list: `missing` in the target, `extra` in the target, or `different` (with the fields that differ). */
export interface DiffEntry {
  kind: DiffKind;
  /** The key as JSON (target field names after transforms; int64 as text, bytes as {$base64}). */
  key: Record<string, JsonValue>;
  /** Field names whose values differ (kind `different` only), sorted. */
  fields?: string[];
  /** The canonical key both sides are matched by; what repair looks rows up with. */
  k: string;
}

export interface DiffSummary {
  /** Where the list is: a file name relative to the workers' diff directory (DATAMIGRATO_DIFF_DIR). */
  ref: string;
  /** `full`: every key of the differing buckets; `sample`: only the sampled keys (so `extra` is always 0). */
  scope: 'full' | 'sample';
  missing: number;
  extra: number;
  different: number;
  /** Entries written to the list: at most validate.maxDiffs. */
  listed: number;
  /** True when more differences exist than were listed (or than the narrowing passes looked for). */
  limitHit: boolean;
  /** Keys looked at: every key of the differing buckets (full) or the sample size (sample). */
  keysCompared: number;
  passes: number;
}

export interface RepairSummary {
  /** Missing and different keys read from the source and written to the target again. */
  rewritten: number;
  /** Listed missing/different keys the source no longer has (changed since the copy): nothing to copy. */
  notInSource: number;
  /** Extra target rows deleted (only with repair.deleteExtra). */
  deleted: number;
  /** Extra target rows left in place, with `note` saying why. */
  extraNotDeleted: number;
  /** Records the target refused while repairing (quarantined under onRecordError: quarantine). */
  quarantined: number;
  note?: string;
}

/** One narrowing pass looks at these parts of key-hash buckets: part `part` of `parts` of bucket `bucket`. */
export interface BucketSlice {
  bucket: number;
  part: number;
  parts: number;
}

/** Keys one narrowing pass holds in memory at most (about 100 bytes each, plus 4 per field). */
export const NARROW_KEYS_PER_PASS = 200_000;

/**
 * Groups the differing buckets into passes that each hold at most `budget` keys: a bucket too big for one
 * pass is cut into parts by a second hash of the key. Sizes come from the checksum scan's bucket counts.
 */
export function planNarrowPasses(mismatched: readonly BucketMismatch[], budget = NARROW_KEYS_PER_PASS): BucketSlice[][] {
  const passes: BucketSlice[][] = [];
  let current: BucketSlice[] = [];
  let held = 0;
  for (const m of mismatched) {
    if (m.bucket < 0 || m.bucket >= VALIDATION_BUCKETS) continue;
    // The source side is what a pass holds; the target side is only streamed past it.
    const size = Math.max(m.source.count, 1);
    const parts = Math.ceil(size / budget);
    for (let part = 0; part < parts; part++) {
      const share = Math.ceil(size / parts);
      if (held + share > budget && current.length) {
        passes.push(current);
        current = [];
        held = 0;
      }
      current.push({ bucket: m.bucket, part, parts });
      held += share;
    }
  }
  if (current.length) passes.push(current);
  return passes;
}

/** The diff-store reference of one list: `<migration id>/<label>.jsonl` (both kept to file-name characters). */
export const diffRefOf = (migrationId: string, label: string) =>
  `${migrationId.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_')}/${label.replace(/[^A-Za-z0-9._-]/g, '_')}.jsonl`;
