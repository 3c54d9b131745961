import { readFileSync } from 'node:fs';
import { configError } from '../src/errors';

/**
 * Payload encryption keys. Several may be configured so keys can rotate: new payloads are encrypted with the
 * active one, and every configured key still decrypts what was written with it (the key id travels in each
 * payload's metadata). Errors name the entry and its id, never the key.
 */
export interface CodecKeys {
  activeId: string;
  keys: ReadonlyMap<string, Buffer>;
}

const ENTRY = /^([A-Za-z0-9._-]{1,64}):([A-Za-z0-9+/=_-]+)$/;
const KEY_BYTES = 32; // AES-256

/** `id:base64` entries separated by commas or new lines; `#` starts a comment line in a file. */
export function parseCodecKeys(text: string, source: string, activeId?: string): CodecKeys {
  const entries = text
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter((s) => s && !s.startsWith('#'));
  if (entries.length === 0) throw configError(`${source}: no keys (expected "id:base64key", comma- or line-separated)`);
  const keys = new Map<string, Buffer>();
  entries.forEach((entry, i) => {
    const m = ENTRY.exec(entry);
    if (!m) throw configError(`${source}: entry ${i + 1} is not "id:base64key"`);
    const [, id, b64] = m;
    const key = Buffer.from(b64, 'base64');
    if (key.length !== KEY_BYTES) throw configError(`${source}: key "${id}" is ${key.length} bytes, expected ${KEY_BYTES} (openssl rand -base64 32)`);
    if (keys.has(id)) throw configError(`${source}: key id "${id}" appears twice`);
    keys.set(id, key);
  });
  const active = activeId ?? entries[0].split(':')[0];
  if (!keys.has(active)) throw configError(`DATAMIGRATO_CODEC_ACTIVE_KEY: no key with id "${active}" in ${source}`);
  return { activeId: active, keys };
}

const looksLikeList = (s: string) =>
  s
    .split(',')
    .map((e) => e.trim())
    .every((e) => ENTRY.test(e));

/** DATAMIGRATO_CODEC_KEYS is either the list itself or the path of a file holding it. */
export function loadCodecKeys(value: string, activeId?: string): CodecKeys {
  if (looksLikeList(value)) return parseCodecKeys(value, 'DATAMIGRATO_CODEC_KEYS', activeId);
  let text: string;
  try {
    text = readFileSync(value, 'utf8');
  } catch (err) {
    throw configError(`DATAMIGRATO_CODEC_KEYS: not an "id:base64key" list and not a readable file (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return parseCodecKeys(text, `DATAMIGRATO_CODEC_KEYS file ${JSON.stringify(value)}`, activeId);
}
