import { lastRowField } from '../../src/connectors/postgres/copy-text';
import { copyField, pgTimestampToIso, toPgText } from '../../src/connectors/postgres/types';

describe('PostgreSQL text encodings', () => {
  test('COPY text escapes exactly backslash, newline, carriage return and tab', () => {
    expect(copyField('plain')).toBe('plain');
    expect(copyField('a\\b\nc\rd\te')).toBe('a\\\\b\\nc\\rd\\te');
    expect(copyField(null)).toBe('\\N');
    expect(copyField('\\N')).toBe('\\\\N'); // a literal backslash-N string is not NULL
  });

  test('neutral values become PostgreSQL input text', () => {
    expect(toPgText(Buffer.from([0xde, 0xad]), 'bytes')).toBe('\\xdead');
    expect(toPgText({ a: [1, 'x'] }, 'json')).toBe('{"a":[1,"x"]}');
    expect(toPgText('a string', 'json')).toBe('"a string"'); // a JSON string scalar, not raw text
    expect(toPgText(12345678901234567890n, 'int64')).toBe('12345678901234567890');
    expect(toPgText(true, 'boolean')).toBe('t');
    expect(toPgText(null, 'string')).toBeNull();
  });

  test('server timestamps become ISO-8601 keeping microseconds', () => {
    expect(pgTimestampToIso('2024-01-02 03:04:05.123456+00', true)).toBe('2024-01-02T03:04:05.123456Z');
    expect(pgTimestampToIso('2024-01-02 03:04:05+00', true)).toBe('2024-01-02T03:04:05Z');
    expect(pgTimestampToIso('2024-01-02 03:04:05.5', false)).toBe('2024-01-02T03:04:05.5');
    expect(pgTimestampToIso('infinity', true)).toBe('infinity');
  });
});

describe('COPY text cursor', () => {
  test('reads one field of the last row, unescaping what COPY escapes', () => {
    const buf = Buffer.from('1\ta\\tb\tx\n2\tc\\\\d\\ne 日本\ty\n');
    expect(lastRowField(buf, 0)).toBe('2');
    expect(lastRowField(buf, 1)).toBe('c\\d\ne 日本');
    expect(lastRowField(buf, 2)).toBe('y');
  });
  test('a one-row batch and a NULL key', () => {
    expect(lastRowField(Buffer.from('só\t1\n'), 0)).toBe('só');
    expect(() => lastRowField(Buffer.from('\\N\t1\n'), 0)).toThrow(/NULL/);
  });
});
