import { mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { scrubSecrets } from '../../src/errors';
import { resolveConnection } from '../../src/secrets/resolve';
import { parseJobSpec } from '../../src/job/job-spec';

const valid = {
  name: 'orders',
  source: { type: 'postgres', connection: { url: { env: 'SRC_URL' } }, table: 'orders' },
  target: { type: 'postgres', connection: { name: 'warehouse' }, table: 'orders_copy' },
};

describe('job spec', () => {
  test('defaults are filled', () => {
    const r = parseJobSpec(valid);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.spec).toMatchObject({
      batchSize: 1000,
      parallelism: 4,
      onRecordError: 'fail',
      validate: { enabled: true },
      chunk: { maxBatches: 200, maxSeconds: 15 },
    });
    expect(r.spec.source).toMatchObject({ schema: 'public', writeMode: 'copy' });
  });

  test.each([
    ['missing name', { ...valid, name: undefined }, 'name'],
    ['zero batch', { ...valid, batchSize: 0 }, 'batchSize'],
    ['string batch', { ...valid, batchSize: 'big' }, 'batchSize'],
    ['unknown policy', { ...valid, onRecordError: 'ignore' }, 'onRecordError'],
    ['missing table', { ...valid, source: { ...valid.source, table: undefined } }, 'source.table'],
    ['unknown target type', { ...valid, target: { ...valid.target, type: 'oracle' } }, 'target.type'],
    ['rename without fields', { ...valid, transform: [{ op: 'rename' }] }, 'transform[0].fields'],
    ['unknown top-level key', { ...valid, extra: true }, '(root)'],
    ['passthrough with transforms', { ...valid, passthrough: true, transform: [{ op: 'drop', fields: ['note'] }] }, 'passthrough'],
    [
      'passthrough across connector types',
      { ...valid, passthrough: true, target: { type: 'mongodb', connection: { url: { env: 'M' } }, database: 'd', collection: 'c' } },
      'passthrough',
    ],
  ])('rejects %s at %s', (_label, input, where) => {
    const r = parseJobSpec(input);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues.map((i) => i.path)).toContain(where);
  });

  test('passthrough between two endpoints of one type, without transforms, is accepted', () => {
    const r = parseJobSpec({ ...valid, passthrough: true });
    expect(r.ok && r.spec.passthrough).toBe(true);
    expect(parseJobSpec(valid)).toMatchObject({ ok: true, spec: { passthrough: false } });
  });

  test('a literal URL is refused with the reason, at its path', () => {
    const r = parseJobSpec({ ...valid, source: { ...valid.source, connection: { url: 'postgres://u:secret@h/db' } } });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const issue = r.issues.find((i) => i.path === 'source.connection.url');
    expect(issue?.message).toMatch(/secret reference/);
    expect(issue?.message).toMatch(/workflow history/);
    expect(JSON.stringify(r.issues)).not.toContain('secret@');
  });

  test('an unknown connector type names the known ones', () => {
    const r = parseJobSpec({ ...valid, source: { ...valid.source, type: 'oracle' } });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues[0]).toMatchObject({ path: 'source.type' });
    expect(r.issues[0]!.message).toMatch(/unknown connector type "oracle"; known: .*postgres/);
  });
});

describe('secret resolution', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dm-secrets-'));
  // The configuration is read once, on first use: set before any resolution.
  const connectionsFile = path.join(dir, 'connections.yaml');
  process.env.DATAMIGRATO_CONNECTIONS_FILE = connectionsFile;
  const policy = { envAllow: ['DM_TEST_*'], secretsDir: realpathSync(dir), connectionsOnly: false };

  test('env and file references resolve on the worker, and are reported for scrubbing', async () => {
    process.env.DM_TEST_URL = 'postgres://u:envpass@h/db';
    writeFileSync(path.join(dir, 'token'), 'filetoken\n');
    const r = await resolveConnection({ url: { env: 'DM_TEST_URL' }, token: { file: path.join(dir, 'token') }, port: 5 }, 'source.connection', policy);
    expect(r.connection).toEqual({ url: 'postgres://u:envpass@h/db', token: 'filetoken', port: 5 });
    expect(r.secrets).toEqual(['postgres://u:envpass@h/db', 'filetoken']);
  });

  test('a user name from a secret reference is resolved but not scrubbed (it would erase connector names)', async () => {
    process.env.DM_TEST_USER = 'cassandra';
    process.env.DM_TEST_PW = 'pw-123456';
    const r = await resolveConnection({ username: { env: 'DM_TEST_USER' }, password: { env: 'DM_TEST_PW' } }, 'source.connection');
    expect(r.connection).toEqual({ username: 'cassandra', password: 'pw-123456' });
    expect(r.secrets).toEqual(['pw-123456']);
  });

  test('a missing variable names the field and the variable, not a value', async () => {
    delete process.env.DM_MISSING;
    await expect(resolveConnection({ url: { env: 'DM_MISSING' } }, 'target.connection')).rejects.toThrow(
      /target\.connection\.url: environment variable DM_MISSING is not set/,
    );
  });

  test('named connections come from the worker connections file', async () => {
    writeFileSync(connectionsFile, 'warehouse:\n  url: postgres://w:named-pass@db/wh\n');
    const r = await resolveConnection({ name: 'warehouse' }, 'target.connection');
    expect(r.connection).toEqual({ url: 'postgres://w:named-pass@db/wh' });
    expect(r.secrets).toContain('postgres://w:named-pass@db/wh');
    await expect(resolveConnection({ name: 'nope' }, 'target.connection')).rejects.toThrow(/no connection named "nope"/);
  });
});

describe('scrubbing', () => {
  test('known secrets, URL passwords and key=value passwords are removed', () => {
    const text = 'failed for postgres://bob:hunter2@db:5432/x with token=abc123 and raw s3cr3t-value';
    const out = scrubSecrets(text, ['s3cr3t-value']);
    expect(out).not.toMatch(/hunter2|abc123|s3cr3t-value/);
    expect(out).toContain('postgres://bob:***@db:5432/x');
  });
});
