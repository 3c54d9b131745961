import type { FieldSchema, FieldType } from './types';

/**
 * Field inference over sampled records of a schemaless store, shared by every document-like connector
 * (mongodb, dynamodb, firestore, rtdb, file): one record at a time, constant memory per field. The connector
 * says how its values are seen (`ValueKinds`: a kind per value, which kind is a nested record, how kinds map
 * to a neutral type); this module keeps the nested shape. A nested record keeps its shape in `fields` (so
 * `flatten` makes columns and a document target restores typed leaves) up to MAX_NESTED_DEPTH levels and
 * MAX_NESTED_KEYS distinct keys per level: a wider object is a map keyed by data (ids, dates), not a record,
 * and stays plain json. A field is nullable when a sampled record lacks it or holds null.
 */
export const MAX_NESTED_KEYS = 100;
export const MAX_NESTED_DEPTH = 8;

export interface ValueKinds<K extends string> {
  /** The kind of a present value, or null for the store's null. */
  kindOf(v: unknown): K | null;
  /** The kind of a nested record, whose shape is kept. */
  readonly record: K;
  /** The fields of a value of kind `record`. */
  entries(v: unknown): Iterable<[string, unknown]>;
  /** The neutral type of a field that held these kinds (empty: only nulls seen). */
  typeOf(kinds: ReadonlySet<K>): FieldType;
  /** The native type name recorded for a value (default: its kind); a field's nativeType joins them with "|". */
  native?(v: unknown, kind: K): string;
  /** Sort the native names in nativeType (else: in order of first appearance). */
  readonly sortNatives?: boolean;
  /** nativeType of a field that held only nulls. */
  readonly noNative: string;
  readonly nativeOf: string;
}

interface Shape<K> {
  present: number;
  nulls: number;
  kinds: Set<K>;
  natives: Set<string>;
  records: number;
  children: Map<string, Shape<K>> | null;
}

const newShape = <K>(): Shape<K> => ({ present: 0, nulls: 0, kinds: new Set(), natives: new Set(), records: 0, children: new Map() });

export class ShapeInference<K extends string> {
  private readonly root = newShape<K>();
  private count = 0;

  constructor(private readonly kinds: ValueKinds<K>) {}

  /** One sampled record (its top-level fields). */
  add(record: Record<string, unknown>): void {
    this.count++;
    for (const [k, v] of Object.entries(record)) this.observe(this.child(this.root, k), v, 1);
  }

  get records(): number {
    return this.count;
  }

  /** The fields seen, in order of first appearance. */
  fields(): FieldSchema[] {
    return [...this.root.children!].map(([k, s]) => this.toField(k, s, this.count));
  }

  /** The shape of field `k` under `parent`, made on first sight. */
  private child(parent: Shape<K>, k: string): Shape<K> {
    let s = parent.children!.get(k);
    if (!s) parent.children!.set(k, (s = newShape()));
    return s;
  }

  private observe(shape: Shape<K>, v: unknown, depth: number): void {
    if (v === undefined) return;
    shape.present++;
    const kind = this.kinds.kindOf(v);
    if (kind === null) {
      shape.nulls++;
      return;
    }
    shape.kinds.add(kind);
    shape.natives.add(this.kinds.native ? this.kinds.native(v, kind) : kind);
    if (kind !== this.kinds.record) return;
    shape.records++;
    if (!shape.children) return;
    if (depth >= MAX_NESTED_DEPTH) {
      shape.children = null;
      return;
    }
    for (const [k, x] of this.kinds.entries(v)) {
      if (!shape.children.has(k) && shape.children.size >= MAX_NESTED_KEYS) {
        shape.children = null; // a map keyed by data, not a record
        return;
      }
      this.observe(this.child(shape, k), x, depth + 1);
    }
  }

  private toField(name: string, shape: Shape<K>, parentCount: number): FieldSchema {
    const natives = [...shape.natives];
    const field: FieldSchema = {
      name,
      type: this.kinds.typeOf(shape.kinds),
      nullable: shape.nulls > 0 || shape.present < parentCount,
      nativeType: (this.kinds.sortNatives ? natives.sort() : natives).join('|') || this.kinds.noNative,
      nativeOf: this.kinds.nativeOf,
    };
    if (shape.kinds.size === 1 && shape.kinds.has(this.kinds.record) && shape.children && shape.children.size > 0)
      field.fields = [...shape.children].map(([k, s]) => this.toField(k, s, shape.records));
    return field;
  }
}

/** Key fields first, in key order (an integral one int64: ids outgrow samples), then the rest. */
export function keysFirst(fields: FieldSchema[], key: readonly string[]): FieldSchema[] {
  const keyed = key.map((k) => fields.find((f) => f.name === k)).filter((f): f is FieldSchema => !!f);
  for (const f of keyed) if (f.type === 'int32') f.type = 'int64';
  return [...keyed, ...fields.filter((f) => !key.includes(f.name))];
}
