/**
 * The volume manager: sets up the pod's volumes before any container starts. A ConfigMap or
 * Secret volume whose source is missing fails with FailedMount, retried with exponential back-off.
 */
import { startInit } from './container-runtime';
import { volumeMountFailures } from './config-references';
import { record } from './events';
import { currentPod, later, type KubeletState, type PodRun } from './state';
import type { Pod } from 'kubernetes-types/core/v1';

/** The volume manager's retry of a failed mount: 500 ms doubling to 2m2s (exponentialbackoff). */
export const INITIAL_MOUNT_RETRY_MS = 500;
const MAX_MOUNT_RETRY_MS = 122_000;

/**
 * The volume manager sets up the pod's volumes before any container starts; a ConfigMap
 * or Secret volume whose source is missing fails with FailedMount, retried with back-off,
 * and the pod stays ContainerCreating until the source exists.
 */
export function mountVolumes(k: KubeletState, run: PodRun, retryMs: number): void {
  const pod = currentPod(k, run);
  if (!pod) return;
  const failures = volumeMountFailures(k.store, pod as Pod);
  if (failures.length === 0) {
    startInit(k, run, 0);
    return;
  }
  for (const f of failures) {
    record(
      k,
      run,
      undefined,
      'Warning',
      'FailedMount',
      `MountVolume.SetUp failed for volume "${f.volume}" : ${f.error}`,
    );
  }
  later(k, run.timers, retryMs, () => mountVolumes(k, run, Math.min(retryMs * 2, MAX_MOUNT_RETRY_MS)));
}
