import type { V1Lease } from '@kubernetes/client-node';

/**
 * The record of what the workflow did to a workload, kept on its Lease (the per-workload lock)
 * rather than on the workload: a `rollout undo` replaces the pod template and with it the
 * `restartedAt` annotation, but leaves the Lease alone, and a released Lease keeps its
 * annotations (release only clears the holder). The cooldown reads it; restart and undo read
 * it to recognise, on a retry, an action their first attempt already sent.
 */

/** The annotation holding the record: a JSON array, newest last. */
export const REMEDIATIONS_ANNOTATION = 'eks-incident-response.io/remediations';

/** Entries kept: enough to show a workload's recent history, small enough for an annotation. */
const KEPT = 10;

export interface RemediationEntry {
  action: 'restart' | 'undo';
  /** When it was sent (RFC 3339); for a restart, the `restartedAt` value it writes. */
  at: string;
  /** The execution (ARN) that sent it. */
  execution: string;
  /** The incident it belongs to, for a human reading the Lease. */
  incident?: string;
  /** The revision running before the action. */
  fromRevision?: number;
  /** Undo: the revision it goes back to. */
  toRevision?: number;
  /**
   * Undo: the ReplicaSet or ControllerRevision holding that revision. Its revision number changes
   * once the undo applies (the controller renumbers it as the newest), its name does not.
   */
  toObject?: string;
  /** `sent` is written before the request, `applied` once its answer came back. */
  status: 'sent' | 'applied';
}

function isEntry(value: unknown): value is RemediationEntry {
  const entry = value as Partial<RemediationEntry> | undefined;
  return (
    !!entry &&
    (entry.action === 'restart' || entry.action === 'undo') &&
    typeof entry.at === 'string' &&
    !Number.isNaN(Date.parse(entry.at)) &&
    typeof entry.execution === 'string'
  );
}

/** The record on a Lease, oldest first; an unreadable annotation (edited by hand) reads as empty. */
export function remediationsOf(lease: V1Lease | undefined): RemediationEntry[] {
  const text = lease?.metadata?.annotations?.[REMEDIATIONS_ANNOTATION];
  if (!text) return [];
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) ? parsed.filter(isEntry) : [];
  } catch {
    return [];
  }
}

/** The record with `entry` in it: it replaces the same execution's entry for the same action. */
export function withRemediation(entries: RemediationEntry[], entry: RemediationEntry): RemediationEntry[] {
  const others = entries.filter((e) => !(e.execution === entry.execution && e.action === entry.action));
  return [...others, entry].slice(-KEPT);
}

/** This execution's entry for `action`, if it wrote one. */
export function ownEntry(
  entries: RemediationEntry[],
  execution: string,
  action: RemediationEntry['action'],
): RemediationEntry | undefined {
  return entries.find((e) => e.execution === execution && e.action === action);
}

/** The most recent action of any execution. */
export function lastRemediation(entries: RemediationEntry[]): RemediationEntry | undefined {
  return [...entries].sort((a, b) => Date.parse(a.at) - Date.parse(b.at)).at(-1);
}
