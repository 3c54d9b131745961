import { attrToJson, fromAttr, itemBytes, itemOf, toAttr, toNumberText } from '../../src/connectors/dynamodb/attributes';
import { inferFields, numberKind } from '../../src/connectors/dynamodb/infer';
import { classifyDynamoError, fullJitterDelay } from '../../src/connectors/dynamodb/retry';
import { DynamoEndpointSchema } from '../../src/connectors/dynamodb/spec';
import type { FieldSchema, ObjectSchema } from '../../src/model/types';

const f = (name: string, type: FieldSchema['type'], extra: Partial<FieldSchema> = {}): FieldSchema => ({ name, type, nullable: true, ...extra });

describe('dynamodb attribute values', () => {
  test('numbers are exact decimal text, 38 significant digits at most, inside DynamoDB range', () => {
    expect(toAttr(9223372036854775807n, f('a', 'int64'))).toEqual({ N: '9223372036854775807' });
    expect(toAttr('12345678901234567890123456789012345678', f('a', 'decimal'))).toEqual({ N: '12345678901234567890123456789012345678' });
    expect(toNumberText('1000000000000000000000000000000000000000')).toBe('1000000000000000000000000000000000000000'); // 1 significant digit
    expect(() => toNumberText('123456789012345678901234567890123456789')).toThrow(/39 significant digits/);
    expect(() => toAttr(Number.NaN, f('a', 'float64'))).toThrow(/not storable/);
    expect(() => toAttr(5e-324, f('a', 'float64'))).toThrow(/number range/);
    expect(fromAttr({ N: '1E+3' }, f('a', 'decimal'))).toBe('1000');
    expect(fromAttr({ N: '42' }, f('a', 'int64'))).toBe(42n);
    expect(() => fromAttr({ N: '4.5' }, f('a', 'int64'))).toThrow(/^a: not an int64/);
    expect(() => fromAttr({ S: 'x' }, f('a', 'int32'))).toThrow(/a S attribute where the schema says int32/);
  });

  test('json: maps, lists, binary, exact numbers; sets written back where nativeType says so, nested too', () => {
    const shape = f('j', 'json', { nativeType: 'M', nativeOf: 'dynamodb', fields: [f('tags', 'json', { nativeType: 'SS', nativeOf: 'dynamodb' })] });
    const a = toAttr({ tags: ['x', 'y', 'x'], big: '123456789012345678901', n: 1.5, b: { $base64: 'AP8=' }, l: [null, true] }, shape);
    expect(a).toEqual({
      M: {
        tags: { SS: ['x', 'y'] },
        big: { S: '123456789012345678901' },
        n: { N: '1.5' },
        b: { B: Buffer.from([0, 255]) },
        l: { L: [{ NULL: true }, { BOOL: true }] },
      },
    });
    expect(attrToJson({ NS: ['1', '12345678901234567890123'] })).toEqual([1, '12345678901234567890123']);
    expect(toAttr([1, 2], f('s', 'json', { nativeType: 'NS', nativeOf: 'dynamodb' }))).toEqual({ NS: ['1', '2'] });
    expect(toAttr([], f('s', 'json', { nativeType: 'NS', nativeOf: 'dynamodb' }))).toEqual({ L: [] }); // no empty sets in DynamoDB
  });

  test('items: nulls left out, a null key refused, _extra spread back, clashes refused; size counts names and values', () => {
    const schema: ObjectSchema = {
      object: 't',
      key: ['id'],
      fields: [f('id', 'int64'), f('name', 'string'), f('_extra', 'json')],
      unknownFields: { policy: 'json', field: '_extra' },
    };
    expect(itemOf(schema, { id: 1n, name: null, _extra: { rare: 'x' } }, ['id'])).toEqual({ id: { N: '1' }, rare: { S: 'x' } });
    expect(() => itemOf(schema, { id: null, name: 'a', _extra: null }, ['id'])).toThrow(/key attribute id is null/);
    expect(() => itemOf(schema, { id: 1n, name: 'a', _extra: { name: 'b' } }, ['id'])).toThrow(/_extra holds name/);
    expect(itemBytes({ ab: { S: 'héllo' } })).toBe(2 + 6);
    expect(itemBytes({ n: { N: '12345' } })).toBe(1 + 4);
    expect(itemBytes({ m: { M: { k: { BOOL: true } } } })).toBe(1 + 3 + 1 + 1 + 1);
  });
});

describe('dynamodb inference', () => {
  test('N narrows to int32/int64 when every sampled value is integral, else decimal; keys are int64; sets keep their kind', () => {
    expect(numberKind('12')).toBe('int32');
    expect(numberKind('1.0')).toBe('int32');
    expect(numberKind('9223372036854775807')).toBe('int64');
    expect(numberKind('9223372036854775808')).toBe('decimal');
    expect(numberKind('1.5')).toBe('decimal');
    const fields = inferFields(
      [
        { id: { N: '1' }, n: { N: '5' }, s: { SS: ['a'] }, m: { M: { x: { N: '1' } } }, mix: { S: 'a' } },
        { id: { N: '2' }, n: { N: '5000000000' }, mix: { N: '1' }, nul: { NULL: true } },
      ],
      ['id'],
    );
    const by = Object.fromEntries(fields.map((x) => [x.name, x]));
    expect(fields[0]!.name).toBe('id');
    expect(by.id!.type).toBe('int64');
    expect(by.n!.type).toBe('int64');
    expect(by.s).toMatchObject({ type: 'json', nativeType: 'SS', nullable: true });
    expect(by.m).toMatchObject({ type: 'json', nativeType: 'M', fields: [expect.objectContaining({ name: 'x', type: 'int32' })] });
    expect(by.mix).toMatchObject({ type: 'json', nativeType: 'N|S' });
    expect(by.nul).toMatchObject({ type: 'json', nullable: true });
  });
});

describe('dynamodb retries and errors', () => {
  test('full jitter stays below min(cap, base·2^attempt)', () => {
    expect(fullJitterDelay(1, () => 0.999)).toBe(99);
    expect(fullJitterDelay(20, () => 0.999)).toBe(4995);
    expect(fullJitterDelay(3, () => 0)).toBe(0);
  });
  test('classification: throttling and 5xx retryable, auth, missing table', () => {
    const err = (name: string, status = 400) => Object.assign(new Error('m'), { name, $metadata: { httpStatusCode: status } });
    expect(classifyDynamoError(err('ProvisionedThroughputExceededException'), 'write t').kind).toBe('TransientError');
    expect(classifyDynamoError(err('InternalServerError', 500), 'write t').kind).toBe('TransientError');
    expect(classifyDynamoError(err('UnrecognizedClientException'), 'check t').kind).toBe('AuthError');
    expect(classifyDynamoError(err('ResourceNotFoundException'), 'read t').kind).toBe('SchemaError');
  });
});

describe('dynamodb endpoint spec', () => {
  const base = { type: 'dynamodb', table: 'orders', connection: { region: 'us-east-1' } };
  test('credentials only as secret references; region required; endpoint an http(s) URL', () => {
    expect(DynamoEndpointSchema.safeParse(base).success).toBe(true);
    expect(DynamoEndpointSchema.safeParse({ ...base, connection: { region: 'us-east-1', accessKeyId: 'AKIA…', secretAccessKey: { env: 'S' } } }).success).toBe(
      false,
    );
    expect(DynamoEndpointSchema.safeParse({ ...base, connection: { region: 'us-east-1', accessKeyId: { env: 'K' } } }).success).toBe(false);
    expect(DynamoEndpointSchema.safeParse({ ...base, connection: {} }).success).toBe(false);
    expect(DynamoEndpointSchema.safeParse({ ...base, connection: { region: 'us-east-1', endpoint: 'ftp://x' } }).success).toBe(false);
    expect(DynamoEndpointSchema.safeParse({ ...base, connection: { name: 'prod' } }).success).toBe(true);
  });
});
