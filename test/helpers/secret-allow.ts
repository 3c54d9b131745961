/**
 * Specs may reference only allowlisted environment variables (src/secrets/confine.ts). The stack's own
 * (PG_URL, MONGO_URL, …) come from `stack.sh env`; these are the ones the tests set themselves. Appended to,
 * never replacing, what the environment already allows; workers and CLIs the tests spawn inherit it.
 */
export const STACK_SECRET_ENV = [
  'PG_URL',
  'MONGO_URL',
  'MYSQL_URL',
  'RTDB_URL',
  'CASSANDRA_USERNAME',
  'CASSANDRA_PASSWORD',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
];
export const TEST_SECRET_ENV = ['DM_*', 'WT_*', 'TEST_*', 'SCHED_*', 'PG_BAD_URL', 'SRC_URL', 'ASTRA_TOKEN'];

const current = (process.env.DATAMIGRATO_SECRET_ENV_ALLOW ?? '').split(',').filter(Boolean);
process.env.DATAMIGRATO_SECRET_ENV_ALLOW = [...new Set([...current, ...STACK_SECRET_ENV, ...TEST_SECRET_ENV])].join(',');
