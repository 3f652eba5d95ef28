import {
  PatchStrategy,
  setHeaderOptions,
  type V1DaemonSet,
  type V1Deployment,
  type V1ObjectMeta,
  type V1Pod,
  type V1StatefulSet,
} from '@kubernetes/client-node';
import { allInOrder } from '../../concurrency';
import { ROLLOUT_KINDS, type RolloutKind, type Target } from '../../contracts';
import { ActionNotAllowedError, WorkloadNotFoundError } from '../../errors';
import type { KubernetesApis } from '../client';
import {
  CHANGE_CAUSE_ANNOTATION,
  CONTROLLER_REVISION_HASH_LABEL,
  controllerRevisionMatches,
  controllerRevisionTemplate,
  controllerRevisionUndo,
  daemonSetStatus,
  deploymentRevisionOf,
  deploymentRollbackTarget,
  deploymentStatus,
  deploymentUndo,
  findNewReplicaSet,
  isControlledBy,
  liveRevision,
  statefulSetStatus,
  withoutHash,
} from '../kubectl';
import type { EventSubject } from './events';
import { escapeRegExp, isNotFound, isPodReady, isTerminating, type KubeClient } from './kube-client';
import type { PodReadiness, RolloutStatus, UndoOutcome } from './rollouts';
import type { Workload, WorkloadRevision } from './workload-reader';

/**
 * What each kind of workload does its own way, chosen once per target by `rolloutStrategyFor`,
 * as kubectl's polymorphic helpers choose a HistoryViewer, StatusViewer and Rollbacker by kind:
 * where it is read and patched, its history (a Deployment's ReplicaSets, a StatefulSet's or
 * DaemonSet's ControllerRevisions), its rollout status, its undo, and which objects its events
 * may be about. The ports (workload reader, rollouts, events) only ever ask the strategy.
 */

type WorkloadObject = V1Deployment | V1StatefulSet | V1DaemonSet;

/** What `kubectl rollout undo` sends, and what it reports. */
export interface UndoPlan {
  /** Nothing is sent when the rollback is skipped. */
  patch?: object;
  contentType: PatchStrategy;
  outcome: UndoOutcome;
}

export interface RolloutStrategy<O extends WorkloadObject = WorkloadObject> {
  /** The resource as kubectl names it (`deployments.apps`), in requests' descriptions and errors. */
  readonly resource: string;
  read(api: KubernetesApis, namespace: string, name: string): Promise<O>;
  patch(
    api: KubernetesApis,
    request: { namespace: string; name: string; body: object; fieldManager: string },
    contentType: PatchStrategy,
  ): Promise<O>;
  /** kubectl's HistoryViewer: the revisions, oldest first. */
  history(client: KubeClient, object: O): Promise<WorkloadRevision[]>;
  /** The revision the workload runs now. */
  currentRevision(client: KubeClient, object: O): Promise<number>;
  /** kubectl's StatusViewer, plus the readiness of the current revision's pods. */
  status(client: KubeClient, object: O): Promise<RolloutStatus>;
  /** kubectl's Rollbacker: the patch `rollout undo [--to-revision]` sends (0: the previous revision). */
  undo(client: KubeClient, object: O, toRevision: number): Promise<UndoPlan>;
  /** The workload, its ReplicaSets/ControllerRevisions and its pods, present and past. */
  eventSubjects(client: KubeClient, object: O): Promise<EventSubject[]>;
}

function createdAt(meta?: V1ObjectMeta): string | undefined {
  return meta?.creationTimestamp ? new Date(meta.creationTimestamp).toISOString() : undefined;
}

function notReadyReason(pod: V1Pod): string {
  for (const status of pod.status?.containerStatuses ?? []) {
    if (status.state?.waiting?.reason) return status.state.waiting.reason;
    if (status.state?.terminated?.reason) return status.state.terminated.reason;
  }
  return pod.status?.phase ?? 'Unknown';
}

export function readiness(pods: V1Pod[]): PodReadiness {
  const live = pods.filter((p) => !isTerminating(p));
  const notReady = live.filter((p) => !isPodReady(p));
  return {
    total: live.length,
    ready: live.length - notReady.length,
    notReady: notReady.map((p) => ({ name: p.metadata?.name ?? '', reason: notReadyReason(p) })),
  };
}

/** The pods `owners` control, as event subjects. */
function podSubjects(pods: V1Pod[], owners: Array<{ metadata?: V1ObjectMeta }>): EventSubject[] {
  return pods
    .filter((p) => owners.some((owner) => isControlledBy(p, owner)))
    .map((p) => ({ kind: 'Pod', name: p.metadata?.name ?? '' }));
}

const deployments: RolloutStrategy<V1Deployment> = {
  resource: 'deployments.apps',
  read: (api, namespace, name) => api.apps.readNamespacedDeployment({ namespace, name }),
  patch: (api, request, contentType) =>
    api.apps.patchNamespacedDeployment(request, setHeaderOptions('Content-Type', contentType)),

  async history(client, d) {
    const owned = await client.ownedReplicaSets(d);
    const current = findNewReplicaSet(d, owned);
    return owned
      .filter((rs) => deploymentRevisionOf(rs) !== undefined)
      .map((rs) => ({
        revision: deploymentRevisionOf(rs)!,
        name: rs.metadata?.name ?? '',
        template: withoutHash(rs.spec?.template ?? {}),
        createdAt: createdAt(rs.metadata),
        changeCause: rs.metadata?.annotations?.[CHANGE_CAUSE_ANNOTATION],
        current: rs === current,
        readyReplicas: rs.status?.readyReplicas ?? 0,
        replicas: rs.spec?.replicas ?? 0,
      }))
      .sort((a, b) => a.revision - b.revision);
  },

  // A Deployment carries its revision: no history is read.
  currentRevision: async (_client, d) => deploymentRevisionOf(d) ?? 0,

  async status(client, d) {
    const newRs = findNewReplicaSet(d, await client.ownedReplicaSets(d));
    const pods = newRs ? await client.controlledPods(newRs, d.spec?.selector) : [];
    return { ...deploymentStatus(d), revision: deploymentRevisionOf(d) ?? 0, pods: readiness(pods) };
  },

  async undo(client, d, toRevision) {
    const owned = await client.ownedReplicaSets(d);
    const rs = deploymentRollbackTarget(d, owned, toRevision);
    const decision = deploymentUndo(d, rs, toRevision);
    return {
      patch: decision.patch,
      contentType: PatchStrategy.JsonPatch,
      outcome: {
        fromRevision: deploymentRevisionOf(d) ?? 0,
        toRevision: deploymentRevisionOf(rs)!,
        skipped: decision.skipped,
        message: decision.message,
      },
    };
  },

  async eventSubjects(client, d) {
    const [pods, owned] = await allInOrder([
      client.listPods(d.metadata!.namespace!, d.spec?.selector ?? {}),
      client.ownedReplicaSets(d),
    ]);
    const subjects: EventSubject[] = [
      { kind: 'Deployment', name: d.metadata?.name ?? '' },
      ...owned.map((rs) => ({ kind: 'ReplicaSet', name: rs.metadata?.name ?? '' })),
      ...podSubjects(pods, owned),
    ];
    // Pods of these ReplicaSets that are gone still have their events: `<replicaset>-<5 chars>`.
    if (owned.length) {
      const sets = owned.map((rs) => escapeRegExp(rs.metadata?.name ?? '')).join('|');
      subjects.push({ kind: 'Pod', name: new RegExp(`^(${sets})-[a-z0-9]{5}$`) });
    }
    return subjects;
  },
};

/**
 * StatefulSets and DaemonSets keep their history in ControllerRevisions and undo the same way;
 * they differ in where they are read, their status, which pods run the current revision, and
 * how their pods are named.
 */
function controllerRevisionStrategy<O extends V1StatefulSet | V1DaemonSet>(
  own: Pick<RolloutStrategy<O>, 'resource' | 'read' | 'patch' | 'status'> & {
    kind: 'StatefulSet' | 'DaemonSet';
    /** Matches the names of its pods, gone ones included (their events remain). */
    podName: (name: string) => RegExp;
  },
): RolloutStrategy<O> {
  return {
    resource: own.resource,
    read: own.read,
    patch: own.patch,
    status: own.status,

    async history(client, object) {
      const history = await client.ownedHistory(object);
      const template = object.spec?.template;
      return history
        .map((cr) => ({
          revision: cr.revision,
          name: cr.metadata?.name ?? '',
          template: controllerRevisionTemplate(cr),
          createdAt: createdAt(cr.metadata),
          changeCause: cr.metadata?.annotations?.[CHANGE_CAUSE_ANNOTATION],
          current: controllerRevisionMatches(template, cr),
        }))
        .sort((a, b) => a.revision - b.revision);
    },

    async currentRevision(client, object) {
      return liveRevision(object.spec?.template, await client.ownedHistory(object))?.revision ?? 0;
    },

    async undo(client, object, toRevision) {
      const history = await client.ownedHistory(object);
      const template = object.spec?.template;
      const decision = controllerRevisionUndo(template, history, toRevision);
      return {
        patch: decision.patch,
        contentType: PatchStrategy.StrategicMergePatch,
        outcome: {
          fromRevision: liveRevision(template, history)?.revision ?? 0,
          toRevision: decision.target.revision,
          skipped: decision.skipped,
          message: decision.message,
        },
      };
    },

    async eventSubjects(client, object) {
      const name = object.metadata?.name ?? '';
      const [pods, history] = await allInOrder([
        client.listPods(object.metadata!.namespace!, object.spec?.selector ?? {}),
        client.ownedHistory(object),
      ]);
      return [
        { kind: own.kind, name },
        ...history.map((cr) => ({ kind: 'ControllerRevision', name: cr.metadata?.name ?? '' })),
        ...podSubjects(pods, [object]),
        { kind: 'Pod', name: own.podName(escapeRegExp(name)) },
      ];
    },
  };
}

const statefulSets: RolloutStrategy<V1StatefulSet> = controllerRevisionStrategy<V1StatefulSet>({
  kind: 'StatefulSet',
  resource: 'statefulsets.apps',
  read: (api, namespace, name) => api.apps.readNamespacedStatefulSet({ namespace, name }),
  patch: (api, request, contentType) =>
    api.apps.patchNamespacedStatefulSet(request, setHeaderOptions('Content-Type', contentType)),
  status: async (client, sts) => {
    // StatefulSet pods name their whole revision (`<set>-<hash>`) in controller-revision-hash.
    const pods = (await client.controlledPods(sts, sts.spec?.selector)).filter(
      (p) => p.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] === sts.status?.updateRevision,
    );
    const revision = liveRevision(sts.spec?.template, await client.ownedHistory(sts))?.revision ?? 0;
    return { ...statefulSetStatus(sts), revision, pods: readiness(pods) };
  },
  podName: (name) => new RegExp(`^${name}-\\d+$`),
});

const daemonSets: RolloutStrategy<V1DaemonSet> = controllerRevisionStrategy<V1DaemonSet>({
  kind: 'DaemonSet',
  resource: 'daemonsets.apps',
  read: (api, namespace, name) => api.apps.readNamespacedDaemonSet({ namespace, name }),
  patch: (api, request, contentType) =>
    api.apps.patchNamespacedDaemonSet(request, setHeaderOptions('Content-Type', contentType)),
  status: async (client, ds) => {
    const live = liveRevision(ds.spec?.template, await client.ownedHistory(ds));
    // DaemonSet pods carry only the hash, which the revision also has as a label.
    const hash =
      live?.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] ??
      live?.metadata?.name?.slice((ds.metadata?.name ?? '').length + 1);
    const pods = (await client.controlledPods(ds, ds.spec?.selector)).filter(
      (p) => hash !== undefined && p.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] === hash,
    );
    return { ...daemonSetStatus(ds), revision: live?.revision ?? 0, pods: readiness(pods) };
  },
  podName: (name) => new RegExp(`^${name}-[a-z0-9]{5}$`),
});

const ROLLOUT_STRATEGIES: { readonly [K in RolloutKind]: RolloutStrategy } = {
  Deployment: deployments,
  StatefulSet: statefulSets,
  DaemonSet: daemonSets,
};

export function isRolloutKind(kind: string): kind is RolloutKind {
  return (ROLLOUT_KINDS as readonly string[]).includes(kind);
}

/** Jobs and CronJobs: diagnosed through the jobs port, with no rollout and no history of revisions. */
export function isBatchKind(kind: string): kind is 'Job' | 'CronJob' {
  return kind === 'Job' || kind === 'CronJob';
}

/**
 * The strategy of the target's kind. Jobs and CronJobs are diagnosed through the jobs port;
 * nothing rolls them out (ActionNotAllowedError). Any other kind has no strategy at all
 * (WorkloadNotFoundError, as kubectl's "no status viewer has been implemented for").
 */
export function rolloutStrategyFor(target: Target): RolloutStrategy {
  const kind: string = target.kind;
  if (isRolloutKind(kind)) return ROLLOUT_STRATEGIES[kind];
  if (isBatchKind(kind)) {
    throw new ActionNotAllowedError(
      `${kind} ${target.namespace}/${target.name} has no rollout: a ${kind} is never restarted or rolled back`,
    );
  }
  throw new WorkloadNotFoundError(
    `no rollout has been implemented for kind "${kind}" (${target.namespace}/${target.name})`,
  );
}

/** The target read through its kind's strategy; WorkloadNotFoundError names what was looked for. */
export async function readWorkload(
  client: KubeClient,
  target: Target,
): Promise<{ strategy: RolloutStrategy; workload: Workload }> {
  const strategy = rolloutStrategyFor(target);
  const { namespace, name } = target;
  try {
    const object = await client.call(`get ${strategy.resource} ${namespace}/${name}`, () =>
      strategy.read(client.api, namespace, name),
    );
    return { strategy, workload: { kind: target.kind, object } as Workload };
  } catch (error) {
    if (isNotFound(error)) {
      throw new WorkloadNotFoundError(`${strategy.resource} "${name}" not found in namespace "${namespace}"`);
    }
    throw error;
  }
}
