import { xxh64 } from '@node-rs/xxhash';
import type { FieldSchema, ObjectSchema, Row } from '../model/types';
import { keyFieldsOf } from '../model/keys';
import { canonicalRow, canonicalValue } from './canonical';
import { VALIDATION_BUCKETS, sumToHex, type Digest } from './digest';

const TWO32 = 2 ** 32;
const LOW32 = 0xffffffffn;

/** FNV-1a over the canonical key: cheap, and the same on both sides because the key is canonicalized first. */
export function keyHashOf(canonicalKey: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < canonicalKey.length; i++) {
    h ^= canonicalKey.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export const bucketOf = (canonicalKey: string): number => keyHashOf(canonicalKey) % VALIDATION_BUCKETS;

/** One key field: its canonical value (as before composite keys existed); several: joined by a separator no canonical value holds. */
export function canonicalKeyOf(row: Row, keyFields: readonly FieldSchema[]): string {
  const [first, ...rest] = keyFields;
  let text = canonicalValue(row[first!.name], first!.type);
  for (const f of rest) text += `\u0001${canonicalValue(row[f.name], f.type)}`;
  return text;
}

/**
 * A 64-bit sum kept as two float lanes (high and low 32 bits) and carried now and then: a BigInt add per
 * row costs more than the hash itself on large tables.
 */
class Sum64 {
  private hi = 0;
  private lo = 0;
  private pending = 0;
  count = 0;

  add(h: bigint): void {
    this.hi += Number(h >> 32n);
    this.lo += Number(h & LOW32);
    this.count++;
    // Each lane grows < 2^32 per row; carrying every 2^20 rows keeps it far below 2^53.
    if (++this.pending === 1 << 20) this.carry();
  }

  private carry(): void {
    this.hi = (this.hi + Math.floor(this.lo / TWO32)) % TWO32;
    this.lo %= TWO32;
    this.pending = 0;
  }

  digest(): Digest {
    this.carry();
    return { count: this.count, sum: sumToHex((BigInt(this.hi) << 32n) + BigInt(this.lo)) };
  }
}

export class RowDigester {
  private readonly sorted: FieldSchema[];
  private readonly keyFields: FieldSchema[];
  private readonly total = new Sum64();
  private readonly buckets: Sum64[] | null;

  constructor(
    private readonly schema: ObjectSchema,
    withBuckets = false,
  ) {
    this.sorted = [...schema.fields].sort((a, b) => (a.name < b.name ? -1 : 1));
    this.keyFields = keyFieldsOf(schema);
    this.buckets = withBuckets ? Array.from({ length: VALIDATION_BUCKETS }, () => new Sum64()) : null;
  }

  add(row: Row): void {
    // xxHash64 of the canonical text: a fifth of the checksum's CPU less than SHA-1's first 8 bytes (docs/validation.md).
    const h = xxh64(canonicalRow(row, this.schema, this.sorted));
    this.total.add(h);
    if (this.buckets) this.buckets[bucketOf(this.canonicalKey(row))]!.add(h);
  }

  private canonicalKey(row: Row): string {
    return canonicalKeyOf(row, this.keyFields);
  }

  digest(): Digest {
    return this.total.digest();
  }

  bucketDigests(): Digest[] {
    return (this.buckets ?? []).map((b) => b.digest());
  }
}
