import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * The system programs the test suite runs as real clients, and how to get them. Read by the
 * tests that need them and by test/prerequisites.ts, which `npm test` runs first so a fresh
 * machine hears what is missing in one line instead of deep inside a suite.
 */

/** Where Debian's package installs Alertmanager (the webhook end-to-end test runs it). */
export const ALERTMANAGER = '/usr/bin/prometheus-alertmanager';

export interface Prerequisite {
  name: string;
  install: string;
}

/** The first `name` on `path` (a PATH value), if any. */
export function onPath(name: string, path: string): string | undefined {
  return path
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, name))
    .find((candidate) => existsSync(candidate));
}

/** What is missing, given a PATH and where Alertmanager should be. */
export function missingPrerequisites(path: string, alertmanager = ALERTMANAGER): Prerequisite[] {
  return [
    ...(onPath('kubectl', path)
      ? []
      : [{ name: 'kubectl', install: 'kubectl 1.32 from https://kubernetes.io/docs/tasks/tools/' }]),
    ...(existsSync(alertmanager)
      ? []
      : [{ name: 'prometheus-alertmanager', install: 'sudo apt-get install -y prometheus-alertmanager' }]),
  ];
}

/** The one line `npm test` prints when something is missing. */
export function missingLine(missing: Prerequisite[]): string {
  return `npm test needs ${missing.map((m) => m.name).join(' and ')}, which this machine lacks: install ${missing
    .map((m) => m.install)
    .join('; ')} (README, Quick start).`;
}
