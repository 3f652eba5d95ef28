// No import of the Kubernetes client here: the intake's handler loads it (cluster-owner-lookup.ts)
// only when an alert names a pod or a ReplicaSet, so a delivery naming its workload never pays for it.

/** The kinds whose controller the intake follows from a pod up to its workload. */
export type OwnedKind = 'Pod' | 'ReplicaSet' | 'StatefulSet' | 'DaemonSet';

/** An object's controlling owner reference (the one with `controller: true`). */
export interface ControllerRef {
  kind: string;
  name: string;
}

/**
 * What the intake asks Kubernetes to turn an alert's pod into a workload: one object read at a
 * time. Failures are the named Kubernetes errors (lambdas/shared/errors.ts): the transient ones
 * make the delivery answer 503 so Alertmanager retries it.
 */
export interface OwnerLookup {
  /** The object's controller; `{}` when it has none; undefined when the object does not exist. */
  controllerOf(
    namespace: string,
    kind: OwnedKind,
    name: string,
  ): Promise<{ controller?: ControllerRef } | undefined>;
}

/**
 * The requests ClientNodeOwnerLookup (cluster-owner-lookup.ts) makes, as RBAC sees them (the
 * intake's group is granted them).
 */
export { OWNER_LOOKUP_API_USAGE } from '../shared/kubernetes/api-usage';

export interface CachingOwnerLookupOptions {
  /** How long an answer is reused. */
  ttlMs: number;
  /** Answers kept at most; the oldest go first. */
  maxEntries: number;
  /** @default Date.now */
  now?: () => number;
}

/**
 * Reuses answers for a while, and shares one request between concurrent askers: Alertmanager
 * repeats a group's notification with the same pods every repeat_interval (and an HA pair
 * sends it twice), while a pod's controller never changes. Failures are not kept.
 */
export class CachingOwnerLookup implements OwnerLookup {
  private readonly entries = new Map<
    string,
    { at: number; answer: ReturnType<OwnerLookup['controllerOf']> }
  >();
  private readonly now: () => number;

  constructor(
    private readonly inner: OwnerLookup,
    private readonly options: CachingOwnerLookupOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  controllerOf(namespace: string, kind: OwnedKind, name: string): ReturnType<OwnerLookup['controllerOf']> {
    const key = `${kind}/${namespace}/${name}`;
    const now = this.now();
    const cached = this.entries.get(key);
    if (cached && now - cached.at < this.options.ttlMs) return cached.answer;
    const entry = { at: now, answer: this.inner.controllerOf(namespace, kind, name) };
    entry.answer.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    this.entries.delete(key);
    this.entries.set(key, entry);
    if (this.entries.size > this.options.maxEntries) {
      this.entries.delete(this.entries.keys().next().value as string);
    }
    return entry.answer;
  }
}
