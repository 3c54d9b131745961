import { coerce } from '../../model/coerce';
import { applyUnknownFields } from '../../model/unknown-fields';
import type { FieldSchema, ObjectSchema, RejectedRecord, Row, RowBatch, Value } from '../../model/types';
import type { RawRecord } from './records';
import { LINE_FIELD } from './spec';

/**
 * Brings raw records to the schema, one batch at a time. A value that does not convert to its field's type
 * and a malformed line become read-stage rejected records whose error names the line; fields outside the
 * schema follow its unknown-field policy (json: collected into the carrier field; reject: the record is
 * rejected; drop: left out and counted).
 */
export class RecordReader {
  private readonly fields: FieldSchema[];
  private readonly known: Set<string>;
  private readonly policy: ObjectSchema['unknownFields'];

  /** `text`: CSV cells, whose json fields hold JSON text to parse. */
  constructor(
    schema: ObjectSchema,
    private readonly text: boolean,
  ) {
    this.policy = schema.unknownFields;
    const carrier = this.policy?.policy === 'json' ? this.policy.field : null;
    this.fields = schema.fields.filter((f) => f.name !== carrier && f.name !== LINE_FIELD);
    this.known = new Set(this.fields.map((f) => f.name));
    this.lineField = schema.fields.some((f) => f.name === LINE_FIELD);
    this.keys = new Set(schema.key);
  }

  private readonly lineField: boolean;
  /** Only key fields must be present: a schemaless record may lack any other field (it reads as null). */
  private readonly keys: Set<string>;

  batch(records: RawRecord[]): Omit<RowBatch, 'cursor'> {
    const rows: Row[] = [];
    const rejected: RejectedRecord[] = [];
    let dropped = 0;
    for (const r of records) {
      const asIs: Row = { [LINE_FIELD]: BigInt(r.line), ...((r.value ?? { _raw: r.text ?? null }) as Row) };
      if (!r.value) {
        rejected.push({ row: asIs, error: r.error! });
        continue;
      }
      const row: Row = this.lineField ? { [LINE_FIELD]: BigInt(r.line) } : {};
      try {
        for (const f of this.fields) row[f.name] = this.value(r.value[f.name] as Value | undefined, f);
      } catch (err) {
        rejected.push({ row: asIs, error: `line ${r.line}: ${(err as Error).message}` });
        continue;
      }
      const unknown = this.policy ? Object.keys(r.value).filter((k) => !this.known.has(k)) : [];
      const u = applyUnknownFields(this.policy, row, unknown, (k) => r.value![k] as Value);
      dropped += u.dropped;
      if (u.rejected) rejected.push({ row: asIs, error: `line ${r.line}: ${u.rejected}` });
      else rows.push(row);
    }
    return { rows, ...(rejected.length ? { rejected } : {}), ...(dropped ? { droppedFields: dropped } : {}) };
  }

  private value(v: Value | undefined, f: FieldSchema): Value {
    if ((v === undefined || v === null) && this.keys.has(f.name)) throw new Error(`field ${f.name} (${f.type}) is missing or null`);
    try {
      return coerce(v, f.type, this.text && f.type === 'json' ? 'string' : undefined);
    } catch (err) {
      throw new Error(`field ${f.name} (${f.type}): ${(err as Error).message}`);
    }
  }
}
