/**
 * The container runtime manager (kuberuntime): creates and starts containers as their behaviour
 * says, records their exits, and restarts them per the pod's restartPolicy under the crash-loop
 * back-off (CrashLoopBackOff). Init containers run one by one before the regular ones.
 */
import { randomBytes } from 'node:crypto';
import type { ContainerMode } from '../../behavior';
import { goDuration, MAX_BACKOFF_MS, nextBackOff } from './backoff';
import { containerConfigError } from './config-references';
import { record } from './events';
import { fillVolume } from './eviction-manager';
import { pullImage } from './images';
import { hang, neverReady } from './prober';
import {
  clearTimers,
  later,
  SYNC_DELAY_MS,
  type ContainerRun,
  type KubeletState,
  type PodRun,
} from './state';
import { publish } from './status-manager';

/** The pod worker's back-off after a failed sync (a missing ConfigMap or Secret): it tries again this often. */
const POD_WORKER_BACKOFF_MS = 10_000;
/** containerd's StartError: the process never ran, so it has no start time. */
const NEVER_STARTED = '1970-01-01T00:00:00Z';

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

function createAndStart(k: KubeletState, run: PodRun, c: ContainerRun): void {
  // makeEnvironmentVariables: a missing ConfigMap, Secret or key fails this sync before
  // the container is created; the pod worker tries again after its back-off.
  const configError = containerConfigError(k.store, run.namespace, c.spec);
  if (configError) {
    c.waiting = { reason: 'CreateContainerConfigError', message: configError };
    record(k, run, c, 'Warning', 'Failed', `Error: ${configError}`);
    publish(k, run);
    later(k, c.timers, POD_WORKER_BACKOFF_MS, () =>
      pullImage(k, run, c, (pulled) => {
        if (pulled) createAndStart(k, run, c);
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
  record(k, run, c, 'Normal', 'Created', `Created container: ${c.spec.name}`);
  const { mode, lines } = effectiveMode(run, c);
  if (mode === 'command-not-found') {
    failStart(k, run, c);
    return;
  }
  record(k, run, c, 'Normal', 'Started', `Started container ${c.spec.name}`);
  c.runningSince = k.clock.rfc3339();
  const at = k.clock.now();
  k.logs.append(
    run.uid,
    c.spec.name,
    c.restartCount,
    lines.map((text) => ({ at, text })),
  );
  const b = c.behavior;
  switch (mode) {
    case 'healthy':
      later(k, c.timers, (b.readyAfterSeconds ?? 1) * 1000, () => {
        c.ready = true;
        publish(k, run);
      });
      break;
    case 'not-ready':
      neverReady(k, run, c);
      break;
    case 'crash':
      later(k, c.timers, (b.runSeconds ?? 3) * 1000, () => exit(k, run, c, b.exitCode ?? 1, 'Error'));
      break;
    case 'oom':
      later(k, c.timers, (b.runSeconds ?? 3) * 1000, () => exit(k, run, c, 137, 'OOMKilled'));
      break;
    case 'complete':
      later(k, c.timers, (b.runSeconds ?? 3) * 1000, () => exit(k, run, c, 0, 'Completed'));
      break;
    case 'liveness-failure':
      later(k, c.timers, (b.readyAfterSeconds ?? 1) * 1000, () => {
        c.ready = true;
        publish(k, run);
      });
      later(k, c.timers, (b.runSeconds ?? 3) * 1000, () => hang(k, run, c));
      break;
    case 'disk-full':
      later(k, c.timers, (b.runSeconds ?? 3) * 1000, () => fillVolume(k, run, c));
      break;
    case 'image-pull-failure':
      break;
  }
  publish(k, run);
}

/**
 * The runtime cannot start the process (StartContainer fails): the container is left
 * exited with StartError/128, the pod shows RunContainerError, and the next sync restarts
 * it under the crash-loop back-off.
 */
function failStart(k: KubeletState, run: PodRun, c: ContainerRun): void {
  const executable = c.behavior.executable ?? c.spec.command?.[0] ?? '/docker-entrypoint.sh';
  const message = `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "${executable}": executable file not found in $PATH: unknown`;
  record(k, run, c, 'Warning', 'Failed', `Error: ${message}`);
  c.lastTerminated = {
    containerID: c.containerID!,
    exitCode: 128,
    reason: 'StartError',
    message,
    startedAt: NEVER_STARTED,
    finishedAt: k.clock.rfc3339(),
  };
  c.waiting = { reason: 'RunContainerError', message };
  publish(k, run);
  const finishedAt = k.clock.now();
  later(k, c.timers, SYNC_DELAY_MS, () => syncExited(k, run, c, finishedAt));
}

export function exit(k: KubeletState, run: PodRun, c: ContainerRun, exitCode: number, reason: string): void {
  clearTimers(k, c.timers);
  c.terminated = {
    containerID: c.containerID!,
    exitCode,
    reason,
    startedAt: c.runningSince!,
    finishedAt: k.clock.rfc3339(),
  };
  c.runningSince = undefined;
  c.ready = false;
  if (c.init && exitCode === 0) {
    c.done = true;
    c.ready = true;
    publish(k, run);
    startInit(k, run, c.index + 1);
    return;
  }
  const restart =
    run.restartPolicy === 'Always'
      ? !c.init || exitCode !== 0
      : run.restartPolicy === 'OnFailure' && exitCode !== 0;
  if (!restart) {
    // A failed init container that may not restart leaves the pod Failed, not initialized.
    if (!c.init) c.done = true;
    publish(k, run);
    return;
  }
  publish(k, run);
  const finishedAt = k.clock.now();
  later(k, c.timers, SYNC_DELAY_MS, () => syncExited(k, run, c, finishedAt));
}

/** The kubelet's next look at an exited container: restart it, or wait out the back-off. */
function syncExited(k: KubeletState, run: PodRun, c: ContainerRun, finishedAt: number): void {
  const entry = c.crashBackOff;
  const expired = !entry || finishedAt - entry.lastUpdate > 2 * MAX_BACKOFF_MS;
  if (!expired && k.clock.now() - finishedAt < entry.delayMs) {
    if (c.terminated) c.lastTerminated = c.terminated;
    c.terminated = undefined;
    c.waiting = {
      reason: 'CrashLoopBackOff',
      message: `back-off ${goDuration(entry.delayMs)} restarting failed container=${c.spec.name} pod=${run.name}_${run.namespace}(${run.uid})`,
    };
    record(
      k,
      run,
      c,
      'Warning',
      'BackOff',
      `Back-off restarting failed container ${c.spec.name} in pod ${run.name}_${run.namespace}(${run.uid})`,
    );
    publish(k, run);
    later(k, c.timers, finishedAt + entry.delayMs - k.clock.now(), () => syncExited(k, run, c, finishedAt));
    return;
  }
  c.crashBackOff = nextBackOff(k, entry, finishedAt);
  pullImage(k, run, c, (pulled) => {
    if (pulled) createAndStart(k, run, c);
  });
}

function startContainer(k: KubeletState, run: PodRun, c: ContainerRun, next: () => void): void {
  pullImage(k, run, c, (pulled) => {
    if (pulled) createAndStart(k, run, c);
    next();
  });
}

export function startInit(k: KubeletState, run: PodRun, index: number): void {
  if (index >= run.init.length) {
    startMain(k, run, 0);
    return;
  }
  startContainer(k, run, run.init[index], () => undefined);
}

/** Regular containers start one after another, as SyncPod walks them; a failed pull does not stop the rest. */
function startMain(k: KubeletState, run: PodRun, index: number): void {
  if (index >= run.main.length) return;
  startContainer(k, run, run.main[index], () => startMain(k, run, index + 1));
}
