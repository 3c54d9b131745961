import { copyLineWriter } from '../../src/connectors/postgres/copy-lines';
import { copyRowParser, encodedFieldsParser } from '../../src/connectors/postgres/copy-rows';
import { carryEncoded, encodedOf } from '../../src/model/encoded';
import { lastRowField } from '../../src/connectors/postgres/copy-text';
import type { Row, Value } from '../../src/model/types';
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

describe('COPY text rows (the row path read and write)', () => {
  const names = ['id', 'n', 'f', 'b', 'ts', 'tsz', 'doc', 'bin', 's', '__proto__'];
  const types = ['int64', 'int32', 'float64', 'boolean', 'timestamp', 'timestamptz', 'json', 'bytes', 'string', 'string'] as const;
  const roundTrip = (rows: Row[]) => copyRowParser(names, types)(Buffer.concat(copyLineWriter(names, types)(rows)));

  test('rows written as COPY text read back as the same values, escapes, NULLs and a __proto__ field included', () => {
    const rows: Row[] = [
      row([
        9007199254740993n,
        -2147483648,
        1.5,
        true,
        '2024-01-02T03:04:05.5',
        '2024-01-02T03:04:05.123456Z',
        { a: [1, 'x\ty'] },
        Buffer.from([0, 92, 10]),
        'tab\there \\N line\nend 日本',
        'p',
      ]),
      row([-12n, 0, -0.25, false, '2024-01-02T03:04:05', '2024-01-02T03:04:05Z', 'a json string', Buffer.alloc(0), '', '\\N']),
      row([1n, null, null, null, null, null, null, null, null, null]),
    ];
    const back = roundTrip(rows);
    expect(back).toEqual(rows);
    expect(Object.getPrototypeOf(back[0])).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(back[1], '__proto__')?.value).toBe('\\N');
  });

  test('server timestamp spellings decode as pgTimestampToIso decodes them (the shortcut and the general path agree)', () => {
    const spellings = [
      '2024-01-02 03:04:05',
      '2024-01-02 03:04:05.5',
      '2024-01-02 03:04:05.123456',
      '12024-01-02 03:04:05',
      '0044-03-15 12:00:00 BC',
      'infinity',
      '-infinity',
    ];
    const text = spellings.map((s) => `${s}\t${s}+00\n`).join('');
    const rows = copyRowParser(['a', 'b'], ['timestamp', 'timestamptz'])(Buffer.from(text));
    expect(rows.map((r) => r.a)).toEqual(spellings.map((s) => pgTimestampToIso(s, false)));
    expect(rows.map((r) => r.b)).toEqual(spellings.map((s) => pgTimestampToIso(`${s}+00`, true)));
  });

  test('integers of every length: 15 digits and fewer by char codes, longer ones by BigInt/Number of the text', () => {
    const ints = ['0', '-7', '999999999999999', '-999999999999999', '1000000000000000', '-9223372036854775808', '9223372036854775807'];
    const rows = copyRowParser(['i'], ['int64'])(Buffer.from(ints.join('\n')));
    expect(rows.map((r) => r.i)).toEqual(ints.map((i) => BigInt(i)));
    expect(copyRowParser(['i'], ['int32'])(Buffer.from('-2147483648\n2147483647\n')).map((r) => r.i)).toEqual([-2147483648, 2147483647]);
  });

  test('encoded fields: the tail of each line stays COPY text, is written back byte for byte, and decodes to the values', () => {
    const [decodedNames, tailNames] = [names.slice(0, 2), names.slice(2)];
    const [decodedTypes, tailTypes] = [types.slice(0, 2), types.slice(2)];
    const rows: Row[] = [
      row([7n, 1, 2.5, true, '2024-01-02T03:04:05.5', '2024-01-02T03:04:05Z', { a: 'x\ty' }, Buffer.from([92]), 'tab\t \\N\n日本', null]),
      row([8n, null, null, null, null, null, null, null, null, '\\N']),
    ];
    const page = Buffer.concat(copyLineWriter(names, types)(rows));
    const read = copyRowParser(decodedNames, decodedTypes, true)(page);
    expect(read.map((r) => Object.keys(r))).toEqual([decodedNames, decodedNames]); // the tail is no field a step can see
    // A step makes a new row; the engine carries the tail to it.
    const moved = read.map((r) => {
      const out: Row = { ID: r.id!, n: r.n! };
      carryEncoded(r, out);
      return out;
    });
    expect(Buffer.concat(copyLineWriter(['ID', 'n'], decodedTypes, true)(moved)).equals(page)).toBe(true);
    const decode = encodedFieldsParser(tailNames, tailTypes);
    const decoded = moved.map((r) => decode(encodedOf(r)!));
    expect(decoded.map((d) => [d.f, d.doc, d.bin, d.s, Object.getOwnPropertyDescriptor(d, '__proto__')?.value])).toEqual(
      rows.map((r) => [r.f, r.doc, r.bin, r.s, Object.getOwnPropertyDescriptor(r, '__proto__')?.value]),
    );
  });

  test('a line with fewer fields than columns is an error naming both counts', () => {
    expect(() => copyRowParser(['a', 'b', 'c'], ['string', 'string', 'string'])(Buffer.from('x\ty\n'))).toThrow('COPY row has 2 field(s), expected 3');
  });
});

/** A row of the test's columns, built by defineProperty so `__proto__` is a field, not the prototype. */
function row(values: Value[]): Row {
  const r: Row = {};
  ['id', 'n', 'f', 'b', 'ts', 'tsz', 'doc', 'bin', 's', '__proto__'].forEach((name, i) =>
    Object.defineProperty(r, name, { value: values[i], enumerable: true, writable: true, configurable: true }),
  );
  return r;
}
