/**
 * How the simulated kubelet runs a pod's containers. Scenarios put this, as JSON keyed by
 * container name, in the pod template annotation `BEHAVIOR_ANNOTATION`; pods inherit it from
 * their template, so each ReplicaSet revision of a Deployment can behave differently.
 * A container with no entry runs healthy.
 *
 * Unschedulable pods need no behaviour: give the template a nodeSelector no node matches,
 * and the scheduler reports FailedScheduling as kube-scheduler does.
 */
export const BEHAVIOR_ANNOTATION = 'sandbox.eks-incident.dev/behavior';

export type ContainerMode =
  /** Starts, becomes Ready after `readyAfterSeconds`, keeps running. */
  | 'healthy'
  /** Runs `runSeconds`, exits with `exitCode` (reason Error); restarted with CrashLoopBackOff back-off. */
  | 'crash'
  /** Like crash, but killed by the kernel: reason OOMKilled, exit code 137. */
  | 'oom'
  /** The image cannot be pulled: ErrImagePull, then ImagePullBackOff; the pod stays Pending. */
  | 'image-pull-failure'
  /** Runs, but its readiness probe keeps failing: Running, never Ready, Unhealthy events. */
  | 'not-ready'
  /** Runs `runSeconds`, exits 0 (for Job pods: the pod Succeeds). */
  | 'complete';

export interface ContainerBehavior {
  mode: ContainerMode;
  /** Lines the container writes each time it starts (before it exits, for crash/oom/complete). */
  logs?: string[];
  /** Exit code for `crash` (@default 1) and `complete` (always 0). */
  exitCode?: number;
  /** Seconds an instance runs before exiting (crash, oom, complete). @default 3 */
  runSeconds?: number;
  /** Seconds from start to Ready (healthy). @default 1 */
  readyAfterSeconds?: number;
  /**
   * crash/oom only: pods whose template carries `kubectl.kubernetes.io/restartedAt` (made by
   * `kubectl rollout restart`) run healthy — the "dependency was not ready yet" failure
   * that a restart fixes.
   */
  recoverAfterRolloutRestart?: boolean;
  /** crash/oom only: the container runs healthy once it has restarted this many times. */
  recoverAfterRestarts?: number;
  /** Lines written by a recovered (healthy) instance. */
  healthyLogs?: string[];
}

export type PodBehavior = Record<string, ContainerBehavior>;
