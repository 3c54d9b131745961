import { hash } from 'node:crypto';
import { keyFieldsOf } from '../model/keys';
import { toJsonSafe } from '../model/json-safe';
import type { FieldSchema, JsonValue, ObjectSchema, Row } from '../model/types';
import { canonicalField } from './canonical';
import { canonicalKeyOf, keyHashOf } from './checksum';
import { VALIDATION_BUCKETS } from './digest';
import type { BucketSlice, DiffEntry, DiffKind } from './diff-types';

/** Bytes of SHA-1 kept per field: a differing field goes unnoticed with odds 2^-32 (the row is still flagged by its other fields only then). */
const FIELD_HASH_BYTES = 4;

/** Which keys a narrowing pass looks at: the slices of buckets it was given. */
export function sliceFilter(slices: readonly BucketSlice[]): (canonicalKey: string) => boolean {
  const wanted = new Map<number, BucketSlice[]>();
  for (const s of slices) wanted.set(s.bucket, [...(wanted.get(s.bucket) ?? []), s]);
  return (k) => {
    const h = keyHashOf(k);
    const list = wanted.get(h % VALIDATION_BUCKETS);
    if (!list) return false;
    // The bucket used the low part of the hash (mod 32); the part within it uses the rest.
    const rest = Math.floor(h / VALIDATION_BUCKETS);
    return list.some((s) => rest % s.parts === s.part);
  };
}

/** A row reduced to what narrowing compares: its canonical key, its key as JSON, and a short hash per field. */
export interface Fingerprint {
  k: string;
  key: Record<string, JsonValue>;
  fields: Buffer;
}

export class Fingerprinter {
  readonly sorted: FieldSchema[];
  private readonly keyFields: FieldSchema[];

  constructor(schema: ObjectSchema) {
    this.sorted = [...schema.fields].sort((a, b) => (a.name < b.name ? -1 : 1));
    this.keyFields = keyFieldsOf(schema);
  }

  keyOf(row: Row): string {
    return canonicalKeyOf(row, this.keyFields);
  }

  of(row: Row, k = this.keyOf(row)): Fingerprint {
    const fields = Buffer.allocUnsafe(this.sorted.length * FIELD_HASH_BYTES);
    this.sorted.forEach((f, i) => {
      hash('sha1', canonicalField(row[f.name], f), 'buffer').copy(fields, i * FIELD_HASH_BYTES, 0, FIELD_HASH_BYTES);
    });
    const key = Object.fromEntries(this.keyFields.map((f) => [f.name, toJsonSafe(row[f.name] ?? null)]));
    return { k, key, fields };
  }

  /** Names of the fields whose hashes differ, in name order. */
  differingFields(a: Buffer, b: Buffer): string[] {
    const out: string[] = [];
    this.sorted.forEach((f, i) => {
      const at = i * FIELD_HASH_BYTES;
      if (a.compare(b, at, at + FIELD_HASH_BYTES, at, at + FIELD_HASH_BYTES) !== 0) out.push(f.name);
    });
    return out;
  }
}

/** Counts every difference and keeps the first `limit` for the list. */
export class DiffCollector {
  readonly counts: Record<DiffKind, number> = { missing: 0, extra: 0, different: 0 };
  readonly entries: DiffEntry[] = [];

  constructor(private readonly limit: number) {}

  add(entry: DiffEntry): void {
    this.counts[entry.kind]++;
    if (this.entries.length < this.limit) this.entries.push(entry);
  }

  get total(): number {
    return this.counts.missing + this.counts.extra + this.counts.different;
  }

  get limitHit(): boolean {
    return this.total > this.entries.length;
  }

  /** Stable order for readers: by kind, then canonical key. */
  sorted(): DiffEntry[] {
    const order: Record<DiffKind, number> = { missing: 0, different: 1, extra: 2 };
    return [...this.entries].sort((a, b) => order[a.kind] - order[b.kind] || (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
  }
}

/**
 * One narrowing pass: the source side's fingerprints are held (bounded by the pass's slices), the target
 * side streams past them. A target key the source lacks is extra, a held key the target never showed is
 * missing, a key whose field hashes differ is different. `knownOnly` (sampling) ignores target keys that
 * were not held, since a sample cannot tell extra rows apart from rows outside it.
 */
export class KeyDiffer {
  private readonly held = new Map<string, Fingerprint>();
  compared = 0;

  constructor(
    readonly fp: Fingerprinter,
    private readonly out: DiffCollector,
    private readonly knownOnly = false,
  ) {}

  get size(): number {
    return this.held.size;
  }

  hold(f: Fingerprint): void {
    this.held.set(f.k, f);
  }

  /** Drops a held key (reservoir sampling replaces keys). */
  release(k: string): void {
    this.held.delete(k);
  }

  target(row: Row, k = this.fp.keyOf(row)): void {
    const src = this.held.get(k);
    if (!src) {
      if (!this.knownOnly) {
        this.compared++;
        this.out.add({ kind: 'extra', key: this.fp.of(row, k).key, k });
      }
      return;
    }
    this.held.delete(k);
    this.compared++;
    const fields = this.fp.differingFields(src.fields, this.fp.of(row, k).fields);
    if (fields.length) this.out.add({ kind: 'different', key: src.key, fields, k });
  }

  /** After the target side: whatever is still held never appeared there. */
  finish(): void {
    for (const f of this.held.values()) {
      this.compared++;
      this.out.add({ kind: 'missing', key: f.key, k: f.k });
    }
    this.held.clear();
  }
}
