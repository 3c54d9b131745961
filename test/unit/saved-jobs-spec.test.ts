import { specForJob } from '../../client/saved-jobs';
import { parseScheduleRequest } from '../../client/schedules';
import { specHash } from '../../client/spec';
import { ClientError } from '../../client/errors';

const spec = (extra: object = {}) => ({
  source: { type: 'memory', connection: { store: 's' }, object: 'a' },
  target: { type: 'memory', connection: { store: 's' }, object: 'b' },
  ...extra,
});

const issuesOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ClientError) return err.issues.map((i) => i.path);
    throw err;
  }
  return [];
};

describe('saved job specs', () => {
  test("the job's name is filled in when left out, and the same spec hashes the same whatever the key order", () => {
    const a = specForJob('orders', spec());
    const b = specForJob('orders', { name: 'orders', ...Object.fromEntries(Object.entries(spec()).reverse()) });
    expect(a.name).toBe('orders');
    expect(specHash(a)).toBe(specHash(b));
    expect(specHash(specForJob('orders', spec({ batchSize: 5 })))).not.toBe(specHash(a));
  });

  test('a different name, a bad job name, an invalid field or a literal secret is refused with its path', () => {
    expect(issuesOf(() => specForJob('orders', spec({ name: 'other' })))).toEqual(['name']);
    expect(issuesOf(() => specForJob("o'rders", spec()))).toEqual(['name']);
    expect(issuesOf(() => specForJob('orders', spec({ batchSize: 0 })))).toEqual(['batchSize']);
    expect(issuesOf(() => specForJob('orders', { ...spec(), source: { type: 'postgres', connection: { url: 'postgres://u:p@h/d' }, table: 't' } }))).toEqual([
      'source.connection.url',
    ]);
  });
});

describe('schedule requests', () => {
  test('defaults: overlap skip, UTC, not paused', () => {
    expect(parseScheduleRequest({ id: 'nightly', job: 'orders', cron: '0 2 * * *' })).toMatchObject({ overlap: 'skip', timezone: 'UTC', paused: false });
  });

  test('exactly one of cron or every; durations, time zones and overlap policies are checked by field', () => {
    expect(issuesOf(() => parseScheduleRequest({ id: 'x', job: 'j' }))).toEqual(['cron']);
    expect(issuesOf(() => parseScheduleRequest({ id: 'x', job: 'j', cron: '* * * * *', every: '1m' }))).toEqual(['cron']);
    expect(issuesOf(() => parseScheduleRequest({ id: 'x', job: 'j', every: '0s' }))).toEqual(['every']);
    expect(issuesOf(() => parseScheduleRequest({ id: 'x', job: 'j', every: '1m', timezone: 'Nowhere/Land' }))).toEqual(['timezone']);
    expect(issuesOf(() => parseScheduleRequest({ id: 'x', job: 'j', every: '1m', overlap: 'sometimes' }))).toEqual(['overlap']);
    expect(issuesOf(() => parseScheduleRequest({ id: 'x y', job: 'j', every: '1m', extra: 1 })).sort()).toEqual(['extra', 'id']);
  });
});
