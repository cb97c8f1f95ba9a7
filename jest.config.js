// Two projects: `unit` (pure code, tests beside it, no services needed) and
// `integration` (test/, against the real local stack that scripts/test.mjs brings up).
// Type errors are caught once by `tsc` (npm run build) in the test command, not per test file.
const tsJest = ['ts-jest', { diagnostics: false }];
module.exports = {
  projects: [
    {
      displayName: 'unit',
      testMatch: [
        '<rootDir>/libs/**/*.test.ts',
        '<rootDir>/services/**/*.test.ts',
        '<rootDir>/deploy/**/*.test.ts',
      ],
      transform: { '^.+\\.ts$': tsJest },
      testEnvironment: 'node',
    },
    {
      displayName: 'integration',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      transform: { '^.+\\.ts$': tsJest },
      testEnvironment: 'node',
      slowTestThreshold: 60,
    },
  ],
};
