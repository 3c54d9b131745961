import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, errors, types } from 'cassandra-driver';
import { buildClientOptions, checkBundle, parseResolved } from '../../src/connectors/cassandra/client-options';
import { classifyCassandraError, isRecordError } from '../../src/connectors/cassandra/errors';
import { MAX_TOKEN, MIN_TOKEN, splitTokenRing } from '../../src/connectors/cassandra/session';
import { CassandraEndpointSchema } from '../../src/connectors/cassandra/spec';
import { checkTargetPrimaryKey, createTableCql, rangeQuery, restOfPartitionQueries, targetLayout } from '../../src/connectors/cassandra/cql';
import { bigDecimalText, cqlColumnType, neutralTypeOfCql, readCql, toCql } from '../../src/connectors/cassandra/types';
import type { FieldSchema, ObjectSchema, Row } from '../../src/model/types';
import { canonicalRow } from '../../src/validation/canonical';

// The driver's own wire encoder: values make the same round trip they make through a real node.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Encoder = require('cassandra-driver/lib/encoder');
const encoder = new Encoder(4, { encoding: { useBigIntAsLong: true, useBigIntAsVarint: true } });
const CODE: Record<string, number> = {
  text: types.dataTypes.text,
  int: types.dataTypes.int,
  bigint: types.dataTypes.bigint,
  double: types.dataTypes.double,
  decimal: types.dataTypes.decimal,
  boolean: types.dataTypes.boolean,
  timestamp: types.dataTypes.timestamp,
  date: types.dataTypes.date,
  uuid: types.dataTypes.uuid,
  blob: types.dataTypes.blob,
  varint: types.dataTypes.varint,
};
const wire = (v: unknown, cql: string) => (v === null ? null : encoder.decode(encoder.encode(v, CODE[cql]), { code: CODE[cql] }));

describe('Cassandra type mapping', () => {
  test.each([
    ['text', 'string'],
    ['varchar', 'string'],
    ['int', 'int32'],
    ['smallint', 'int32'],
    ['bigint', 'int64'],
    ['counter', 'int64'],
    ['varint', 'decimal'],
    ['double', 'float64'],
    ['float', 'float64'],
    ['decimal', 'decimal'],
    ['boolean', 'boolean'],
    ['timestamp', 'timestamptz'],
    ['date', 'date'],
    ['time', 'string'],
    ['uuid', 'uuid'],
    ['timeuuid', 'uuid'],
    ['blob', 'bytes'],
    ['inet', 'string'],
    ['list<text>', 'json'],
    ['frozen<map<text, int>>', 'json'],
    ['my_udt', 'json'],
  ])('%s reads as %s', (cql, neutral) => expect(neutralTypeOfCql(cql)).toBe(neutral));

  test.each([
    ['string', 'text'],
    ['int32', 'int'],
    ['int64', 'bigint'],
    ['float64', 'double'],
    ['decimal', 'decimal'],
    ['boolean', 'boolean'],
    ['timestamptz', 'timestamp'],
    ['timestamp', 'timestamp'],
    ['date', 'date'],
    ['uuid', 'uuid'],
    ['json', 'text'],
    ['bytes', 'blob'],
    ['objectid', 'text'],
  ])('%s is created as %s', (neutral, cql) => expect(cqlColumnType({ name: 'x', type: neutral as FieldSchema['type'], nullable: true })).toBe(cql));

  test('a Cassandra source keeps its own built-in types, never UDTs or counters', () => {
    const f = (nativeType: string, type: FieldSchema['type']): FieldSchema => ({ name: 'x', type, nullable: true, nativeType, nativeOf: 'cassandra' });
    expect(cqlColumnType(f('list<text>', 'json'))).toBe('list<text>');
    expect(cqlColumnType(f('smallint', 'int32'))).toBe('smallint');
    expect(cqlColumnType(f('frozen<address>', 'json'))).toBe('text');
    expect(cqlColumnType(f('counter', 'int64'))).toBe('bigint');
  });

  test('BigDecimal text handles exponents and negative scales the driver prints wrongly', () => {
    expect(bigDecimalText(new types.BigDecimal(types.Integer.fromString('15') as unknown as number, -3))).toBe('15000');
    expect(bigDecimalText(types.BigDecimal.fromString('-0.0100'))).toBe('-0.0100');
    expect(bigDecimalText(toCql('1.5E+3', 'decimal', 'decimal') as types.BigDecimal)).toBe('1500');
    expect(bigDecimalText(toCql('1E-10', 'decimal', 'decimal') as types.BigDecimal)).toBe('0.0000000001');
  });

  test('a row written and read back through the wire encoding canonicalizes identically', () => {
    const f = (name: string, type: FieldSchema['type']): FieldSchema => ({ name, type, nullable: true });
    const schema: ObjectSchema = {
      object: 't',
      key: ['id'],
      fields: [
        f('id', 'int64'),
        f('s', 'string'),
        f('i', 'int32'),
        f('d', 'float64'),
        f('dec', 'decimal'),
        f('at', 'timestamptz'),
        f('day', 'date'),
        f('u', 'uuid'),
        f('b', 'bytes'),
        f('o', 'objectid'),
        f('j', 'json'),
        f('ok', 'boolean'),
        f('ts', 'timestamp'),
        f('big', 'decimal'),
      ],
    };
    const cqlOf: Record<string, string> = {
      id: 'bigint',
      s: 'text',
      i: 'int',
      d: 'double',
      dec: 'decimal',
      at: 'timestamp',
      day: 'date',
      u: 'uuid',
      b: 'blob',
      o: 'text',
      j: 'text',
      ok: 'boolean',
      ts: 'timestamp',
      big: 'varint',
    };
    const row: Row = {
      id: -9223372036854775808n,
      s: 'ü "q"',
      i: 7,
      d: 1 / 3,
      dec: '-12.3400',
      at: '2024-05-06T07:08:09.123Z',
      day: '1999-12-31',
      u: '0a0b0c0d-0000-4000-8000-000000000001',
      b: Buffer.from([0, 255]),
      o: '65a1b2c3d4e5f60718293a4b',
      j: { a: [1, 'x'], n: null, s: 'text' },
      ok: true,
      ts: '2024-05-06T07:08:09',
      big: '123456789012345678901234567890',
    };
    const back: Row = {};
    for (const x of schema.fields) back[x.name] = readCql(wire(toCql(row[x.name], cqlOf[x.name]!, x.type), cqlOf[x.name]!), x);
    expect(back.j).toEqual(row.j);
    expect(canonicalRow(back, schema)).toBe(canonicalRow(row, schema));
    // Precision the target cannot hold is cut, and validation sees it.
    const micro = readCql(wire(toCql('2024-05-06T07:08:09.123456Z', 'timestamp', 'timestamptz'), 'timestamp'), f('at', 'timestamptz'));
    expect(micro).toBe('2024-05-06T07:08:09.123Z');
  });

  test('values that do not fit the column throw before any statement is sent', () => {
    expect(() => toCql('abc', 'int', 'string')).toThrow(/not an int32/);
    expect(() => toCql('1.5', 'varint', 'decimal')).toThrow(/not an integer/);
    expect(() => toCql('not-a-uuid', 'uuid', 'uuid')).toThrow(/not a uuid/);
    expect(toCql(null, 'text', 'string')).toBeNull();
  });

  test('collections read from a foreign table become plain JSON', () => {
    const j: FieldSchema = { name: 'c', type: 'json', nullable: true };
    expect(readCql([new Date(0), 5n, types.Uuid.fromString('0a0b0c0d-0000-4000-8000-000000000001')], j)).toEqual([
      '1970-01-01T00:00:00.000Z',
      '5',
      '0a0b0c0d-0000-4000-8000-000000000001',
    ]);
    expect(readCql({ k: types.BigDecimal.fromString('1.50') }, j)).toEqual({ k: '1.50' });
    expect(readCql(types.LocalDate.fromString('2020-02-03'), { name: 'd', type: 'date', nullable: true })).toBe('2020-02-03');
  });
});

describe('token ring', () => {
  test('equal contiguous ranges covering the whole Murmur3 ring', () => {
    const r = splitTokenRing(4);
    expect(r).toHaveLength(4);
    expect(r[0]!.lower).toBeNull();
    expect(r[3]!.upper).toBeNull();
    for (let i = 1; i < r.length; i++) expect(r[i]!.lower).toBe(r[i - 1]!.upper);
    expect(BigInt(r[1]!.lower!)).toBe(MIN_TOKEN + (MAX_TOKEN - MIN_TOKEN) / 4n);
    expect(splitTokenRing(1)).toEqual([{ lower: null, upper: null }]);
  });
});

describe('Cassandra connection spec', () => {
  const base = { type: 'cassandra', keyspace: 'ks', table: 't' };
  const parse = (connection: unknown) => CassandraEndpointSchema.safeParse({ ...base, connection });
  const messages = (connection: unknown) => JSON.stringify(parse(connection).error?.issues ?? []);

  test('plain cluster with credentials as secret references', () => {
    const ok = parse({ contactPoints: ['10.0.0.1:9042'], localDataCenter: 'dc1', username: { env: 'U' }, password: { file: '/run/p' } });
    expect(ok.success).toBe(true);
    expect(ok.data).toMatchObject({ replication: { class: 'SimpleStrategy', replication_factor: 1 }, concurrency: 64, nullToUnset: true });
  });

  test('literal passwords and tokens are refused', () => {
    expect(messages({ contactPoints: ['h'], localDataCenter: 'dc1', username: { env: 'U' }, password: 'hunter2' })).toMatch(/not a literal value/);
    expect(messages({ secureConnectBundle: '/b.zip', token: 'AstraCS:abc' })).toMatch(/not a literal value/);
  });

  test('shapes do not mix and incomplete ones are explained', () => {
    expect(messages({ secureConnectBundle: '/b.zip', token: { env: 'T' }, contactPoints: ['h'] })).toMatch(/not used with a secure connect bundle/);
    expect(messages({ secureConnectBundle: '/b.zip' })).toMatch(/needs an application token/);
    expect(messages({ contactPoints: ['h'] })).toMatch(/required with contactPoints/);
    expect(messages({ contactPoints: ['h'], localDataCenter: 'dc', username: { env: 'U' } })).toMatch(/username and password go together/);
    expect(messages({ name: 'prod', localDataCenter: 'dc' })).toMatch(/takes no other connection fields/);
    expect(parse({ name: 'prod' }).success).toBe(true);
    expect(parse({ secureConnectBundle: '/b.zip', token: { env: 'ASTRA_TOKEN' } }).success).toBe(true);
  });
});

describe('driver options', () => {
  test('plain cluster: contact points (list or comma-separated secret), local DC, credentials, bigint encoding', () => {
    const o = buildClientOptions(parseResolved({ contactPoints: 'a:9042, b:9042', localDataCenter: 'dc1', username: 'u', password: 'p' }), {
      consistency: 'localQuorum',
    });
    expect(o).toMatchObject({
      contactPoints: ['a:9042', 'b:9042'],
      localDataCenter: 'dc1',
      credentials: { username: 'u', password: 'p' },
      encoding: { useBigIntAsLong: true, useBigIntAsVarint: true },
      queryOptions: { consistency: types.consistencies.localQuorum, prepare: true },
    });
    expect(o.cloud).toBeUndefined();
  });

  test('Astra DB: the bundle path goes to cloud.secureConnectBundle, the token as password of user "token", nothing else', () => {
    const o = buildClientOptions(parseResolved({ secureConnectBundle: '/secrets/scb.zip', token: 'AstraCS:xyz' }), { consistency: 'localQuorum' });
    expect(o.cloud).toEqual({ secureConnectBundle: '/secrets/scb.zip' });
    expect(o.credentials).toEqual({ username: 'token', password: 'AstraCS:xyz' });
    expect(o.contactPoints).toBeUndefined();
    expect(o.localDataCenter).toBeUndefined();
    expect(o.sslOptions).toBeUndefined(); // the driver refuses sslOptions beside a bundle
    expect(() => new Client(o)).not.toThrow(); // the driver's own option validation accepts it
  });

  test('a resolved connection of the wrong shape and a missing bundle are config errors', async () => {
    expect(() => parseResolved({ contactPoints: ['h'] })).toThrow(/connection must be/);
    await expect(checkBundle(parseResolved({ secureConnectBundle: '/nonexistent/scb.zip', token: 't' }))).rejects.toThrow(/not readable on this worker/);
  });

  /**
   * The closest to Astra DB this machine gets (no internet): a bundle we build — config.json + CA + client
   * cert — and a local HTTPS "metadata service" trusting it. The driver must open the zip, use its TLS
   * material to call the service and ask for contact points. A live Astra run was not possible here.
   */
  test('the driver opens the bundle and calls its metadata service with the bundle TLS material', async () => {
    let openssl = true;
    try {
      execFileSync('openssl', ['version'], { stdio: 'ignore' });
    } catch {
      openssl = false;
    }
    if (!openssl) {
      console.warn('SKIPPED: openssl not found; cannot build a TLS bundle for the Astra DB bundle test');
      return;
    }
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dm-scb-'));
    const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=dm-test-ca');
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'srv.key', '-out', 'srv.csr', '-subj', '/CN=127.0.0.1');
    writeFileSync(path.join(dir, 'ext'), 'subjectAltName=IP:127.0.0.1\n');
    ssl('x509', '-req', '-in', 'srv.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'srv.crt', '-days', '1', '-extfile', 'ext');
    const file = (n: string) => readFileSync(path.join(dir, n));

    const requests: string[] = [];
    const server = https.createServer({ key: file('srv.key'), cert: file('srv.crt') }, (req, res) => {
      requests.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/json' });
      // Contact points behind an SNI proxy that is not there: the driver gets this far and no further.
      res.end(
        JSON.stringify({ contact_info: { contact_points: ['00000000-0000-0000-0000-000000000001'], local_dc: 'dc1', sni_proxy_address: '127.0.0.1:1' } }),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const AdmZip = require('adm-zip');
    const zip = new AdmZip();
    zip.addFile('config.json', Buffer.from(JSON.stringify({ host: '127.0.0.1', port, keyspace: 'ks' })));
    zip.addFile('ca.crt', file('ca.crt'));
    zip.addFile('cert', file('srv.crt'));
    zip.addFile('key', file('srv.key'));
    const bundle = path.join(dir, 'secure-connect-test.zip');
    zip.writeZip(bundle);

    const resolved = parseResolved({ secureConnectBundle: bundle, token: 'AstraCS:test' });
    await checkBundle(resolved);
    const client = new Client({ ...buildClientOptions(resolved, { consistency: 'localQuorum' }), socketOptions: { connectTimeout: 2000 } });
    try {
      const err = await client.connect().then(
        () => null,
        (e: unknown) => e,
      );
      expect(requests).toEqual(['/metadata']);
      expect(err).toBeInstanceOf(errors.NoHostAvailableError);
      expect(classifyCassandraError(err, 'check').kind).toBe('TransientError');
    } finally {
      await client.shutdown().catch(() => undefined);
      server.close();
    }
  }, 30_000);
});

describe('Cassandra errors', () => {
  test('bad credentials are final AuthErrors naming the connector; missing tables SchemaErrors; the rest transient', () => {
    const auth = new errors.NoHostAvailableError({ '127.0.0.1:9042': new errors.AuthenticationError('Provided username x and/or password are incorrect') });
    const a = classifyCassandraError(auth, 'check');
    expect(a.kind).toBe('AuthError');
    expect(a.retryable).toBe(false);
    expect(a.message).toMatch(/^\[cassandra\] check: Provided username/);
    expect(classifyCassandraError(new errors.ResponseError(types.responseErrorCodes.invalid, 'table nope does not exist'), 'read').kind).toBe('SchemaError');
    expect(classifyCassandraError(new errors.ResponseError(types.responseErrorCodes.unauthorized, 'no SELECT permission'), 'read').kind).toBe('AuthError');
    expect(classifyCassandraError(new errors.ResponseError(types.responseErrorCodes.writeTimeout, 'timeout'), 'write').kind).toBe('TransientError');
    expect(classifyCassandraError(new errors.OperationTimedOutError('slow'), 'write').kind).toBe('TransientError');
    expect(classifyCassandraError(new errors.NoHostAvailableError({ h: new Error('ECONNREFUSED') }), 'check').kind).toBe('TransientError');
  });

  test('which INSERT failures reject the record rather than the batch', () => {
    expect(isRecordError(new TypeError('Not a valid text value'))).toBe(true);
    expect(isRecordError(new errors.ResponseError(types.responseErrorCodes.invalid, 'Invalid null value in condition for column id'))).toBe(true);
    expect(isRecordError(new errors.ResponseError(types.responseErrorCodes.invalid, 'Undefined column name x'))).toBe(false);
    expect(isRecordError(new errors.ResponseError(types.responseErrorCodes.overloaded, 'busy'))).toBe(false);
  });
});

describe('composite primary keys', () => {
  const f = (name: string, type: FieldSchema['type']): FieldSchema => ({ name, type, nullable: true });
  const fields = [f('tenant_id', 'int64'), f('order_id', 'int32'), f('note', 'string')];

  test("the created table's primary key: first key field partitions, the rest cluster, unless the endpoint says otherwise", () => {
    expect(targetLayout(['tenant_id', 'order_id'])).toEqual({ partition: ['tenant_id'], clustering: ['order_id'] });
    expect(targetLayout(['id'])).toEqual({ partition: ['id'], clustering: [] });
    expect(targetLayout(['a', 'b', 'c'], ['a', 'b'])).toEqual({ partition: ['a', 'b'], clustering: ['c'] });
    expect(targetLayout(['a', 'b', 'c'], undefined, ['c', 'b'])).toEqual({ partition: ['a'], clustering: ['c', 'b'] });
    expect(targetLayout(['a', 'b'], ['b'], ['a'])).toEqual({ partition: ['b'], clustering: ['a'] });
    expect(createTableCql('"ks"."t"', fields, targetLayout(['tenant_id', 'order_id']))).toBe(
      'CREATE TABLE IF NOT EXISTS "ks"."t" ("tenant_id" bigint, "order_id" int, "note" text, PRIMARY KEY (("tenant_id"), "order_id"))',
    );
    expect(createTableCql('"ks"."t"', fields, { partition: ['tenant_id', 'order_id'], clustering: [] })).toMatch(
      /PRIMARY KEY \(\("tenant_id", "order_id"\)\)\)$/,
    );
  });

  test('partitionKey/clusteringKey name key fields only, leave none out, and leave the partition key something', () => {
    expect(() => targetLayout(['a', 'b'], ['note'])).toThrow(/"note", not key fields of the records \(key: a, b\).*targetKey/);
    expect(() => targetLayout(['a', 'b', 'c'], ['a'], ['b'])).toThrow(/leave out the key field\(s\) c/);
    expect(() => targetLayout(['a', 'b'], undefined, ['a', 'b'])).toThrow(/partition key needs at least one/);
    const spec = (extra: object) =>
      CassandraEndpointSchema.safeParse({
        type: 'cassandra',
        connection: { contactPoints: ['h'], localDataCenter: 'dc' },
        keyspace: 'k',
        table: 't',
        ...extra,
      });
    expect(spec({ partitionKey: ['a'], clusteringKey: ['a', 'b'] }).success).toBe(false);
    expect(spec({ partitionKey: ['a', 'a'] }).success).toBe(false);
    expect(spec({ partitionKey: [] }).success).toBe(false);
    expect(spec({ key: ['a', 'b'], partitionKey: ['a'], clusteringKey: ['b'] }).success).toBe(true);
    expect(spec({ key: 'a' }).success).toBe(true);
  });

  test("an existing table's primary key must hold exactly the records' key fields, and match the options given", () => {
    const table = { partition: ['tenant'], clustering: ['c1', 'c2'] };
    expect(() => checkTargetPrimaryKey('ks.t', table, ['tenant', 'c2', 'c1'], {})).not.toThrow();
    expect(() => checkTargetPrimaryKey('ks.t', table, ['tenant', 'c1'], {})).toThrow(
      /target ks\.t has primary key \(\(tenant\), c1, c2\); the records' key is \(tenant, c1\)/,
    );
    expect(() => checkTargetPrimaryKey('ks.t', { partition: ['id'], clustering: [] }, ['id', 'seq'], {})).toThrow(/\(\(id\)\).*\(id, seq\)/);
    expect(() => checkTargetPrimaryKey('ks.t', table, ['tenant', 'c1', 'c2'], { partitionKey: ['tenant', 'c1'] })).toThrow(
      /not the partitionKey\/clusteringKey/,
    );
    expect(() => checkTargetPrimaryKey('ks.t', table, ['tenant', 'c1', 'c2'], { partitionKey: ['tenant'], clusteringKey: ['c1', 'c2'] })).not.toThrow();
  });

  test('a token range query binds the whole partition key into the token', () => {
    expect(rangeQuery('t', '"a", "x"', { partition: ['p1', 'p2'], clustering: ['c'] }, 'tk')).toBe(
      'SELECT "a", "x", token("p1", "p2") AS tk FROM t WHERE token("p1", "p2") > ? AND token("p1", "p2") <= ?',
    );
  });

  test('the rest of a partition after a row: one tuple slice in one direction, prefix slices deepest first when mixed', () => {
    const layout = { partition: ['p1', 'p2'], clustering: ['c1', 'c2'] };
    expect(restOfPartitionQueries('t', '"x"', { partition: ['p'], clustering: [] }, 'tk')).toEqual([]);
    expect(restOfPartitionQueries('t', '"x"', { partition: ['p'], clustering: ['c'] }, 'tk')).toEqual([
      { cql: 'SELECT "x", token("p") AS tk FROM t WHERE "p" = ? AND "c" > ?', clusteringParams: [0] },
    ]);
    expect(restOfPartitionQueries('t', '"x"', layout, 'tk')).toEqual([
      { cql: 'SELECT "x", token("p1", "p2") AS tk FROM t WHERE "p1" = ? AND "p2" = ? AND ("c1", "c2") > (?, ?)', clusteringParams: [0, 1] },
    ]);
    expect(restOfPartitionQueries('t', '"x"', { ...layout, descending: [true, true] }, 'tk')[0]!.cql).toMatch(/\("c1", "c2"\) < \(\?, \?\)$/);
    expect(restOfPartitionQueries('t', '"x"', { ...layout, descending: [false, true] }, 'tk')).toEqual([
      { cql: 'SELECT "x", token("p1", "p2") AS tk FROM t WHERE "p1" = ? AND "p2" = ? AND "c1" = ? AND "c2" < ?', clusteringParams: [0, 1] },
      { cql: 'SELECT "x", token("p1", "p2") AS tk FROM t WHERE "p1" = ? AND "p2" = ? AND "c1" > ?', clusteringParams: [0] },
    ]);
  });
});
