import type { StatefulSet, StatefulSetStatus } from 'kubernetes-types/apps/v1';
import type { PodTemplateSpec, Volume } from 'kubernetes-types/core/v1';
import { ApiError } from '../errors';
import { keyOf, type Controller, type ControllerContext } from '../runtime';
import type { KubeObject, Writable } from '../store';
import {
  createRevision,
  nextRevision,
  renumberRevision,
  revisionData,
  revisionsOf,
  sameData,
  templateOf,
  truncateHistory,
  type RevisionObject,
} from './controller-revisions';
import { computeTemplateHash } from './hash';
import {
  availableSince,
  createPod,
  deletePod,
  isPodAvailable,
  isRunningAndReady,
  isTerminal,
  isTerminating,
  ownerController,
  podsControlledBy,
  recordEvent,
  templatePod,
  writeStatus,
  type PodObject,
  type Wakeups,
} from './workload-common';

/*
 * The StatefulSet controller (pkg/controller/statefulset): stable pod names `<set>-<ordinal>`,
 * ControllerRevisions for the pod template, OrderedReady or Parallel pod management, rolling
 * updates from the highest ordinal down to the partition, one pod at a time, and OnDelete.
 */

type StatefulSetObject = KubeObject & Writable<StatefulSet>;
type Template = Writable<PodTemplateSpec>;

const COMPONENT = 'statefulset-controller';
export const REVISION_LABEL = 'controller-revision-hash';
export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';
const HASH_LABEL = 'controller.kubernetes.io/hash';

function ordinalOf(set: StatefulSetObject, pod: PodObject): number | undefined {
  const prefix = `${set.metadata.name}-`;
  const name = pod.metadata.name ?? '';
  if (!name.startsWith(prefix)) return undefined;
  const rest = name.slice(prefix.length);
  return /^(0|[1-9][0-9]*)$/.test(rest) ? Number(rest) : undefined;
}

function podRevision(pod: PodObject): string | undefined {
  return pod.metadata.labels?.[REVISION_LABEL];
}

/** Healthy for a rolling update: running, ready and not being deleted (isHealthy). */
function isHealthy(pod: PodObject): boolean {
  return isRunningAndReady(pod) && !isTerminating(pod);
}

function isRunningAndAvailable(pod: PodObject, minReadySeconds: number, now: number): boolean {
  return pod.status?.phase === 'Running' && isPodAvailable(pod, minReadySeconds, now);
}

interface Revisions {
  current: RevisionObject;
  update: RevisionObject;
  all: RevisionObject[];
  collisionCount: number;
}

/**
 * Finds or makes the revision of the current template (getStatefulSetRevisions): an equal
 * older revision is reused and renumbered as the newest (a rollback), a name taken by other
 * data bumps collisionCount.
 */
function syncRevisions(ctx: ControllerContext, set: StatefulSetObject): Revisions {
  let all = revisionsOf(ctx, set);
  let collisionCount = set.status?.collisionCount ?? 0;
  const data = revisionData(set.spec?.template);
  const equal = all.filter((r) => sameData(r.data, data));
  const latest = all[all.length - 1];
  let update: RevisionObject;
  if (equal.length && latest && sameData(latest.data, data)) {
    update = latest;
  } else if (equal.length) {
    update = renumberRevision(ctx, equal[equal.length - 1], nextRevision(all));
  } else {
    ({ created: update, collisionCount } = createRevision(
      ctx,
      set,
      {
        data,
        revision: nextRevision(all),
        templateLabels: set.spec?.template?.metadata?.labels,
        hashLabel: HASH_LABEL,
        hash: (count) => computeTemplateHash(data, count),
      },
      collisionCount,
    ));
  }
  all = revisionsOf(ctx, set);
  const current = all.find((r) => r.metadata.name === set.status?.currentRevision) ?? update;
  return { current, update, all, collisionCount };
}

/** A pod for `ordinal` from `template` at `revision` (newStatefulSetPod + identity + storage). */
function newPod(set: StatefulSetObject, template: Template, revision: string, ordinal: number): KubeObject {
  const name = `${set.metadata.name}-${ordinal}`;
  const t = structuredClone(template);
  const spec = t.spec ?? { containers: [] };
  const claims = set.spec?.volumeClaimTemplates ?? [];
  if (claims.length) {
    const claimVolumes: Writable<Volume>[] = claims.map((c) => ({
      name: c.metadata!.name!,
      persistentVolumeClaim: { claimName: `${c.metadata!.name}-${name}` },
    }));
    const claimNames = new Set(claimVolumes.map((v) => v.name));
    spec.volumes = [...claimVolumes, ...(spec.volumes ?? []).filter((v) => !claimNames.has(v.name))];
  }
  spec.hostname = name;
  if (set.spec?.serviceName) spec.subdomain = set.spec.serviceName;
  return templatePod(set, t, {
    name,
    labels: { [POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinal), [REVISION_LABEL]: revision },
    spec,
  });
}

class StatefulSetSync {
  private readonly now: number;
  private readonly minReadySeconds: number;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly set: StatefulSetObject,
    private readonly wakeups: Wakeups,
  ) {
    this.now = ctx.clock.now();
    this.minReadySeconds = set.spec?.minReadySeconds ?? 0;
  }

  run(): void {
    const set = this.set;
    const revisions = syncRevisions(this.ctx, set);
    if (!set.metadata.deletionTimestamp) this.updatePods(revisions);
    const pods = podsControlledBy(this.ctx, set.metadata.namespace!, set.metadata.uid!);
    this.writeStatus(revisions, pods);
    const live = new Set([revisions.current.metadata.name!, revisions.update.metadata.name!]);
    for (const pod of pods) if (podRevision(pod)) live.add(podRevision(pod)!);
    truncateHistory(this.ctx, revisions.all, live, set.spec?.revisionHistoryLimit ?? 10);
  }

  private event(type: 'Normal' | 'Warning', reason: string, message: string): void {
    recordEvent(this.ctx, COMPONENT, this.set, type, reason, message);
  }

  private create(pod: KubeObject): boolean {
    const created = createPod(this.ctx, pod);
    if (created instanceof ApiError) {
      this.event(
        'Warning',
        'FailedCreate',
        `create Pod ${pod.metadata.name} in StatefulSet ${this.set.metadata.name} failed error: ${created.message}`,
      );
      return false;
    }
    this.event(
      'Normal',
      'SuccessfulCreate',
      `create Pod ${pod.metadata.name} in StatefulSet ${this.set.metadata.name} successful`,
    );
    return true;
  }

  private delete(pod: PodObject): void {
    if (!deletePod(this.ctx, pod)) return;
    this.event(
      'Normal',
      'SuccessfulDelete',
      `delete Pod ${pod.metadata.name} in StatefulSet ${this.set.metadata.name} successful`,
    );
  }

  /** The pod to create for `ordinal`: below the partition it keeps the current revision. */
  private versionedPod(revisions: Revisions, ordinal: number, start: number): KubeObject {
    const spec = this.set.spec!;
    const strategy = spec.updateStrategy ?? {};
    const keepCurrent =
      strategy.type !== 'OnDelete' &&
      ((strategy.rollingUpdate === undefined && ordinal < start + (this.set.status?.currentReplicas ?? 0)) ||
        (strategy.rollingUpdate !== undefined && ordinal < start + (strategy.rollingUpdate.partition ?? 0)));
    const revision = keepCurrent ? revisions.current : revisions.update;
    const template = revision === revisions.update ? spec.template! : templateOf(revision);
    return newPod(this.set, template, revision.metadata.name!, ordinal);
  }

  /** One pass of updateStatefulSet: create/replace, scale down, then roll. */
  private updatePods(revisions: Revisions): void {
    const spec = this.set.spec!;
    const replicaCount = spec.replicas ?? 1;
    const start = spec.ordinals?.start ?? 0;
    const monotonic = (spec.podManagementPolicy ?? 'OrderedReady') === 'OrderedReady';
    const replicas: Array<PodObject | undefined> = new Array(replicaCount).fill(undefined);
    const condemned: PodObject[] = [];
    for (const pod of podsControlledBy(this.ctx, this.set.metadata.namespace!, this.set.metadata.uid!)) {
      const ordinal = ordinalOf(this.set, pod);
      if (ordinal === undefined) continue;
      if (ordinal >= start && ordinal < start + replicaCount) replicas[ordinal - start] = pod;
      else condemned.push(pod);
    }
    condemned.sort((a, b) => ordinalOf(this.set, a)! - ordinalOf(this.set, b)!);

    const firstUnhealthy = [...replicas, ...condemned].find((p) => p !== undefined && !isHealthy(p));

    for (let i = 0; i < replicas.length; i++) {
      let pod = replicas[i];
      const ordinal = start + i;
      if (pod && isTerminal(pod) && !isTerminating(pod)) {
        this.delete(pod);
        pod = undefined;
        replicas[i] = undefined;
      }
      if (!pod) {
        const created = this.create(this.versionedPod(revisions, ordinal, start));
        if (monotonic || !created) return;
        continue;
      }
      if (isTerminating(pod)) {
        if (monotonic) return;
        continue;
      }
      if (!isRunningAndAvailable(pod, this.minReadySeconds, this.now)) {
        this.wakeWhenAvailable(pod);
        if (monotonic) return;
      }
    }

    for (let i = condemned.length - 1; i >= 0; i--) {
      const pod = condemned[i];
      if (isTerminating(pod)) {
        if (monotonic) return;
        continue;
      }
      if (
        monotonic &&
        pod !== firstUnhealthy &&
        !isRunningAndAvailable(pod, this.minReadySeconds, this.now)
      ) {
        return;
      }
      this.delete(pod);
      if (monotonic) return;
    }

    const strategy = spec.updateStrategy ?? {};
    if (strategy.type === 'OnDelete') return;
    const partition = strategy.rollingUpdate?.partition ?? 0;
    for (let i = replicas.length - 1; i >= Math.max(0, partition); i--) {
      const pod = replicas[i];
      if (!pod) return;
      if (podRevision(pod) !== revisions.update.metadata.name && !isTerminating(pod)) {
        this.delete(pod);
        return;
      }
      if (!isHealthy(pod)) return;
    }
  }

  private wakeWhenAvailable(pod: PodObject): void {
    const at = availableSince(pod, this.minReadySeconds);
    if (at !== undefined && at > this.now) this.wakeups.after(keyOf(this.set), at - this.now);
  }

  private writeStatus(revisions: Revisions, pods: PodObject[]): void {
    let replicas = 0;
    let ready = 0;
    let available = 0;
    let current = 0;
    let updated = 0;
    for (const pod of pods) {
      replicas++;
      if (isRunningAndReady(pod)) ready++;
      if (isRunningAndAvailable(pod, this.minReadySeconds, this.now)) available++;
      if (isTerminating(pod)) continue;
      if (podRevision(pod) === revisions.current.metadata.name) current++;
      if (podRevision(pod) === revisions.update.metadata.name) updated++;
    }
    let currentRevision = revisions.current.metadata.name!;
    const rolling = (this.set.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
    if (rolling && updated === replicas && ready === replicas) {
      current = updated;
      currentRevision = revisions.update.metadata.name!;
    }
    // Zero counts are left out, as the Go types' omitempty does.
    const status: Writable<StatefulSetStatus> = {
      observedGeneration: this.set.metadata.generation,
      replicas,
      ...(ready ? { readyReplicas: ready } : {}),
      ...(current ? { currentReplicas: current } : {}),
      ...(updated ? { updatedReplicas: updated } : {}),
      currentRevision,
      updateRevision: revisions.update.metadata.name!,
      collisionCount: revisions.collisionCount,
      availableReplicas: available,
      ...(this.set.status?.conditions ? { conditions: this.set.status.conditions } : {}),
    };
    writeStatus(this.ctx, 'statefulsets.apps', this.set, status);
  }
}

export const statefulSetController: Controller = ownerController<StatefulSetObject>({
  name: 'statefulset',
  storageKey: 'statefulsets.apps',
  kind: 'StatefulSet',
  owned: ['pods', 'controllerrevisions.apps'],
  sync: (ctx, set, wakeups) => new StatefulSetSync(ctx, set, wakeups).run(),
});
