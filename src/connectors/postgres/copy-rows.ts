import { types as pgTypes } from 'pg';
import type { FieldType, Row, Value } from '../../model/types';
import { unescapeCopyField } from './copy-text';
import { ENCODED } from '../../model/encoded';
import { compileGenerated, objectKey } from './generated-rows';
import { pgTimestampToIso } from './types';

/**
 * COPY text into rows: the values `read` gives through the row protocol (the same text, the same parsers),
 * at a fraction of the cost — one UTF-8 decode per page instead of a string per field, no protocol message
 * per row. COPY text escapes tab, newline and backslash inside values, so raw tabs and newlines only ever
 * separate fields and rows.
 *
 * Why it is shaped this way (the row path's CPU, measured on 1M rows): each field is decoded from its range of
 * the page (numbers, booleans and NULLs without a string of their own), and each row is built by a function
 * generated for the column list — one object literal of a fixed shape instead of a property store per field,
 * which made every row object's store site megamorphic and was a third of the parser's time.
 */
type Decode = (text: string, start: number, end: number) => Value;

const parseBytea = pgTypes.getTypeParser(17, 'text') as (v: string) => Buffer;

/** The field's text, unescaped. */
const textOf = (text: string, start: number, end: number): string => unescapeCopyField(text.slice(start, end));

/** Decimal digits with an optional minus sign, read from the page; null when the range holds anything else. */
function digitsOf(text: string, start: number, end: number): number | null {
  let i = start;
  const negative = text.charCodeAt(i) === 45;
  if (negative) i++;
  if (i === end || end - i > 15) return null; // 15 digits always fit a double exactly
  let n = 0;
  for (; i < end; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return null;
    n = n * 10 + d;
  }
  return negative ? -n : n;
}

/** The usual spellings `YYYY-MM-DD HH:MM:SS[.f…]` (+00 for timestamptz): re-cut into ISO without a regex. */
function isoTimestamp(text: string, start: number, end: number, withZone: boolean): string | null {
  const last = withZone ? end - 3 : end;
  if (text.charCodeAt(start + 10) !== 32 || text.charCodeAt(start + 13) !== 58 || text.charCodeAt(start + 16) !== 58) return null;
  if (withZone && (text.charCodeAt(last) !== 43 || text.charCodeAt(last + 1) !== 48 || text.charCodeAt(last + 2) !== 48)) return null;
  const length = last - start;
  if (length !== 19 && !(length > 20 && text.charCodeAt(start + 19) === 46)) return null;
  const tail = text.charCodeAt(last - 1) - 48;
  if (tail < 0 || tail > 9) return null; // " BC", anything unforeseen: the general path
  return `${text.slice(start, start + 10)}T${text.slice(start + 11, last)}${withZone ? 'Z' : ''}`;
}

/** By the column's own neutral type (as describe reads it from the catalog); absent = the server's text. */
const DECODERS: Partial<Record<FieldType, Decode>> = {
  int64: (t, s, e) => {
    const n = digitsOf(t, s, e);
    return n === null ? BigInt(t.slice(s, e)) : BigInt(n);
  },
  int32: (t, s, e) => digitsOf(t, s, e) ?? Number(t.slice(s, e)),
  float64: (t, s, e) => Number(t.slice(s, e)),
  boolean: (t, s) => t.charCodeAt(s) === 116, // 't'
  timestamptz: (t, s, e) => isoTimestamp(t, s, e, true) ?? pgTimestampToIso(t.slice(s, e), true),
  timestamp: (t, s, e) => isoTimestamp(t, s, e, false) ?? pgTimestampToIso(t.slice(s, e), false),
  bytes: (t, s, e) => parseBytea(textOf(t, s, e)),
  json: (t, s, e) => JSON.parse(textOf(t, s, e)) as Value,
};

type LineParser = (text: string, start: number, lineEnd: number) => Row;

/**
 * The generated parser of one line: field i found by indexOf('\t'), `\N` tested by char codes, decoded by
 * its decoder, and the row returned as one object literal. With `encodedTail`, the line holds more fields after
 * these, kept as they are: the rest of the line becomes the row's ENCODED text.
 */
function lineParserOf(names: readonly string[], decoders: readonly Decode[], encodedTail = false): LineParser {
  const width = names.length;
  const body: string[] = [];
  for (let i = 0; i < width; i++) {
    const last = i === width - 1 && !encodedTail;
    body.push(`e = ${last ? 'lineEnd' : `text.indexOf('\\t', s)`};`);
    if (!last) body.push(`if (e === -1 || e > lineEnd) short(${i + 1});`);
    body.push(`const v${i} = e - s === 2 && text.charCodeAt(s) === 92 && text.charCodeAt(s + 1) === 78 ? null : d${i}(text, s, e);`);
    body.push('s = e + 1;');
  }
  const props = names.map((n, i) => `${objectKey(n)}: v${i}`);
  if (encodedTail) props.push('[ENCODED]: text.slice(s, lineEnd)');
  const short = (found: number) => {
    throw new Error(`COPY row has ${found} field(s), expected ${width}`);
  };
  const params = Object.fromEntries([...decoders.map((d, i) => [`d${i}`, d]), ['short', short], ['ENCODED', ENCODED]]);
  return compileGenerated(params, `return function parseLine(text, s, lineEnd) { let e; ${body.join(' ')} return { ${props.join(', ')} }; };`);
}

const decodersOf = (types: readonly FieldType[]) => types.map((t) => DECODERS[t] ?? textOf);

/**
 * A parser for pages of `COPY (SELECT <names>[, <encoded fields>] …) TO STDOUT`: fields in `names` order, decoded
 * by `types`; with `encodedTail`, the fields after them are left as the row's ENCODED text.
 */
export function copyRowParser(names: readonly string[], types: readonly FieldType[], encodedTail = false): (page: Buffer) => Row[] {
  const parseLine = lineParserOf(names, decodersOf(types), encodedTail);
  return (page) => {
    const text = page.toString('utf8');
    const rows: Row[] = [];
    let lineStart = 0;
    while (lineStart < text.length) {
      let lineEnd = text.indexOf('\n', lineStart);
      if (lineEnd === -1) lineEnd = text.length;
      rows.push(parseLine(text, lineStart, lineEnd));
      lineStart = lineEnd + 1;
    }
    return rows;
  };
}

/** Decodes one row's ENCODED text (fields `names`, of `types`): what a dead letter or a row-by-row insert needs. */
export function encodedFieldsParser(names: readonly string[], types: readonly FieldType[]): (text: string) => Row {
  const parseLine = lineParserOf(names, decodersOf(types));
  return (text) => parseLine(text, 0, text.length);
}
