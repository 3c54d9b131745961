import type { FieldType, KeyValue } from '../../model/types';

/**
 * Range boundaries between a key's min and max when the server has no $sample. Even steps suit keys that grow with insertion: integers, dates and ObjectIds, whose leading
 * 4 bytes are the creation second. Returns up to count-1 ascending, distinct bounds strictly inside (lo, hi);
 * null when the type cannot be interpolated (strings, uuids).
 */
export function interpolateBounds(lo: KeyValue, hi: KeyValue, type: FieldType, count: number): KeyValue[] | null {
  const cuts = (l: bigint, h: bigint): bigint[] => {
    const out: bigint[] = [];
    const span = h - l;
    for (let i = 1; i < count; i++) {
      const b = l + (span * BigInt(i)) / BigInt(count);
      if (b > l && b < h && b !== out[out.length - 1]) out.push(b);
    }
    return out;
  };
  switch (type) {
    case 'objectid':
      return cuts(BigInt(`0x${lo}`), BigInt(`0x${hi}`)).map((b) => b.toString(16).padStart(24, '0'));
    case 'int32':
      return cuts(BigInt(lo), BigInt(hi)).map(Number);
    case 'int64':
      return cuts(BigInt(lo), BigInt(hi)).map(String);
    case 'timestamptz':
      return cuts(BigInt(Date.parse(String(lo))), BigInt(Date.parse(String(hi)))).map((b) => new Date(Number(b)).toISOString());
    case 'float64':
    case 'decimal': {
      const [l, h] = [Number(lo), Number(hi)];
      if (!Number.isFinite(l) || !Number.isFinite(h)) return null;
      const out: KeyValue[] = [];
      for (let i = 1; i < count; i++) {
        const b = l + ((h - l) * i) / count;
        if (b > l && b < h && b !== out[out.length - 1]) out.push(type === 'decimal' ? String(b) : b);
      }
      return out;
    }
    default:
      return null;
  }
}

/** Bounds at even quantiles of a sorted sample of keys (from $sample): follows the real distribution. */
export function quantileBounds(sorted: readonly KeyValue[], count: number): KeyValue[] {
  const out: KeyValue[] = [];
  for (let i = 1; i < count && sorted.length > 0; i++) {
    const b = sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * i) / count))]!;
    if (b !== out[out.length - 1]) out.push(b);
  }
  return out;
}

/** Orders keys as the server does for one key type (strings: UTF-8 bytes, MongoDB's simple collation). */
export function compareKeys(a: KeyValue, b: KeyValue, type: FieldType): number {
  switch (type) {
    case 'int32':
    case 'float64':
    case 'decimal':
      return Number(a) - Number(b);
    case 'int64': {
      const [x, y] = [BigInt(a), BigInt(b)];
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 'string':
      return Buffer.compare(Buffer.from(String(a)), Buffer.from(String(b)));
    default:
      // objectid and uuid as lowercase hex, timestamptz as ISO text: text order is byte order.
      return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
  }
}

/**
 * A uniform random sample of keys seen in one pass (reservoir sampling), for bounds where the server
 * cannot sample: memory stays at `size` keys whatever the collection holds.
 */
export class KeySampler {
  private readonly keys: KeyValue[] = [];
  private seen = 0;

  constructor(
    private readonly type: FieldType,
    private readonly size = 10_000,
  ) {}

  add(k: KeyValue): void {
    this.seen++;
    if (this.keys.length < this.size) this.keys.push(k);
    else {
      const j = Math.floor(Math.random() * this.seen);
      if (j < this.size) this.keys[j] = k;
    }
  }

  sorted(): KeyValue[] {
    return [...this.keys].sort((a, b) => compareKeys(a, b, this.type));
  }
}
