import { createHmac } from 'node:crypto';
import { parseJobSpec } from '../../src/job/job-spec';
import { signBody, verifySignature } from '../../src/notify/sign';

const body = JSON.stringify({ event: 'completed', job: 'orders', counts: { rows: 3 } });

describe('webhook signing', () => {
  test('the signature is HMAC-SHA256 of "<timestamp>.<body>" in hex, prefixed sha256=', () => {
    const expected = createHmac('sha256', 'k3y').update(`1700000000.${body}`).digest('hex');
    expect(signBody('k3y', 1_700_000_000, body)).toBe(`sha256=${expected}`);
  });

  test('verification accepts the signed body and refuses a changed body, key, timestamp or a stale one', () => {
    const ts = 1_700_000_000;
    const signature = signBody('k3y', ts, body);
    const now = ts + 10;
    expect(verifySignature('k3y', { signature, timestamp: String(ts) }, body, { now })).toBe(true);
    expect(verifySignature('k3y', { signature, timestamp: String(ts) }, body.replace('3', '4'), { now })).toBe(false);
    expect(verifySignature('other', { signature, timestamp: String(ts) }, body, { now })).toBe(false);
    expect(verifySignature('k3y', { signature, timestamp: String(ts + 1) }, body, { now })).toBe(false);
    expect(verifySignature('k3y', { signature, timestamp: String(ts) }, body, { now: ts + 301 })).toBe(false);
    expect(verifySignature('k3y', { signature: undefined, timestamp: String(ts) }, body, { now })).toBe(false);
  });
});

describe('notify in the job spec', () => {
  const base = {
    name: 'n',
    source: { type: 'memory', connection: { store: 's' }, object: 'a' },
    target: { type: 'memory', connection: { store: 's' }, object: 'b' },
  };

  test('absent by default, so specs without it parse as before', () => {
    const r = parseJobSpec(base);
    expect(r.ok && 'notify' in r.spec).toBe(false);
  });

  test('a URL and key by reference, events defaulting to completed and failed', () => {
    const r = parseJobSpec({ ...base, notify: [{ url: { name: 'hooks' }, secret: { file: '/run/k' } }] });
    expect(r.ok && r.spec.notify).toEqual([{ url: { name: 'hooks' }, secret: { file: '/run/k' }, events: ['completed', 'failed'] }]);
  });

  test('a literal URL or key, an unknown event, or a missing key is refused with its path', () => {
    const r = parseJobSpec({ ...base, notify: [{ url: 'https://hooks.example/T', secret: 'k', events: ['done'] }, { url: { env: 'U' } }] });
    expect(r.ok).toBe(false);
    const issues = r.ok ? [] : r.issues;
    expect(issues.map((i) => i.path).sort()).toEqual(['notify[0].events[0]', 'notify[0].secret', 'notify[0].url', 'notify[1].secret']);
    expect(issues.find((i) => i.path === 'notify[0].url')!.message).toMatch(/not a literal URL/);
  });
});
