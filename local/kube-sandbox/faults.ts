/**
 * Fault injection for reliability tests: make chosen requests fail with a status code,
 * answer late, or lose their connection — always, at a rate, or for the next N matches.
 */
export interface FaultRule {
  /** Kubernetes verb: get, list, watch, create, update, patch, delete, deletecollection. Any when unset. */
  verb?: string;
  /** Resource plural (`deployments`), optionally with a subresource (`pods/log`). Any when unset. */
  resource?: string;
  namespace?: string;
  name?: string;
  /** Answer with this HTTP status and a matching metav1.Status (429 adds Retry-After). */
  status?: number;
  /** Delay before answering (wall-clock ms; combined with status or on its own). */
  latencyMs?: number;
  /** Destroy the connection without an answer. */
  drop?: boolean;
  /**
   * Handle the request (a write is applied), then destroy the connection instead of answering:
   * the client cannot tell whether its write happened, as after a network failure mid-answer.
   */
  dropAnswer?: boolean;
  /** Probability a matching request is affected. @default 1 */
  rate?: number;
  /** Affect only the next N matching requests. @default unlimited */
  times?: number;
}

export interface FaultTarget {
  verb: string;
  resource: string;
  namespace?: string;
  name?: string;
}

export type FaultAction = Pick<FaultRule, 'status' | 'latencyMs' | 'drop' | 'dropAnswer'>;

export class FaultInjector {
  private rules: Array<FaultRule & { id: number; remaining: number }> = [];
  private nextId = 1;

  constructor(private readonly random: () => number = Math.random) {}

  add(rule: FaultRule): number {
    if (!rule.status && !rule.latencyMs && !rule.drop && !rule.dropAnswer) {
      throw new Error('a fault rule needs status, latencyMs, drop or dropAnswer');
    }
    if (rule.status !== undefined && (rule.status < 400 || rule.status > 599)) {
      throw new Error(`a fault status must be 4xx or 5xx, got ${rule.status}`);
    }
    const id = this.nextId++;
    this.rules.push({ ...rule, id, remaining: rule.times ?? Number.POSITIVE_INFINITY });
    return id;
  }

  remove(id: number): void {
    this.rules = this.rules.filter((r) => r.id !== id);
  }

  clear(): void {
    this.rules = [];
  }

  /** The fault to apply to a request, if a rule matches (consuming one of its `times`). */
  match(target: FaultTarget): FaultAction | undefined {
    for (const rule of this.rules) {
      if (rule.remaining <= 0) continue;
      if (rule.verb && rule.verb !== target.verb) continue;
      if (rule.resource && rule.resource !== target.resource) continue;
      if (rule.namespace && rule.namespace !== target.namespace) continue;
      if (rule.name && rule.name !== target.name) continue;
      if (rule.rate !== undefined && this.random() >= rule.rate) continue;
      rule.remaining -= 1;
      return { status: rule.status, latencyMs: rule.latencyMs, drop: rule.drop, dropAnswer: rule.dropAnswer };
    }
    return undefined;
  }
}
