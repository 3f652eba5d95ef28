import type { Node, NodeCondition, Pod, Taint } from 'kubernetes-types/core/v1';
import { keyOf, onStoreEvents, splitKey, types, type Controller, type ControllerContext } from '../runtime';
import type { KubeObject, Writable } from '../store';
import { tolerates } from './node-matching';
import { isTerminal } from './workload-common';

/**
 * The knob that stops a node's kubelet: a Node annotated `sandbox.eks-incident.dev/kubelet: stopped`
 * stops renewing its Lease and posting status (and the simulated kubelet stops running its
 * pods), as when an instance hangs or loses its network. Remove it to start the kubelet again.
 */
export const KUBELET_ANNOTATION = 'sandbox.eks-incident.dev/kubelet';

export function kubeletStopped(
  node: { metadata?: { annotations?: Record<string, string> } } | undefined,
): boolean {
  return node?.metadata?.annotations?.[KUBELET_ANNOTATION] === 'stopped';
}

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
/** The kubelet renews its Lease every 10 s (a quarter of its 40 s duration). */
const LEASE_DURATION_SECONDS = 40;
const RENEW_MS = 10_000;
/** node-monitor-period and node-monitor-grace-period of kube-controller-manager 1.32. */
const MONITOR_MS = 5_000;
const GRACE_MS = 50_000;

const UNREACHABLE = 'node.kubernetes.io/unreachable';
const NOT_READY = 'node.kubernetes.io/not-ready';

type NodeObject = KubeObject & Writable<Node>;
type PodObject = KubeObject & Writable<Pod>;

/**
 * The kubelets' heartbeats and kube-controller-manager's node lifecycle and taint-eviction
 * controllers:
 *
 * - each running kubelet renews `kube-node-lease/<node>` every 10 s;
 * - a node whose Lease has not been renewed for the 50 s grace period gets every condition
 *   set to Unknown ("Kubelet stopped posting node status."), its pods marked not Ready, and
 *   the `node.kubernetes.io/unreachable` NoSchedule and NoExecute taints; a node that reports
 *   Ready=False gets the `not-ready` ones; taints go when the node is Ready again;
 * - pods on a node with a NoExecute taint are deleted at once when they do not tolerate it, or
 *   when their toleration's `tolerationSeconds` (300 s from the DefaultTolerationSeconds
 *   admission plugin) run out, with the TaintManagerEviction event and the DisruptionTarget
 *   condition. Their kubelet is gone, so they stay Terminating until it comes back.
 */
export const nodeLifecycleController: Controller = {
  name: 'node-lifecycle',
  start(ctx: ControllerContext) {
    const { store, clock, events } = ctx;
    const leaseType = types['leases.coordination.k8s.io'];
    const timers = new Set<number>();
    const evictionTimers = new Map<string, number>();
    let stopped = false;

    function every(ms: number, fn: () => void): void {
      const id = clock.setTimeout(() => {
        timers.delete(id);
        if (stopped) return;
        fn();
        every(ms, fn);
      }, ms);
      timers.add(id);
    }

    function renewLeases(): void {
      if (!store.get(types.namespaces, undefined, NODE_LEASE_NAMESPACE)) return;
      for (const node of store.list(types.nodes) as NodeObject[]) {
        if (kubeletStopped(node) || node.metadata.deletionTimestamp) continue;
        const name = node.metadata.name!;
        const lease = store.get(leaseType, NODE_LEASE_NAMESPACE, name);
        const renewTime = clock.rfc3339Micro();
        if (lease) {
          const next = structuredClone(lease);
          (next.spec as Record<string, unknown>).renewTime = renewTime;
          store.update(leaseType, next);
        } else {
          store.create(leaseType, {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: {
              name,
              namespace: NODE_LEASE_NAMESPACE,
              ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: node.metadata.uid! }],
            },
            spec: { holderIdentity: name, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime },
          });
        }
      }
    }

    function lastHeard(node: NodeObject): number {
      const lease = store.get(leaseType, NODE_LEASE_NAMESPACE, node.metadata.name!);
      const renew = (lease?.spec as { renewTime?: string } | undefined)?.renewTime;
      return renew ? Date.parse(renew) : Date.parse(node.metadata.creationTimestamp ?? '') || clock.now();
    }

    function markUnknown(node: NodeObject): NodeObject {
      const now = clock.rfc3339();
      const next = structuredClone(node);
      const conditions = (next.status!.conditions ?? []) as Writable<NodeCondition>[];
      for (const c of conditions) {
        if (c.status === 'Unknown') continue;
        c.status = 'Unknown';
        c.reason = 'NodeStatusUnknown';
        c.message = 'Kubelet stopped posting node status.';
        c.lastTransitionTime = now;
      }
      const written = store.update(types.nodes, next) as NodeObject;
      events.record(
        { ...written, apiVersion: 'v1', kind: 'Node' },
        'Normal',
        'NodeNotReady',
        `Node ${node.metadata.name} status is now: NodeNotReady`,
        {
          component: 'node-controller',
        },
      );
      for (const pod of podsOn(node.metadata.name!)) {
        const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
        if (!ready || ready.status === 'False') continue;
        const notReady = structuredClone(pod);
        const cond = notReady.status!.conditions!.find((c) => c.type === 'Ready')!;
        cond.status = 'False';
        cond.lastTransitionTime = now;
        store.update(types.pods, notReady);
        events.record(pod, 'Warning', 'NodeNotReady', 'Node is not ready', { component: 'node-controller' });
      }
      return written;
    }

    function podsOn(nodeName: string): PodObject[] {
      return (store.list(types.pods) as PodObject[]).filter(
        (p) => p.spec?.nodeName === nodeName && !isTerminal(p),
      );
    }

    /** The taints the node's Ready condition calls for, keeping the time each was added. */
    function syncTaints(node: NodeObject): void {
      const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
      const key =
        !ready || ready.status === 'Unknown' ? UNREACHABLE : ready.status === 'False' ? NOT_READY : undefined;
      const current = (node.spec?.taints ?? []) as Writable<Taint>[];
      const kept = current.filter((t) => (t.key !== UNREACHABLE && t.key !== NOT_READY) || t.key === key);
      const wanted = [...kept];
      if (key && !kept.some((t) => t.key === key && t.effect === 'NoSchedule'))
        wanted.push({ key, effect: 'NoSchedule' });
      if (key && !kept.some((t) => t.key === key && t.effect === 'NoExecute')) {
        wanted.push({ key, effect: 'NoExecute', timeAdded: clock.rfc3339() });
      }
      if (JSON.stringify(wanted) === JSON.stringify(current)) return;
      const next = structuredClone(node);
      next.spec = { ...next.spec };
      if (wanted.length) next.spec.taints = wanted;
      else delete next.spec.taints;
      store.update(types.nodes, next);
    }

    function evict(pod: PodObject): void {
      const current = store.get(types.pods, pod.metadata.namespace, pod.metadata.name!) as
        PodObject | undefined;
      if (!current || current.metadata.uid !== pod.metadata.uid || current.metadata.deletionTimestamp) return;
      events.record(current, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${keyOf(current)}`, {
        component: 'taint-eviction-controller',
      });
      const marked = structuredClone(current);
      const status = (marked.status ??= {});
      status.conditions = [
        ...(status.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget'),
        {
          type: 'DisruptionTarget',
          status: 'True',
          reason: 'DeletionByTaintManager',
          message: 'Taint manager: deleting due to NoExecute taint',
          lastTransitionTime: clock.rfc3339(),
        } as never,
      ];
      store.update(types.pods, marked);
      store.delete(types.pods, current.metadata.namespace, current.metadata.name!);
    }

    /** NoExecute taints: delete what does not tolerate them, now or when its tolerationSeconds run out. */
    function syncEvictions(node: NodeObject): void {
      const noExecute = (node.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute');
      for (const pod of podsOn(node.metadata.name!)) {
        const uid = pod.metadata.uid!;
        if (pod.metadata.deletionTimestamp) continue;
        let dueAt: number | undefined;
        for (const taint of noExecute) {
          const matching = (pod.spec?.tolerations ?? []).filter((t) => tolerates([t], taint));
          if (matching.length === 0) {
            dueAt = clock.now();
            break;
          }
          const seconds = matching
            .map((t) => t.tolerationSeconds)
            .filter((s): s is number => typeof s === 'number');
          if (seconds.length === 0 || seconds.length < matching.length) continue;
          const at =
            (taint.timeAdded ? Date.parse(taint.timeAdded) : clock.now()) +
            Math.max(0, Math.min(...seconds)) * 1000;
          if (dueAt === undefined || at < dueAt) dueAt = at;
        }
        const existing = evictionTimers.get(uid);
        if (dueAt === undefined) {
          if (existing !== undefined) clock.clearTimeout(existing);
          evictionTimers.delete(uid);
          continue;
        }
        if (existing !== undefined) continue;
        if (dueAt <= clock.now()) {
          evict(pod);
          continue;
        }
        const id = clock.setTimeout(() => {
          evictionTimers.delete(uid);
          const nowNode = store.get(types.nodes, undefined, node.metadata.name!) as NodeObject | undefined;
          if (nowNode) syncEvictions(nowNode);
        }, dueAt - clock.now());
        evictionTimers.set(uid, id);
      }
    }

    const queue = ctx.queue('node-lifecycle', (key) => {
      const { name } = splitKey(key);
      let node = store.get(types.nodes, undefined, name) as NodeObject | undefined;
      if (!node || node.metadata.deletionTimestamp) return;
      if (!kubeletStopped(node) && !store.get(leaseType, NODE_LEASE_NAMESPACE, name)) renewLeases();
      restartedKubelet(node);
      node = store.get(types.nodes, undefined, name) as NodeObject;
      const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
      if (
        kubeletStopped(node) &&
        ready &&
        ready.status !== 'Unknown' &&
        clock.now() - lastHeard(node) >= GRACE_MS
      ) {
        node = markUnknown(node);
      }
      syncTaints(node);
      syncEvictions(store.get(types.nodes, undefined, name) as NodeObject);
    });

    function monitor(): void {
      for (const node of store.list(types.nodes)) if (kubeletStopped(node)) queue.add(node.metadata.name!);
    }

    /** A kubelet that comes back posts Ready again (and its Lease renews on the next beat). */
    function restartedKubelet(node: NodeObject): void {
      const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
      if (kubeletStopped(node) || ready?.reason !== 'NodeStatusUnknown') return;
      const now = clock.rfc3339();
      const healthy: Record<string, [string, string, string]> = {
        MemoryPressure: ['False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'],
        DiskPressure: ['False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'],
        PIDPressure: ['False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'],
        Ready: ['True', 'KubeletReady', 'kubelet is posting ready status'],
      };
      const next = structuredClone(node);
      for (const c of (next.status!.conditions ?? []) as Writable<NodeCondition>[]) {
        const h = healthy[c.type];
        if (!h) continue;
        [c.status, c.reason, c.message] = h;
        c.lastTransitionTime = now;
      }
      store.update(types.nodes, next);
      renewLeases();
    }

    const unsubscribe = onStoreEvents(store, ['nodes', 'pods'], (event) => {
      if (event.type === 'DELETED') return;
      if (event.storageKey === 'nodes') {
        queue.add(event.object.metadata.name!);
        return;
      }
      const nodeName = (event.object as PodObject).spec?.nodeName;
      if (!nodeName) return;
      const node = store.get(types.nodes, undefined, nodeName) as NodeObject | undefined;
      if ((node?.spec?.taints ?? []).some((t) => t.effect === 'NoExecute')) queue.add(nodeName);
    });
    renewLeases();
    every(RENEW_MS, renewLeases);
    every(MONITOR_MS, monitor);
    for (const node of store.list(types.nodes)) queue.add(node.metadata.name!);
    return () => {
      stopped = true;
      unsubscribe();
      for (const id of [...timers, ...evictionTimers.values()]) clock.clearTimeout(id);
    };
  },
};
