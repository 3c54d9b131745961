import { ConfigSchema, loadConfig, parseConfig } from '../../src/config';

const failure = (env: NodeJS.ProcessEnv) => {
  try {
    parseConfig(env);
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the configuration to be rejected');
};

describe('config', () => {
  test('defaults', () => {
    expect(parseConfig({})).toEqual({
      LOG_LEVEL: 'info',
      TEMPORAL_LOG_LEVEL: 'INFO',
      TEMPORAL_ADDRESS: '127.0.0.1:7233',
      TEMPORAL_NAMESPACE: 'default',
      DATAMIGRATO_TASK_QUEUE: 'datamigrato',
      TEMPORAL_UI_URL: 'http://127.0.0.1:8233',
      DATAMIGRATO_MAX_ACTIVITIES: 8,
      DATAMIGRATO_HEARTBEAT_THROTTLE: '1s',
      PORT: 3000,
      HOST: '127.0.0.1',
      API_BODY_LIMIT: '1mb',
      API_JWT_ROLES_CLAIM: 'roles',
      DATAMIGRATO_CONNECTIONS_ONLY: false,
      DATAMIGRATO_CONTROL_SCHEMA: 'datamigrato_control',
      DATAMIGRATO_RPC_TIMEOUT_MS: 10_000,
    });
  });

  test('values are parsed; empty counts as unset; unrelated variables are ignored', () => {
    const c = parseConfig({ DATAMIGRATO_MAX_ACTIVITIES: '3', PORT: '0', API_TOKEN: '', DATAMIGRATO_MEMLOG: '5000', PATH: '/bin' });
    expect(c).toMatchObject({ DATAMIGRATO_MAX_ACTIVITIES: 3, PORT: 0, DATAMIGRATO_MEMLOG: 5000 });
    expect(c.API_TOKEN).toBeUndefined();
    expect(c).not.toHaveProperty('PATH');
  });

  test('a bad integer names the variable instead of becoming NaN', () => {
    expect(failure({ DATAMIGRATO_MAX_ACTIVITIES: 'abc' }).message).toContain('DATAMIGRATO_MAX_ACTIVITIES: expected an integer ≥ 1, got "abc"');
    expect(failure({ PORT: '70000' }).message).toContain('PORT: expected an integer from 0 to 65535, got "70000"');
  });

  test('a bad duration', () => {
    expect(failure({ DATAMIGRATO_HEARTBEAT_THROTTLE: 'fast' }).message).toContain('DATAMIGRATO_HEARTBEAT_THROTTLE: expected a duration');
  });

  test('an unknown log level', () => {
    const err = failure({ LOG_LEVEL: 'loud', TEMPORAL_LOG_LEVEL: 'info' });
    expect(err.name).toBe('ConfigError');
    expect(err.message).toContain('LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"');
    expect(err.message).toContain('TEMPORAL_LOG_LEVEL: expected one of TRACE, DEBUG, INFO, WARN, ERROR, got "info"');
  });

  test('every variable has a description', () => {
    for (const [name, schema] of Object.entries(ConfigSchema.shape)) expect([name, schema.description]).toEqual([name, expect.any(String)]);
  });

  test('process.env is parsed once; another env is parsed on each call', () => {
    expect(loadConfig()).toBe(loadConfig());
    expect(loadConfig({ PORT: '1' }).PORT).toBe(1);
  });
});
