import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultPayloadConverter, DefaultFailureConverter, ApplicationFailure, type Payload } from '@temporalio/common';
import { AesGcmCodec, ENCRYPTED_ENCODING, KEY_ID_KEY } from '../../temporal/codec';
import { loadCodecKeys, parseCodecKeys } from '../../temporal/codec-keys';

/** The AES-256-GCM payload codec and its key list: pure logic, no server. */
const key = () => randomBytes(32).toString('base64');
const k1 = key();
const k2 = key();
const spec = { name: 'tls-secret-job', source: { type: 'postgres', table: 'tls_customers' } };
const str = (b?: Uint8Array | null) => Buffer.from(b ?? []).toString('utf8');

describe('AesGcmCodec', () => {
  const codec = new AesGcmCodec(parseCodecKeys(`k1:${k1}`, 'test'));

  test('round trip: the sealed payload hides data and original encoding; decode restores both', async () => {
    const plain = defaultPayloadConverter.toPayload(spec)!;
    const [sealed] = await codec.encode([plain]);
    expect(str(sealed.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(str(sealed.metadata![KEY_ID_KEY])).toBe('k1');
    expect(Buffer.from(sealed.data!).includes('tls_customers')).toBe(false);
    expect(Buffer.from(sealed.data!).includes('json/plain')).toBe(false);
    const [opened] = await codec.decode([sealed]);
    expect(defaultPayloadConverter.fromPayload(opened)).toEqual(spec);
    // A fresh IV each time: the same value never seals to the same bytes.
    const [again] = await codec.encode([plain]);
    expect(Buffer.from(again.data!).equals(Buffer.from(sealed.data!))).toBe(false);
  });

  test('payloads written before encryption was on pass through decode', async () => {
    const plain = defaultPayloadConverter.toPayload(spec)!;
    expect(await codec.decode([plain])).toEqual([plain]);
  });

  test('rotation: the active key seals; every configured key opens; a removed key is named', async () => {
    const old = new AesGcmCodec(parseCodecKeys(`k1:${k1}`, 'test'));
    const [byOld] = await old.encode([defaultPayloadConverter.toPayload(spec)!]);
    const rotated = new AesGcmCodec(parseCodecKeys(`k2:${k2},k1:${k1}`, 'test'));
    const [byNew] = await rotated.encode([defaultPayloadConverter.toPayload(spec)!]);
    expect(str(byNew.metadata![KEY_ID_KEY])).toBe('k2');
    expect(defaultPayloadConverter.fromPayload((await rotated.decode([byOld]))[0])).toEqual(spec);
    await expect(old.decode([byNew])).rejects.toThrow(/key id "k2".*not configured/);
  });

  test('tamper → error: a flipped ciphertext byte, a cut tag, a relabelled key id', async () => {
    const both = new AesGcmCodec(parseCodecKeys(`k1:${k1}\nk2:${k2}`, 'test'));
    const [sealed] = await both.encode([defaultPayloadConverter.toPayload(spec)!]);
    const flipped = Buffer.from(sealed.data!);
    flipped[20] ^= 1;
    await expect(both.decode([{ ...sealed, data: flipped }])).rejects.toThrow(/failed authentication with key "k1"/);
    await expect(both.decode([{ ...sealed, data: sealed.data!.subarray(0, 20) }])).rejects.toThrow(/failed authentication|truncated/);
    const relabelled: Payload = { ...sealed, metadata: { ...sealed.metadata, [KEY_ID_KEY]: Buffer.from('k2') } };
    await expect(both.decode([relabelled])).rejects.toThrow(/failed authentication with key "k2"/);
  });

  test('failure messages and stack traces are encrypted with encodeCommonAttributes', async () => {
    const fc = new DefaultFailureConverter({ encodeCommonAttributes: true });
    const failure = fc.errorToFailure(ApplicationFailure.nonRetryable('table tls_customers is missing'), defaultPayloadConverter);
    expect(failure.message).toBe('Encoded failure');
    const [sealed] = await codec.encode([failure.encodedAttributes!]);
    expect(Buffer.from(sealed.data!).includes('tls_customers')).toBe(false);
    const [opened] = await codec.decode([sealed]);
    expect(fc.failureToError({ ...failure, encodedAttributes: opened }, defaultPayloadConverter).message).toBe('table tls_customers is missing');
  });
});

describe('codec keys', () => {
  test('list or file; first key active unless DATAMIGRATO_CODEC_ACTIVE_KEY names another', async () => {
    expect(loadCodecKeys(`a:${k1}, b:${k2}`).activeId).toBe('a');
    expect(loadCodecKeys(`a:${k1},b:${k2}`, 'b').activeId).toBe('b');
    const file = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'tls-keys-')), 'keys');
    await fs.writeFile(file, `# rotated 2026-12\nnew:${k2}\nold:${k1}\n`);
    const fromFile = loadCodecKeys(file);
    expect(fromFile.activeId).toBe('new');
    expect([...fromFile.keys.keys()]).toEqual(['new', 'old']);
  });

  test('bad keys are named by id and variable, never printed', () => {
    const short = Buffer.alloc(16, 7).toString('base64');
    expect(() => loadCodecKeys(`a:${short}`)).toThrow(/DATAMIGRATO_CODEC_KEYS: key "a" is 16 bytes, expected 32/);
    expect(() => loadCodecKeys(`a:${short}`)).not.toThrow(new RegExp(short.slice(0, 8)));
    expect(() => loadCodecKeys(`a:${k1},a:${k2}`)).toThrow(/key id "a" appears twice/);
    expect(() => loadCodecKeys(`a:${k1}`, 'zz')).toThrow(/DATAMIGRATO_CODEC_ACTIVE_KEY: no key with id "zz"/);
    expect(() => loadCodecKeys('/nonexistent/tls_keys')).toThrow(/DATAMIGRATO_CODEC_KEYS: .*not a readable file \(ENOENT\)/);
  });
});
