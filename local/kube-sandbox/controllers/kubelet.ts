import { createHash, randomBytes } from 'node:crypto';
import type {
  Container,
  ContainerState,
  ContainerStatus,
  Node,
  Pod,
  PodCondition,
  PodStatus,
} from 'kubernetes-types/core/v1';
import {
  BEHAVIOR_ANNOTATION,
  type ContainerBehavior,
  type ContainerMode,
  type PodBehavior,
} from '../behavior';
import { parseQuantity } from '../quantity';
import { containerConfigError, volumeMountFailures } from './kubelet-config';
import { probeFailure, probeTiming } from './kubelet-probes';
import { kubeletStopped } from './node-lifecycle';
import { keyOf, onStoreEvents, splitKey, types, type Controller, type ControllerContext } from '../runtime';
import type { KubeObject, Writable } from '../store';

type PodW = Writable<Pod> & KubeObject;

/** How long the kubelet takes to notice a container exited (PLEG relist) and sync the pod again. */
const SYNC_DELAY_MS = 1000;
/** The kubelet's crash-loop and image-pull back-off: 10 s doubling to 5 min, reset after 10 min of calm. */
const INITIAL_BACKOFF_MS = 10_000;
const MAX_BACKOFF_MS = 300_000;
/** The pod worker's back-off after a failed sync (a missing ConfigMap or Secret): it tries again this often. */
const POD_WORKER_BACKOFF_MS = 10_000;
/** The volume manager's retry of a failed mount: 500 ms doubling to 2m2s (exponentialbackoff). */
const INITIAL_MOUNT_RETRY_MS = 500;
const MAX_MOUNT_RETRY_MS = 122_000;
/** containerd's StartError: the process never ran, so it has no start time. */
const NEVER_STARTED = '1970-01-01T00:00:00Z';
/** PodGC waits this long before it deletes pods whose node is gone (quarantine for a node re-registering). */
const ORPHAN_QUARANTINE_MS = 40_000;
/** Set on the pod template by `kubectl rollout restart`. */
const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

export class BehaviorAnnotationError extends Error {
  constructor(pod: string, detail: string) {
    super(`pod ${pod}: annotation ${BEHAVIOR_ANNOTATION} is not valid behaviour JSON: ${detail}`);
    this.name = 'BehaviorAnnotationError';
  }
}

interface Terminated {
  containerID: string;
  exitCode: number;
  reason: string;
  message?: string;
  startedAt: string;
  finishedAt: string;
}

interface BackOffEntry {
  delayMs: number;
  lastUpdate: number;
}

/** One container of a pod on its node, across its restarts. */
interface ContainerRun {
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

interface ConditionState {
  status: 'True' | 'False';
  reason?: string;
  message?: string;
  lastTransitionTime: string;
}

/** A pod the kubelet runs. */
interface PodRun {
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

/** A Go time.Duration as `%v` prints it: 800ms, 1.234s, 1m20s, 5m0s. */
export function goDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = ((ms % 60_000) / 1000).toFixed(3).replace(/\.?0+$/, '');
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}

/** A reference as containerd reports it: registry and `library/` made explicit, `:latest` when untagged. */
export function normalizeImage(image: string): string {
  const [name, digest] = image.split('@');
  const firstSlash = name.indexOf('/');
  const first = firstSlash < 0 ? '' : name.slice(0, firstSlash);
  const hasRegistry = first.includes('.') || first.includes(':') || first === 'localhost';
  let full = hasRegistry ? name : `docker.io/${firstSlash < 0 ? `library/${name}` : name}`;
  const tagged = full.lastIndexOf(':') > full.lastIndexOf('/');
  if (!tagged && !digest) full += ':latest';
  return digest ? `${full}@${digest}` : full;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function imageIdOf(image: string): string {
  const normalized = normalizeImage(image);
  const at = normalized.indexOf('@');
  if (at >= 0) return normalized;
  const repository = normalized.slice(0, normalized.lastIndexOf(':'));
  return `${repository}@sha256:${sha256(normalized)}`;
}

/** A stable pseudo-random pull duration and size per image, so repeated pulls fold into one event. */
function pullFacts(image: string): { ms: number; bytes: number } {
  const n = parseInt(sha256(image).slice(0, 8), 16);
  return { ms: 800 + (n % 3200), bytes: 8_000_000 + (n % 150_000_000) };
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

function isTerminalPhase(phase: string | undefined): boolean {
  return phase === 'Succeeded' || phase === 'Failed';
}

function nodeInternalIp(node: Node): string {
  return node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? '10.0.0.10';
}

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
    const { store, clock, events, logs } = ctx;
    const runs = new Map<string, PodRun>();
    /** Timers of pods without a run (orphans, deletions of pods never started), by pod uid. */
    const podTimers = new Map<string, Set<number>>();
    const imagesOnNode = new Map<string, Set<string>>();
    const ipsOnNode = new Map<string, Set<string>>();
    const failures = new Map<string, unknown>();
    let failureCount = 0;
    let stopped = false;

    const queue = ctx.queue('kubelet', (key) => {
      if (key.startsWith('!')) {
        // Timer callbacks run outside any queue; their errors are replayed here so the sandbox records them.
        const error = failures.get(key);
        failures.delete(key);
        throw error;
      }
      syncPod(key);
    });

    const guarded =
      (fn: () => void): (() => void) =>
      () => {
        if (stopped) return;
        try {
          fn();
        } catch (error) {
          const key = `!${++failureCount}`;
          failures.set(key, error);
          queue.add(key);
        }
      };

    function later(timers: Set<number>, ms: number, fn: () => void): void {
      const id = clock.setTimeout(
        guarded(() => {
          timers.delete(id);
          fn();
        }),
        ms,
      );
      timers.add(id);
    }

    function clearTimers(timers: Set<number>): void {
      for (const id of timers) clock.clearTimeout(id);
      timers.clear();
    }

    function stopRun(run: PodRun): void {
      clearTimers(run.timers);
      for (const c of [...run.init, ...run.main]) clearTimers(c.timers);
    }

    function currentPod(run: { uid: string; namespace: string; name: string }): PodW | undefined {
      const pod = store.get(types.pods, run.namespace, run.name) as PodW | undefined;
      return pod && pod.metadata.uid === run.uid ? pod : undefined;
    }

    function record(
      run: PodRun,
      c: ContainerRun | undefined,
      type: 'Normal' | 'Warning',
      reason: string,
      message: string,
    ) {
      const pod = currentPod(run);
      if (!pod) return;
      events.record(pod, type, reason, message, {
        component: 'kubelet',
        host: run.nodeName,
        ...(c ? { fieldPath: c.fieldPath } : {}),
      });
    }

    function allocateIp(node: Node): string {
      const nodeName = node.metadata!.name!;
      const used = ipsOnNode.get(nodeName) ?? new Set<string>();
      ipsOnNode.set(nodeName, used);
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

    function forget(uid: string): void {
      const run = runs.get(uid);
      if (run) {
        stopRun(run);
        ipsOnNode.get(run.nodeName)?.delete(run.podIP);
        runs.delete(uid);
      }
      const timers = podTimers.get(uid);
      if (timers) clearTimers(timers);
      podTimers.delete(uid);
      logs.forgetPod(uid);
    }

    function timersOf(uid: string): Set<number> {
      const existing = runs.get(uid)?.timers ?? podTimers.get(uid);
      if (existing) return existing;
      const timers = new Set<number>();
      podTimers.set(uid, timers);
      return timers;
    }

    // ---- status -------------------------------------------------------------------------

    function phaseOf(run: PodRun): string {
      const pendingInit = run.init.filter((c) => !c.done);
      if (pendingInit.length > 0) {
        const failedForGood = run.restartPolicy === 'Never' && pendingInit.some((c) => c.terminated);
        return failedForGood ? 'Failed' : 'Pending';
      }
      let running = 0;
      let waiting = 0;
      let exited = 0;
      let succeeded = 0;
      for (const c of run.main) {
        if (c.runningSince) running++;
        else if (c.terminated) {
          exited++;
          if (c.terminated.exitCode === 0) succeeded++;
        } else if (c.lastTerminated) exited++;
        else waiting++;
      }
      if (waiting > 0) return 'Pending';
      if (running > 0) return 'Running';
      if (exited > 0) {
        if (run.restartPolicy === 'Always') return 'Running';
        if (exited === succeeded) return 'Succeeded';
        return run.restartPolicy === 'Never' ? 'Failed' : 'Running';
      }
      return 'Pending';
    }

    function setCondition(
      run: PodRun,
      type: string,
      status: 'True' | 'False',
      reason?: string,
      message?: string,
    ): void {
      const existing = run.conditions.get(type);
      run.conditions.set(type, {
        status,
        reason,
        message,
        lastTransitionTime:
          existing && existing.status === status ? existing.lastTransitionTime : clock.rfc3339(),
      });
    }

    function conditionJson(type: string, c: ConditionState): PodCondition {
      return {
        type,
        status: c.status,
        lastProbeTime: null,
        lastTransitionTime: c.lastTransitionTime,
        ...(c.reason ? { reason: c.reason } : {}),
        ...(c.message ? { message: c.message } : {}),
      } as unknown as PodCondition;
    }

    function containerState(run: PodRun, c: ContainerRun): ContainerState {
      if (c.runningSince) return { running: { startedAt: c.runningSince } };
      if (c.terminated) return { terminated: { ...c.terminated } };
      if (c.waiting) return { waiting: { ...c.waiting } };
      const initPending = run.init.some((i) => !i.done);
      return { waiting: { reason: c.init || initPending ? 'PodInitializing' : 'ContainerCreating' } };
    }

    function containerStatus(run: PodRun, c: ContainerRun): ContainerStatus {
      const mounts = (c.spec.volumeMounts ?? []).map((m) => ({
        name: m.name,
        mountPath: m.mountPath,
        ...(m.readOnly ? { readOnly: true, recursiveReadOnly: 'Disabled' } : {}),
      }));
      return {
        name: c.spec.name,
        ...(c.containerID ? { containerID: c.containerID } : {}),
        image: c.imageID ? normalizeImage(c.spec.image ?? '') : (c.spec.image ?? ''),
        imageID: c.imageID ?? '',
        lastState: c.lastTerminated ? { terminated: { ...c.lastTerminated } } : {},
        ready: c.ready,
        restartCount: c.restartCount,
        started: Boolean(c.runningSince),
        state: containerState(run, c),
        ...(mounts.length ? { volumeMounts: mounts } : {}),
      } as ContainerStatus;
    }

    /** Writes the pod's status from what runs on the node; a terminal phase stops the pod for good. */
    function publish(run: PodRun): void {
      const pod = currentPod(run);
      if (!pod || kubeletStopped(store.get(types.nodes, undefined, run.nodeName))) return;
      const phase = run.evicted
        ? 'Failed'
        : run.terminating
          ? (pod.status?.phase ?? 'Running')
          : phaseOf(run);
      if (isTerminalPhase(phase) && !run.finished) {
        run.finished = true;
        stopRun(run);
      }
      const incompleteInit = run.init.filter((c) => !c.done).map((c) => c.spec.name);
      const unready = run.main.filter((c) => !c.ready).map((c) => c.spec.name);
      setCondition(run, 'PodReadyToStartContainers', run.finished ? 'False' : 'True');
      if (incompleteInit.length > 0) {
        setCondition(
          run,
          'Initialized',
          'False',
          'ContainersNotInitialized',
          `containers with incomplete status: [${incompleteInit.join(' ')}]`,
        );
      } else {
        setCondition(run, 'Initialized', 'True', phase === 'Succeeded' ? 'PodCompleted' : undefined);
      }
      for (const type of ['Ready', 'ContainersReady']) {
        if (phase === 'Succeeded') setCondition(run, type, 'False', 'PodCompleted');
        else if (phase === 'Failed') setCondition(run, type, 'False', 'PodFailed');
        else if (unready.length > 0) {
          setCondition(
            run,
            type,
            'False',
            'ContainersNotReady',
            `containers with unready status: [${unready.join(' ')}]`,
          );
        } else setCondition(run, type, 'True');
      }
      const ours = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady'];
      const existing = (pod.status?.conditions ?? []) as PodCondition[];
      const scheduled = existing.find((c) => c.type === 'PodScheduled') ?? {
        type: 'PodScheduled',
        status: 'True',
        lastProbeTime: null,
        lastTransitionTime: run.startTime,
      };
      if (run.evicted) {
        ours.unshift('DisruptionTarget');
        setCondition(run, 'DisruptionTarget', 'True', 'TerminationByKubelet', run.evicted);
      }
      const conditions = [
        ...ours.map((type) => conditionJson(type, run.conditions.get(type)!)),
        scheduled,
        ...existing.filter((c) => !ours.includes(c.type) && c.type !== 'PodScheduled'),
      ];
      const status: Writable<PodStatus> = {
        ...(pod.status as Writable<PodStatus>),
        phase,
        conditions: conditions as Writable<PodCondition>[],
        hostIP: run.hostIP,
        hostIPs: [{ ip: run.hostIP }],
        podIP: run.podIP,
        podIPs: [{ ip: run.podIP }],
        startTime: run.startTime,
        ...(run.evicted ? { reason: 'Evicted', message: run.evicted } : {}),
        containerStatuses: run.main.map((c) => containerStatus(run, c)) as Writable<ContainerStatus>[],
      };
      if (run.init.length > 0) {
        status.initContainerStatuses = run.init.map((c) =>
          containerStatus(run, c),
        ) as Writable<ContainerStatus>[];
      }
      if (JSON.stringify(status) === JSON.stringify(pod.status)) return;
      const next = structuredClone(pod);
      next.status = status;
      store.update(types.pods, next);
    }

    // ---- containers ---------------------------------------------------------------------

    function effectiveMode(run: PodRun, c: ContainerRun): { mode: ContainerMode; lines: string[] } {
      const b = c.behavior;
      if (b.mode === 'crash' || b.mode === 'oom') {
        const recovered =
          (b.recoverAfterRolloutRestart && run.rolloutRestarted) ||
          (b.recoverAfterRestarts !== undefined && c.restartCount >= b.recoverAfterRestarts);
        if (recovered) return { mode: 'healthy', lines: b.healthyLogs ?? [] };
      }
      return { mode: b.mode, lines: b.logs ?? [] };
    }

    function pullError(image: string): string {
      const ref = normalizeImage(image);
      return `rpc error: code = NotFound desc = failed to pull and unpack image "${ref}": failed to resolve reference "${ref}": ${ref}: not found`;
    }

    function nextBackOff(entry: BackOffEntry | undefined, eventTime: number): BackOffEntry {
      const expired = !entry || eventTime - entry.lastUpdate > 2 * MAX_BACKOFF_MS;
      return {
        delayMs: expired ? INITIAL_BACKOFF_MS : Math.min(entry.delayMs * 2, MAX_BACKOFF_MS),
        lastUpdate: clock.now(),
      };
    }

    /** EnsureImageExists: the pull (or the cache hit), then `done(pulled)`. */
    function pullImage(run: PodRun, c: ContainerRun, done: (pulled: boolean) => void): void {
      const image = c.spec.image ?? '';
      const cache = imagesOnNode.get(run.nodeName) ?? new Set<string>();
      imagesOnNode.set(run.nodeName, cache);
      if (c.behavior.mode === 'image-pull-failure') {
        record(run, c, 'Normal', 'Pulling', `Pulling image "${image}"`);
        later(c.timers, pullFacts(image).ms, () => {
          const error = pullError(image);
          record(run, c, 'Warning', 'Failed', `Failed to pull image "${image}": ${error}`);
          record(run, c, 'Warning', 'Failed', 'Error: ErrImagePull');
          c.waiting = { reason: 'ErrImagePull', message: error };
          c.pullBackOff = nextBackOff(c.pullBackOff, clock.now());
          publish(run);
          done(false);
          later(c.timers, SYNC_DELAY_MS, () => {
            record(run, c, 'Normal', 'BackOff', `Back-off pulling image "${image}"`);
            record(run, c, 'Warning', 'Failed', 'Error: ImagePullBackOff');
            c.waiting = {
              reason: 'ImagePullBackOff',
              message: `Back-off pulling image "${image}": ErrImagePull: ${error}`,
            };
            publish(run);
          });
          later(c.timers, c.pullBackOff.delayMs, () => pullImage(run, c, () => undefined));
        });
        return;
      }
      const normalized = normalizeImage(image);
      if (
        c.spec.imagePullPolicy !== 'Always' &&
        (cache.has(normalized) || c.spec.imagePullPolicy === 'Never')
      ) {
        record(run, c, 'Normal', 'Pulled', `Container image "${image}" already present on machine`);
        c.imageID = imageIdOf(image);
        done(true);
        return;
      }
      record(run, c, 'Normal', 'Pulling', `Pulling image "${image}"`);
      const facts = pullFacts(image);
      const ms = cache.has(normalized) ? Math.round(facts.ms / 4) : facts.ms;
      later(c.timers, ms, () => {
        cache.add(normalized);
        const took = goDuration(ms);
        record(
          run,
          c,
          'Normal',
          'Pulled',
          `Successfully pulled image "${image}" in ${took} (${took} including waiting). Image size: ${facts.bytes} bytes.`,
        );
        c.imageID = imageIdOf(image);
        done(true);
      });
    }

    function createAndStart(run: PodRun, c: ContainerRun): void {
      // makeEnvironmentVariables: a missing ConfigMap, Secret or key fails this sync before
      // the container is created; the pod worker tries again after its back-off.
      const configError = containerConfigError(store, run.namespace, c.spec);
      if (configError) {
        c.waiting = { reason: 'CreateContainerConfigError', message: configError };
        record(run, c, 'Warning', 'Failed', `Error: ${configError}`);
        publish(run);
        later(c.timers, POD_WORKER_BACKOFF_MS, () =>
          pullImage(run, c, (pulled) => {
            if (pulled) createAndStart(run, c);
          }),
        );
        return;
      }
      if (c.everStarted) c.restartCount += 1;
      if (c.terminated) c.lastTerminated = c.terminated;
      c.terminated = undefined;
      c.waiting = undefined;
      c.everStarted = true;
      c.ready = false;
      c.containerID = `containerd://${randomBytes(32).toString('hex')}`;
      record(run, c, 'Normal', 'Created', `Created container: ${c.spec.name}`);
      const { mode, lines } = effectiveMode(run, c);
      if (mode === 'command-not-found') {
        failStart(run, c);
        return;
      }
      record(run, c, 'Normal', 'Started', `Started container ${c.spec.name}`);
      c.runningSince = clock.rfc3339();
      const at = clock.now();
      logs.append(
        run.uid,
        c.spec.name,
        c.restartCount,
        lines.map((text) => ({ at, text })),
      );
      const b = c.behavior;
      switch (mode) {
        case 'healthy':
          later(c.timers, (b.readyAfterSeconds ?? 1) * 1000, () => {
            c.ready = true;
            publish(run);
          });
          break;
        case 'not-ready': {
          const periodMs = (c.spec.readinessProbe?.periodSeconds ?? 10) * 1000;
          const probe = (): void => {
            record(
              run,
              c,
              'Warning',
              'Unhealthy',
              'Readiness probe failed: HTTP probe failed with statuscode: 503',
            );
            later(c.timers, periodMs, probe);
          };
          later(c.timers, periodMs, probe);
          break;
        }
        case 'crash':
          later(c.timers, (b.runSeconds ?? 3) * 1000, () => exit(run, c, b.exitCode ?? 1, 'Error'));
          break;
        case 'oom':
          later(c.timers, (b.runSeconds ?? 3) * 1000, () => exit(run, c, 137, 'OOMKilled'));
          break;
        case 'complete':
          later(c.timers, (b.runSeconds ?? 3) * 1000, () => exit(run, c, 0, 'Completed'));
          break;
        case 'liveness-failure':
          later(c.timers, (b.readyAfterSeconds ?? 1) * 1000, () => {
            c.ready = true;
            publish(run);
          });
          later(c.timers, (b.runSeconds ?? 3) * 1000, () => hang(run, c));
          break;
        case 'disk-full':
          later(c.timers, (b.runSeconds ?? 3) * 1000, () => fillVolume(run, c));
          break;
        case 'image-pull-failure':
          break;
      }
      publish(run);
    }

    /**
     * The runtime cannot start the process (StartContainer fails): the container is left
     * exited with StartError/128, the pod shows RunContainerError, and the next sync restarts
     * it under the crash-loop back-off.
     */
    function failStart(run: PodRun, c: ContainerRun): void {
      const executable = c.behavior.executable ?? c.spec.command?.[0] ?? '/docker-entrypoint.sh';
      const message = `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "${executable}": executable file not found in $PATH: unknown`;
      record(run, c, 'Warning', 'Failed', `Error: ${message}`);
      c.lastTerminated = {
        containerID: c.containerID!,
        exitCode: 128,
        reason: 'StartError',
        message,
        startedAt: NEVER_STARTED,
        finishedAt: clock.rfc3339(),
      };
      c.waiting = { reason: 'RunContainerError', message };
      publish(run);
      const finishedAt = clock.now();
      later(c.timers, SYNC_DELAY_MS, () => syncExited(run, c, finishedAt));
    }

    /**
     * The process stops answering: every probe of the spec fails from now on. Readiness
     * failures make it unready; failureThreshold liveness failures in a row get it killed
     * (SIGTERM, which it honours: exit 143) and restarted.
     */
    function hang(run: PodRun, c: ContainerRun): void {
      const readiness = c.spec.readinessProbe;
      if (readiness) {
        const { periodMs } = probeTiming(readiness);
        const probe = (): void => {
          c.ready = false;
          const why = probeFailure(readiness, c.spec, run.podIP, c.behavior);
          record(run, c, 'Warning', 'Unhealthy', `Readiness probe failed: ${why}`);
          publish(run);
          later(c.timers, periodMs, probe);
        };
        later(c.timers, periodMs, probe);
      }
      const liveness = c.spec.livenessProbe;
      if (!liveness) return;
      const { periodMs, failureThreshold, initialDelayMs } = probeTiming(liveness);
      const startedFor = clock.now() - Date.parse(c.runningSince!);
      let failures = 0;
      const probe = (): void => {
        failures += 1;
        const why = probeFailure(liveness, c.spec, run.podIP, c.behavior);
        record(run, c, 'Warning', 'Unhealthy', `Liveness probe failed: ${why}`);
        if (failures < failureThreshold) {
          later(c.timers, periodMs, probe);
          return;
        }
        record(
          run,
          c,
          'Normal',
          'Killing',
          `Container ${c.spec.name} failed liveness probe, will be restarted`,
        );
        const grace = run.terminationGracePeriodSeconds;
        later(c.timers, Math.min(grace, 1) * 1000, () => exit(run, c, 143, 'Error'));
      };
      later(c.timers, Math.max(periodMs, initialDelayMs - startedFor), probe);
    }

    /** disk-full: the written volume is full. An emptyDir over its sizeLimit gets the pod evicted; any other write fails with ENOSPC. */
    function fillVolume(run: PodRun, c: ContainerRun): void {
      const pod = currentPod(run);
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
        evict(run, `Usage of EmptyDir volume "${volume.name}" exceeds the limit "${sizeLimit}". `);
        return;
      }
      // An emptyDir counts toward the pod's ephemeral storage: with ephemeral-storage limits
      // on its containers, the pod is evicted before the node's disk fills.
      const podLimit = volume?.emptyDir ? ephemeralStorageLimit(pod.spec?.containers ?? []) : undefined;
      if (podLimit) {
        evict(run, `Pod ephemeral local storage usage exceeds the total limit of containers ${podLimit}. `);
        return;
      }
      const path = `${mount?.mountPath ?? '/tmp'}/spool.dat`.replace(/\/\/+/g, '/');
      const at = clock.now();
      const lines = c.behavior.failureLogs ?? [`write ${path}: no space left on device`];
      logs.append(
        run.uid,
        c.spec.name,
        c.restartCount,
        lines.map((text) => ({ at, text })),
      );
      exit(run, c, c.behavior.exitCode ?? 1, 'Error');
    }

    /** The eviction manager's evictPod: kill every container at once, fail the pod with reason Evicted. */
    function evict(run: PodRun, message: string): void {
      record(run, undefined, 'Warning', 'Evicted', message);
      for (const c of [...run.init, ...run.main]) {
        clearTimers(c.timers);
        if (!c.runningSince) continue;
        record(run, c, 'Normal', 'Killing', `Stopping container ${c.spec.name}`);
        c.terminated = {
          containerID: c.containerID!,
          exitCode: 137,
          reason: 'Error',
          startedAt: c.runningSince,
          finishedAt: clock.rfc3339(),
        };
        c.runningSince = undefined;
        c.ready = false;
      }
      run.evicted = message;
      publish(run);
    }

    function exit(run: PodRun, c: ContainerRun, exitCode: number, reason: string): void {
      clearTimers(c.timers);
      c.terminated = {
        containerID: c.containerID!,
        exitCode,
        reason,
        startedAt: c.runningSince!,
        finishedAt: clock.rfc3339(),
      };
      c.runningSince = undefined;
      c.ready = false;
      if (c.init && exitCode === 0) {
        c.done = true;
        c.ready = true;
        publish(run);
        startInit(run, c.index + 1);
        return;
      }
      const restart =
        run.restartPolicy === 'Always'
          ? !c.init || exitCode !== 0
          : run.restartPolicy === 'OnFailure' && exitCode !== 0;
      if (!restart) {
        // A failed init container that may not restart leaves the pod Failed, not initialized.
        if (!c.init) c.done = true;
        publish(run);
        return;
      }
      publish(run);
      const finishedAt = clock.now();
      later(c.timers, SYNC_DELAY_MS, () => syncExited(run, c, finishedAt));
    }

    /** The kubelet's next look at an exited container: restart it, or wait out the back-off. */
    function syncExited(run: PodRun, c: ContainerRun, finishedAt: number): void {
      const entry = c.crashBackOff;
      const expired = !entry || finishedAt - entry.lastUpdate > 2 * MAX_BACKOFF_MS;
      if (!expired && clock.now() - finishedAt < entry.delayMs) {
        if (c.terminated) c.lastTerminated = c.terminated;
        c.terminated = undefined;
        c.waiting = {
          reason: 'CrashLoopBackOff',
          message: `back-off ${goDuration(entry.delayMs)} restarting failed container=${c.spec.name} pod=${run.name}_${run.namespace}(${run.uid})`,
        };
        record(
          run,
          c,
          'Warning',
          'BackOff',
          `Back-off restarting failed container ${c.spec.name} in pod ${run.name}_${run.namespace}(${run.uid})`,
        );
        publish(run);
        later(c.timers, finishedAt + entry.delayMs - clock.now(), () => syncExited(run, c, finishedAt));
        return;
      }
      c.crashBackOff = nextBackOff(entry, finishedAt);
      pullImage(run, c, (pulled) => {
        if (pulled) createAndStart(run, c);
      });
    }

    function startContainer(run: PodRun, c: ContainerRun, next: () => void): void {
      pullImage(run, c, (pulled) => {
        if (pulled) createAndStart(run, c);
        next();
      });
    }

    function startInit(run: PodRun, index: number): void {
      if (index >= run.init.length) {
        startMain(run, 0);
        return;
      }
      startContainer(run, run.init[index], () => undefined);
    }

    /** Regular containers start one after another, as SyncPod walks them; a failed pull does not stop the rest. */
    function startMain(run: PodRun, index: number): void {
      if (index >= run.main.length) return;
      startContainer(run, run.main[index], () => startMain(run, index + 1));
    }

    // ---- pods ---------------------------------------------------------------------------

    function begin(pod: PodW, node: Node): void {
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
        podIP: allocateIp(node),
        startTime: clock.rfc3339(),
        init: (pod.spec?.initContainers ?? []).map((c, i) => containerRun(c as Container, true, i)),
        main: (pod.spec?.containers ?? []).map((c, i) => containerRun(c as Container, false, i)),
        conditions: new Map(),
        timers: podTimers.get(uid) ?? new Set(),
        terminating: false,
        finished: false,
      };
      podTimers.delete(uid);
      runs.set(uid, run);
      publish(run);
      mountVolumes(run, INITIAL_MOUNT_RETRY_MS);
    }

    /**
     * The volume manager sets up the pod's volumes before any container starts; a ConfigMap
     * or Secret volume whose source is missing fails with FailedMount, retried with back-off,
     * and the pod stays ContainerCreating until the source exists.
     */
    function mountVolumes(run: PodRun, retryMs: number): void {
      const pod = currentPod(run);
      if (!pod) return;
      const failures = volumeMountFailures(store, pod as Pod);
      if (failures.length === 0) {
        startInit(run, 0);
        return;
      }
      for (const f of failures) {
        record(
          run,
          undefined,
          'Warning',
          'FailedMount',
          `MountVolume.SetUp failed for volume "${f.volume}" : ${f.error}`,
        );
      }
      later(run.timers, retryMs, () => mountVolumes(run, Math.min(retryMs * 2, MAX_MOUNT_RETRY_MS)));
    }

    function removeLater(pod: PodW, delayMs: number): void {
      const uid = pod.metadata.uid!;
      const { namespace, name } = splitKey(keyOf(pod));
      later(timersOf(uid), delayMs, () => {
        const current = currentPod({ uid, namespace: namespace!, name });
        if (current) store.remove(types.pods, current);
        forget(uid);
      });
    }

    /** Graceful deletion: stop the containers, then confirm by removing the pod. */
    function terminate(pod: PodW): void {
      const run = runs.get(pod.metadata.uid!);
      if (run?.terminating || podTimers.has(pod.metadata.uid!)) return;
      if (run) {
        run.terminating = true;
        stopRun(run);
        for (const c of [...run.init, ...run.main]) {
          if (c.runningSince) record(run, c, 'Normal', 'Killing', `Stopping container ${c.spec.name}`);
        }
      }
      const grace = pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
      removeLater(pod, Math.min(grace, 1) * 1000);
    }

    /** PodGC for a pod whose node does not exist: after the quarantine, fail it and delete it. */
    function collectOrphan(pod: PodW): void {
      const uid = pod.metadata.uid!;
      const run = runs.get(uid);
      if (run) {
        stopRun(run);
        ipsOnNode.get(run.nodeName)?.delete(run.podIP);
        runs.delete(uid);
      }
      if (podTimers.has(uid)) return;
      const { namespace, name } = splitKey(keyOf(pod));
      later(timersOf(uid), ORPHAN_QUARANTINE_MS, () => {
        podTimers.delete(uid);
        const current = currentPod({ uid, namespace: namespace!, name });
        if (!current || store.get(types.nodes, undefined, current.spec?.nodeName ?? '')) return;
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
            lastTransitionTime: clock.rfc3339(),
          } as unknown as Writable<PodCondition>,
        ];
        store.remove(types.pods, store.update(types.pods, failed));
        forget(uid);
      });
    }

    function syncPod(key: string): void {
      const { namespace, name } = splitKey(key);
      const pod = store.get(types.pods, namespace, name) as PodW | undefined;
      const nodeName = pod?.spec?.nodeName;
      if (!pod || !nodeName) return;
      const node = store.get(types.nodes, undefined, nodeName) as (Writable<Node> & KubeObject) | undefined;
      if (!node) {
        collectOrphan(pod);
        return;
      }
      if (kubeletStopped(node)) return;
      if (pod.metadata.deletionTimestamp) {
        terminate(pod);
        return;
      }
      if (runs.has(pod.metadata.uid!) || podTimers.has(pod.metadata.uid!)) return;
      if (isTerminalPhase(pod.status?.phase)) return;
      begin(pod, node);
    }

    const stoppedNodes = new Set<string>();
    const unsubscribe = onStoreEvents(store, ['pods', 'nodes'], (event) => {
      if (event.storageKey === 'nodes') {
        const nodeName = event.object.metadata.name;
        // A kubelet that was stopped reports its pods again when it comes back.
        if (kubeletStopped(event.object)) stoppedNodes.add(nodeName!);
        else if (stoppedNodes.delete(nodeName!)) {
          for (const run of runs.values())
            if (run.nodeName === nodeName) later(run.timers, 0, () => publish(run));
        }
        for (const pod of store.list(types.pods) as PodW[]) {
          if (pod.spec?.nodeName === nodeName) queue.add(keyOf(pod));
        }
        return;
      }
      if (event.type === 'DELETED') {
        forget(event.object.metadata.uid!);
        return;
      }
      if ((event.object as PodW).spec?.nodeName) queue.add(keyOf(event.object));
    });

    for (const pod of store.list(types.pods) as PodW[]) if (pod.spec?.nodeName) queue.add(keyOf(pod));

    return () => {
      stopped = true;
      unsubscribe();
      for (const run of runs.values()) stopRun(run);
      for (const timers of podTimers.values()) clearTimers(timers);
      runs.clear();
      podTimers.clear();
    };
  },
};
