/**
 * PodGC's part for pods whose node is gone (pkg/controller/podgc): after a 40 s quarantine they
 * are marked Failed with a DisruptionTarget condition and removed, so their controllers replace them.
 */
import type { PodCondition } from 'kubernetes-types/core/v1';
import { keyOf, splitKey, types } from '../../runtime';
import type { Writable } from '../../store';
import { currentPod, forget, later, stopRun, timersOf, type KubeletState, type PodW } from './state';
import { isTerminalPhase } from './status-manager';

/** PodGC waits this long before it deletes pods whose node is gone (quarantine for a node re-registering). */
const ORPHAN_QUARANTINE_MS = 40_000;

/** PodGC for a pod whose node does not exist: after the quarantine, fail it and delete it. */
export function collectOrphan(k: KubeletState, pod: PodW): void {
  const uid = pod.metadata.uid!;
  const run = k.runs.get(uid);
  if (run) {
    stopRun(k, run);
    k.ipsOnNode.get(run.nodeName)?.delete(run.podIP);
    k.runs.delete(uid);
  }
  if (k.podTimers.has(uid)) return;
  const { namespace, name } = splitKey(keyOf(pod));
  later(k, timersOf(k, uid), ORPHAN_QUARANTINE_MS, () => {
    k.podTimers.delete(uid);
    const current = currentPod(k, { uid, namespace: namespace!, name });
    if (!current || k.store.get(types.nodes, undefined, current.spec?.nodeName ?? '')) return;
    const failed = structuredClone(current);
    const status = (failed.status ??= {});
    if (!isTerminalPhase(status.phase)) status.phase = 'Failed';
    status.conditions = [
      ...(status.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget'),
      {
        type: 'DisruptionTarget',
        status: 'True',
        reason: 'DeletionByPodGC',
        message: 'PodGC: node no longer exists',
        lastProbeTime: null,
        lastTransitionTime: k.clock.rfc3339(),
      } as unknown as Writable<PodCondition>,
    ];
    k.store.remove(types.pods, k.store.update(types.pods, failed));
    forget(k, uid);
  });
}
