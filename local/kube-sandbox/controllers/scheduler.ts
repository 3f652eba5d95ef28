import type { Container, Node, Pod, PodCondition, Taint } from 'kubernetes-types/core/v1';
import { isQuantity, parseQuantity } from '../quantity';
import { controllerUid, keyOf, onStoreEvents, splitKey, types, type ControllerContext } from '../runtime';
import type { Controller } from '../runtime';
import type { KubeObject, Writable } from '../store';
import { fitsNodeAffinity, readinessTaintKey, tolerates, untoleratedTaints } from './node-matching';
import { claimsBound, podVolumes, SELECTED_NODE } from './volume-binding';
import { isTerminal } from './workload-common';

export const SCHEDULER_NAME = 'default-scheduler';

type PodW = Writable<Pod> & KubeObject;

/** Requests the scheduler assumes for containers that set none, when it compares nodes' load. */
const NON_ZERO_DEFAULTS: Record<string, number> = { cpu: 0.1, memory: 200 * 1024 * 1024 };

function sumRequests(containers: Container[] | undefined): Map<string, number> {
  const total = new Map<string, number>();
  for (const c of containers ?? []) {
    for (const [name, value] of Object.entries(c.resources?.requests ?? {})) {
      if (isQuantity(value)) total.set(name, (total.get(name) ?? 0) + parseQuantity(value));
    }
  }
  return total;
}

/**
 * What a pod asks of a node: the larger of its containers' summed requests and its
 * biggest init container's, per resource (init containers run one at a time, before).
 */
export function podRequests(pod: Pod): Map<string, number> {
  const total = sumRequests(pod.spec?.containers);
  for (const init of pod.spec?.initContainers ?? []) {
    for (const [name, value] of sumRequests([init])) total.set(name, Math.max(total.get(name) ?? 0, value));
  }
  return total;
}

function nonZeroRequest(pod: Pod, resource: 'cpu' | 'memory'): number {
  return (pod.spec?.containers ?? []).reduce((sum, c) => {
    const value = c.resources?.requests?.[resource];
    return (
      sum + (value !== undefined && isQuantity(value) ? parseQuantity(value) : NON_ZERO_DEFAULTS[resource])
    );
  }, 0);
}

function needsScheduling(pod: Pod): boolean {
  return (
    !pod.spec?.nodeName &&
    (pod.spec?.schedulerName ?? SCHEDULER_NAME) === SCHEDULER_NAME &&
    !pod.metadata?.deletionTimestamp &&
    !isTerminal(pod)
  );
}

/** A node's taints, plus those the node lifecycle controller puts on nodes that are not Ready. */
function effectiveTaints(node: Node): Taint[] {
  const taints = [...(node.spec?.taints ?? [])];
  const implied = readinessTaintKey(node);
  if (implied && !taints.some((t) => t.key === implied)) taints.push({ key: implied, effect: 'NoSchedule' });
  return taints;
}

/** A filter's verdict for one node: whether preemption could ever help there. */
interface Rejection {
  reasons: string[];
  resolvable: boolean;
}

interface NodeInfo {
  node: Node;
  pods: Pod[];
}

function filter(pod: Pod, info: NodeInfo): Rejection | undefined {
  const { node } = info;
  if (node.spec?.unschedulable) {
    const taint = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };
    if (!tolerates(pod.spec?.tolerations, taint)) {
      return { reasons: ['node(s) were unschedulable'], resolvable: false };
    }
  }
  const [untolerated] = untoleratedTaints(effectiveTaints(node), pod.spec?.tolerations);
  if (untolerated) {
    return {
      reasons: [`node(s) had untolerated taint {${untolerated.key}: ${untolerated.value ?? ''}}`],
      resolvable: false,
    };
  }
  if (!fitsNodeAffinity(pod.spec, node, 'absent')) {
    return { reasons: ["node(s) didn't match Pod's node affinity/selector"], resolvable: false };
  }
  const allocatable = node.status?.allocatable ?? {};
  const reasons: string[] = [];
  const maxPods = allocatable.pods !== undefined ? parseQuantity(allocatable.pods) : 110;
  if (info.pods.length + 1 > maxPods) reasons.push('Too many pods');
  const used = new Map<string, number>();
  for (const p of info.pods) for (const [r, v] of podRequests(p)) used.set(r, (used.get(r) ?? 0) + v);
  const wanted = podRequests(pod);
  const order = ['cpu', 'memory', 'ephemeral-storage', ...[...wanted.keys()].sort()];
  for (const resource of new Set(order)) {
    const request = wanted.get(resource) ?? 0;
    if (request <= 0) continue;
    const capacity = allocatable[resource] !== undefined ? parseQuantity(allocatable[resource]) : 0;
    if (request + (used.get(resource) ?? 0) > capacity) reasons.push(`Insufficient ${resource}`);
  }
  return reasons.length > 0 ? { reasons, resolvable: true } : undefined;
}

function histogram(entries: string[]): string {
  const counts = new Map<string, number>();
  for (const e of entries) counts.set(e, (counts.get(e) ?? 0) + 1);
  return [...counts]
    .map(([reason, n]) => `${n} ${reason}`)
    .sort()
    .join(', ');
}

/** kube-scheduler's FitError message, preemption's verdict included. */
function fitError(pod: Pod, nodeCount: number, rejections: Rejection[], preFilter?: string): string {
  if (nodeCount === 0) return 'no nodes available to schedule pods';
  const head = `0/${nodeCount} nodes are available`;
  // A PreFilter verdict holds on every node, so it replaces the per-node histogram.
  const filterMsg = `${head}: ${preFilter ?? histogram(rejections.flatMap((r) => r.reasons))}.`;
  if (pod.spec?.preemptionPolicy === 'Never') {
    return `${filterMsg} preemption: not eligible due to preemptionPolicy=Never.`;
  }
  const preemption = rejections.map((r) =>
    r.resolvable
      ? 'No preemption victims found for incoming pod'
      : 'Preemption is not helpful for scheduling',
  );
  return `${filterMsg} preemption: ${head}: ${histogram(preemption)}.`;
}

/** Lower is better: spread a workload's pods, then prefer the least requested node. */
function score(pod: Pod, info: NodeInfo): number[] {
  const owner = controllerUid(pod as KubeObject);
  const siblings = owner ? info.pods.filter((p) => controllerUid(p as KubeObject) === owner).length : 0;
  const allocatable = info.node.status?.allocatable ?? {};
  const fraction = (resource: 'cpu' | 'memory'): number => {
    const capacity = allocatable[resource] !== undefined ? parseQuantity(allocatable[resource]) : 0;
    if (capacity <= 0) return 1;
    const used = info.pods.reduce(
      (sum, p) => sum + nonZeroRequest(p, resource),
      nonZeroRequest(pod, resource),
    );
    return used / capacity;
  };
  return [siblings, (fraction('cpu') + fraction('memory')) / 2, info.pods.length];
}

function compareScores(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

function withCondition(pod: PodW, condition: PodCondition, now: string): boolean {
  const status = (pod.status ??= {});
  const conditions = (status.conditions ??= []);
  const existing = conditions.find((c) => c.type === condition.type);
  if (
    existing &&
    existing.status === condition.status &&
    existing.reason === condition.reason &&
    existing.message === condition.message
  ) {
    return false;
  }
  const next = {
    type: condition.type,
    status: condition.status,
    lastProbeTime: null,
    lastTransitionTime: existing?.status === condition.status ? existing.lastTransitionTime : now,
    ...(condition.reason ? { reason: condition.reason } : {}),
    ...(condition.message ? { message: condition.message } : {}),
  } as unknown as PodCondition;
  if (existing) conditions.splice(conditions.indexOf(existing), 1, next);
  else conditions.push(next);
  return true;
}

/**
 * The default scheduler: binds each pending pod (no `spec.nodeName`, schedulerName
 * default-scheduler) to a Ready node whose taints it tolerates, whose labels match its
 * nodeSelector/required node affinity, and whose allocatable resources and pod capacity
 * still hold its requests. Among fitting nodes it spreads a workload's replicas, then
 * picks the least loaded. Pods that fit nowhere get PodScheduled=False/Unschedulable and a
 * FailedScheduling event with kube-scheduler's message, and are retried when nodes change
 * or pods go away. No preemption.
 */
export const schedulerController: Controller = {
  name: 'scheduler',
  start(ctx: ControllerContext) {
    const { store, clock, events } = ctx;
    /** Pods that fit nowhere, with the spec they failed with (a pod update may make them fit). */
    const unschedulable = new Map<string, string>();

    const queue = ctx.queue('scheduler', (key) => {
      const { namespace, name } = splitKey(key);
      const pod = store.get(types.pods, namespace, name) as PodW | undefined;
      if (!pod || !needsScheduling(pod)) {
        unschedulable.delete(key);
        return;
      }
      const byNode = new Map<string, Pod[]>();
      for (const p of store.list(types.pods) as PodW[]) {
        if (!p.spec?.nodeName || isTerminal(p)) continue;
        const list = byNode.get(p.spec.nodeName) ?? [];
        list.push(p);
        byNode.set(p.spec.nodeName, list);
      }
      const nodes = (store.list(types.nodes) as Array<Writable<Node> & KubeObject>).filter(
        (n) => !n.metadata.deletionTimestamp,
      );
      const feasible: NodeInfo[] = [];
      const rejections: Rejection[] = [];
      const volumes = podVolumes(store, pod);
      for (const node of nodes) {
        const info = { node, pods: byNode.get(node.metadata.name!) ?? [] };
        const volumeReason = volumes.preFilter ?? volumes.nodeReason(node);
        const rejection = volumeReason ? { reasons: [volumeReason], resolvable: false } : filter(pod, info);
        if (rejection) rejections.push(rejection);
        else feasible.push(info);
      }
      const now = clock.rfc3339();
      const next = structuredClone(pod);
      if (feasible.length === 0) {
        const message = fitError(pod, nodes.length, rejections, volumes.preFilter);
        unschedulable.set(key, JSON.stringify(pod.spec));
        const changed = withCondition(
          next,
          { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message },
          now,
        );
        const written = changed ? store.update(types.pods, next) : pod;
        events.record(written, 'Warning', 'FailedScheduling', message, {
          component: SCHEDULER_NAME,
          action: 'Scheduling',
        });
        return;
      }
      unschedulable.delete(key);
      const best = feasible
        .map((info) => ({ info, score: score(pod, info) }))
        .sort(
          (a, b) =>
            compareScores(a.score, b.score) ||
            a.info.node.metadata!.name!.localeCompare(b.info.node.metadata!.name!),
        )[0].info.node.metadata!.name!;
      // VolumeBinding's PreBind: claims that wait for a consumer learn the node, and the pod
      // is bound only once the provisioner or the PV controller has bound every claim.
      for (const claim of volumes.toProvision) {
        const annotated = structuredClone(claim);
        annotated.metadata.annotations = { ...annotated.metadata.annotations, [SELECTED_NODE]: best };
        store.update(types.persistentvolumeclaims, annotated);
      }
      if (!claimsBound(store, pod)) {
        unschedulable.set(key, JSON.stringify(pod.spec));
        return;
      }
      next.spec!.nodeName = best;
      withCondition(next, { type: 'PodScheduled', status: 'True' }, now);
      const bound = store.update(types.pods, next);
      events.record(
        bound,
        'Normal',
        'Scheduled',
        `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${best}`,
        { component: SCHEDULER_NAME, action: 'Binding' },
      );
    });

    const retryUnschedulable = (): void => {
      for (const key of unschedulable.keys()) queue.add(key);
    };

    const volumeKeys = ['persistentvolumeclaims', 'persistentvolumes', 'storageclasses.storage.k8s.io'];
    const unsubscribe = onStoreEvents(store, ['pods', 'nodes', ...volumeKeys], (event) => {
      if (event.storageKey !== 'pods') {
        retryUnschedulable();
        return;
      }
      const pod = event.object as PodW;
      const key = keyOf(event.object);
      if (event.type === 'DELETED') {
        unschedulable.delete(key);
        if (pod.spec?.nodeName) retryUnschedulable();
        return;
      }
      if (pod.spec?.nodeName) {
        if (isTerminal(pod)) retryUnschedulable();
        return;
      }
      if (!needsScheduling(pod)) return;
      const failedWith = unschedulable.get(key);
      if (failedWith === undefined || failedWith !== JSON.stringify(pod.spec)) queue.add(key);
    });

    for (const pod of store.list(types.pods) as PodW[]) if (needsScheduling(pod)) queue.add(keyOf(pod));
    return unsubscribe;
  },
};
