import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import type { RolloutStatus } from '../shared/kubernetes/ports/rollouts';

/** Waiting reasons of a container that is only starting. */
const STARTING = new Set(['ContainerCreating', 'PodInitializing']);

/**
 * Why a pod of the revision being rolled out is not merely starting, or undefined when it is:
 * no container restarted, failed or waits for anything but its start, none runs unready for
 * longer than `startSeconds`, and the pod is not refused by the scheduler.
 */
export function startTrouble(pod: V1Pod, now: Date, startSeconds: number): string | undefined {
  const name = pod.metadata?.name ?? '';
  const unscheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  if (unscheduled) return `${name} cannot be scheduled`;
  const statuses: Array<[V1ContainerStatus, boolean]> = [
    ...(pod.status?.initContainerStatuses ?? []).map((s) => [s, true] as [V1ContainerStatus, boolean]),
    ...(pod.status?.containerStatuses ?? []).map((s) => [s, false] as [V1ContainerStatus, boolean]),
  ];
  for (const [s, init] of statuses) {
    if (s.restartCount > 0) return `${name}/${s.name} restarted ${s.restartCount} times`;
    const waiting = s.state?.waiting?.reason;
    if (waiting && !STARTING.has(waiting)) return `${name}/${s.name} waits: ${waiting}`;
    const created = pod.metadata?.creationTimestamp;
    if (waiting && created && (now.getTime() - new Date(created).getTime()) / 1000 > startSeconds)
      return `${name}/${s.name} still waits (${waiting}) ${startSeconds} s after the pod was created`;
    const exit = s.state?.terminated?.exitCode;
    if (exit !== undefined && (exit !== 0 || !init)) return `${name}/${s.name} exited with code ${exit}`;
    const started = s.state?.running?.startedAt;
    if (!init && started && !s.ready) {
      const unreadyFor = (now.getTime() - new Date(started).getTime()) / 1000;
      if (unreadyFor > startSeconds)
        return `${name}/${s.name} has run ${Math.round(unreadyFor)} s without becoming ready`;
    }
  }
  return undefined;
}

/**
 * A rollout that is under way and going well: kubectl has not failed it, and every pod of the
 * new revision that is not ready yet is only starting. A restart or a rollback now would only
 * interrupt it, so the health read before a write counts it as fine ("no action").
 */
export function cleanProgress(
  status: RolloutStatus,
  pods: V1Pod[],
  now: Date,
  startSeconds: number,
): { clean: boolean; trouble?: string } {
  if (status.failed || status.done) return { clean: false };
  for (const notReady of status.pods.notReady) {
    const pod = pods.find((p) => p.metadata?.name === notReady.name);
    const trouble = pod ? startTrouble(pod, now, startSeconds) : `${notReady.name}: ${notReady.reason}`;
    if (trouble) return { clean: false, trouble };
  }
  return { clean: true };
}
