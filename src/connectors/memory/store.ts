import { keyFieldsOf, toKeyValue } from '../../model/keys';
import { coerce } from '../../model/coerce';
import type { FieldSchema, FieldType, KeyValue, ObjectSchema, Row, Value } from '../../model/types';

/**
 * The process-global data behind the memory connector: store name → object name → declared schema and
 * rows kept sorted by key tuple. Global (on globalThis) so every module instance in one process — the
 * test, the engine and an in-process Temporal worker's activities — sees the same data.
 */
export interface MemoryObject {
  schema: ObjectSchema;
  rows: Row[];
}

type Stores = Map<string, Map<string, MemoryObject>>;

const GLOBAL = Symbol.for('datamigrato.memory-stores');
const holder = globalThis as unknown as { [GLOBAL]?: Stores };
const stores = (): Stores => (holder[GLOBAL] ??= new Map());

export const DEAD_LETTERS = '_datamigrato_dead_letters';

export function objectsOf(store: string): Map<string, MemoryObject> {
  let objects = stores().get(store);
  if (!objects) stores().set(store, (objects = new Map()));
  return objects;
}

export const findObject = (store: string, object: string): MemoryObject | undefined => stores().get(store)?.get(object);

/** A deep copy of a neutral value: callers never hold the store's own buffers, dates or JSON trees. */
export function cloneValue(v: Value): Value {
  if (v === null || typeof v !== 'object') return v;
  if (Buffer.isBuffer(v)) return Buffer.from(v);
  if (v instanceof Date) return new Date(v.getTime());
  return structuredClone(v);
}

export const cloneRow = (row: Row): Row => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, cloneValue(v)]));

export const cloneSchema = (s: ObjectSchema): ObjectSchema => structuredClone(s);

const isIntegral = (t: FieldType) => t === 'int32' || t === 'int64';

/**
 * A total order over key values of one field: integers (int64 travel as decimal text) compare as integers,
 * other numbers numerically, numbers before strings, strings by UTF-16 code units (a binary collation).
 */
export function compareKeyValue(a: KeyValue, b: KeyValue, type: FieldType): number {
  if (isIntegral(type)) {
    const [x, y] = [BigInt(a), BigInt(b)];
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a !== typeof b) return typeof a === 'number' ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareTuples(a: readonly KeyValue[], b: readonly KeyValue[], types: readonly FieldType[]): number {
  for (let i = 0; i < types.length; i++) {
    const c = compareKeyValue(a[i]!, b[i]!, types[i]!);
    if (c !== 0) return c;
  }
  return 0;
}

/** Key types in key order and the row → tuple function for one schema. */
export function keyOrder(schema: ObjectSchema) {
  const fields = keyFieldsOf(schema);
  const types = fields.map((f) => f.type);
  const tupleOf = (row: Row): KeyValue[] => fields.map((f) => toKeyValue(row[f.name]));
  return { fields, types, tupleOf, compare: (a: readonly KeyValue[], b: readonly KeyValue[]) => compareTuples(a, b, types) };
}

/** Index of the first row whose key tuple is greater than `tuple` (all rows when tuple is null). */
export function firstAfter(obj: MemoryObject, tuple: readonly KeyValue[] | null): number {
  if (tuple === null) return 0;
  const { tupleOf, compare } = keyOrder(obj.schema);
  let [lo, hi] = [0, obj.rows.length];
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compare(tupleOf(obj.rows[mid]!), tuple) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first row whose leading key value is greater than `lower` (a range's exclusive lower bound). */
export function firstLeadAbove(obj: MemoryObject, lower: KeyValue | null): number {
  if (lower === null) return 0;
  const { tupleOf, types } = keyOrder(obj.schema);
  let [lo, hi] = [0, obj.rows.length];
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compareKeyValue(tupleOf(obj.rows[mid]!)[0]!, lower, types[0]!) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Inserts or replaces a row by its key tuple, keeping the rows sorted. */
export function upsertRow(obj: MemoryObject, row: Row): void {
  const { tupleOf, compare } = keyOrder(obj.schema);
  const tuple = tupleOf(row);
  const i = firstAfter(obj, tuple);
  if (i > 0 && compare(tupleOf(obj.rows[i - 1]!), tuple) === 0) obj.rows[i - 1] = row;
  else obj.rows.splice(i, 0, row);
}

/** Removes the row with this row's key tuple; true when there was one. */
export function deleteRow(obj: MemoryObject, key: Row): boolean {
  const { tupleOf, compare } = keyOrder(obj.schema);
  const tuple = tupleOf(key);
  const i = firstAfter(obj, tuple);
  if (i === 0 || compare(tupleOf(obj.rows[i - 1]!), tuple) !== 0) return false;
  obj.rows.splice(i - 1, 1);
  return true;
}

/**
 * The row as the object stores it: every declared field, its value brought to the field's type.
 * Throws (the caller rejects the row) on a null key, a null in a non-nullable field, a value that does not
 * fit its type, or a field the object does not declare.
 */
export function storableRow(schema: ObjectSchema, row: Row): Row {
  const declared = new Set(schema.fields.map((f) => f.name));
  const unknown = Object.keys(row).filter((k) => !declared.has(k));
  if (unknown.length) throw new Error(`${schema.object} has no field(s) ${unknown.join(', ')}`);
  const out: Row = {};
  for (const f of schema.fields) out[f.name] = storableValue(schema, f, row[f.name]);
  return out;
}

function storableValue(schema: ObjectSchema, f: FieldSchema, v: Value | undefined): Value {
  if (v === null || v === undefined) {
    if (schema.key.includes(f.name)) throw new Error(`key field ${f.name} is null`);
    if (!f.nullable) throw new Error(`field ${f.name} is not nullable`);
    return null;
  }
  try {
    return cloneValue(coerce(v, f.type));
  } catch (err) {
    throw new Error(`field ${f.name} (${f.type}): ${(err as Error).message}`);
  }
}

// ---- helpers for tests: seed natively, read natively, drop ----

/** Creates (or replaces) an object with a declared schema and rows, as a test's native seeding. */
export function seedMemoryObject(store: string, schema: ObjectSchema, rows: Row[]): void {
  keyFieldsOf(schema); // a key naming a missing field fails here, not on first read
  const obj: MemoryObject = { schema: cloneSchema(schema), rows: [] };
  for (const r of rows) upsertRow(obj, storableRow(obj.schema, r));
  objectsOf(store).set(schema.object, obj);
}

/** Every row of an object in key order (copies), or null when the object does not exist. */
export function memoryRows(store: string, object: string): Row[] | null {
  const obj = findObject(store, object);
  return obj ? obj.rows.map(cloneRow) : null;
}

/** The declared schema of an object (a copy), or null. */
export function memorySchema(store: string, object: string): ObjectSchema | null {
  const obj = findObject(store, object);
  return obj ? cloneSchema(obj.schema) : null;
}

/** Replaces one stored row's field value in place, bypassing the connector: a test's "tampering". */
export function tamperMemoryRow(store: string, object: string, index: number, field: string, value: Value): void {
  const row = findObject(store, object)?.rows[index];
  if (!row) throw new Error(`no row ${index} in ${store}.${object}`);
  row[field] = value;
}

export const dropMemoryObject = (store: string, object: string): boolean => stores().get(store)?.delete(object) ?? false;

export const dropMemoryStore = (store: string): boolean => stores().delete(store);
