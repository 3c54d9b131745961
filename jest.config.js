/** Integration tests share one local stack (Temporal, PostgreSQL, FerretDB, Cassandra) that
 * scripts/test.sh brings up before jest starts; jest itself never starts servers. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', {}] },
  // Two cores: integration tests that each run a worker and move 100k+ rows contend badly in parallel.
  maxWorkers: 1,
  testTimeout: 120000,
  verbose: true,
};
