/**
 * What the kubelet keeps between syncs, passed to each of its parts: the pods it runs and their
 * containers across restarts, the timers that drive them, the images and pod IPs on each node.
 * Upstream keeps this in the Kubelet struct and its managers; here it is one small object.
 */
import type { Container, Pod } from 'kubernetes-types/core/v1';
import type { ContainerBehavior } from '../../behavior';
import { types, type ControllerContext } from '../../runtime';
import type { KubeObject, Writable } from '../../store';
import type { BackOffEntry } from './backoff';

export type PodW = Writable<Pod> & KubeObject;

/** How long the kubelet takes to notice a container exited (PLEG relist) and sync the pod again. */
export const SYNC_DELAY_MS = 1000;

export interface Terminated {
  containerID: string;
  exitCode: number;
  reason: string;
  message?: string;
  startedAt: string;
  finishedAt: string;
}

/** One container of a pod on its node, across its restarts. */
export interface ContainerRun {
  spec: Container;
  init: boolean;
  index: number;
  behavior: ContainerBehavior;
  fieldPath: string;
  restartCount: number;
  everStarted: boolean;
  containerID?: string;
  imageID?: string;
  runningSince?: string;
  terminated?: Terminated;
  lastTerminated?: Terminated;
  waiting?: { reason: string; message?: string };
  ready: boolean;
  /** Will not run again: a finished init container, or one its restart policy leaves stopped. */
  done: boolean;
  crashBackOff?: BackOffEntry;
  pullBackOff?: BackOffEntry;
  timers: Set<number>;
}

export interface ConditionState {
  status: 'True' | 'False';
  reason?: string;
  message?: string;
  lastTransitionTime: string;
}

/** A pod the kubelet runs. */
export interface PodRun {
  uid: string;
  namespace: string;
  name: string;
  nodeName: string;
  restartPolicy: string;
  terminationGracePeriodSeconds: number;
  rolloutRestarted: boolean;
  hostIP: string;
  podIP: string;
  startTime: string;
  init: ContainerRun[];
  main: ContainerRun[];
  conditions: Map<string, ConditionState>;
  timers: Set<number>;
  terminating: boolean;
  finished: boolean;
  /** Set when the kubelet's eviction manager evicted the pod: the eviction message. */
  evicted?: string;
}

export interface KubeletState {
  readonly store: ControllerContext['store'];
  readonly clock: ControllerContext['clock'];
  readonly events: ControllerContext['events'];
  readonly logs: ControllerContext['logs'];
  readonly runs: Map<string, PodRun>;
  /** Timers of pods without a run (orphans, deletions of pods never started), by pod uid. */
  readonly podTimers: Map<string, Set<number>>;
  readonly imagesOnNode: Map<string, Set<string>>;
  readonly ipsOnNode: Map<string, Set<string>>;
  /** Set when the controller stops: timers still due do nothing. */
  stopped: boolean;
  /** Timer callbacks run outside any queue: their errors go back to the kubelet's queue to be recorded. */
  readonly fail: (error: unknown) => void;
}

/** Runs `fn` after `ms` (sandbox time) unless the kubelet stopped; its timer is tracked in `timers` to be cancelled. */
export function later(k: KubeletState, timers: Set<number>, ms: number, fn: () => void): void {
  const id = k.clock.setTimeout(() => {
    if (k.stopped) return;
    try {
      timers.delete(id);
      fn();
    } catch (error) {
      k.fail(error);
    }
  }, ms);
  timers.add(id);
}

export function clearTimers(k: KubeletState, timers: Set<number>): void {
  for (const id of timers) k.clock.clearTimeout(id);
  timers.clear();
}

export function stopRun(k: KubeletState, run: PodRun): void {
  clearTimers(k, run.timers);
  for (const c of [...run.init, ...run.main]) clearTimers(k, c.timers);
}

export function currentPod(
  k: KubeletState,
  run: { uid: string; namespace: string; name: string },
): PodW | undefined {
  const pod = k.store.get(types.pods, run.namespace, run.name) as PodW | undefined;
  return pod && pod.metadata.uid === run.uid ? pod : undefined;
}

export function timersOf(k: KubeletState, uid: string): Set<number> {
  const existing = k.runs.get(uid)?.timers ?? k.podTimers.get(uid);
  if (existing) return existing;
  const timers = new Set<number>();
  k.podTimers.set(uid, timers);
  return timers;
}

export function forget(k: KubeletState, uid: string): void {
  const run = k.runs.get(uid);
  if (run) {
    stopRun(k, run);
    k.ipsOnNode.get(run.nodeName)?.delete(run.podIP);
    k.runs.delete(uid);
  }
  const timers = k.podTimers.get(uid);
  if (timers) clearTimers(k, timers);
  k.podTimers.delete(uid);
  k.logs.forgetPod(uid);
}
