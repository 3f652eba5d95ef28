/**
 * The status manager: the pod's phase (getPhase), its conditions and container statuses
 * (generateAPIPodStatus), written to the API server when they change. A terminal phase stops
 * the pod for good.
 */
import type { ContainerState, ContainerStatus, PodCondition, PodStatus } from 'kubernetes-types/core/v1';
import type { Writable } from '../../store';
import { kubeletStopped } from '../node-lifecycle';
import { types } from '../../runtime';
import { normalizeImage } from './images';
import {
  currentPod,
  stopRun,
  type ConditionState,
  type ContainerRun,
  type KubeletState,
  type PodRun,
} from './state';

export function isTerminalPhase(phase: string | undefined): boolean {
  return phase === 'Succeeded' || phase === 'Failed';
}

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
  k: KubeletState,
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
      existing && existing.status === status ? existing.lastTransitionTime : k.clock.rfc3339(),
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

/** Writes the pod's status from what k.runs on the node; a terminal phase stops the pod for good. */
export function publish(k: KubeletState, run: PodRun): void {
  const pod = currentPod(k, run);
  if (!pod || kubeletStopped(k.store.get(types.nodes, undefined, run.nodeName))) return;
  const phase = run.evicted ? 'Failed' : run.terminating ? (pod.status?.phase ?? 'Running') : phaseOf(run);
  if (isTerminalPhase(phase) && !run.finished) {
    run.finished = true;
    stopRun(k, run);
  }
  const incompleteInit = run.init.filter((c) => !c.done).map((c) => c.spec.name);
  const unready = run.main.filter((c) => !c.ready).map((c) => c.spec.name);
  setCondition(k, run, 'PodReadyToStartContainers', run.finished ? 'False' : 'True');
  if (incompleteInit.length > 0) {
    setCondition(
      k,
      run,
      'Initialized',
      'False',
      'ContainersNotInitialized',
      `containers with incomplete status: [${incompleteInit.join(' ')}]`,
    );
  } else {
    setCondition(k, run, 'Initialized', 'True', phase === 'Succeeded' ? 'PodCompleted' : undefined);
  }
  for (const type of ['Ready', 'ContainersReady']) {
    if (phase === 'Succeeded') setCondition(k, run, type, 'False', 'PodCompleted');
    else if (phase === 'Failed') setCondition(k, run, type, 'False', 'PodFailed');
    else if (unready.length > 0) {
      setCondition(
        k,
        run,
        type,
        'False',
        'ContainersNotReady',
        `containers with unready status: [${unready.join(' ')}]`,
      );
    } else setCondition(k, run, type, 'True');
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
    setCondition(k, run, 'DisruptionTarget', 'True', 'TerminationByKubelet', run.evicted);
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
  k.store.update(types.pods, next);
}
