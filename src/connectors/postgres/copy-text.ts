/** PostgreSQL's COPY text format: tab-separated fields, one row per line, specials backslash-escaped. */
export const COPY_TEXT = 'postgres-copy-text';

const UNESCAPE: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/** One COPY text field's value: backslash escapes (`\t`, `\n`, `\\` …) undone. */
export function unescapeCopyField(field: string): string {
  return field.includes('\\') ? field.replace(/\\(.)/g, (_, c: string) => UNESCAPE[c] ?? c) : field;
}

/**
 * One field of the last row of a COPY text buffer, unescaped: the keyset cursor of a raw batch. Tabs and
 * newlines inside values are always escaped, so raw 0x09/0x0a bytes only ever separate fields and rows.
 */
export function lastRowField(buf: Buffer, index: number): string {
  const end = buf[buf.length - 1] === 0x0a ? buf.length - 1 : buf.length;
  const start = buf.lastIndexOf(0x0a, end - 1) + 1;
  const field = buf.subarray(start, end).toString('utf8').split('\t')[index];
  if (field === undefined) throw new Error(`COPY row has no field ${index}`);
  if (field === '\\N') throw new Error('the key of a COPY row is NULL');
  return unescapeCopyField(field);
}
