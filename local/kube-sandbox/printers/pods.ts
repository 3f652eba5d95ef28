/**
 * Pods: the columns of printPod and the logic of its STATUS, READY and RESTARTS cells.
 */
import type { KubeObject } from '../store';
import { ageColumn, column, nameColumn, type Printer } from './columns';
import { humanDuration, since, type Cell, type PodSpecView } from './format';

interface ContainerState {
  waiting?: { reason?: string };
  running?: { startedAt?: string };
  terminated?: { reason?: string; exitCode?: number; signal?: number; finishedAt?: string };
}

interface ContainerStatus {
  name: string;
  ready?: boolean;
  started?: boolean;
  restartCount?: number;
  state?: ContainerState;
  lastState?: ContainerState;
}

interface PodStatusView {
  phase?: string;
  reason?: string;
  podIP?: string;
  podIPs?: Array<{ ip: string }>;
  nominatedNodeName?: string;
  conditions?: Array<{ type: string; status: string; reason?: string }>;
  initContainerStatuses?: ContainerStatus[];
  containerStatuses?: ContainerStatus[];
}

function hasCondition(status: PodStatusView, type: string): boolean {
  return (status.conditions ?? []).some((c) => c.type === type && c.status === 'True');
}

function terminatedReason(terminated: NonNullable<ContainerState['terminated']>, prefix = ''): string {
  if (terminated.reason) return prefix + terminated.reason;
  return terminated.signal
    ? `${prefix}Signal:${terminated.signal}`
    : `${prefix}ExitCode:${terminated.exitCode ?? 0}`;
}

function podCells(pod: KubeObject, now: number): Cell[] {
  const spec = (pod.spec ?? {}) as PodSpecView;
  const status = (pod.status ?? {}) as PodStatusView;
  const initContainers = new Map((spec.initContainers ?? []).map((c) => [c.name, c]));
  const isSidecar = (name: string): boolean => initContainers.get(name)?.restartPolicy === 'Always';

  let restarts = 0;
  let sidecarRestarts = 0;
  let lastRestart = 0;
  let lastSidecarRestart = 0;
  let readyContainers = 0;
  let totalContainers = (spec.containers ?? []).length;
  for (const c of spec.initContainers ?? []) if (c.restartPolicy === 'Always') totalContainers++;

  let reason = status.reason || status.phase || '';
  if ((status.conditions ?? []).some((c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated')) {
    reason = 'SchedulingGated';
  }
  const finishedAt = (c: ContainerStatus): number => {
    const at = c.lastState?.terminated?.finishedAt;
    return at ? Date.parse(at) : 0;
  };

  let initializing = false;
  const initStatuses = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const c = initStatuses[i];
    restarts += c.restartCount ?? 0;
    lastRestart = Math.max(lastRestart, finishedAt(c));
    if (isSidecar(c.name)) {
      sidecarRestarts += c.restartCount ?? 0;
      lastSidecarRestart = Math.max(lastSidecarRestart, finishedAt(c));
    }
    const terminated = c.state?.terminated;
    const waiting = c.state?.waiting;
    if (terminated && (terminated.exitCode ?? 0) === 0) continue;
    if (isSidecar(c.name) && c.started) {
      if (c.ready) readyContainers++;
      continue;
    }
    if (terminated) {
      reason = terminatedReason(terminated, 'Init:');
    } else if (waiting?.reason && waiting.reason !== 'PodInitializing') {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${i}/${(spec.initContainers ?? []).length}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || hasCondition(status, 'Initialized')) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses = status.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i];
      restarts += c.restartCount ?? 0;
      lastRestart = Math.max(lastRestart, finishedAt(c));
      if (c.state?.waiting?.reason) {
        reason = c.state.waiting.reason;
      } else if (c.state?.terminated) {
        reason = terminatedReason(c.state.terminated);
      } else if (c.ready && c.state?.running) {
        hasRunning = true;
        readyContainers++;
      }
    }
    // A pod whose finished container says Completed but that still runs another is Running.
    if (reason === 'Completed' && hasRunning) {
      reason = hasCondition(status, 'Ready') ? 'Running' : 'NotReady';
    }
  }

  const terminal = status.phase === 'Succeeded' || status.phase === 'Failed';
  if (pod.metadata.deletionTimestamp && status.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata.deletionTimestamp && !terminal) reason = 'Terminating';

  const restartsText =
    restarts !== 0 && lastRestart > 0
      ? `${restarts} (${humanDuration(now - lastRestart)} ago)`
      : `${restarts}`;

  const podIP = status.podIP || status.podIPs?.[0]?.ip || '<none>';
  let readinessGates = '<none>';
  if ((spec.readinessGates ?? []).length > 0) {
    const met = spec.readinessGates!.filter((g) => {
      const condition = (status.conditions ?? []).find((c) => c.type === g.conditionType);
      return condition?.status === 'True';
    }).length;
    readinessGates = `${met}/${spec.readinessGates!.length}`;
  }
  return [
    pod.metadata.name!,
    `${readyContainers}/${totalContainers}`,
    reason,
    restartsText,
    since(pod.metadata.creationTimestamp, now),
    podIP,
    spec.nodeName || '<none>',
    status.nominatedNodeName || '<none>',
    readinessGates,
  ];
}

export const POD_PRINTERS: Record<string, Printer> = {
  pods: {
    columns: [
      nameColumn,
      column('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
      column('Status', 'string', 'The aggregate status of the containers in this pod.'),
      column(
        'Restarts',
        'string',
        'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
      ),
      ageColumn,
      column('IP', 'string', 'podIP address allocated to the pod. Routable at least within the cluster.', 1),
      column('Node', 'string', 'NodeName indicates in which node this pod is scheduled.', 1),
      column(
        'Nominated Node',
        'string',
        'nominatedNodeName is set only when this pod preempts other pods.',
        1,
      ),
      column(
        'Readiness Gates',
        'string',
        'If specified, all readiness gates will be evaluated for pod readiness.',
        1,
      ),
    ],
    cells: podCells,
  },
};
