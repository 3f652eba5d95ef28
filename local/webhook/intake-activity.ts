/**
 * The deliveries `eks-incident serve` is answering, so that the executions they start wait for
 * the answers: in one Node.js process an execution setting up competes with the intake for the
 * event loop, and under an alert storm Alertmanager would wait (and time out, and retry) behind
 * flows that Step Functions, on AWS, runs elsewhere. An execution is held back at most
 * `maxDeferMs`, so a steady stream of deliveries cannot starve it.
 */
export class IntakeActivity {
  private active = 0;
  private waiting: Array<() => void> = [];

  constructor(private readonly maxDeferMs = 5_000) {}

  /** A delivery arrived. */
  enter(): void {
    this.active += 1;
  }

  /** A delivery was answered (or its connection closed). */
  leave(): void {
    this.active -= 1;
    if (this.active === 0) {
      const waiting = this.waiting;
      this.waiting = [];
      for (const resume of waiting) resume();
    }
  }

  /** Resolves once no delivery is being answered, or after `maxDeferMs` at the latest. */
  quiet(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
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
