/**
 * Pure digest arithmetic, free of Node APIs so the workflow can merge and compare digests
 * deterministically (workflows/ imports this file).
 */
const MASK64 = (1n << 64n) - 1n;

/** Count and order-independent checksum of a set of rows: the sum (mod 2^64) of per-row xxHash64s.
 * A sum, unlike XOR, does not cancel duplicates, and it merges across batches and partitions. */
export interface Digest {
  count: number;
  /** 16 hex digits. */
  sum: string;
}

/** Bucket count for validation: a mismatch is reported per bucket of key hashes, whatever store holds the rows. */
export const VALIDATION_BUCKETS = 32;

export const emptyDigest = (): Digest => ({ count: 0, sum: '0000000000000000' });

export const sumToHex = (sum: bigint) => (sum & MASK64).toString(16).padStart(16, '0');

export function mergeDigests(a: Digest, b: Digest): Digest {
  return { count: a.count + b.count, sum: sumToHex(BigInt(`0x${a.sum}`) + BigInt(`0x${b.sum}`)) };
}

export const digestsEqual = (a: Digest, b: Digest) => a.count === b.count && a.sum === b.sum;

export interface ScanResult {
  total: Digest;
  /** One digest per key-hash bucket (VALIDATION_BUCKETS of them). */
  buckets: Digest[];
}

export interface BucketMismatch {
  bucket: number;
  source: Digest;
  target: Digest;
}

export interface ValidationSummary {
  status: 'match' | 'mismatch';
  source: Digest;
  target: Digest;
  mismatchedBuckets: BucketMismatch[];
}

export function sumScans(scans: ScanResult[]): ScanResult {
  const buckets = Array.from({ length: VALIDATION_BUCKETS }, emptyDigest);
  let total = emptyDigest();
  for (const s of scans) {
    total = mergeDigests(total, s.total);
    s.buckets.forEach((b, i) => (buckets[i] = mergeDigests(buckets[i]!, b)));
  }
  return { total, buckets };
}

export function compareScans(source: ScanResult, target: ScanResult): ValidationSummary {
  const mismatchedBuckets: BucketMismatch[] = [];
  source.buckets.forEach((b, i) => {
    const t = target.buckets[i] ?? emptyDigest();
    if (!digestsEqual(b, t)) mismatchedBuckets.push({ bucket: i, source: b, target: t });
  });
  return {
    status: digestsEqual(source.total, target.total) && mismatchedBuckets.length === 0 ? 'match' : 'mismatch',
    source: source.total,
    target: target.total,
    mismatchedBuckets,
  };
}

/** validate.mode counts (and sample, before its keys are compared): the totals' counts alone decide. */
export function compareCounts(source: ScanResult, target: ScanResult): ValidationSummary {
  return { status: source.total.count === target.total.count ? 'match' : 'mismatch', source: source.total, target: target.total, mismatchedBuckets: [] };
}
