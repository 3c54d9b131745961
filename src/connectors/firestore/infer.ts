import type { FieldSchema, FieldType } from '../../model/types';
import { NATIVE_OF, NEUTRAL_OF_KIND, kindOf, type Kind } from './type-map';

/**
 * Fields and types from sampled documents. One kind per field maps by NEUTRAL_OF_KIND; integer + double
 * widen to float64 (the SDK stores whole doubles as integers, so a double field often holds both);
 * any other mix → json, which carries every value. Maps keep their shape (up to MAX_DEPTH levels and
 * MAX_KEYS distinct keys — wider maps are keyed by data, not records, and stay plain json).
 */
export const MAX_KEYS = 100;
export const MAX_DEPTH = 8;

interface Shape {
  present: number;
  nulls: number;
  kinds: Set<Kind>;
  maps: number;
  children: Map<string, Shape> | null;
}

const newShape = (): Shape => ({ present: 0, nulls: 0, kinds: new Set(), maps: 0, children: new Map() });

function observe(shape: Shape, v: unknown, depth: number): void {
  shape.present++;
  const kind = kindOf(v);
  if (kind === null) {
    shape.nulls++;
    return;
  }
  shape.kinds.add(kind);
  if (kind !== 'map') return;
  shape.maps++;
  if (!shape.children) return;
  if (depth >= MAX_DEPTH) {
    shape.children = null;
    return;
  }
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    let child = shape.children.get(k);
    if (!child) {
      if (shape.children.size >= MAX_KEYS) {
        shape.children = null;
        return;
      }
      shape.children.set(k, (child = newShape()));
    }
    observe(child, x, depth + 1);
  }
}

function typeOf(kinds: Set<Kind>): FieldType {
  if (kinds.size === 0) return 'json'; // only nulls seen: json takes whatever unsampled documents hold
  if (kinds.size === 1) return NEUTRAL_OF_KIND[[...kinds][0]!];
  if (kinds.size === 2 && kinds.has('integer') && kinds.has('double')) return 'float64';
  return 'json';
}

function toField(name: string, shape: Shape, parentCount: number): FieldSchema {
  const field: FieldSchema = {
    name,
    type: typeOf(shape.kinds),
    nullable: shape.nulls > 0 || shape.present < parentCount,
    nativeType: [...shape.kinds].join('|') || 'null',
    nativeOf: NATIVE_OF,
  };
  if (shape.kinds.size === 1 && shape.kinds.has('map') && shape.children && shape.children.size > 0)
    field.fields = [...shape.children].map(([k, s]) => toField(k, s, shape.maps));
  return field;
}

export class FieldInference {
  private readonly root = newShape();
  private count = 0;

  add(data: Record<string, unknown>): void {
    this.count++;
    this.root.present++;
    for (const [k, v] of Object.entries(data)) {
      let child = this.root.children!.get(k);
      if (!child) this.root.children!.set(k, (child = newShape()));
      observe(child, v, 1);
    }
  }

  get documents(): number {
    return this.count;
  }

  fields(): FieldSchema[] {
    return [...this.root.children!].map(([k, s]) => toField(k, s, this.count));
  }
}
