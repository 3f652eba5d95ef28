import type { Incident, IncidentTarget } from '../contracts';
import type { EvidenceLink } from '../evidence/links';

/** Where the incident is in the flow when a human is told about it. */
/** `storm`: one message for every incident the remediation budget refused in a batch. */
export type NotificationStage = 'opened' | 'recovered' | 'no-action' | 'escalated' | 'storm' | 'approval';

/** What every message says: which incident, which workload, where in the flow, how it ended, and the evidence. */
export interface Notification {
  stage: NotificationStage;
  incidentId: string;
  target: IncidentTarget;
  severity: Incident['alert']['severity'];
  /** `investigating` while open; the report's outcome once known. */
  outcome:
    | 'investigating'
    | 'recovered-by-restart'
    | 'recovered-by-rollback'
    | 'healthy-no-action'
    | 'escalated'
    | 'dry-run'
    | 'storm-no-action';
  /** One line: what happened. */
  title: string;
  /** Further lines a human reads first (alert summary, why escalated, what was done). */
  details: string[];
  evidence: EvidenceLink[];
  /**
   * Stage `approval`: what the Slack buttons send back (`<incident>/<action>/<nonce>`), and the
   * signed links for channels without buttons.
   */
  approval?: { value: string; approveUrl?: string; rejectUrl?: string };
}

/**
 * Tells humans. Resolves with the channels that delivered (`sns`, `slack`). Incident
 * notifications by default; the backup verification sends its own kind (backup-notifier.ts).
 */
export interface Notifier<N = Notification> {
  notify(notification: N): Promise<string[]>;
}

/** No channel delivered a notification. */
export class NotificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotificationError';
  }
}

/**
 * Sends to every channel; one failing channel does not stop the others. It fails only when
 * no channel delivered, because then no human has been told.
 */
export class FanOutNotifier<N = Notification> implements Notifier<N> {
  constructor(
    private readonly channels: Notifier<N>[],
    private readonly onChannelError: (error: unknown) => void,
  ) {}

  async notify(notification: N): Promise<string[]> {
    const results = await Promise.allSettled(this.channels.map((c) => c.notify(notification)));
    const delivered = results.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    failures.forEach((error) => this.onChannelError(error));
    if (delivered.length === 0 && failures.length > 0) {
      const reasons = failures.map((e) => (e instanceof Error ? e.message : String(e))).join('; ');
      throw new NotificationError(`no notification channel delivered: ${reasons}`);
    }
    return delivered;
  }
}
