/**
 * The pod workers: start a pod bound to this node (its IP, its containers as the behaviour
 * annotation says, its volumes first) and terminate it gracefully on deletion, confirming by
 * removing the pod once its containers stopped.
 */
import type { Container, Node } from 'kubernetes-types/core/v1';
import { BEHAVIOR_ANNOTATION, type PodBehavior } from '../../behavior';
import { keyOf, splitKey, types } from '../../runtime';
import type { KubeObject } from '../../store';
import { record } from './events';
import {
  currentPod,
  forget,
  later,
  stopRun,
  timersOf,
  type ContainerRun,
  type KubeletState,
  type PodRun,
  type PodW,
} from './state';
import { publish } from './status-manager';
import { INITIAL_MOUNT_RETRY_MS, mountVolumes } from './volume-manager';

/** Set on the pod template by `kubectl rollout restart`. */
const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

export class BehaviorAnnotationError extends Error {
  constructor(pod: string, detail: string) {
    super(`pod ${pod}: annotation ${BEHAVIOR_ANNOTATION} is not valid behaviour JSON: ${detail}`);
    this.name = 'BehaviorAnnotationError';
  }
}

function parseBehavior(pod: KubeObject): PodBehavior {
  const raw = pod.metadata.annotations?.[BEHAVIOR_ANNOTATION];
  if (!raw) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new BehaviorAnnotationError(keyOf(pod), (error as Error).message);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new BehaviorAnnotationError(keyOf(pod), 'expected an object keyed by container name');
  }
  return parsed as PodBehavior;
}

function nodeInternalIp(node: Node): string {
  return node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? '10.0.0.10';
}

function allocateIp(k: KubeletState, node: Node): string {
  const nodeName = node.metadata!.name!;
  const used = k.ipsOnNode.get(nodeName) ?? new Set<string>();
  k.ipsOnNode.set(nodeName, used);
  const prefix = nodeInternalIp(node).split('.').slice(0, 3).join('.');
  for (let i = 0; i < 253; i++) {
    const candidate = `${prefix}.${((100 + i) % 253) + 2}`;
    if (!used.has(candidate)) {
      used.add(candidate);
      return candidate;
    }
  }
  return `${prefix}.254`;
}

export function begin(k: KubeletState, pod: PodW, node: Node): void {
  const behavior = parseBehavior(pod);
  const uid = pod.metadata.uid!;
  const containerRun = (spec: Container, init: boolean, index: number): ContainerRun => ({
    spec,
    init,
    index,
    behavior: behavior[spec.name] ?? { mode: init ? 'complete' : 'healthy' },
    fieldPath: `spec.${init ? 'initContainers' : 'containers'}{${spec.name}}`,
    restartCount: 0,
    everStarted: false,
    ready: false,
    done: false,
    timers: new Set(),
  });
  const run: PodRun = {
    uid,
    namespace: pod.metadata.namespace!,
    name: pod.metadata.name!,
    nodeName: node.metadata!.name!,
    restartPolicy: pod.spec?.restartPolicy ?? 'Always',
    terminationGracePeriodSeconds: pod.spec?.terminationGracePeriodSeconds ?? 30,
    rolloutRestarted: Boolean(pod.metadata.annotations?.[RESTARTED_AT]),
    hostIP: nodeInternalIp(node),
    podIP: allocateIp(k, node),
    startTime: k.clock.rfc3339(),
    init: (pod.spec?.initContainers ?? []).map((c, i) => containerRun(c as Container, true, i)),
    main: (pod.spec?.containers ?? []).map((c, i) => containerRun(c as Container, false, i)),
    conditions: new Map(),
    timers: k.podTimers.get(uid) ?? new Set(),
    terminating: false,
    finished: false,
  };
  k.podTimers.delete(uid);
  k.runs.set(uid, run);
  publish(k, run);
  mountVolumes(k, run, INITIAL_MOUNT_RETRY_MS);
}

function removeLater(k: KubeletState, pod: PodW, delayMs: number): void {
  const uid = pod.metadata.uid!;
  const { namespace, name } = splitKey(keyOf(pod));
  later(k, timersOf(k, uid), delayMs, () => {
    const current = currentPod(k, { uid, namespace: namespace!, name });
    if (current) k.store.remove(types.pods, current);
    forget(k, uid);
  });
}

/** Graceful deletion: stop the containers, then confirm by removing the pod. */
export function terminate(k: KubeletState, pod: PodW): void {
  const run = k.runs.get(pod.metadata.uid!);
  if (run?.terminating || k.podTimers.has(pod.metadata.uid!)) return;
  if (run) {
    run.terminating = true;
    stopRun(k, run);
    for (const c of [...run.init, ...run.main]) {
      if (c.runningSince) record(k, run, c, 'Normal', 'Killing', `Stopping container ${c.spec.name}`);
    }
  }
  const grace = pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
  removeLater(k, pod, Math.min(grace, 1) * 1000);
}
