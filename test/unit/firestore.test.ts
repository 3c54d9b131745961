import { GeoPoint, Timestamp } from 'firebase-admin/firestore';
import { getConnector } from '../../src/connectors/registry';
import { classifyFirestoreError } from '../../src/connectors/firestore/errors';
import { detectCompositeKey, documentIdOf, idParts } from '../../src/connectors/firestore/keys';
import { checkShape, documentSize } from '../../src/connectors/firestore/limits';
import { FirestoreEndpointSchema } from '../../src/connectors/firestore/spec';
import { decodeTagged, encodeTagged } from '../../src/connectors/firestore/subcollections';
import { firestoreToJson, remapPath, timestampText, toTimestamp } from '../../src/connectors/firestore/type-map';
import { FieldInference } from '../../src/connectors/firestore/infer';
import { logger } from '../../src/logging';

describe('firestore connector, pure parts', () => {
  test('document ids: one key is its text, a composite key URI-encoded parts joined by |; invalid ids are refused by name', () => {
    expect(documentIdOf({ id: 42n }, ['id'])).toBe('42');
    expect(documentIdOf({ t: 'a/b|c', s: 2 }, ['t', 's'])).toBe('a%2Fb%7Cc|2');
    expect(idParts('a%2Fb%7Cc|2', 2)).toEqual(['a/b|c', '2']);
    expect(() => documentIdOf({ id: 'x/y' }, ['id'])).toThrow(/contains "\/"/);
    expect(() => documentIdOf({ id: '__x__' }, ['id'])).toThrow(/reserved/);
    expect(() => documentIdOf({ id: null }, ['id'])).toThrow(/key id is null/);
  });

  test('a composite key is detected from ids that are tuples of stored fields, in id order', () => {
    const docs = [
      { id: 'a|1', data: { seq: 1n, tenant: 'a', v: 'x' } },
      { id: 'b|10', data: { seq: 10n, tenant: 'b', v: 'y' } },
    ];
    const inf = new FieldInference();
    docs.forEach((d) => inf.add(d.data));
    expect(detectCompositeKey(docs, inf.fields())).toEqual(['tenant', 'seq']);
    expect(detectCompositeKey([{ id: 'a|1', data: { tenant: 'a' } }], inf.fields())).toBeNull();
  });

  test('inference: integer+double widen to float64, GeoPoint is json, maps keep their shape', () => {
    const inf = new FieldInference();
    inf.add({ n: 1n, g: new GeoPoint(1, 2), m: { t: new Timestamp(1, 0) } });
    inf.add({ n: 1.5, g: null });
    const f = Object.fromEntries(inf.fields().map((x) => [x.name, x]));
    expect(f.n).toMatchObject({ type: 'float64', nullable: false });
    expect(f.g).toMatchObject({ type: 'json', nativeType: 'geopoint', nullable: true });
    expect(f.m!.fields).toEqual([expect.objectContaining({ name: 't', type: 'timestamptz' })]);
  });

  test('timestamps keep microseconds both ways', () => {
    const t = toTimestamp('1969-07-20T20:17:40.000001Z');
    expect(t.nanoseconds).toBe(1000);
    expect(timestampText(t)).toBe('1969-07-20T20:17:40.000001Z');
    expect(timestampText(toTimestamp('2024-06-01T12:00:00.654+02:00'))).toBe('2024-06-01T10:00:00.654000Z');
  });

  test('json spelling of Firestore values and the tagged encoding of subcollection data round-trip', () => {
    expect(firestoreToJson({ big: 9007199254740993n, small: 3n, nan: NaN, b: Buffer.from([1]) })).toEqual({
      big: '9007199254740993',
      small: 3,
      nan: 'NaN',
      b: { $base64: 'AQ==' },
    });
    const value = { big: 9007199254740993n, t: new Timestamp(5, 7000), g: new GeoPoint(-1, 2), b: Buffer.from([0, 255]), inf: -Infinity, m: { '@int': 'x' } };
    const tagged = JSON.parse(JSON.stringify(encodeTagged(value)));
    expect(tagged.m).toEqual({ '@map': { '@int': 'x' } });
    const back = decodeTagged(tagged, null as never, {}) as typeof value;
    expect(back.big).toBe(9007199254740993n);
    expect(back.t.isEqual(value.t)).toBe(true);
    expect(back.g.isEqual(value.g)).toBe(true);
    expect(back.b).toEqual(value.b);
    expect(back.inf).toBe(-Infinity);
    expect(back.m).toEqual({ '@int': 'x' });
  });

  test('limits: storage size as Firestore counts it, depth 20, no arrays in arrays', () => {
    // name: "c" (2) + "d" (2) + 16; field "s" (2) + "abc" (4); + 32
    expect(documentSize('c/d', { s: 'abc' })).toBe(20 + 6 + 32);
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 21; i++) deep = { n: deep };
    expect(() => checkShape(deep)).toThrow(/levels deep; Firestore allows 20/);
    expect(() => checkShape({ a: { b: [[1]] } })).toThrow(/a\.b\[0\]: Firestore arrays cannot hold arrays/);
    expect(() => checkShape({ a: [{ b: [1] }] })).not.toThrow();
  });

  test('reference paths are remapped by the longest matching prefix', () => {
    expect(remapPath('users/u1', { users: 'people' })).toBe('people/u1');
    expect(remapPath('users/u1/orders/o', { users: 'people', 'users/u1/orders': 'o2' })).toBe('o2/o');
    expect(remapPath('usersx/u1', { users: 'people' })).toBe('usersx/u1');
  });

  test('endpoint: exactly one of collection or collectionGroup; literal credentials refused', () => {
    const base = { type: 'firestore', connection: { projectId: 'demo-x1' } };
    expect(FirestoreEndpointSchema.safeParse({ ...base }).success).toBe(false);
    expect(FirestoreEndpointSchema.safeParse({ ...base, collection: 'a', collectionGroup: 'b' }).success).toBe(false);
    expect(FirestoreEndpointSchema.safeParse({ ...base, collection: 'users/u1' }).success).toBe(false); // a document path
    expect(FirestoreEndpointSchema.parse({ ...base, collection: 'users/u1/orders' })).toMatchObject({ keyField: 'id', writeMode: 'replace' });
    const literal = FirestoreEndpointSchema.safeParse({ ...base, connection: { projectId: 'demo-x1', credentials: '{"private_key":"k"}' }, collection: 'a' });
    expect(literal.success).toBe(false);
  });

  test('a malformed service-account key fails fast as an AuthError naming the connector, the key never in the message', async () => {
    const saved = process.env.FIRESTORE_EMULATOR_HOST;
    delete process.env.FIRESTORE_EMULATOR_HOST;
    try {
      const secret = 'MIIEsecretKEYmaterial0123456789';
      const credentials = JSON.stringify({
        project_id: 'demo-x1',
        client_email: 'a@demo-x1.iam.gserviceaccount.com',
        private_key: `-----BEGIN PRIVATE KEY-----\n${secret}\n-----END PRIVATE KEY-----\n`,
      });
      const d = getConnector('firestore');
      const e = d.endpointSchema.parse({ type: 'firestore', connection: { projectId: 'demo-x1', credentials: { env: 'X' } }, collection: 'a' });
      const err = (await d.open(e, { projectId: 'demo-x1', credentials }, logger).then(
        () => null,
        (x: unknown) => x,
      )) as Error & { kind: string; retryable: boolean };
      expect(err).toMatchObject({ kind: 'AuthError', retryable: false });
      expect(err.message).toContain('[firestore]');
      expect(err.message).not.toContain(secret);
      expect(err.stack ?? '').not.toContain(secret);
      const notJson = (await d.open(e, { projectId: 'demo-x1', credentials: `not json ${secret}` }, logger).catch((x: unknown) => x)) as Error;
      expect(notJson.message).toMatch(/\[firestore\] connection.credentials is not a service-account JSON/);
      expect(notJson.message).not.toContain(secret);
    } finally {
      if (saved !== undefined) process.env.FIRESTORE_EMULATOR_HOST = saved;
    }
  });

  test('gRPC codes map to error kinds: auth non-retryable, unavailable retried', () => {
    expect(classifyFirestoreError({ code: 16, message: 'bad token' }, 'read x')).toMatchObject({ kind: 'AuthError', retryable: false });
    expect(classifyFirestoreError({ code: 7, message: 'denied' }, 'read x')).toMatchObject({ kind: 'AuthError' });
    expect(classifyFirestoreError({ code: 14, message: 'unavailable' }, 'read x')).toMatchObject({ kind: 'TransientError', retryable: true });
    expect(classifyFirestoreError(new Error('invalid_grant: account not found'), 'check x')).toMatchObject({ kind: 'AuthError' });
  });
});
