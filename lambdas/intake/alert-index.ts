import type { AlertIndexEntry } from '../shared/alertmanager';
import type { EvidenceStore } from '../shared/evidence/evidence-store';
import { alertIndex } from '../shared/evidence/layout';

/** One alert pointed at its execution, under the alert's hash (intake.ts `alertHash`). */
export interface IndexedAlert {
  alertHash: string;
  entry: AlertIndexEntry;
}

/**
 * The intake's alert → execution index: how a later notification finds the execution an alert
 * belongs to. It is the intake's durable record of a delivery: the intake answers 2xx only once
 * `record` has resolved, so what it answered for is found by the next delivery even after a
 * restart, and a failed write makes the delivery answer 5xx, which Alertmanager retries.
 */
export interface AlertIndex {
  /** The executions the alert is indexed to: only entries already written durably. */
  executionsOf(alertHash: string): Promise<string[]>;
  /** Resolves once every entry is durable; rejects when one could not be written. */
  record(entries: readonly IndexedAlert[]): Promise<void>;
}

/** Writes of one delivery in flight at once (a group can hold hundreds of alerts). */
const WRITE_CONCURRENCY = 8;

/**
 * The index as one object per entry, `incidents/alert-index/<alert hash>/<execution>.json`: a
 * lookup is one listing, and any number of intakes (Lambda containers, one delivery each) share
 * it without coordination, since every key is a pure function of the alert and its execution.
 */
export class EvidenceAlertIndex implements AlertIndex {
  constructor(private readonly evidence: EvidenceStore) {}

  async executionsOf(alertHash: string): Promise<string[]> {
    const keys = await this.evidence.keys(alertIndex.prefix(alertHash));
    return keys.flatMap((key) => alertIndex.executionOf(key) ?? []);
  }

  async record(entries: readonly IndexedAlert[]): Promise<void> {
    let next = 0;
    const writer = async () => {
      while (next < entries.length) {
        const { alertHash, entry } = entries[next++];
        await this.evidence.putJson(alertIndex.key(alertHash, entry.executionName), entry);
      }
    };
    await Promise.all(Array.from({ length: Math.min(WRITE_CONCURRENCY, entries.length) }, writer));
  }
}
