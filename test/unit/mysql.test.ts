import { afterTuple, pageQuery } from '../../src/connectors/mysql/keyset';
import { classifyMysqlError, isDataError } from '../../src/connectors/mysql/errors';
import {
  ZERO_DATE,
  codecOf,
  decodeValue,
  mysqlColumnType,
  neutralTypeOf,
  toDatetimeText,
  toLoadDataField,
  toSqlLiteral,
} from '../../src/connectors/mysql/types';
import { parseMysqlUrl } from '../../src/connectors/mysql/session';
import type { FieldSchema } from '../../src/model/types';

const esc = (v: string | Buffer) => (Buffer.isBuffer(v) ? `X'${v.toString('hex')}'` : `'${v.replace(/'/g, "''")}'`);
const col = (dataType: string, columnType = dataType, json = false) => ({ name: 'c', dataType, columnType, nullable: true, json });
const f = (name: string, type: FieldSchema['type'], extra: Partial<FieldSchema> = {}): FieldSchema => ({ name, type, nullable: false, ...extra });

describe('mysql type table', () => {
  test.each([
    [col('tinyint', 'tinyint(1)'), 'boolean'],
    [col('tinyint', 'tinyint(4)'), 'int32'],
    [col('bit', 'bit(1)'), 'boolean'],
    [col('bit', 'bit(8)'), 'int64'],
    [col('int', 'int(10) unsigned'), 'int64'],
    [col('int', 'int(11)'), 'int32'],
    [col('bigint', 'bigint(20) unsigned'), 'decimal'],
    [col('bigint', 'bigint(20)'), 'int64'],
    [col('decimal', 'decimal(38,10)'), 'decimal'],
    [col('double'), 'float64'],
    [col('datetime'), 'timestamp'],
    [col('timestamp'), 'timestamptz'],
    [col('time'), 'string'],
    [col('year', 'year(4)'), 'int32'],
    [col('longtext', 'longtext', true), 'json'],
    [col('longtext'), 'string'],
    [col('set', "set('a','b')"), 'json'],
    [col('enum', "enum('a')"), 'string'],
    [col('blob'), 'bytes'],
    [col('varbinary', 'varbinary(4)'), 'bytes'],
  ])('%o → %s', (c, type) => expect(neutralTypeOf(c)).toBe(type));

  test('zero dates decode to the ZERO_DATE marker; others to neutral text', () => {
    expect(decodeValue('0000-00-00', 'date')).toBe(ZERO_DATE);
    expect(decodeValue('2024-00-10 00:00:00', 'timestamp')).toBe(ZERO_DATE);
    expect(decodeValue('2024-01-02 03:04:05.123456', 'timestamptz')).toBe('2024-01-02T03:04:05.123456Z');
    expect(decodeValue('read,exec', 'set')).toEqual(['read', 'exec']);
    expect(decodeValue('', 'set')).toEqual([]);
    expect(decodeValue(Buffer.from([0x81]), 'bitInt')).toBe(129n);
    expect(decodeValue(Buffer.from([1]), 'bitBoolean')).toBe(true);
    expect(decodeValue(Buffer.from('"s"'), 'json')).toBe('s');
  });

  test('codecs follow a MySQL native type only when it is MySQL’s', () => {
    expect(codecOf(f('x', 'json', { nativeType: "set('a')", nativeOf: 'mysql' }))).toBe('set');
    expect(codecOf(f('x', 'json', { nativeType: "set('a')", nativeOf: 'postgres' }))).toBe('json');
  });

  test('timestamps with an offset become UTC DATETIME text, fraction digits kept', () => {
    expect(toDatetimeText('2024-06-01T12:00:00.654+02:00')).toBe('2024-06-01 10:00:00.654');
    expect(toDatetimeText('1901-12-13T20:45:52.000-05:30')).toBe('1901-12-14 02:15:52.000');
    expect(toDatetimeText('2024-02-29T23:59:59.123456Z')).toBe('2024-02-29 23:59:59.123456');
    expect(toDatetimeText('not a time')).toBeNull();
  });

  test('literals: clean values inline, anything else quoted for the server to refuse', () => {
    expect(toSqlLiteral(9223372036854775807n, 'int64', esc)).toBe('9223372036854775807');
    expect(toSqlLiteral('not a number', 'int32', esc)).toBe("'not a number'");
    expect(toSqlLiteral(Number.NaN, 'float64', esc)).toBe("'NaN'");
    expect(toSqlLiteral(true, 'boolean', esc)).toBe('1');
    expect(toSqlLiteral({ a: "it's" }, 'json', esc)).toBe(`'{"a":"it''s"}'`);
    expect(toSqlLiteral(Buffer.from([0, 255]), 'bytes', esc)).toBe("X'00ff'");
    expect(toLoadDataField('a\tb\\c\n', 'string')).toBe('a\\tb\\\\c\\n');
    expect(toLoadDataField(null, 'string')).toBe('\\N');
  });

  test('target columns: exact decimals when the source gives p ≤ 65, s ≤ 30; text keys bounded', () => {
    expect(mysqlColumnType(f('a', 'decimal', { nativeType: 'numeric(14,4)', nativeOf: 'postgres' }), false)).toBe('decimal(14,4)');
    expect(mysqlColumnType(f('a', 'decimal', { nativeType: 'numeric', nativeOf: 'postgres' }), false)).toBe('longtext');
    expect(mysqlColumnType(f('a', 'decimal', { nativeType: 'numeric(70,2)', nativeOf: 'postgres' }), false)).toBe('longtext');
    expect(mysqlColumnType(f('a', 'string'), true)).toBe('varchar(255)');
    expect(mysqlColumnType(f('a', 'string', { nativeType: "enum('x')", nativeOf: 'mysql' }), false)).toBe("enum('x')");
    expect(mysqlColumnType(f('a', 'timestamptz'), false)).toBe('datetime(6)');
  });
});

describe('mysql keyset', () => {
  const key = [f('tenant', 'string'), f('seq', 'int32'), f('at', 'timestamptz')];
  test('a tuple cursor expands into a range the optimizer can use', () => {
    expect(afterTuple(key, ['a', 2, '2024-01-01T00:00:00Z'], esc)).toBe(
      "`tenant` >= 'a' AND ((`tenant` > 'a') OR (`tenant` = 'a' AND `seq` > 2) OR (`tenant` = 'a' AND `seq` = 2 AND `at` > '2024-01-01 00:00:00'))",
    );
  });
  test('range bounds on the leading column, key order, limit', () => {
    expect(pageQuery('`d`.`t`', '*', [f('id', 'int64')], { id: 0, lower: '10', upper: '20' }, '12', 5, esc)).toBe(
      'SELECT * FROM `d`.`t` WHERE `id` > 12 AND `id` > 10 AND `id` <= 20 ORDER BY `id` LIMIT 5',
    );
  });
});

describe('mysql errors and URL', () => {
  test('driver codes → kinds', () => {
    expect(classifyMysqlError({ code: 'ER_ACCESS_DENIED_ERROR', message: 'denied' }, 'check').kind).toBe('AuthError');
    expect(classifyMysqlError({ code: 'ER_NO_SUCH_TABLE', message: 'x' }, 'read').kind).toBe('SchemaError');
    expect(classifyMysqlError({ code: 'ECONNREFUSED', message: 'x' }, 'read').kind).toBe('TransientError');
    expect(isDataError({ code: 'ER_DATA_TOO_LONG' })).toBe(true);
    expect(isDataError({ code: 'ER_LOCK_DEADLOCK' })).toBe(false);
  });
  test('URL parts are percent-decoded', () => {
    expect(parseMysqlUrl('mysql://us%40r:p%2Fw@db.local:3307/shop')).toEqual({ host: 'db.local', port: 3307, user: 'us@r', password: 'p/w', database: 'shop' });
    expect(() => parseMysqlUrl('postgres://x@y/z')).toThrow(/mysql:\/\//);
  });
});
