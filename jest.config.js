/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // The source folders are roots too, so coverage sees the files no test loads.
  roots: ['<rootDir>/test', '<rootDir>/shared', '<rootDir>/functions'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  globalSetup: '<rootDir>/test/peers/global-setup.ts',
  globalTeardown: '<rootDir>/test/peers/global-teardown.ts',
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  testTimeout: 30000,
  maxWorkers: 2,
  // `npm run test:coverage`: every source file counts, loaded by a test or not. V8's own counters
  // cost far less time than instrumenting the code.
  collectCoverageFrom: ['functions/**/*.ts', 'shared/**/*.{ts,js}'],
  coverageProvider: 'v8',
  coverageReporters: ['text-summary', 'json-summary'],
};
