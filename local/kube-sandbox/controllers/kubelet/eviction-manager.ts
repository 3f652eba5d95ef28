/**
 * The eviction manager: a container that fills an emptyDir past its sizeLimit, or the pod's
 * ephemeral storage past its containers' limits, gets the pod evicted (phase Failed, reason
 * Evicted); any other full volume fails the write with ENOSPC.
 */
import type { Container } from 'kubernetes-types/core/v1';
import { parseQuantity } from '../../quantity';
import { exit } from './container-runtime';
import { record } from './events';
import { clearTimers, currentPod, type ContainerRun, type KubeletState, type PodRun } from './state';
import { publish } from './status-manager';

/**
 * The sum of the containers' ephemeral-storage limits as the eviction message prints it: as
 * written when all share one suffix (`2Gi`), else in bytes; undefined when none has a limit.
 */
function ephemeralStorageLimit(containers: Container[]): string | undefined {
  const limits = containers
    .map((c) => c.resources?.limits?.['ephemeral-storage'])
    .filter((l): l is string => typeof l === 'string');
  if (limits.length === 0) return undefined;
  const suffixes = new Set(limits.map((l) => /[a-zA-Z]*$/.exec(l)![0]));
  if (suffixes.size === 1) {
    const [suffix] = suffixes;
    return `${limits.reduce((sum, l) => sum + Number(l.slice(0, l.length - suffix.length)), 0)}${suffix}`;
  }
  return String(limits.reduce((sum, l) => sum + parseQuantity(l), 0));
}

/** disk-full: the written volume is full. An emptyDir over its sizeLimit gets the pod evicted; any other write fails with ENOSPC. */
export function fillVolume(k: KubeletState, run: PodRun, c: ContainerRun): void {
  const pod = currentPod(k, run);
  if (!pod) return;
  const volumes = pod.spec?.volumes ?? [];
  const mounts = c.spec.volumeMounts ?? [];
  const mount =
    mounts.find((m) => m.name === c.behavior.volume) ??
    mounts.find((m) => volumes.some((v) => v.name === m.name && v.emptyDir)) ??
    mounts[0];
  const volume = volumes.find((v) => v.name === (c.behavior.volume ?? mount?.name));
  const sizeLimit = volume?.emptyDir?.sizeLimit;
  if (volume && sizeLimit) {
    evict(k, run, `Usage of EmptyDir volume "${volume.name}" exceeds the limit "${sizeLimit}". `);
    return;
  }
  // An emptyDir counts toward the pod's ephemeral storage: with ephemeral-storage limits
  // on its containers, the pod is evicted before the node's disk fills.
  const podLimit = volume?.emptyDir ? ephemeralStorageLimit(pod.spec?.containers ?? []) : undefined;
  if (podLimit) {
    evict(k, run, `Pod ephemeral local storage usage exceeds the total limit of containers ${podLimit}. `);
    return;
  }
  const path = `${mount?.mountPath ?? '/tmp'}/spool.dat`.replace(/\/\/+/g, '/');
  const at = k.clock.now();
  const lines = c.behavior.failureLogs ?? [`write ${path}: no space left on device`];
  k.logs.append(
    run.uid,
    c.spec.name,
    c.restartCount,
    lines.map((text) => ({ at, text })),
  );
  exit(k, run, c, c.behavior.exitCode ?? 1, 'Error');
}

/** The eviction manager's evictPod: kill every container at once, fail the pod with reason Evicted. */
function evict(k: KubeletState, run: PodRun, message: string): void {
  record(k, run, undefined, 'Warning', 'Evicted', message);
  for (const c of [...run.init, ...run.main]) {
    clearTimers(k, c.timers);
    if (!c.runningSince) continue;
    record(k, run, c, 'Normal', 'Killing', `Stopping container ${c.spec.name}`);
    c.terminated = {
      containerID: c.containerID!,
      exitCode: 137,
      reason: 'Error',
      startedAt: c.runningSince,
      finishedAt: k.clock.rfc3339(),
    };
    c.runningSince = undefined;
    c.ready = false;
  }
  run.evicted = message;
  publish(k, run);
}
