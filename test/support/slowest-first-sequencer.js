const path = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

/*
 * Jest starts the files it knows to be slow first (from its timing cache, kept in its cache
 * directory), so that no long file starts last and runs alone at the end while the other worker
 * idles. A clean clone (CI) has no cache, and jest then goes by file size, which says little here:
 * a short file that synthesizes and bundles the stack, or starts CLI processes, takes minutes.
 * This sequencer gives those files the seconds they take in CI when the cache has no time for them.
 */

const ROOT = path.resolve(__dirname, '..', '..');

/**
 * Seconds each file takes in CI (2 cores, 2 workers), used only where the cache knows nothing: the
 * CI run of 2026-12-03, scaled where a file was made faster since (the before/after ratio measured
 * on one machine). Only the order matters.
 */
const CI_SECONDS = {
  'test/lib/deployed-bundles.test.ts': 150,
  'test/local/engine/runbook-table.test.ts': 50,
  'test/local/engine/incident-flow.test.ts': 45,
  'test/cli/demo-command.test.ts': 40,
  'test/cli/run-command.test.ts': 40,
  'test/local/engine/injection-flow.test.ts': 35,
  'test/local/engine/remediation-safety.test.ts': 35,
  'test/local/webhook/alertmanager-e2e.test.ts': 34,
  'test/local/webhook/no-silent-drops.test.ts': 30,
  'test/lambdas/shared/kubernetes/kubectl-parity.test.ts': 30,
  'test/local/engine/backup-verification.test.ts': 28,
  'test/cli/sandbox-command.test.ts': 22,
  'test/lib/backup-verification.test.ts': 22,
  'test/lib/deployment-safety.test.ts': 21,
};

class SlowestFirstSequencer extends Sequencer {
  /** The cached duration (ms), else the CI estimate, else none (the file then sorts by size). */
  time(test) {
    const cached = super.time(test);
    if (cached !== undefined) return cached;
    const seconds = CI_SECONDS[path.relative(ROOT, test.path).split(path.sep).join('/')];
    return seconds === undefined ? undefined : seconds * 1000;
  }

  sort(tests) {
    const size = (test) => test.context.hasteFS.getSize(test.path) ?? 0;
    for (const test of tests) test.duration = this.time(test);
    // Failed last time first (quick feedback, as jest does), then the longest known, then by size.
    return tests.sort((a, b) => {
      const failedA = this.hasFailed(a);
      if (failedA !== this.hasFailed(b)) return failedA ? -1 : 1;
      if ((a.duration === undefined) !== (b.duration === undefined)) return a.duration === undefined ? 1 : -1;
      if (a.duration !== undefined) return b.duration - a.duration;
      return size(b) - size(a);
    });
  }
}

module.exports = SlowestFirstSequencer;
