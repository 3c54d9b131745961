import { randomBytes } from 'node:crypto';
import express from 'express';
import request from 'supertest';
import { authMiddleware } from '../../api/auth';
import { sha256 } from '../../api/auth-config';
import { errorHandler } from '../../api/problems';
import { codecRouter } from '../../api/routes/codec';
import { AesGcmCodec } from '../../temporal/codec';
import { parseCodecKeys } from '../../temporal/codec-keys';

/** The codec server protocol over HTTP, in process (supertest): shapes, errors, preflight before auth. */
const b64 = (s: string) => Buffer.from(s).toString('base64');
const app = express().use(
  codecRouter({
    codec: new AesGcmCodec(parseCodecKeys(`tls_a:${randomBytes(32).toString('base64')}`, 'test')),
    origins: ['http://ui.test'],
    namespaces: ['default'],
    authorize: authMiddleware({ tokens: [{ name: 'ui', role: 'viewer', sha256: sha256('tls-token') }] }),
  }),
  errorHandler(),
);
const post = (path: string, body: unknown) =>
  request(app)
    .post(path)
    .set('authorization', 'Bearer tls-token')
    .send(body as object);
const plain = { metadata: { encoding: b64('json/plain') }, data: b64('{"table":"tls_t"}') };

describe('codec router', () => {
  test('encode then decode restores the payload; the key id is in clear metadata', async () => {
    const enc = await post('/encode', { payloads: [plain] }).expect(200);
    expect(Buffer.from(enc.body.payloads[0].metadata.encoding, 'base64').toString()).toBe('binary/encrypted');
    expect(Buffer.from(enc.body.payloads[0].data, 'base64').toString()).not.toContain('tls_t');
    const dec = await post('/decode', enc.body).expect(200);
    expect(dec.body).toEqual({ payloads: [plain] });
  });

  test('tampered ciphertext, a malformed body: 400 problems that say why', async () => {
    const enc = await post('/encode', { payloads: [plain] }).expect(200);
    const data = Buffer.from(enc.body.payloads[0].data, 'base64');
    data[data.length - 1] ^= 1;
    const bad = await post('/decode', { payloads: [{ ...enc.body.payloads[0], data: data.toString('base64') }] }).expect(400);
    expect(bad.body.detail).toMatch(/failed authentication with key "tls_a"/);
    expect((await post('/decode', { nope: 1 }).expect(400)).body.detail).toMatch(/expected \{"payloads"/);
  });

  test('a preflight needs no credentials; the POST does', async () => {
    const pre = await request(app).options('/decode').set('origin', 'http://ui.test').expect(204);
    expect(pre.headers['access-control-allow-origin']).toBe('http://ui.test');
    await request(app).post('/decode').send({ payloads: [] }).expect(401);
  });
});
