/**
 * Load and fault tests (issue 7): `npm run test:faults`, which builds first, because some of them
 * run the compiled service (dist/src/main.js) as a child process to kill or overload it.
 * The same transforms as jest.config.js; only test/faults/**\/*.faults.ts is selected, one file at a
 * time (they load the machine and measure timings, so they must not compete with each other).
 */
const base = require('./jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  roots: ['<rootDir>/test/faults'],
  testMatch: ['**/*.faults.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  maxWorkers: 1,
  testTimeout: 120_000,
};
