import { createHash } from 'node:crypto';
import type { Target } from '../contracts';

/**
 * The evidence layout of design §4: one prefix per incident, browsable by date,
 * `incidents/YYYY/MM/DD/<incident-id>/`.
 */

/** `<yyyymmdd>-<hhmmss>-<namespace>-<name>-<short hash>` from the execution that opened it. */
export function incidentId(openedAt: string, target: Target, executionId: string): string {
  const [date, time] = new Date(openedAt).toISOString().split('T');
  const stamp = `${date.replaceAll('-', '')}-${time.slice(0, 8).replaceAll(':', '')}`;
  const hash = createHash('sha256').update(executionId).digest('hex').slice(0, 6);
  return `${stamp}-${target.namespace}-${target.name}-${hash}`;
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
};
