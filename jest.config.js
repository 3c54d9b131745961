/** Integration tests share one local stack (Temporal, PostgreSQL, FerretDB, Cassandra) that
 * scripts/test.sh brings up before jest starts; jest itself never starts servers. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Lets the suite's specs reference the variables it sets (the secrets fence, src/secrets/confine.ts).
  setupFiles: ['<rootDir>/test/helpers/secret-allow.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', {}],
    // cel-js ships ES modules only; Node ≥ 20.19 require()s them natively, jest on Node 20 cannot, so jest compiles it.
    // jose 6 (API JWT auth) likewise.
    '/(@marcbachmann/cel-js|jose)/.+\\.js$': ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(@marcbachmann/cel-js|jose)/)'],
  // Two cores: integration tests that each run a worker and move 100k+ rows contend badly in parallel.
  maxWorkers: 1,
  testTimeout: 120000,
  verbose: true,
};
