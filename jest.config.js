/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
  setupFilesAfterEnv: ['<rootDir>/test/support/setup.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  snapshotFormat: { escapeString: false, printBasicPrototype: false },
  clearMocks: true,
};
