import { schemaError } from '../../errors';
import type { FieldSchema, JsonValue, ObjectSchema, RejectedRecord, Row, RowBatch, Value } from '../../model/types';
import { applyUnknownFields } from '../../model/unknown-fields';
import { toJsonSafe } from '../../model/json-safe';
import { isPlainObject, toBoolean } from '../../model/values';
import { CONNECTOR } from './errors';
import { decodeKey, encodeKey, type KeyEncoding } from './keys';
import type { RtdbEndpoint } from './spec';
import { fromRtdb, jsonFromRtdb, jsonToRtdb, toRtdb } from './type-map';

/** A child as read: its key, the group it sits under (two-level layouts) and its value. */
export interface RawChild {
  key: string;
  group?: string;
  value: unknown;
}

/** Where a record's key lives in the tree: the child key's field, and the group level's field if any. */
export interface Layout {
  group: string | null;
  key: string;
}

/**
 * The layout for a schema: groupByField nests children under that field's value; without it a two-field
 * key does the same (<path>/<k1>/<k2>). More key fields than levels cannot be addressed.
 */
export function layoutOf(schema: ObjectSchema, endpoint: Pick<RtdbEndpoint, 'groupByField'>): Layout {
  const key = schema.key;
  const group = endpoint.groupByField ?? (key.length === 2 ? key[0]! : null);
  const childKey = key[key.length - 1]!;
  const fits = key.length === 1 || (key.length === 2 && key[0] === group);
  if (!fits || group === childKey)
    throw schemaError(
      `${schema.object}: RTDB addresses a record by <path>/<key> or <path>/<group>/<key>; the key (${key.join(', ')})${endpoint.groupByField ? ` with groupByField ${endpoint.groupByField}` : ''} does not fit`,
      CONNECTOR,
    );
  if (group && !schema.fields.some((f) => f.name === group)) throw schemaError(`groupByField ${group} is not a field of ${schema.object}`, CONNECTOR);
  return { group, key: childKey };
}

/** A key field's value as key text (before RTDB encoding); null keys are refused. */
export function keyTextOf(row: Row, schema: ObjectSchema, name: string): string {
  const v = row[name];
  if (v === null || v === undefined) throw new Error(`key field ${name} is null`);
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (Buffer.isBuffer(v)) return v.toString('base64');
  if (v instanceof Date) return v.toISOString();
  const f = schema.fields.find((x) => x.name === name);
  throw new Error(`key field ${name} (${f?.type ?? 'json'}) holds ${JSON.stringify(toJsonSafe(v)).slice(0, 60)}, which cannot be a key`);
}

/**
 * The child a row is written as: every non-null field (the key fields too, so no child is ever empty,
 * which RTDB would not store), names percent-encoded when RTDB forbids them; `_extra` spreads back.
 */
export function childOf(schema: ObjectSchema, row: Row, e: Pick<RtdbEndpoint, 'datesAs' | 'keyEncoding'>): Record<string, JsonValue> {
  const child: Record<string, JsonValue> = {};
  const extra = schema.unknownFields?.policy === 'json' ? schema.unknownFields.field : null;
  for (const f of schema.fields) {
    if (f.name === extra && isPlainObject(row[f.name])) continue;
    const v = toRtdb(row[f.name], f, e.datesAs);
    if (v !== undefined) child[encodeKey(f.name, e.keyEncoding)] = v;
  }
  if (extra && isPlainObject(row[extra])) {
    const taken = new Set(schema.fields.map((f) => f.name));
    const clashes = Object.keys(row[extra] as object).filter((k) => taken.has(k));
    if (clashes.length) throw new Error(`${extra} holds ${clashes.join(', ')}, which the schema also has as field(s): cannot spread it into the child`);
    for (const [k, v] of Object.entries(row[extra] as Record<string, unknown>))
      if (v !== null && v !== undefined) child[encodeKey(k, e.keyEncoding)] = jsonToRtdb(v);
  }
  return child;
}

/** A path-level key text as the field's value (keys are text: int64 ids, booleans and the like are parsed back). */
function keyValue(text: string, f: FieldSchema): Value {
  if (f.type === 'boolean') return toBoolean(text);
  if (f.type === 'json') return text;
  return fromRtdb(text, f);
}

/**
 * Children → rows of a schema. The path gives the key fields (it wins over a copy inside the child);
 * every other field must fit its declared type, or the record is a read-stage rejected record. Fields
 * outside the schema follow its unknown-field policy (json: into the carrier field; drop: counted; reject).
 */
export class RecordReader {
  private readonly fields: FieldSchema[];
  private readonly known: Set<string>;
  private readonly policy: ObjectSchema['unknownFields'];
  private readonly keyField: FieldSchema;
  private readonly groupField: FieldSchema | null;

  constructor(
    schema: ObjectSchema,
    private readonly layout: Layout,
    private readonly mode: KeyEncoding,
  ) {
    this.policy = schema.unknownFields;
    const carrier = this.policy?.policy === 'json' ? this.policy.field : null;
    const pathFields = [layout.key, layout.group];
    this.fields = schema.fields.filter((f) => f.name !== carrier && !pathFields.includes(f.name));
    this.known = new Set(schema.fields.map((f) => f.name).filter((n) => n !== carrier));
    const field = (name: string) => schema.fields.find((f) => f.name === name) ?? { name, type: 'string' as const, nullable: false };
    this.keyField = field(layout.key);
    this.groupField = layout.group ? field(layout.group) : null;
  }

  batch(children: RawChild[]): Omit<RowBatch, 'cursor'> {
    const rows: Row[] = [];
    const rejected: RejectedRecord[] = [];
    let dropped = 0;
    for (const c of children) {
      const value = isPlainObject(c.value) ? Object.fromEntries(Object.entries(c.value).map(([k, v]) => [decodeKey(k, this.mode), v])) : null;
      const whole = (): Row => ({ [this.keyField.name]: decodeKey(c.key, this.mode), ...(value ?? { value: toJsonSafe(c.value) }) }) as Row;
      const row: Row = {};
      try {
        if (!value) throw new Error(`child ${c.key} is a ${Array.isArray(c.value) ? 'list' : typeof c.value}, not an object of fields`);
        row[this.keyField.name] = keyValue(decodeKey(c.key, this.mode), this.keyField);
        if (this.groupField) row[this.groupField.name] = keyValue(decodeKey(c.group!, this.mode), this.groupField);
        for (const f of this.fields) row[f.name] = fromRtdb(value[f.name], f);
      } catch (err) {
        rejected.push({ row: whole(), error: (err as Error).message });
        continue;
      }
      const unknown = this.policy ? Object.keys(value).filter((k) => !this.known.has(k)) : [];
      const u = applyUnknownFields(this.policy, row, unknown, (k) => jsonFromRtdb(value[k]));
      dropped += u.dropped;
      if (u.rejected) rejected.push({ row: whole(), error: u.rejected });
      else rows.push(row);
    }
    return { rows, ...(rejected.length ? { rejected } : {}), ...(dropped ? { droppedFields: dropped } : {}) };
  }
}
