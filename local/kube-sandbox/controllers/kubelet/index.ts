import type { Node } from 'kubernetes-types/core/v1';
import {
  keyOf,
  onStoreEvents,
  splitKey,
  types,
  type Controller,
  type ControllerContext,
} from '../../runtime';
import type { KubeObject, Writable } from '../../store';
import { kubeletStopped } from '../node-lifecycle';
import { collectOrphan } from './pod-gc';
import { begin, terminate } from './pod-workers';
import { clearTimers, forget, later, stopRun, type KubeletState, type PodW } from './state';
import { isTerminalPhase, publish } from './status-manager';

export { goDuration } from './backoff';
export { normalizeImage } from './images';
export { BehaviorAnnotationError } from './pod-workers';

/*
 * The kubelet, split as pkg/kubelet divides it: this file is the sync loop (syncLoop and
 * HandlePod*: which pod needs what); pod-workers.ts starts and terminates pods;
 * container-runtime.ts runs containers and their restarts under back-off (backoff.ts);
 * images.ts pulls; prober.ts probes; volume-manager.ts mounts; eviction-manager.ts evicts;
 * status-manager.ts reports; events.ts records; pod-gc.ts is PodGC's part for orphans.
 * Their shared state is one KubeletState (state.ts).
 */

/**
 * The kubelets of all nodes: runs every pod bound to an existing node as its behaviour
 * annotation says (image pulls, starts, readiness, crashes with the kubelet's back-off,
 * completion), reports it in the pod's status and events as a real kubelet does, writes
 * container logs to the LogStore, and finishes graceful deletions. It also does PodGC's
 * part for pods whose node is gone: after a 40 s quarantine they are marked Failed and
 * removed, so their controllers replace them. Pods bound to a node that never existed
 * are treated the same way.
 */
export const kubeletController: Controller = {
  name: 'kubelet',
  start(ctx: ControllerContext) {
    const failures = new Map<string, unknown>();
    let failureCount = 0;

    const queue = ctx.queue('kubelet', (key) => {
      if (key.startsWith('!')) {
        // Timer callbacks run outside any queue; their errors are replayed here so the sandbox records them.
        const error = failures.get(key);
        failures.delete(key);
        throw error;
      }
      syncPod(k, key);
    });

    const k: KubeletState = {
      store: ctx.store,
      clock: ctx.clock,
      events: ctx.events,
      logs: ctx.logs,
      runs: new Map(),
      podTimers: new Map(),
      imagesOnNode: new Map(),
      ipsOnNode: new Map(),
      stopped: false,
      fail: (error) => {
        const key = `!${++failureCount}`;
        failures.set(key, error);
        queue.add(key);
      },
    };
    const { store, runs, podTimers } = k;

    const stoppedNodes = new Set<string>();
    const unsubscribe = onStoreEvents(store, ['pods', 'nodes'], (event) => {
      if (event.storageKey === 'nodes') {
        const nodeName = event.object.metadata.name;
        // A kubelet that was stopped reports its pods again when it comes back.
        if (kubeletStopped(event.object)) stoppedNodes.add(nodeName!);
        else if (stoppedNodes.delete(nodeName!)) {
          for (const run of runs.values())
            if (run.nodeName === nodeName) later(k, run.timers, 0, () => publish(k, run));
        }
        for (const pod of store.list(types.pods) as PodW[]) {
          if (pod.spec?.nodeName === nodeName) queue.add(keyOf(pod));
        }
        return;
      }
      if (event.type === 'DELETED') {
        forget(k, event.object.metadata.uid!);
        return;
      }
      if ((event.object as PodW).spec?.nodeName) queue.add(keyOf(event.object));
    });

    for (const pod of store.list(types.pods) as PodW[]) if (pod.spec?.nodeName) queue.add(keyOf(pod));

    return () => {
      k.stopped = true;
      unsubscribe();
      for (const run of runs.values()) stopRun(k, run);
      for (const timers of podTimers.values()) clearTimers(k, timers);
      runs.clear();
      podTimers.clear();
    };
  },
};

function syncPod(k: KubeletState, key: string): void {
  const { namespace, name } = splitKey(key);
  const pod = k.store.get(types.pods, namespace, name) as PodW | undefined;
  const nodeName = pod?.spec?.nodeName;
  if (!pod || !nodeName) return;
  const node = k.store.get(types.nodes, undefined, nodeName) as (Writable<Node> & KubeObject) | undefined;
  if (!node) {
    collectOrphan(k, pod);
    return;
  }
  if (kubeletStopped(node)) return;
  if (pod.metadata.deletionTimestamp) {
    terminate(k, pod);
    return;
  }
  if (k.runs.has(pod.metadata.uid!) || k.podTimers.has(pod.metadata.uid!)) return;
  if (isTerminalPhase(pod.status?.phase)) return;
  begin(k, pod, node);
}
