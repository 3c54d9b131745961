import { mkdirSync, mkdtempSync, promises as fsp, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { validateSpec } from '../../client/spec';
import { DatamigratoError } from '../../src/errors';
import { checkRef, confinementIssues, secretPolicy, type SecretPolicy } from '../../src/secrets/confine';
import { resolveConnection, resolveRef } from '../../src/secrets/resolve';
import { parseConfig } from '../../src/config';

const root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'auth_confine-')));
const secretsDir = path.join(root, 'secrets');
mkdirSync(secretsDir);
writeFileSync(path.join(secretsDir, 'pg-url'), 'postgres://u:p@h/db\n');
writeFileSync(path.join(root, 'outside'), 'not yours\n');
symlinkSync(path.join(root, 'outside'), path.join(secretsDir, 'escape'));
const policy: SecretPolicy = { envAllow: ['DATAMIGRATO_SECRET_*', 'PG_URL'], secretsDir, connectionsOnly: false };

const pg = (connection: unknown) => ({ type: 'postgres', connection, table: 't' });
const spec = (source: unknown, extra: Record<string, unknown> = {}) => ({ name: 'c', source, target: pg({ name: 'wh' }), ...extra });

describe('secrets fence: which references a spec may use', () => {
  test('env: exact names and PREFIX_* only', () => {
    expect(checkRef({ env: 'PG_URL' }, policy).ok).toBe(true);
    expect(checkRef({ env: 'DATAMIGRATO_SECRET_SHOP' }, policy).ok).toBe(true);
    expect(checkRef({ env: 'PG_URL_X' }, policy)).toMatchObject({ ok: false, message: expect.stringContaining('"PG_URL_X" is not allowed') });
    expect(checkRef({ env: 'HOME' }, policy).ok).toBe(false);
  });

  test('file: inside the secrets dir (absolute or relative), never .., outside, or through a link out', () => {
    expect(checkRef({ file: 'pg-url' }, policy)).toEqual({ ok: true, file: path.join(secretsDir, 'pg-url') });
    expect(checkRef({ file: path.join(secretsDir, 'pg-url') }, policy).ok).toBe(true);
    expect(checkRef({ file: '/etc/passwd' }, policy)).toMatchObject({ ok: false, message: expect.stringContaining('outside the secrets directory') });
    expect(checkRef({ file: `${secretsDir}/../outside` }, policy)).toMatchObject({ ok: false, message: expect.stringContaining('".."') });
    expect(checkRef({ file: 'escape' }, policy)).toMatchObject({ ok: false, message: expect.stringContaining('link that leads outside') });
    expect(checkRef({ file: 'pg-url' }, { ...policy, secretsDir: undefined })).toMatchObject({
      ok: false,
      message: expect.stringContaining('DATAMIGRATO_SECRETS_DIR'),
    });
  });

  test('references are found by shape anywhere in the spec (connection fields, mask keys), with their path', () => {
    const s = spec(pg({ url: { env: 'HOME' } }), { transform: [{ op: 'mask', key: { file: '/etc/shadow' }, fields: { a: 'hex' } }] });
    expect(confinementIssues(s, policy).map((i) => i.path)).toEqual(['source.connection.url', 'transform[0].key']);
  });

  test('connectionsOnly: a connection that is not { name } is refused, a named one passes', () => {
    const only = { ...policy, connectionsOnly: true };
    expect(confinementIssues(spec(pg({ url: { env: 'PG_URL' } })), only)).toEqual([
      { path: 'source.connection', message: expect.stringContaining('named connections') },
    ]);
    expect(confinementIssues(spec(pg({ name: 'shop' })), only)).toEqual([]);
  });

  test('validateSpec reports the fence as spec issues with the path (400 at the API, exit 2 at the CLI)', () => {
    const r = validateSpec(spec(pg({ url: { env: 'HOME' } })), { secrets: policy, prefix: 'spec' });
    expect(r).toMatchObject({ ok: false, issues: [{ path: 'spec.source.connection.url', message: expect.stringContaining('"HOME" is not allowed') }] });
    expect(validateSpec(spec(pg({ url: { env: 'PG_URL' } })), { secrets: policy }).ok).toBe(true);
  });

  test('the policy comes from the config; DATAMIGRATO_SECRET_* is always allowed', () => {
    const p = secretPolicy(parseConfig({ DATAMIGRATO_SECRET_ENV_ALLOW: 'A, B_*', DATAMIGRATO_SECRETS_DIR: secretsDir, DATAMIGRATO_CONNECTIONS_ONLY: 'true' }));
    expect(p).toEqual({ envAllow: ['DATAMIGRATO_SECRET_*', 'A', 'B_*'], secretsDir, connectionsOnly: true });
    expect(secretPolicy(parseConfig({}))).toEqual({ envAllow: ['DATAMIGRATO_SECRET_*'], secretsDir: undefined, connectionsOnly: false });
  });
});

describe('the worker resolves only inside the fence (defence in depth)', () => {
  afterEach(() => jest.restoreAllMocks());

  test('an escape is a non-retryable ConfigError naming the field, and nothing is read', async () => {
    const read = jest.spyOn(fsp, 'readFile');
    for (const ref of [{ file: 'escape' }, { file: '/etc/passwd' }, { file: `${secretsDir}/../outside` }, { env: 'HOME' }]) {
      const err = await resolveRef(ref, 'source.connection.password', { policy }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DatamigratoError);
      expect(err).toMatchObject({ kind: 'ConfigError', retryable: false, message: expect.stringMatching(/^source\.connection\.password: /) });
    }
    expect(read).not.toHaveBeenCalled();
  });

  test('inside the fence the value is read; connectionsOnly refuses an unnamed block before any lookup', async () => {
    await expect(resolveRef({ file: 'pg-url' }, 'x', { policy })).resolves.toBe('postgres://u:p@h/db');
    await expect(resolveConnection({ url: { file: 'pg-url' } }, 'target.connection', { ...policy, connectionsOnly: true })).rejects.toMatchObject({
      kind: 'ConfigError',
      message: expect.stringContaining('target.connection: only named connections'),
    });
  });
});
