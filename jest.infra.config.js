/** The infra/ template checks: pure file reads, so no emulators (the main config's globalSetup starts them). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/infra'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }] },
};
