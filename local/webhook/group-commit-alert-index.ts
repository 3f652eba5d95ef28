import { randomBytes } from 'node:crypto';
import type { AlertIndex, IndexedAlert } from '../../lambdas/intake/alert-index';
import { IntakeUnavailableError } from '../../lambdas/intake/errors';
import type { EvidenceStore } from '../../lambdas/shared/evidence/evidence-store';

/** The index's folder; EvidenceAlertIndex keeps `<alert hash>/<execution>.json` under it. */
const INDEX_ROOT = 'incidents/alert-index/';
const ENTRY_KEY = /^incidents\/alert-index\/([^/]+)\/([^/]+)\.json$/;

/** Where the group commits go: under `incidents/` so they expire with the incidents, as the entries do. */
export const BATCH_PREFIX = `${INDEX_ROOT}batches/`;

/** One group commit: the entries of every delivery that shared the write. */
export interface AlertIndexBatch {
  kind: 'AlertIndexBatch';
  writtenAt: string;
  entries: IndexedAlert[];
}

export interface GroupCommitAlertIndexOptions {
  /**
   * How long the first entry of a group waits for more before the group is written, when no
   * write is under way (while one is, the next group gathers until it lands). @default 2
   */
  windowMs?: number;
  /** Entries in one object at most; a larger group is written as several objects at once. @default 1000 */
  maxBatch?: number;
  /** @default () => new Date() */
  now?: () => Date;
}

interface OpenGroup {
  items: IndexedAlert[];
  landed: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** An entry whose write has landed. */
const DURABLE: Promise<void> = Promise.resolve();

/** Parallel reads of batch objects while the index is loaded. */
const LOAD_CONCURRENCY = 8;

function compactNow(now: Date): string {
  return now.toISOString().replace(/[-:.]/g, '');
}

/**
 * The alert index of `eks-incident serve`, shared by every delivery the process answers at once.
 * Under an alert storm most deliveries repeat one another (Alertmanager's repeats, retries, an
 * HA peer), and one S3 listing and one S3 write per delivery cost more CPU than the rest of the
 * intake: here a lookup is answered from memory, and the entries of every delivery arriving
 * within a few milliseconds go to S3 in one object (a group commit).
 *
 * - Durable before answered: `record` resolves only once the object holding its entries has
 *   landed, so the intake answers 2xx only after its record exists. A write that fails rejects
 *   `record` for every delivery in its group (each answers 503, and Alertmanager retries it),
 *   and its entries are forgotten, so the retry writes them again.
 * - Reads see only what is durable: a lookup that finds an entry still being written waits for
 *   that write, and an entry whose write failed is not returned.
 * - Identical work is done once: an entry already recorded (or being written) is not written
 *   again; the delivery waits for the write that carries it.
 *
 * Memory is the index because `serve` is the only writer of its local store: it loads every
 * entry once (the per-entry objects EvidenceAlertIndex writes, and the group commits), then
 * keeps what it writes. On AWS each Lambda container answers one delivery at a time and many
 * share the bucket, so the intake there keeps EvidenceAlertIndex.
 */
export class GroupCommitAlertIndex implements AlertIndex {
  /** Alert hash → execution → the write that records it (DURABLE once it has landed). */
  private readonly known = new Map<string, Map<string, Promise<void>>>();
  private loaded?: Promise<void>;
  private open?: OpenGroup;
  private writing = false;
  private timer?: NodeJS.Timeout;
  private sequence = 0;
  /** Tells this process's objects from an earlier one's written in the same millisecond. */
  private readonly run = randomBytes(4).toString('hex');
  private readonly windowMs: number;
  private readonly maxBatch: number;
  private readonly now: () => Date;

  constructor(
    private readonly evidence: EvidenceStore,
    options: GroupCommitAlertIndexOptions = {},
  ) {
    this.windowMs = options.windowMs ?? 2;
    this.maxBatch = options.maxBatch ?? 1000;
    this.now = options.now ?? (() => new Date());
  }

  async executionsOf(alertHash: string): Promise<string[]> {
    await this.load();
    for (;;) {
      const executions = this.known.get(alertHash);
      if (!executions) return [];
      const pending = [...executions.values()].filter((write) => write !== DURABLE);
      if (!pending.length) return [...executions.keys()];
      await Promise.allSettled(pending);
    }
  }

  async record(entries: readonly IndexedAlert[]): Promise<void> {
    if (!entries.length) return;
    await this.load();
    await Promise.all(
      entries.map((item) => {
        let executions = this.known.get(item.alertHash);
        if (!executions) this.known.set(item.alertHash, (executions = new Map()));
        const existing = executions.get(item.entry.executionName);
        if (existing) return existing;
        const landed = this.enqueue(item);
        executions.set(item.entry.executionName, landed);
        return landed;
      }),
    );
  }

  private load(): Promise<void> {
    this.loaded ??= this.readAll().catch((error: unknown) => {
      // Not kept: the next delivery tries again.
      this.loaded = undefined;
      throw new IntakeUnavailableError('the alert index could not be read', { cause: error });
    });
    return this.loaded;
  }

  private async readAll(): Promise<void> {
    const batches: string[] = [];
    for (const key of await this.evidence.keys(INDEX_ROOT)) {
      if (key.startsWith(BATCH_PREFIX)) batches.push(key);
      else {
        const match = ENTRY_KEY.exec(key);
        if (match) this.remember(match[1], match[2]);
      }
    }
    let next = 0;
    const reader = async () => {
      while (next < batches.length) {
        const batch = await this.evidence.getJson<AlertIndexBatch>(batches[next++]);
        for (const { alertHash, entry } of batch?.entries ?? [])
          this.remember(alertHash, entry.executionName);
      }
    };
    await Promise.all(Array.from({ length: Math.min(LOAD_CONCURRENCY, batches.length) }, reader));
  }

  private remember(alertHash: string, executionName: string): void {
    let executions = this.known.get(alertHash);
    if (!executions) this.known.set(alertHash, (executions = new Map()));
    executions.set(executionName, DURABLE);
  }

  private enqueue(item: IndexedAlert): Promise<void> {
    if (!this.open) {
      let resolve!: () => void;
      let reject!: (error: unknown) => void;
      const landed = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      // Its deliveries await it; a failure nobody awaits any more must not end the process.
      landed.catch(() => undefined);
      this.open = { items: [], landed, resolve, reject };
    }
    this.open.items.push(item);
    if (!this.writing && !this.timer) {
      this.timer = setTimeout(() => this.commit(), this.windowMs);
    }
    return this.open.landed;
  }

  /** Writes the open group, unless a write is under way (its end writes the group then). */
  private commit(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const group = this.open;
    if (this.writing || !group) return;
    this.open = undefined;
    this.writing = true;
    this.write(group.items)
      .then(
        () => {
          for (const item of group.items) this.settle(item, group.landed, true);
          group.resolve();
        },
        (error: unknown) => {
          for (const item of group.items) this.settle(item, group.landed, false);
          group.reject(new IntakeUnavailableError('the alert index could not be written', { cause: error }));
        },
      )
      .finally(() => {
        this.writing = false;
        // Whatever gathered while this write was under way goes at once: it has waited already.
        if (this.open) this.commit();
      });
  }

  private settle(item: IndexedAlert, write: Promise<void>, landed: boolean): void {
    const executions = this.known.get(item.alertHash);
    if (executions?.get(item.entry.executionName) !== write) return;
    if (landed) executions.set(item.entry.executionName, DURABLE);
    else {
      executions.delete(item.entry.executionName);
      if (!executions.size) this.known.delete(item.alertHash);
    }
  }

  private async write(items: IndexedAlert[]): Promise<void> {
    const writtenAt = this.now();
    const objects: Array<Promise<unknown>> = [];
    for (let start = 0; start < items.length; start += this.maxBatch) {
      const batch: AlertIndexBatch = {
        kind: 'AlertIndexBatch',
        writtenAt: writtenAt.toISOString(),
        entries: items.slice(start, start + this.maxBatch),
      };
      const key = `${BATCH_PREFIX}${compactNow(writtenAt)}-${this.run}-${this.sequence++}.json`;
      objects.push(this.evidence.putJson(key, batch));
    }
    await Promise.all(objects);
  }
}
