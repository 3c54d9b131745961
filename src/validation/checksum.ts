import { createHash } from 'node:crypto';
import type { FieldSchema, ObjectSchema, Row } from '../connectors/types';
import { canonicalRow, canonicalValue } from './canonical';
import { VALIDATION_BUCKETS, sumToHex, type Digest } from './digest';

const MASK64 = (1n << 64n) - 1n;

/** FNV-1a over the canonical key: cheap, and the same on both sides because the key is canonicalized first. */
function bucketOf(canonicalKey: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < canonicalKey.length; i++) {
    h ^= canonicalKey.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % VALIDATION_BUCKETS;
}

export class RowDigester {
  private readonly sorted: FieldSchema[];
  private readonly keyField: FieldSchema;
  private sum = 0n;
  private count = 0;
  private readonly buckets: { count: number; sum: bigint }[] | null;

  constructor(private readonly schema: ObjectSchema, withBuckets = false) {
    this.sorted = [...schema.fields].sort((a, b) => (a.name < b.name ? -1 : 1));
    this.keyField = schema.fields.find((f) => f.name === schema.key)!;
    this.buckets = withBuckets ? Array.from({ length: VALIDATION_BUCKETS }, () => ({ count: 0, sum: 0n })) : null;
  }

  add(row: Row): void {
    const h = createHash('sha1').update(canonicalRow(row, this.schema, this.sorted)).digest().readBigUInt64BE(0);
    this.sum = (this.sum + h) & MASK64;
    this.count++;
    if (this.buckets) {
      const b = this.buckets[bucketOf(canonicalValue(row[this.keyField.name], this.keyField.type))]!;
      b.count++;
      b.sum = (b.sum + h) & MASK64;
    }
  }

  digest(): Digest {
    return { count: this.count, sum: sumToHex(this.sum) };
  }

  bucketDigests(): Digest[] {
    return (this.buckets ?? []).map((b) => ({ count: b.count, sum: sumToHex(b.sum) }));
  }
}
