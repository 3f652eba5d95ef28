/**
 * ts-jest only transpiles (isolatedModules): `npm run typecheck` type-checks the whole tree
 * once, so no test file pays for a full type-check of its own.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      {
        tsconfig: {
          module: 'commonjs',
          moduleResolution: 'node10',
          target: 'ES2023',
          isolatedModules: true,
          esModuleInterop: true,
          resolveJsonModule: true,
        },
      },
    ],
  },
  // fauxqs exports only an `import` condition; jest resolves CommonJS tests with `require`,
  // and Node 24 loads the ES module through require() once it is found.
  moduleNameMapper: { '^fauxqs$': '<rootDir>/node_modules/fauxqs/dist/app.js' },
  testTimeout: 60000,
};
