/**
 * The deliveries `eks-incident serve` is answering, so that the executions they start wait for
 * the answers: in one Node.js process an execution setting up competes with the intake for the
 * event loop, and under an alert storm Alertmanager would wait (and time out, and retry) behind
 * flows that Step Functions, on AWS, runs elsewhere. An execution is held back at most
 * `maxDeferMs`, so a steady stream of deliveries cannot starve it.
 *
 * Quiet means no delivery for `quietMs`, not a moment with none: a storm's connections arrive
 * over a while, and the instant between the first answers and the next requests being read
 * would otherwise let every execution held so far set up in the middle of the storm.
 */
export class IntakeActivity {
  private active = 0;
  private waiting: Array<() => void> = [];
  /** Set from the moment the last delivery was answered until `quietMs` later. */
  private settling?: NodeJS.Timeout;

  constructor(
    private readonly maxDeferMs = 5_000,
    private readonly quietMs = 100,
  ) {}

  /** A delivery arrived. */
  enter(): void {
    this.active += 1;
  }

  /** A delivery was answered (or its connection closed). */
  leave(): void {
    this.active -= 1;
    if (this.active > 0) return;
    clearTimeout(this.settling);
    this.settling = setTimeout(() => {
      this.settling = undefined;
      if (this.active > 0) return;
      const waiting = this.waiting;
      this.waiting = [];
      for (const resume of waiting) resume();
    }, this.quietMs);
  }

  /** Resolves once no delivery has been answered for `quietMs`, or after `maxDeferMs` at the latest. */
  quiet(): Promise<void> {
    if (this.active === 0 && !this.settling) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting = this.waiting.filter((waiter) => waiter !== resume);
        resolve();
      }, this.maxDeferMs);
      const resume = () => {
        clearTimeout(timer);
        resolve();
      };
      this.waiting.push(resume);
    });
  }
}
