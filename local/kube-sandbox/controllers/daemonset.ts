import type { DaemonSet, DaemonSetStatus } from 'kubernetes-types/apps/v1';
import type { Node, PodSpec, Taint, Toleration } from 'kubernetes-types/core/v1';
import { ApiError } from '../errors';
import { keyOf, types, type Controller, type ControllerContext } from '../runtime';
import type { KubeObject, Writable } from '../store';
import {
  createRevision,
  nextRevision,
  renumberRevision,
  revisionData,
  revisionsOf,
  sameData,
  truncateHistory,
  type RevisionObject,
} from './controller-revisions';
import { computeTemplateHash } from './hash';
import { fitsNodeAffinity, readinessTaintKey, untoleratedTaints } from './node-matching';
import {
  availableSince,
  byCreation,
  createPod,
  deletePod,
  isPodAvailable,
  isPodReady,
  isTerminal,
  ownerController,
  podsControlledBy,
  recordEvent,
  templatePod,
  writeStatus,
  type PodObject,
  type Wakeups,
} from './workload-common';

/*
 * The DaemonSet controller (pkg/controller/daemon). As in Kubernetes since 1.12, it does not
 * bind pods itself: each pod gets a required node affinity on `metadata.name` of its node and
 * the default scheduler binds it (so pods show a Scheduled event). Which nodes should run a
 * pod follows NodeShouldRunDaemonPod: nodeSelector, node affinity and taints, with the
 * tolerations every daemon pod gets — so cordoned nodes keep their daemon pods, and NotReady
 * nodes (tainted not-ready:NoSchedule by the node lifecycle controller) get no new ones but keep
 * the ones they have.
 */

type DaemonSetObject = KubeObject & Writable<DaemonSet>;
type NodeObject = KubeObject & Writable<Node>;

const COMPONENT = 'daemonset-controller';
const REVISION_LABEL = 'controller-revision-hash';
const TEMPLATE_GENERATION_LABEL = 'pod-template-generation';
export const TEMPLATE_GENERATION_ANNOTATION = 'deprecated.daemonset.template.generation';

/** What AddOrUpdateDaemonPodTolerations gives every daemon pod. */
function daemonTolerations(spec: Writable<PodSpec>): Toleration[] {
  const added: Toleration[] = [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
  ];
  if (spec.hostNetwork) {
    added.push({ key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' });
  }
  const tolerations = [...(spec.tolerations ?? [])];
  for (const t of added) {
    const at = tolerations.findIndex(
      (e) => e.key === t.key && e.effect === t.effect && e.operator === t.operator,
    );
    if (at >= 0) tolerations[at] = t;
    else tolerations.push(t);
  }
  return tolerations;
}

/** A node's taints with those the node lifecycle controller adds for its conditions. */
function effectiveTaints(node: NodeObject): Taint[] {
  const taints: Taint[] = [...(node.spec?.taints ?? [])];
  const add = (key: string): void => {
    if (!taints.some((t) => t.key === key && t.effect === 'NoSchedule'))
      taints.push({ key, effect: 'NoSchedule' });
  };
  const readiness = readinessTaintKey(node);
  if (readiness) add(readiness);
  if (node.spec?.unschedulable) add('node.kubernetes.io/unschedulable');
  return taints;
}

/** NodeShouldRunDaemonPod: whether a pod should start on the node, and whether one may stay. */
function nodeShouldRun(
  ds: DaemonSetObject,
  node: NodeObject,
): { shouldRun: boolean; shouldContinue: boolean } {
  const spec = ds.spec?.template?.spec;
  if (spec?.nodeName && spec.nodeName !== node.metadata.name)
    return { shouldRun: false, shouldContinue: false };
  if (!fitsNodeAffinity(spec, node, 'unmet')) return { shouldRun: false, shouldContinue: false };
  const untolerated = untoleratedTaints(effectiveTaints(node), daemonTolerations(spec ?? { containers: [] }));
  if (untolerated.length === 0) return { shouldRun: true, shouldContinue: true };
  return { shouldRun: false, shouldContinue: !untolerated.some((t) => t.effect === 'NoExecute') };
}

/** The node a daemon pod is for: where it runs, else what its node affinity names. */
function targetNode(pod: PodObject): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  const terms =
    pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  for (const term of terms ?? []) {
    for (const f of term.matchFields ?? []) {
      if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1) return f.values[0];
    }
  }
  return undefined;
}

/** ReplaceDaemonSetPodNodeNameNodeAffinity: pins the pod to one node through the scheduler. */
function pinToNode(spec: Writable<PodSpec>, nodeName: string): void {
  const requirement = { key: 'metadata.name', operator: 'In', values: [nodeName] };
  const affinity = (spec.affinity ??= {});
  const nodeAffinity = (affinity.nodeAffinity ??= {});
  const required = nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution;
  if (!required || required.nodeSelectorTerms.length === 0) {
    nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution = {
      nodeSelectorTerms: [{ matchFields: [requirement] }],
    };
    return;
  }
  for (const term of required.nodeSelectorTerms) term.matchFields = [requirement];
}

function podHash(pod: PodObject): string | undefined {
  return pod.metadata.labels?.[REVISION_LABEL];
}

/** DaemonSet rollingUpdate's budgets (updatedDesiredNodeCounts). */
function scaledValue(value: number | string | undefined, total: number): number {
  if (typeof value === 'string') {
    const percent = Number(value.replace('%', ''));
    return Math.ceil((percent * total) / 100);
  }
  return value ?? 0;
}

class DaemonSetSync {
  private readonly now: number;
  private readonly minReadySeconds: number;
  private hash = '';

  constructor(
    private readonly ctx: ControllerContext,
    private readonly ds: DaemonSetObject,
    private readonly wakeups: Wakeups,
  ) {
    this.now = ctx.clock.now();
    this.minReadySeconds = ds.spec?.minReadySeconds ?? 0;
  }

  run(): void {
    const { current, all, collisionCount } = this.constructHistory();
    this.hash = current.metadata.labels?.[REVISION_LABEL] ?? '';
    const nodes = this.ctx.store.list(types.nodes) as NodeObject[];
    if (!this.ds.metadata.deletionTimestamp) {
      const changed = this.manage(nodes);
      if (!changed && (this.ds.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate') {
        this.rollingUpdate(nodes);
      }
    }
    const live = new Set([current.metadata.name!]);
    const byHash = new Map(all.map((r) => [r.metadata.labels?.[REVISION_LABEL], r.metadata.name!]));
    for (const pod of this.pods()) {
      const name = byHash.get(podHash(pod));
      if (name) live.add(name);
    }
    truncateHistory(this.ctx, all, live, this.ds.spec?.revisionHistoryLimit ?? 10);
    this.writeStatus(nodes, collisionCount);
  }

  private event(type: 'Normal' | 'Warning', reason: string, message: string): void {
    recordEvent(this.ctx, COMPONENT, this.ds, type, reason, message);
  }

  private pods(): PodObject[] {
    return podsControlledBy(this.ctx, this.ds.metadata.namespace!, this.ds.metadata.uid!);
  }

  /** getNodesToDaemonPods: pods by target node, leaving out finished pods already being deleted. */
  private nodeToPods(): Map<string, PodObject[]> {
    const map = new Map<string, PodObject[]>();
    for (const pod of this.pods()) {
      if (isTerminal(pod) && pod.metadata.deletionTimestamp) continue;
      const node = targetNode(pod);
      if (!node) continue;
      map.set(node, [...(map.get(node) ?? []), pod]);
    }
    return map;
  }

  /** constructHistory: the revision of the current template, made or renumbered as needed. */
  private constructHistory(): { current: RevisionObject; all: RevisionObject[]; collisionCount?: number } {
    const ds = this.ds;
    let all = revisionsOf(this.ctx, ds);
    let collisionCount = ds.status?.collisionCount;
    const data = revisionData(ds.spec?.template);
    const matching = all.filter((r) => sameData(r.data, data));
    let current: RevisionObject;
    if (matching.length === 0) {
      ({ created: current, collisionCount } = createRevision(
        this.ctx,
        ds,
        {
          data,
          revision: nextRevision(all),
          templateLabels: ds.spec?.template?.metadata?.labels,
          hashLabel: REVISION_LABEL,
          hash: (count) => computeTemplateHash(ds.spec?.template, count),
        },
        collisionCount,
      ));
    } else {
      current = matching[matching.length - 1];
      for (const duplicate of matching.slice(0, -1)) {
        this.ctx.store.delete(
          types['controllerrevisions.apps'],
          duplicate.metadata.namespace,
          duplicate.metadata.name!,
        );
      }
      const max = all[all.length - 1].revision;
      if (current.revision < max) current = renumberRevision(this.ctx, current, max + 1);
    }
    all = revisionsOf(this.ctx, ds);
    return { current, all, collisionCount };
  }

  private newPod(nodeName: string): KubeObject {
    const template = structuredClone(this.ds.spec!.template);
    const spec = template.spec!;
    spec.tolerations = daemonTolerations(spec);
    pinToNode(spec, nodeName);
    const generation = this.ds.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
    return templatePod(this.ds, template, {
      labels: {
        ...(generation ? { [TEMPLATE_GENERATION_LABEL]: generation } : {}),
        [REVISION_LABEL]: this.hash,
      },
      spec,
    });
  }

  /** syncNodes: creates and deletes, with the controller's events. */
  private syncNodes(toDelete: PodObject[], toCreate: string[]): void {
    for (const nodeName of toCreate) {
      const created = createPod(this.ctx, this.newPod(nodeName));
      if (created instanceof ApiError)
        this.event('Warning', 'FailedCreate', `Error creating: ${created.message}`);
      else this.event('Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
    }
    for (const pod of toDelete) {
      if (deletePod(this.ctx, pod))
        this.event('Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
    }
  }

  private allowsSurge(): boolean {
    const rolling = this.ds.spec?.updateStrategy?.rollingUpdate;
    return (
      (this.ds.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate' &&
      scaledValue(rolling?.maxSurge, 100) > 0
    );
  }

  /** manage / podsShouldBeOnNode. Returns whether it created or deleted anything. */
  private manage(nodes: NodeObject[]): boolean {
    const nodeToPods = this.nodeToPods();
    const toCreate: string[] = [];
    const toDelete: PodObject[] = [];
    for (const node of nodes) {
      const nodeName = node.metadata.name!;
      const { shouldRun, shouldContinue } = nodeShouldRun(this.ds, node);
      const daemonPods = nodeToPods.get(nodeName) ?? [];
      if (shouldRun && daemonPods.length === 0) {
        toCreate.push(nodeName);
      } else if (shouldContinue) {
        const running: PodObject[] = [];
        for (const pod of daemonPods) {
          if (pod.metadata.deletionTimestamp) continue;
          if (pod.status?.phase === 'Failed') {
            this.event(
              'Warning',
              'FailedDaemonPod',
              `Found failed daemon pod ${pod.metadata.namespace}/${pod.metadata.name} on node ${nodeName}, will try to kill it`,
            );
            toDelete.push(pod);
          } else if (pod.status?.phase === 'Succeeded') {
            toDelete.push(pod);
          } else {
            running.push(pod);
          }
        }
        toDelete.push(...this.extraPods(running.sort(byCreation)));
      } else {
        toDelete.push(...daemonPods.filter((p) => !p.metadata.deletionTimestamp));
      }
    }
    this.syncNodes(toDelete, toCreate);
    return toCreate.length + toDelete.length > 0;
  }

  /** More than one running pod on a node: without surge keep the oldest; with surge, see below. */
  private extraPods(running: PodObject[]): PodObject[] {
    if (running.length <= 1) return [];
    if (!this.allowsSurge()) return running.slice(1);
    // A surged node may keep an old Ready pod next to a new one that is not Ready yet.
    const extra: PodObject[] = [];
    let oldestNew: PodObject | undefined;
    let oldestOld: PodObject | undefined;
    for (const pod of running) {
      if (podHash(pod) === this.hash && !oldestNew) oldestNew = pod;
      else if (podHash(pod) !== this.hash && !oldestOld) oldestOld = pod;
      else extra.push(pod);
    }
    if (oldestNew && oldestOld && (!isPodReady(oldestOld) || isPodReady(oldestNew))) extra.push(oldestOld);
    return extra;
  }

  /** The new and old pod on a node (findUpdatedPodsOnNode); ok=false when there are several of one. */
  private podsOnNode(pods: PodObject[]): { newPod?: PodObject; oldPod?: PodObject; ok: boolean } {
    let newPod: PodObject | undefined;
    let oldPod: PodObject | undefined;
    for (const pod of pods) {
      if (pod.metadata.deletionTimestamp) continue;
      if (podHash(pod) === this.hash) {
        if (newPod) return { ok: false };
        newPod = pod;
      } else {
        if (oldPod) return { ok: false };
        oldPod = pod;
      }
    }
    return { newPod, oldPod, ok: true };
  }

  private available(pod: PodObject): boolean {
    const at = availableSince(pod, this.minReadySeconds);
    if (at !== undefined && at > this.now) this.wakeups.after(keyOf(this.ds), at - this.now);
    return isPodAvailable(pod, this.minReadySeconds, this.now);
  }

  private rollingUpdate(nodes: NodeObject[]): void {
    const nodeToPods = this.nodeToPods();
    let desired = 0;
    for (const node of nodes) {
      if (!nodeShouldRun(this.ds, node).shouldRun) continue;
      desired++;
      if (!nodeToPods.has(node.metadata.name!)) nodeToPods.set(node.metadata.name!, []);
    }
    const rolling = this.ds.spec?.updateStrategy?.rollingUpdate;
    const maxSurge = scaledValue(rolling?.maxSurge, desired);
    let maxUnavailable = scaledValue(rolling?.maxUnavailable ?? 1, desired);
    if (desired > 0 && maxUnavailable === 0 && maxSurge === 0) maxUnavailable = 1;
    if (maxSurge === 0) this.rollWithoutSurge(nodeToPods, maxUnavailable);
    else this.rollWithSurge(nodeToPods, nodes, maxSurge);
  }

  private rollWithoutSurge(nodeToPods: Map<string, PodObject[]>, maxUnavailable: number): void {
    let unavailable = 0;
    const replaceable: PodObject[] = [];
    const candidates: PodObject[] = [];
    for (const pods of nodeToPods.values()) {
      const { newPod, oldPod, ok } = this.podsOnNode(pods);
      if (!ok || (!newPod && !oldPod) || (newPod && oldPod)) {
        unavailable++;
      } else if (newPod) {
        if (!this.available(newPod)) unavailable++;
      } else if (!this.available(oldPod!)) {
        replaceable.push(oldPod!);
      } else if (unavailable < maxUnavailable) {
        candidates.push(oldPod!);
      }
    }
    const remaining = Math.min(Math.max(0, maxUnavailable - unavailable), candidates.length);
    this.syncNodes([...replaceable, ...candidates.slice(0, remaining)], []);
  }

  private rollWithSurge(nodeToPods: Map<string, PodObject[]>, nodes: NodeObject[], maxSurge: number): void {
    const toDelete: PodObject[] = [];
    const allowedNew: string[] = [];
    const candidateNew: string[] = [];
    let surging = 0;
    for (const [nodeName, pods] of nodeToPods) {
      const { newPod, oldPod, ok } = this.podsOnNode(pods);
      if (!ok) {
        surging++;
        continue;
      }
      if (!oldPod) continue;
      if (!newPod) {
        if (!this.available(oldPod)) {
          const node = nodes.find((n) => n.metadata.name === nodeName);
          if (!node || !nodeShouldRun(this.ds, node).shouldRun) toDelete.push(oldPod);
          else allowedNew.push(nodeName);
        } else if (surging < maxSurge) {
          candidateNew.push(nodeName);
        }
      } else if (!this.available(newPod)) {
        surging++;
      } else {
        toDelete.push(oldPod);
      }
    }
    const remaining = Math.min(Math.max(0, maxSurge - surging), candidateNew.length);
    this.syncNodes(toDelete, [...allowedNew, ...candidateNew.slice(0, remaining)]);
  }

  private writeStatus(nodes: NodeObject[], collisionCount: number | undefined): void {
    const nodeToPods = this.nodeToPods();
    const generation = this.ds.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
    let desired = 0;
    let current = 0;
    let misscheduled = 0;
    let ready = 0;
    let available = 0;
    let updated = 0;
    for (const node of nodes) {
      const { shouldRun } = nodeShouldRun(this.ds, node);
      const pods = nodeToPods.get(node.metadata.name!) ?? [];
      if (!shouldRun) {
        if (pods.length) misscheduled++;
        continue;
      }
      desired++;
      if (pods.length === 0) continue;
      current++;
      const pod = [...pods].sort(byCreation)[0];
      if (isPodReady(pod)) {
        ready++;
        if (this.available(pod)) available++;
      }
      const sameGeneration =
        generation !== undefined && pod.metadata.labels?.[TEMPLATE_GENERATION_LABEL] === generation;
      if (sameGeneration || podHash(pod) === this.hash) updated++;
    }
    const status: Writable<DaemonSetStatus> = {
      currentNumberScheduled: current,
      numberMisscheduled: misscheduled,
      desiredNumberScheduled: desired,
      numberReady: ready,
      observedGeneration: this.ds.metadata.generation,
      // Zero counts below are left out, as the Go type's omitempty does.
      ...(updated ? { updatedNumberScheduled: updated } : {}),
      ...(available ? { numberAvailable: available } : {}),
      ...(desired - available ? { numberUnavailable: desired - available } : {}),
      ...(collisionCount !== undefined ? { collisionCount } : {}),
      ...(this.ds.status?.conditions ? { conditions: this.ds.status.conditions } : {}),
    };
    writeStatus(this.ctx, 'daemonsets.apps', this.ds, status);
  }
}

export const daemonSetController: Controller = ownerController<DaemonSetObject>({
  name: 'daemonset',
  storageKey: 'daemonsets.apps',
  kind: 'DaemonSet',
  owned: ['pods', 'controllerrevisions.apps'],
  resyncOn: ['nodes'],
  sync: (ctx, ds, wakeups) => new DaemonSetSync(ctx, ds, wakeups).run(),
});
