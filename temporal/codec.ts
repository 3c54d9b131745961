import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { CodecKeys } from './codec-keys';

/**
 * AES-256-GCM payload codec. Each payload (spec, report, heartbeat, encoded failure attributes) is serialized
 * whole — metadata included, so its original encoding is hidden too — and sealed with a fresh 12-byte IV.
 * The key id is stored in clear metadata for rotation and bound as additional authenticated data, so a
 * payload relabelled with another key id fails to open instead of decrypting garbage.
 * Payloads that are not ours (written before encryption was turned on) pass through decode unchanged.
 */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_KEY = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

const utf8 = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | null | undefined) => (b ? Buffer.from(b).toString('utf8') : undefined);

export class CodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CodecError';
  }
}

export class AesGcmCodec implements PayloadCodec {
  constructor(private readonly keys: CodecKeys) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => this.seal(p));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => (text(p.metadata?.[METADATA_ENCODING_KEY]) === ENCRYPTED_ENCODING ? this.open(p) : p));
  }

  private seal(p: Payload): Payload {
    const id = this.keys.activeId;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.keys.get(id)!, iv);
    cipher.setAAD(utf8(id));
    const plain = temporal.api.common.v1.Payload.encode(p).finish();
    const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return { metadata: { [METADATA_ENCODING_KEY]: utf8(ENCRYPTED_ENCODING), [KEY_ID_KEY]: utf8(id) }, data: sealed };
  }

  private open(p: Payload): Payload {
    const id = text(p.metadata?.[KEY_ID_KEY]);
    const key = id === undefined ? undefined : this.keys.keys.get(id);
    if (!key) throw new CodecError(`encrypted payload uses key id ${JSON.stringify(id)}, which is not configured (DATAMIGRATO_CODEC_KEYS)`);
    const data = Buffer.from(p.data ?? []);
    if (data.length < IV_BYTES + TAG_BYTES) throw new CodecError('encrypted payload is truncated');
    const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
    decipher.setAAD(utf8(id!));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new CodecError(`encrypted payload failed authentication with key "${id}" (tampered or wrong key)`);
    }
    return temporal.api.common.v1.Payload.decode(plain);
  }
}
