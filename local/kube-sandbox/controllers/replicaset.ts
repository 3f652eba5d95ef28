import type { ReplicaSet, ReplicaSetCondition, ReplicaSetStatus } from 'kubernetes-types/apps/v1';
import { ApiError } from '../errors';
import {
  controllerRef,
  keyOf,
  onStoreEvents,
  splitKey,
  types,
  type Controller,
  type ControllerContext,
} from '../runtime';
import type { KubeObject, Writable } from '../store';
import {
  availableSince,
  controllerOf,
  createPod,
  isPodActive,
  isPodAvailable,
  isPodReady,
  readyCondition,
  sameJson,
  selectorMatcher,
  type PodObject,
} from './workload-common';

export type ReplicaSetObject = KubeObject & Writable<ReplicaSet>;

const COMPONENT = 'replicaset-controller';
/** The controller-manager's cap on pods created or deleted in one sync (`burstReplicas`). */
const BURST_REPLICAS = 500;
const DELETION_COST_ANNOTATION = 'controller.kubernetes.io/pod-deletion-cost';

const PHASE_ORDER: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function maxRestarts(pod: PodObject): number {
  return Math.max(0, ...(pod.status?.containerStatuses ?? []).map((c) => c.restartCount ?? 0));
}

function readySince(pod: PodObject): number | undefined {
  const t = readyCondition(pod)?.lastTransitionTime;
  return t ? Date.parse(t) : undefined;
}

/** Later first, a missing time before any time (`afterOrZero`). */
function laterFirst(a: number | undefined, b: number | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  return b - a;
}

/**
 * The order in which a ReplicaSet gives up pods (`controller.ActivePodsWithRanks`): unscheduled,
 * then pending before running, not ready before ready, lower deletion cost, more pods of the same
 * owner on the node, ready more recently, more restarts, and finally newer before older.
 * (Kubernetes buckets the last two comparisons logarithmically by age and breaks ties randomly;
 * the sandbox keeps plain newest-first so scale-downs are predictable.)
 */
function deletionOrder(pods: PodObject[], related: PodObject[]): PodObject[] {
  const perNode = new Map<string, number>();
  for (const p of related) {
    if (isPodActive(p)) perNode.set(p.spec?.nodeName ?? '', (perNode.get(p.spec?.nodeName ?? '') ?? 0) + 1);
  }
  const rank = (p: PodObject): number => perNode.get(p.spec?.nodeName ?? '') ?? 0;
  const cost = (p: PodObject): number => Number(p.metadata.annotations?.[DELETION_COST_ANNOTATION] ?? 0) || 0;
  return [...pods].sort((a, b) => {
    const nodeA = a.spec?.nodeName ?? '';
    const nodeB = b.spec?.nodeName ?? '';
    if (nodeA !== nodeB && (!nodeA || !nodeB)) return nodeA ? 1 : -1;
    const phase = (PHASE_ORDER[a.status?.phase ?? ''] ?? 0) - (PHASE_ORDER[b.status?.phase ?? ''] ?? 0);
    if (phase !== 0) return phase;
    if (isPodReady(a) !== isPodReady(b)) return isPodReady(a) ? 1 : -1;
    if (cost(a) !== cost(b)) return cost(a) - cost(b);
    if (rank(a) !== rank(b)) return rank(b) - rank(a);
    if (isPodReady(a) && isPodReady(b)) {
      const byReady = laterFirst(readySince(a), readySince(b));
      if (byReady !== 0) return byReady;
    }
    if (maxRestarts(a) !== maxRestarts(b)) return maxRestarts(b) - maxRestarts(a);
    const created = (p: PodObject): number | undefined =>
      p.metadata.creationTimestamp ? Date.parse(p.metadata.creationTimestamp) : undefined;
    return laterFirst(created(a), created(b));
  });
}

/** `controller.GetPodFromTemplate`: what a ReplicaSet creates. */
function podFromTemplate(rs: ReplicaSetObject): KubeObject {
  const template = rs.spec?.template ?? {};
  const meta = template.metadata ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${rs.metadata.name}-`,
      namespace: rs.metadata.namespace,
      ...(meta.labels ? { labels: { ...meta.labels } } : {}),
      ...(meta.annotations ? { annotations: { ...meta.annotations } } : {}),
      ...(meta.finalizers ? { finalizers: [...meta.finalizers] } : {}),
      ownerReferences: [controllerRef(rs)],
    },
    spec: structuredClone(template.spec ?? { containers: [] }),
  };
}

function setCondition(status: Writable<ReplicaSetStatus>, condition: Writable<ReplicaSetCondition>): void {
  const current = status.conditions?.find((c) => c.type === condition.type);
  if (current && current.status === condition.status && current.reason === condition.reason) return;
  status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== condition.type), condition];
}

/** The JSON the API would return: zero-valued omitempty fields absent. */
function omitZero<T extends object>(status: T, keep: string[]): T {
  return Object.fromEntries(
    Object.entries(status).filter(
      ([k, v]) => keep.includes(k) || !(v === 0 || v === undefined || (Array.isArray(v) && v.length === 0)),
    ),
  ) as T;
}

class ReplicaSetSync {
  private readonly timers = new Map<string, number>();

  constructor(
    private readonly ctx: ControllerContext,
    private readonly requeue: (key: string) => void,
  ) {}

  stop(): void {
    for (const id of this.timers.values()) this.ctx.clock.clearTimeout(id);
    this.timers.clear();
  }

  sync(key: string): void {
    const { namespace, name } = splitKey(key);
    const { store } = this.ctx;
    const rs = store.get(types['replicasets.apps'], namespace, name) as ReplicaSetObject | undefined;
    if (!rs) return;
    const active = (store.list(types.pods, namespace) as PodObject[]).filter(isPodActive);
    const pods = this.claimPods(rs, active);
    let failure: { reason: string; message: string } | undefined;
    if (!rs.metadata.deletionTimestamp) failure = this.manageReplicas(rs, pods);
    this.updateStatus(rs, pods, failure);
  }

  /**
   * `PodControllerRefManager.ClaimPods`: owned pods that still match are kept, owned pods that
   * no longer match are released, and matching orphans are adopted.
   */
  private claimPods(rs: ReplicaSetObject, pods: PodObject[]): PodObject[] {
    const matches = selectorMatcher(rs.spec?.selector);
    const claimed: PodObject[] = [];
    const deleting = Boolean(rs.metadata.deletionTimestamp);
    for (const pod of pods) {
      const ref = controllerOf(pod);
      if (ref) {
        if (ref.uid !== rs.metadata.uid) continue;
        if (matches(pod.metadata.labels)) claimed.push(pod);
        else if (!deleting) this.setOwner(pod, rs, false);
        continue;
      }
      if (deleting || !matches(pod.metadata.labels)) continue;
      claimed.push(this.setOwner(pod, rs, true));
    }
    return claimed;
  }

  private setOwner(pod: PodObject, rs: ReplicaSetObject, adopt: boolean): PodObject {
    const next = structuredClone(pod);
    const others = (next.metadata.ownerReferences ?? []).filter((r) => r.uid !== rs.metadata.uid);
    next.metadata.ownerReferences = adopt ? [...others, controllerRef(rs)] : others;
    if (next.metadata.ownerReferences.length === 0) delete next.metadata.ownerReferences;
    return this.ctx.store.update(types.pods, next) as PodObject;
  }

  /** Creates or deletes pods so that the active ones match spec.replicas. */
  private manageReplicas(
    rs: ReplicaSetObject,
    pods: PodObject[],
  ): { reason: string; message: string } | undefined {
    const { store, events } = this.ctx;
    const diff = pods.length - (rs.spec?.replicas ?? 1);
    if (diff < 0) {
      for (let i = 0; i < Math.min(-diff, BURST_REPLICAS); i++) {
        const created = createPod(this.ctx, podFromTemplate(rs));
        if (created instanceof ApiError) {
          events.record(rs, 'Warning', 'FailedCreate', `Error creating: ${created.message}`, {
            component: COMPONENT,
          });
          return { reason: 'FailedCreate', message: created.message };
        }
        events.record(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`, {
          component: COMPONENT,
        });
      }
    } else if (diff > 0) {
      const related = this.relatedPods(rs);
      for (const pod of deletionOrder(pods, related).slice(0, Math.min(diff, BURST_REPLICAS))) {
        try {
          store.delete(types.pods, pod.metadata.namespace, pod.metadata.name!);
        } catch (error) {
          if (error instanceof ApiError && error.code === 404) continue;
          const message = error instanceof Error ? error.message : String(error);
          events.record(rs, 'Warning', 'FailedDelete', `Error deleting: ${message}`, {
            component: COMPONENT,
          });
          return { reason: 'FailedDelete', message };
        }
        events.record(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`, {
          component: COMPONENT,
        });
      }
    }
    return undefined;
  }

  /** Active pods of every ReplicaSet with the same owner (the sibling revisions of a Deployment). */
  private relatedPods(rs: ReplicaSetObject): PodObject[] {
    const { store } = this.ctx;
    const owner = controllerOf(rs)?.uid;
    const siblings = owner
      ? new Set(
          store
            .list(types['replicasets.apps'], rs.metadata.namespace)
            .filter((r) => controllerOf(r)?.uid === owner)
            .map((r) => r.metadata.uid),
        )
      : new Set([rs.metadata.uid]);
    return (store.list(types.pods, rs.metadata.namespace) as PodObject[]).filter(
      (p) => isPodActive(p) && siblings.has(controllerOf(p)?.uid),
    );
  }

  private updateStatus(
    rs: ReplicaSetObject,
    pods: PodObject[],
    failure: { reason: string; message: string } | undefined,
  ): void {
    const { store, clock } = this.ctx;
    const now = clock.now();
    const minReadySeconds = rs.spec?.minReadySeconds ?? 0;
    const templateLabels = rs.spec?.template?.metadata?.labels ?? {};
    const fullyLabeled = pods.filter((p) =>
      Object.entries(templateLabels).every(([k, v]) => p.metadata.labels?.[k] === v),
    );
    const status: Writable<ReplicaSetStatus> = {
      replicas: pods.length,
      fullyLabeledReplicas: fullyLabeled.length,
      readyReplicas: pods.filter(isPodReady).length,
      availableReplicas: pods.filter((p) => isPodAvailable(p, minReadySeconds, now)).length,
      observedGeneration: rs.metadata.generation,
      conditions: structuredClone(rs.status?.conditions ?? []),
    };
    const hasFailure = status.conditions?.some((c) => c.type === 'ReplicaFailure');
    if (failure && !hasFailure) {
      setCondition(status, {
        type: 'ReplicaFailure',
        status: 'True',
        reason: failure.reason,
        message: failure.message,
        lastTransitionTime: clock.rfc3339(now),
      });
    } else if (!failure && hasFailure) {
      status.conditions = status.conditions!.filter((c) => c.type !== 'ReplicaFailure');
    }
    const next = omitZero(status, ['replicas']);
    const fresh = store.get(types['replicasets.apps'], rs.metadata.namespace, rs.metadata.name!);
    if (fresh && !sameJson(fresh.status ?? {}, next)) {
      store.update(types['replicasets.apps'], { ...structuredClone(fresh), status: next });
    }
    this.scheduleAvailabilityCheck(rs, pods, minReadySeconds, now);
  }

  /** With minReadySeconds, a ready pod becomes available later without any change to observe. */
  private scheduleAvailabilityCheck(
    rs: ReplicaSetObject,
    pods: PodObject[],
    minReadySeconds: number,
    now: number,
  ): void {
    const key = keyOf(rs);
    const pending = pods
      .map((p) => availableSince(p, minReadySeconds))
      .filter((t): t is number => t !== undefined && t > now);
    const previous = this.timers.get(key);
    if (previous !== undefined) this.ctx.clock.clearTimeout(previous);
    this.timers.delete(key);
    if (pending.length === 0) return;
    const id = this.ctx.clock.setTimeout(
      () => {
        this.timers.delete(key);
        this.requeue(key);
      },
      Math.min(...pending) - now,
    );
    this.timers.set(key, id);
  }
}

/**
 * The ReplicaSet controller: keeps spec.replicas active pods per ReplicaSet (creating them from
 * the template, deleting the least valuable first), adopts matching orphans, releases pods that
 * stopped matching, and reports replicas / fullyLabeled / ready / available in status.
 */
export const replicaSetController: Controller = {
  name: 'replicaset',
  start(ctx) {
    const queue = ctx.queue('replicaset', (key) => syncer.sync(key));
    const syncer = new ReplicaSetSync(ctx, (key) => queue.add(key));
    const enqueueMatching = (pod: KubeObject): void => {
      for (const rs of ctx.store.list(
        types['replicasets.apps'],
        pod.metadata.namespace,
      ) as ReplicaSetObject[]) {
        if (selectorMatcher(rs.spec?.selector)(pod.metadata.labels)) queue.add(keyOf(rs));
      }
    };
    const unsubscribe = onStoreEvents(ctx.store, ['replicasets.apps', 'pods'], (event) => {
      const obj = event.object;
      if (event.storageKey === 'replicasets.apps') {
        queue.add(keyOf(obj));
        return;
      }
      const ref = controllerOf(obj);
      if (ref?.kind === 'ReplicaSet') queue.add(`${obj.metadata.namespace}/${ref.name}`);
      else if (!ref && event.type !== 'DELETED') enqueueMatching(obj);
    });
    for (const rs of ctx.store.list(types['replicasets.apps'])) queue.add(keyOf(rs));
    return () => {
      unsubscribe();
      syncer.stop();
    };
  },
};
