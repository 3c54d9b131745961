import type { Row } from './types';

/**
 * Fields that nothing on a job's way reads may travel in their source's wire text instead of as values: the
 * source leaves them encoded — for PostgreSQL the tail of the row's COPY text line, fields in the order the
 * engine asked for — under this symbol, and a target of the same format writes that text as it is. Decoding
 * and re-encoding such a field is most of the row path's CPU (a jsonb column is parsed into objects only to be
 * printed again); the key and every field a step could look at are still decoded.
 *
 * A symbol, so that steps moving fields by name (for…in, Object.keys) never see it; the engine carries it from
 * each row to the row a transform made of it.
 */
export const ENCODED: unique symbol = Symbol('datamigrato.encoded');

type WithEncoded = Row & { [ENCODED]?: string };

/** The row's encoded fields' text, if its source left any encoded. */
export const encodedOf = (row: Row): string | undefined => (row as WithEncoded)[ENCODED];

/** Gives `to` (a transform's output) the encoded fields of the row it was made from. */
export function carryEncoded(from: Row, to: Row): void {
  const text = (from as WithEncoded)[ENCODED];
  if (text !== undefined) (to as WithEncoded)[ENCODED] = text;
}

/** The row without its encoded text (once its fields are decoded into it). */
export function withoutEncoded(row: Row): Row {
  delete (row as WithEncoded)[ENCODED];
  return row;
}
