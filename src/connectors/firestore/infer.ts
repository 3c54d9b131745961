import { ShapeInference, type ValueKinds } from '../../model/infer';
import type { FieldSchema, FieldType } from '../../model/types';
import { NATIVE_OF, NEUTRAL_OF_KIND, kindOf, type Kind } from './type-map';

/**
 * Fields and types from sampled documents. One kind per field maps by NEUTRAL_OF_KIND; integer + double
 * widen to float64 (the SDK stores whole doubles as integers, so a double field often holds both);
 * any other mix → json, which carries every value. Maps keep their shape (limits in src/model/infer.ts:
 * wider maps are keyed by data, not records, and stay plain json).
 */
function typeOf(kinds: ReadonlySet<Kind>): FieldType {
  if (kinds.size === 0) return 'json'; // only nulls seen: json takes whatever unsampled documents hold
  if (kinds.size === 1) return NEUTRAL_OF_KIND[[...kinds][0]!];
  if (kinds.size === 2 && kinds.has('integer') && kinds.has('double')) return 'float64';
  return 'json';
}

const FIRESTORE_KINDS: ValueKinds<Kind> = {
  kindOf: (v) => kindOf(v),
  record: 'map',
  entries: (v) => Object.entries(v as Record<string, unknown>),
  typeOf,
  noNative: 'null',
  nativeOf: NATIVE_OF,
};

export class FieldInference {
  private readonly inference = new ShapeInference(FIRESTORE_KINDS);

  add(data: Record<string, unknown>): void {
    this.inference.add(data);
  }

  get documents(): number {
    return this.inference.records;
  }

  fields(): FieldSchema[] {
    return this.inference.fields();
  }
}
