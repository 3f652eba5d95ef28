import { createHash } from 'node:crypto';
import type { IncidentTarget } from '../contracts';

/**
 * The evidence layout of design §4: one prefix per incident, browsable by date,
 * `incidents/YYYY/MM/DD/<incident-id>/`.
 */

/**
 * `<yyyymmdd>-<hhmmss>-<namespace>-<name>-<short hash>` from the execution that opened it
 * (`<namespace>-<short hash>` for a namespace-level incident).
 */
export function incidentId(openedAt: string, target: IncidentTarget, executionId: string): string {
  const [date, time] = new Date(openedAt).toISOString().split('T');
  const stamp = `${date.replaceAll('-', '')}-${time.slice(0, 8).replaceAll(':', '')}`;
  const hash = createHash('sha256').update(executionId).digest('hex').slice(0, 6);
  const subject = target.kind === 'Namespace' ? target.namespace : `${target.namespace}-${target.name}`;
  return `${stamp}-${subject}-${hash}`;
}

export function incidentPrefix(openedAt: string, id: string): string {
  const day = new Date(openedAt).toISOString().slice(0, 10).replaceAll('-', '/');
  return `incidents/${day}/${id}/`;
}

/** Keys under an incident's prefix (which ends with `/`). */
export const evidenceKeys = {
  diagnostics: (prefix: string) => `${prefix}diagnostics.json`,
  events: (prefix: string) => `${prefix}events.json`,
  manifest: (prefix: string) => `${prefix}manifest.json`,
  reportMarkdown: (prefix: string) => `${prefix}report.md`,
  reportJson: (prefix: string) => `${prefix}report.json`,
  log: (prefix: string, pod: string, container: string, previous: boolean) =>
    `${prefix}logs/${pod}/${container}${previous ? '.previous' : ''}.log`,
  clusterDump: (prefix: string) => `${prefix}cluster-dump/`,
  /** Where the webhook intake records the alerts of an incident that Alertmanager reports resolved. */
  alerts: (prefix: string) => `${prefix}alerts/`,
  /** One resolved alert: its fingerprint and start say which firing it ends, so a repeat overwrites it. */
  resolvedAlert: (prefix: string, fingerprint: string, startsAt: string) =>
    `${prefix}alerts/${fingerprint}-${compactTime(startsAt)}-resolved.json`,
};

/**
 * The webhook intake's alert → execution index: `incidents/alert-index/<alert hash>/<execution
 * name>.json` (an AlertIndexEntry, lambdas/shared/alertmanager.ts). The execution's name is in
 * the key, so one listing of the alert's prefix answers "which execution?", and "none" is an
 * empty listing, never a GetObject of a missing key (which S3 may answer 403 rather than 404).
 * Under `incidents/` so it expires with the incidents it points at.
 */
export const alertIndex = {
  prefix: (alertHash: string) => `incidents/alert-index/${alertHash}/`,
  key: (alertHash: string, executionName: string) =>
    `incidents/alert-index/${alertHash}/${executionName}.json`,
  /** The execution an index key names. */
  executionOf: (key: string) => /\/([^/]+)\.json$/.exec(key)?.[1],
};

/** `2026-01-01T00:00:00.123456789Z` → `20260101T000000Z`: an RFC 3339 time, in UTC, in a key. */
function compactTime(time: string): string {
  return `${new Date(Date.parse(time)).toISOString().slice(0, 19).replace(/[-:]/g, '')}Z`;
}
