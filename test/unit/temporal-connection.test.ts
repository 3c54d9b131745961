import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../src/config';
import { describeTemporalSecurity, temporalConnectionOptions } from '../../temporal/connection';

/** The environment → Temporal connection options mapping (worker, API, CLI share it). Pure; files are temp files. */
describe('temporalConnectionOptions', () => {
  let dir: string;
  const opts = (env: NodeJS.ProcessEnv) => temporalConnectionOptions('h:7233', parseConfig(env));
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tls-conn-'));
    await Promise.all(['ca.pem', 'crt.pem', 'key.pem'].map((f) => fs.writeFile(path.join(dir, f), `PEM ${f}`)));
  });
  const f = (name: string) => path.join(dir, name);

  test('nothing set: plain text, as before', () => {
    expect(opts({})).toEqual({ address: 'h:7233' });
    expect(describeTemporalSecurity(opts({}))).toEqual({ tls: 'off', apiKey: false });
  });

  test('TEMPORAL_TLS=true: TLS with the system CAs', () => {
    expect(opts({ TEMPORAL_TLS: 'true' })).toEqual({ address: 'h:7233', tls: {} });
  });

  test('mTLS from our names and from the Temporal CLI envconfig names', () => {
    const ours = opts({ TEMPORAL_TLS_CA: f('ca.pem'), TEMPORAL_TLS_CERT: f('crt.pem'), TEMPORAL_TLS_KEY: f('key.pem'), TEMPORAL_TLS_SERVER_NAME: 'tls.test' });
    const cli = opts({
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: f('ca.pem'),
      TEMPORAL_TLS_CLIENT_CERT_PATH: f('crt.pem'),
      TEMPORAL_TLS_CLIENT_KEY_PATH: f('key.pem'),
      TEMPORAL_TLS_SERVER_NAME: 'tls.test',
    });
    for (const o of [ours, cli]) {
      expect(o.tls?.serverNameOverride).toBe('tls.test');
      expect(o.tls?.serverRootCACertificate?.toString()).toBe('PEM ca.pem');
      expect(o.tls?.clientCertPair?.crt.toString()).toBe('PEM crt.pem');
      expect(o.tls?.clientCertPair?.key.toString()).toBe('PEM key.pem');
      expect(describeTemporalSecurity(o)).toEqual({ tls: 'mtls', apiKey: false });
    }
  });

  test('an API key turns TLS on (Temporal Cloud), unless TEMPORAL_TLS=false says otherwise', () => {
    expect(opts({ TEMPORAL_API_KEY: 'k' })).toEqual({ address: 'h:7233', tls: {}, apiKey: 'k' });
    expect(opts({ TEMPORAL_API_KEY: 'k', TEMPORAL_TLS: 'false' })).toEqual({ address: 'h:7233', apiKey: 'k' });
  });

  test('clear errors naming the variable', () => {
    expect(() => opts({ TEMPORAL_TLS_CA: f('missing.pem') })).toThrow(/TEMPORAL_TLS_CA: cannot read ".*missing.pem" \(ENOENT\)/);
    expect(() => opts({ TEMPORAL_TLS_CLIENT_CERT_PATH: f('crt.pem') })).toThrow(/TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_KEY go together/);
    expect(() => opts({ TEMPORAL_TLS: 'false', TEMPORAL_TLS_CA: f('ca.pem') })).toThrow(/TEMPORAL_TLS=false contradicts/);
    expect(() => parseConfig({ TEMPORAL_TLS: 'yes' })).toThrow(/TEMPORAL_TLS: expected true or false/);
  });
});
