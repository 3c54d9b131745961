import { configError } from '../errors';
import type { ConnectorSession } from '../connectors/contract';
import type { JobSpec } from '../job/job-spec';
import type { ObjectSchema, Row } from '../model/types';

export interface SoftDelete {
  field: string;
  value: string | number | boolean;
}

/**
 * A row marked deleted at the source. Compared as text too, so `value: 1` matches a bigint 1 and
 * `value: true` a MySQL tinyint(1) read as a number.
 */
export function isSoftDeleted(row: Row, sd: SoftDelete): boolean {
  const v = row[sd.field];
  if (v === null || v === undefined) return false;
  if (v === sd.value) return true;
  if (typeof sd.value === 'boolean' && typeof v === 'number') return (v !== 0) === sd.value;
  return (typeof v === 'bigint' || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') && String(v) === String(sd.value);
}

/** Fails at prepare, before anything is created: the field must exist and the target must delete by key. */
export function checkSoftDelete(spec: JobSpec, schema: ObjectSchema, target: ConnectorSession): void {
  const sd = spec.incremental?.softDelete;
  if (!sd) return;
  if (!schema.fields.some((f) => f.name === sd.field)) throw configError(`incremental.softDelete.field: "${sd.field}" is not a field of ${schema.object}`);
  if (!target.deleteKeys) throw configError(`incremental.softDelete: target type ${spec.target.type} cannot delete rows by key`, spec.target.type);
}
