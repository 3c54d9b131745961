import { toText } from '../../model/coerce';
import { toJsonSafe } from '../../model/json-safe';
import type { JsonValue, ObjectSchema, Row, Value } from '../../model/types';

/**
 * How rows are written to a file so the file connector reads them back exactly with the same schema:
 * int64 as decimal text (JSON numbers stop at 2^53), bytes as {"$base64": …}, NaN/±Infinity and -0 as text,
 * everything else as JSON. Under onUnknownField: json the carried fields (`_extra`) are spread back into the
 * NDJSON record, as a document store does; CSV keeps them as one JSON cell.
 */
export function encodeValue(v: Value): JsonValue {
  if (typeof v === 'number' && Object.is(v, -0)) return '-0';
  return toJsonSafe(v);
}

const carrierOf = (schema: ObjectSchema) => (schema.unknownFields?.policy === 'json' ? schema.unknownFields.field : null);

export function ndjsonRecord(schema: ObjectSchema, row: Row): Record<string, JsonValue> {
  const carrier = carrierOf(schema);
  const out: Record<string, JsonValue> = {};
  for (const f of schema.fields) if (f.name !== carrier) out[f.name] = encodeValue(row[f.name] ?? null);
  const extra = carrier ? row[carrier] : null;
  if (extra && typeof extra === 'object' && !Array.isArray(extra) && !Buffer.isBuffer(extra))
    for (const [k, v] of Object.entries(extra as Record<string, JsonValue>)) if (!(k in out)) out[k] = v;
  return out;
}

/** One CSV cell: null is an empty cell, the empty string a quoted empty cell (""), so they stay apart. */
export function csvCell(v: Value | undefined, delimiter: string, quote: string): string {
  if (v === null || v === undefined) return '';
  const text = typeof v === 'number' && Object.is(v, -0) ? '-0' : toText(v);
  if (text === '' || text.includes(delimiter) || text.includes(quote) || /[\r\n]/.test(text)) return `${quote}${text.split(quote).join(quote + quote)}${quote}`;
  return text;
}

export const csvLine = (cells: (Value | undefined)[], delimiter: string, quote: string) =>
  `${cells.map((c) => csvCell(c, delimiter, quote)).join(delimiter)}\n`;
