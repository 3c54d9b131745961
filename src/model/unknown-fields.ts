import type { Row, UnknownFieldPolicy, Value } from './types';

/**
 * The one place a schemaless reader applies `onUnknownField` to a record's fields that its schema does not
 * list, so every connector answers alike (nothing vanishes unaccounted):
 * - json: they are carried in the policy's field (`_extra`) as JSON — null when there are none;
 * - drop: they are left out and counted (the reader adds `dropped` to `RowBatch.droppedFields`);
 * - reject: a record holding any is a rejected record, `rejected` being its error (the caller adds its own
 *   prefix — a line number, a document path — and builds the dead-letter row from the whole record).
 * Without a policy (a closed schema), unknown fields are not read at all.
 */
export interface UnknownFieldsOutcome {
  dropped: number;
  rejected?: string;
}

export function applyUnknownFields(
  policy: UnknownFieldPolicy | undefined,
  row: Row,
  unknown: readonly string[],
  /** A field's value as JSON, as the connector spells its native values inside json. */
  jsonOf: (name: string) => Value,
): UnknownFieldsOutcome {
  switch (policy?.policy) {
    case 'json':
      row[policy.field] = unknown.length ? (Object.fromEntries(unknown.map((k) => [k, jsonOf(k)])) as Value) : null;
      return { dropped: 0 };
    case 'drop':
      return { dropped: unknown.length };
    case 'reject':
      return unknown.length ? { dropped: 0, rejected: `unknown field(s) ${unknown.join(', ')} (onUnknownField: reject)` } : { dropped: 0 };
    default:
      return { dropped: 0 };
  }
}
