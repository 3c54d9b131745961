import { checkConnectionUrls } from '../../src/connectors/connection-url';
import { withEndpoints } from '../../src/engine/sessions';
import type { Endpoint } from '../../src/job/endpoints';
import { DatamigratoError } from '../../src/errors';

const pgRule = [{ field: 'url', schemes: ['postgres:', 'postgresql:'], hostParam: 'host' }];
const failure = (value: unknown) => {
  try {
    checkConnectionUrls(pgRule, { url: value }, 'source.connection');
  } catch (err) {
    return err as DatamigratoError;
  }
  return undefined;
};

describe('connection URLs fail fast, naming the field and never the value', () => {
  test.each([
    ['not a url', /source\.connection\.url: the value is not a URL/],
    ['http://h/db', /source\.connection\.url: unknown scheme "http:"/],
    ['postgres:///db', /source\.connection\.url: the URL has no host/],
    ['', /empty or not a string/],
  ])('%j → ConfigError', (value, message) => {
    const err = failure(value);
    expect(err).toMatchObject({ kind: 'ConfigError', retryable: false, message: expect.stringMatching(message) });
    if (value) expect(err!.message).not.toContain(value);
  });

  test('good URLs pass, a socket host in the query too; an optional field may be absent', () => {
    expect(failure('postgres://u:p@db.example:5432/x')).toBeUndefined();
    expect(failure('postgresql:///x?host=/run/postgresql')).toBeUndefined();
    expect(() => checkConnectionUrls([{ field: 'endpoint', schemes: ['http:'], optional: true }], {}, 'target.connection')).not.toThrow();
  });

  test('the engine checks before a driver is opened: a bad PostgreSQL URL is a ConfigError, not a retried connect', async () => {
    process.env.DM_AUTH_BAD_URL = 'localhost:5432/not-a-url';
    const endpoint = { type: 'postgres', connection: { url: { env: 'DM_AUTH_BAD_URL' } }, schema: 'public', table: 't' } as unknown as Endpoint;
    const t0 = Date.now();
    const err = await withEndpoints([{ side: 'source', endpoint }], async () => 'opened').catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'ConfigError', message: expect.stringContaining('source.connection.url: unknown scheme "localhost:"') });
    expect(Date.now() - t0).toBeLessThan(2_000);
  });
});
