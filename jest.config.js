/**
 * Three test tiers, one jest run (`npm run jest` runs them all; `npm run test:unit` only the first):
 *
 * - unit: pure logic (kubectl semantics, rules and the classifier, redaction, escaping,
 *   contracts, config). No server, no synthesis, no child process: runs in seconds.
 * - integration (everything not listed in the other two): the synthesized stack, the sandbox
 *   and the local S3/SNS in process, the handlers and the local engine against them.
 * - e2e: real programs as processes: kubectl against the sandbox, Debian's Alertmanager,
 *   the CLI, the deployed bundles.
 *
 * A new test file lands in integration unless it is listed here: it always runs with `npm test`.
 * Paths are regular expressions over the file's path from the project root.
 *
 * ts-jest only transpiles (isolatedModules): `npm run typecheck` type-checks the whole tree
 * once, so no test file pays for a full type-check of its own.
 */

const UNIT = [
  'test/bench/.*',
  'test/lambdas/shared/(rules|diagnosis|escape)/.*',
  'test/lambdas/shared/(redact|secret-corpus|rbac|backup-config|wiring|per-container|state-slices|handler-environment)',
  'test/lambdas/shared/observability/.*',
  'test/lambdas/shared/kubernetes/(kubectl|eks-token|workload-kinds|step-access)',
  'test/lambdas/shared/notify/(notifier|slack-notifier)',
  'test/lambdas/intake/alertmanager',
  'test/lambdas/state-documents',
  'test/lambdas/diagnose/(dependencies|secret-reports)',
  'test/lambdas/backup-check-s3/archive',
  'test/lib/(config|execution-input-schema)',
  'test/cli/(demo-alerts|live-view|rbac-command)',
  'test/local/engine/execution-registry',
  'test/local/kube-sandbox/pod-availability',
];

const E2E = [
  'test/kubectl/.*',
  'test/cli/(run-command|sandbox-command|cli-errors|demo-command|verify-backups-command)',
  'test/lib/deployed-bundles',
  'test/local/webhook/(alertmanager-e2e|no-silent-drops)',
  'test/prerequisites',
];

/** A path pattern as a regular expression over a test file's absolute path. */
const testFile = (pattern) => `/${pattern}\\.test\\.ts$`;

const base = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
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
  // A dynamic import() of our own module names it `.js`, as nodenext asks; jest finds the `.ts`.
  moduleNameMapper: {
    '^fauxqs$': '<rootDir>/node_modules/fauxqs/dist/app.js',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    { ...base, displayName: 'unit', testRegex: UNIT.map(testFile) },
    {
      ...base,
      displayName: 'integration',
      testMatch: ['**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', ...[...UNIT, ...E2E].map(testFile)],
    },
    { ...base, displayName: 'e2e', testRegex: E2E.map(testFile) },
  ],
  testTimeout: 60000,
  // A clean clone has no timing cache: the files known to be slow still start first.
  testSequencer: '<rootDir>/test/support/slowest-first-sequencer.js',
  // Two workers on the 2-core machines CI runs on: most tests wait on a sandbox clock, a child
  // process or a socket, so the suite takes about half the time it takes in one worker.
  maxWorkers: 2,
};
