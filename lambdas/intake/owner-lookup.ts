import type { KubeConfig, V1ObjectMeta } from '@kubernetes/client-node';
import { KubernetesRequestError } from '../shared/errors';
import { kubernetesApis, type KubernetesApis } from '../shared/kubernetes/client';
import { request } from '../shared/kubernetes/errors';

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

/** The requests ClientNodeOwnerLookup makes, as RBAC sees them (the intake's group is granted them). */
export { OWNER_LOOKUP_API_USAGE } from '../shared/kubernetes/api-usage';

const PLURAL: Record<OwnedKind, string> = {
  Pod: 'pods',
  ReplicaSet: 'replicasets.apps',
  StatefulSet: 'statefulsets.apps',
  DaemonSet: 'daemonsets.apps',
};

export interface ClientNodeOwnerLookupOptions {
  /** Client-side timeout of one request: short, the intake answers within Alertmanager's timeout. */
  requestTimeoutMs: number;
}

/** OwnerLookup through @kubernetes/client-node, with the workflow's timeout and error mapping. */
export class ClientNodeOwnerLookup implements OwnerLookup {
  private readonly api: KubernetesApis;
  private readonly timeoutMs: number;

  constructor(kubeConfig: KubeConfig, options: ClientNodeOwnerLookupOptions) {
    this.api = kubernetesApis(kubeConfig, options.requestTimeoutMs);
    this.timeoutMs = options.requestTimeoutMs;
  }

  async controllerOf(
    namespace: string,
    kind: OwnedKind,
    name: string,
  ): Promise<{ controller?: ControllerRef } | undefined> {
    let metadata: V1ObjectMeta | undefined;
    try {
      metadata = (
        await request(`get ${PLURAL[kind]} ${namespace}/${name}`, this.timeoutMs, () =>
          this.read(namespace, kind, name),
        )
      ).metadata;
    } catch (error) {
      if (error instanceof KubernetesRequestError && error.status === 404) return undefined;
      throw error;
    }
    const owner = metadata?.ownerReferences?.find((ref) => ref.controller);
    return owner ? { controller: { kind: owner.kind, name: owner.name } } : {};
  }

  private read(namespace: string, kind: OwnedKind, name: string): Promise<{ metadata?: V1ObjectMeta }> {
    switch (kind) {
      case 'Pod':
        return this.api.core.readNamespacedPod({ namespace, name });
      case 'ReplicaSet':
        return this.api.apps.readNamespacedReplicaSet({ namespace, name });
      case 'StatefulSet':
        return this.api.apps.readNamespacedStatefulSet({ namespace, name });
      case 'DaemonSet':
        return this.api.apps.readNamespacedDaemonSet({ namespace, name });
    }
  }
}

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
