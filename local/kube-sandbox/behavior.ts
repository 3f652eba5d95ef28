/**
 * How the simulated kubelet runs a pod's containers. Scenarios put this, as JSON keyed by
 * container name, in the pod template annotation `BEHAVIOR_ANNOTATION`; pods inherit it from
 * their template, so each ReplicaSet revision of a Deployment can behave differently.
 * A container with no entry runs healthy.
 *
 * Unschedulable pods need no behaviour: give the template a nodeSelector no node matches,
 * and the scheduler reports FailedScheduling as kube-scheduler does. Nor do missing
 * references: env, envFrom and volumes naming a ConfigMap, Secret or key that does not exist
 * give CreateContainerConfigError or FailedMount, as the kubelet does, until it is created.
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
  | 'complete'
  /**
   * Starts and becomes Ready, then after `runSeconds` stops answering its probes: readiness
   * probe failures make it unready, and after the liveness probe's failureThreshold the kubelet
   * kills it ("failed liveness probe, will be restarted"); it exits 143 and is restarted with
   * back-off. Without a livenessProbe in the spec it just hangs, Running.
   */
  | 'liveness-failure'
  /**
   * Its executable does not exist in the image: the start fails with containerd's
   * `exec: "<executable>": executable file not found in $PATH` (RunContainerError, last state
   * StartError with exit code 128), and the kubelet retries with back-off.
   */
  | 'command-not-found'
  /**
   * Writes to a volume (`volume`, default: its first mounted one) for `runSeconds` until it is
   * full. An emptyDir with a sizeLimit gets the pod evicted by the kubelet ("Usage of EmptyDir
   * volume ... exceeds the limit"), as does one without when the containers have
   * ephemeral-storage limits ("Pod ephemeral local storage usage exceeds the total limit of
   * containers ..."); any other volume fills up: the container logs
   * `failureLogs` (default: a `no space left on device` write error) and exits with `exitCode`.
   */
  | 'disk-full';

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
  /**
   * liveness-failure: how the probes fail. For httpGet probes the status code answered
   * (@default 500), or `timeout` for no answer; tcpSocket probes are refused (or time out);
   * exec probes print `probeOutput`; gRPC probes answer NOT_SERVING (or time out).
   */
  probeStatusCode?: number;
  probeTimeout?: boolean;
  probeOutput?: string;
  /** command-not-found: the executable that is missing. @default the container's command[0], else the image's entrypoint `/docker-entrypoint.sh` */
  executable?: string;
  /** disk-full: the name of the pod volume written to. */
  volume?: string;
  /** disk-full: lines written when the volume is full (before exiting). */
  failureLogs?: string[];
}

export type PodBehavior = Record<string, ContainerBehavior>;
