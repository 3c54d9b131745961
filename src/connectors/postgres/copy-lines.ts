import { ENCODED } from '../../model/encoded';
import type { FieldType, Row, Value } from '../../model/types';
import { compileGenerated, propertyRead } from './generated-rows';
import { copyField, toPgText } from './types';

/**
 * Rows into COPY text, for `COPY … FROM STDIN`: each field as toPgText and copyField make it, one generated
 * function per column list (a property read by a constant name per field, not a lookup by a varying key),
 * with shortcuts for the values most columns hold — numbers print as themselves, strings only need escaping.
 */
type Format = (value: Value | undefined) => string;

const general =
  (type: FieldType): Format =>
  (v) =>
    copyField(toPgText(v, type));

const numeric = (type: FieldType): Format => {
  const other = general(type);
  return (v) => (typeof v === 'number' || typeof v === 'bigint' ? String(v) : other(v));
};

const textual = (type: FieldType): Format => {
  const other = general(type);
  return (v) => (typeof v === 'string' ? copyField(v) : other(v));
};

const FORMATS: Partial<Record<FieldType, (type: FieldType) => Format>> = {
  int32: numeric,
  int64: numeric,
  float64: numeric,
  string: textual,
  decimal: textual,
  uuid: textual,
  date: textual,
  timestamp: textual,
  timestamptz: textual,
};

/** Encoded ~64 KB at a time: one UTF-8 encoding of a whole batch's string (a rope to flatten first) costs twice as much. */
const PIECE_CHARS = 65_536;

/**
 * A function from rows to COPY text buffers, fields in `names` order, formatted by `types`; with `encodedTail`,
 * each line ends with the row's ENCODED text (fields its source left in COPY text, already escaped).
 */
export function copyLineWriter(names: readonly string[], types: readonly FieldType[], encodedTail = false): (rows: readonly Row[]) => Buffer[] {
  const formats = types.map((t) => (FORMATS[t] ?? general)(t));
  const fields = names.map((n, i) => `f${i}(${propertyRead('r', n)})`);
  if (encodedTail) fields.push('r[ENCODED]');
  const line = fields.join(` + '\\t' + `);
  const params = { ...Object.fromEntries(formats.map((f, i) => [`f${i}`, f])), PIECE_CHARS, ENCODED };
  // Strings built by appending (no per-row arrays), handed to the socket as a few buffers, not one per row.
  return compileGenerated(
    params,
    `return function copyLines(rows) {
      const pieces = []; let out = '';
      for (const r of rows) {
        out += ${line} + '\\n';
        if (out.length >= PIECE_CHARS) { pieces.push(Buffer.from(out)); out = ''; }
      }
      if (out) pieces.push(Buffer.from(out));
      return pieces;
    };`,
  );
}
