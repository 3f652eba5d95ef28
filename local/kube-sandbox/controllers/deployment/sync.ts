import type { Deployment, DeploymentCondition, DeploymentStatus } from 'kubernetes-types/apps/v1';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1';
import { isDeepStrictEqual } from 'node:util';
import { admit } from '../admission';
import { ApiError } from '../errors';
import {
  controllerRef,
  keyOf,
  onStoreEvents,
  splitKey,
  types,
  type Controller,
  type ControllerContext,
} from '../runtime';
import type { KubeObject, Writable } from '../store';
import { canonicalJson, computeTemplateHash } from './hash';
import { controllerOf, selectorMatcher, type PodObject, type ReplicaSetObject } from './replicaset';

type DeploymentObject = KubeObject & Writable<Deployment>;
type Condition = Writable<DeploymentCondition>;
type Status = Writable<DeploymentStatus>;
type Template = Writable<PodTemplateSpec>;

const COMPONENT = 'deployment-controller';
const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';
const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
/** Annotations of a Deployment that are not copied onto its ReplicaSets (`annotationsToSkip`). */
const NOT_COPIED = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  'deprecated.deployment.rollback.to',
]);
/** `maxRevHistoryLengthInChars`: the revision-history annotation is kept under this length. */
const MAX_REVISION_HISTORY_CHARS = 2000;
const MAX_INT32 = 2147483647;
/** How long a failed ReplicaSet creation waits before the next try (the work queue's back-off). */
const RETRY_AFTER_MS = 10_000;

/** Condition reasons of deployment_util.go. */
const DeploymentReasons = {
  ReplicaSetUpdated: 'ReplicaSetUpdated',
  FailedRSCreate: 'ReplicaSetCreateError',
  NewReplicaSet: 'NewReplicaSetCreated',
  FoundNewRS: 'FoundNewReplicaSet',
  NewRSAvailable: 'NewReplicaSetAvailable',
  TimedOut: 'ProgressDeadlineExceeded',
  Paused: 'DeploymentPaused',
  Resumed: 'DeploymentResumed',
  MinimumReplicasAvailable: 'MinimumReplicasAvailable',
  MinimumReplicasUnavailable: 'MinimumReplicasUnavailable',
} as const;

// ---- pure helpers (deployment_util.go) -------------------------------------------------------

function desiredReplicas(d: DeploymentObject): number {
  return d.spec?.replicas ?? 1;
}

function replicasOf(rs: ReplicaSetObject | undefined): number {
  return rs ? (rs.spec?.replicas ?? 1) : 0;
}

function isRollingUpdate(d: DeploymentObject): boolean {
  return (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

/** `intstr.GetScaledValueFromIntOrPercent`. */
function scaledValue(value: number | string | undefined, total: number, roundUp: boolean): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  const match = /^(\d+)%$/.exec(value);
  // Validation lets no other string through.
  if (!match) return 0;
  const exact = (Number(match[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** `ResolveFenceposts`: surge rounds up, unavailability down, and they are never both zero. */
function fenceposts(d: DeploymentObject): { surge: number; unavailable: number } {
  const rolling = d.spec?.strategy?.rollingUpdate ?? {};
  const replicas = desiredReplicas(d);
  const surge = scaledValue(rolling.maxSurge, replicas, true);
  let unavailable = scaledValue(rolling.maxUnavailable, replicas, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

function maxSurge(d: DeploymentObject): number {
  return isRollingUpdate(d) ? fenceposts(d).surge : 0;
}

function maxUnavailable(d: DeploymentObject): number {
  const replicas = desiredReplicas(d);
  if (!isRollingUpdate(d) || replicas === 0) return 0;
  return Math.min(fenceposts(d).unavailable, replicas);
}

function revisionOf(obj: KubeObject | undefined): number {
  const value = obj?.metadata.annotations?.[REVISION_ANNOTATION];
  if (value === undefined) return 0;
  return /^-?\d+$/.test(value) ? Number(value) : NaN;
}

function maxRevision(rss: ReplicaSetObject[]): number {
  return Math.max(0, ...rss.map(revisionOf).filter((v) => !Number.isNaN(v)));
}

function createdAt(obj: KubeObject): number {
  return obj.metadata.creationTimestamp ? Date.parse(obj.metadata.creationTimestamp) : 0;
}

/** `ReplicaSetsByCreationTimestamp`: older first, name breaking ties. */
function byCreation(a: KubeObject, b: KubeObject): number {
  return createdAt(a) - createdAt(b) || (a.metadata.name! < b.metadata.name! ? -1 : 1);
}

/** `ReplicaSetsByRevision`: lower revision first, then older. */
function byRevision(a: ReplicaSetObject, b: ReplicaSetObject): number {
  const ra = revisionOf(a);
  const rb = revisionOf(b);
  if (Number.isNaN(ra) || Number.isNaN(rb) || ra === rb) return byCreation(a, b);
  return ra - rb;
}

/** `EqualIgnoreHash`: templates compared as stored, ignoring the pod-template-hash label. */
function templatesEqual(a: Template | undefined, b: Template | undefined): boolean {
  const strip = (t: Template | undefined): Template => {
    const copy = structuredClone(t ?? {});
    if (copy.metadata?.labels) {
      delete copy.metadata.labels[POD_TEMPLATE_HASH_LABEL];
      if (Object.keys(copy.metadata.labels).length === 0) delete copy.metadata.labels;
    }
    return copy;
  };
  return canonicalJson(strip(a)) === canonicalJson(strip(b));
}

function activeOnly(rss: Array<ReplicaSetObject | undefined>): ReplicaSetObject[] {
  return rss.filter((rs): rs is ReplicaSetObject => rs !== undefined && replicasOf(rs) > 0);
}

function sum(rss: Array<ReplicaSetObject | undefined>, f: (rs: ReplicaSetObject) => number): number {
  return rss.reduce((total, rs) => total + (rs ? f(rs) : 0), 0);
}

const specReplicas = (rs: ReplicaSetObject): number => replicasOf(rs);
const statusReplicas = (rs: ReplicaSetObject): number => rs.status?.replicas ?? 0;
const readyReplicas = (rs: ReplicaSetObject): number => rs.status?.readyReplicas ?? 0;
const availableReplicas = (rs: ReplicaSetObject): number => rs.status?.availableReplicas ?? 0;

function hasProgressDeadline(d: DeploymentObject): boolean {
  const deadline = d.spec?.progressDeadlineSeconds;
  return deadline !== undefined && deadline !== MAX_INT32;
}

function getCondition(status: Status, type: string): Condition | undefined {
  return status.conditions?.find((c) => c.type === type);
}

/** `SetDeploymentCondition`: no-op for the same status and reason; keeps the transition time for the same status. */
function setCondition(status: Status, condition: Condition): void {
  const current = getCondition(status, condition.type);
  if (current && current.status === condition.status && current.reason === condition.reason) return;
  if (current && current.status === condition.status)
    condition.lastTransitionTime = current.lastTransitionTime;
  status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== condition.type), condition];
}

function removeCondition(status: Status, type: string): void {
  status.conditions = (status.conditions ?? []).filter((c) => c.type !== type);
}

/** `DeploymentComplete`: every desired replica updated and available, no old pods left. */
function deploymentComplete(d: DeploymentObject, status: Status): boolean {
  const replicas = desiredReplicas(d);
  return (
    (status.updatedReplicas ?? 0) === replicas &&
    (status.replicas ?? 0) === replicas &&
    (status.availableReplicas ?? 0) === replicas &&
    (status.observedGeneration ?? 0) >= (d.metadata.generation ?? 0)
  );
}

/** `DeploymentProgressing`: new pods created, ready or available, or old ones gone, since the last status. */
function deploymentProgressing(previous: Status, next: Status): boolean {
  const oldOld = (previous.replicas ?? 0) - (previous.updatedReplicas ?? 0);
  const newOld = (next.replicas ?? 0) - (next.updatedReplicas ?? 0);
  return (
    (next.updatedReplicas ?? 0) > (previous.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (next.readyReplicas ?? 0) > (previous.readyReplicas ?? 0) ||
    (next.availableReplicas ?? 0) > (previous.availableReplicas ?? 0)
  );
}

/** What the API returns: zero-valued omitempty counters absent (collisionCount is a pointer: kept). */
function normalizeStatus(status: Status): Status {
  const out: Status = {};
  const counters = [
    'observedGeneration',
    'replicas',
    'updatedReplicas',
    'readyReplicas',
    'availableReplicas',
    'unavailableReplicas',
  ] as const;
  for (const field of counters) if (status[field]) out[field] = status[field];
  if (status.conditions?.length) out.conditions = status.conditions;
  if (status.collisionCount !== undefined) out.collisionCount = status.collisionCount;
  return out;
}

function sameJson(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(JSON.parse(JSON.stringify(a ?? null)), JSON.parse(JSON.stringify(b ?? null)));
}

/** The Deployment as an owner: store objects keep apiVersion and kind, but be explicit. */
function asOwner(d: KubeObject): KubeObject {
  return { ...d, apiVersion: 'apps/v1', kind: 'Deployment' };
}

/** A create of the new ReplicaSet failed: the rest of this sync cannot go on. */
class RolloutInterrupted extends Error {
  constructor(readonly retryAfterMs?: number) {
    super('rollout interrupted');
    this.name = 'RolloutInterrupted';
  }
}

// ---- one sync of one Deployment --------------------------------------------------------------

/**
 * One pass of `syncDeployment` over one Deployment. Works on a copy (`d`) whose annotations and
 * status are written back once at the end, as the several UpdateStatus calls of the real
 * controller would leave them.
 */
class DeploymentSyncPass {
  readonly d: DeploymentObject;
  /** The Progressing condition's lastUpdateTime to re-check the deadline from, if any. */
  progressCheck?: { from: number; deadlineMs: number };
  retryAfterMs?: number;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly stored: DeploymentObject,
  ) {
    this.d = structuredClone(stored);
    this.d.status ??= {};
  }

  private get status(): Status {
    return this.d.status!;
  }

  private condition(type: string, status: string, reason: string, message: string): Condition {
    const now = this.ctx.clock.rfc3339();
    return { type, status, lastUpdateTime: now, lastTransitionTime: now, reason, message };
  }

  private record(type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.ctx.events.record(asOwner(this.stored), type, reason, message, { component: COMPONENT });
  }

  run(): void {
    const d = this.d;
    const selector = d.spec?.selector;
    if (selector && !Object.keys(selector.matchLabels ?? {}).length && !selector.matchExpressions?.length) {
      this.record(
        'Warning',
        'SelectingAll',
        'This deployment is selecting all pods. A non-empty selector is required.',
      );
      if ((this.status.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) {
        this.status.observedGeneration = d.metadata.generation;
      }
      return;
    }
    const rsList = this.claimReplicaSets();
    try {
      if (d.metadata.deletionTimestamp) return this.syncStatusOnly(rsList);
      this.checkPausedConditions();
      if (d.spec?.paused) return this.sync(rsList);
      if (this.isScalingEvent(rsList)) return this.sync(rsList);
      if (d.spec?.strategy?.type === 'Recreate') return this.rolloutRecreate(rsList);
      return this.rolloutRolling(rsList);
    } catch (error) {
      if (!(error instanceof RolloutInterrupted)) throw error;
      this.retryAfterMs = error.retryAfterMs;
    }
  }

  /** Writes annotations and status when they changed; false when the Deployment moved meanwhile. */
  commit(): boolean {
    const { store } = this.ctx;
    const t = types['deployments.apps'];
    const fresh = store.get(t, this.stored.metadata.namespace, this.stored.metadata.name!);
    if (!fresh || fresh.metadata.resourceVersion !== this.stored.metadata.resourceVersion) return false;
    const status = normalizeStatus(this.status);
    const annotations = this.d.metadata.annotations;
    if (sameJson(fresh.status ?? {}, status) && sameJson(fresh.metadata.annotations, annotations))
      return true;
    const next = structuredClone(fresh);
    next.metadata.annotations = annotations;
    next.status = status;
    store.update(t, next);
    return true;
  }

  // ---- ownership -----------------------------------------------------------------------------

  /**
   * `getReplicaSetsForDeployment`: ReplicaSets this Deployment controls that still match its
   * selector; orphans that match are adopted, owned ones that stopped matching are released.
   */
  private claimReplicaSets(): ReplicaSetObject[] {
    const { store } = this.ctx;
    const d = this.d;
    const t = types['replicasets.apps'];
    const matches = selectorMatcher(d.spec?.selector);
    const deleting = Boolean(d.metadata.deletionTimestamp);
    const owned: ReplicaSetObject[] = [];
    for (const rs of store.list(t, d.metadata.namespace) as ReplicaSetObject[]) {
      const ref = controllerOf(rs);
      if (ref) {
        if (ref.uid !== d.metadata.uid) continue;
        if (matches(rs.metadata.labels)) owned.push(rs);
        else if (!deleting) {
          const released = structuredClone(rs);
          released.metadata.ownerReferences = rs.metadata.ownerReferences!.filter(
            (r) => r.uid !== d.metadata.uid,
          );
          if (released.metadata.ownerReferences.length === 0) delete released.metadata.ownerReferences;
          store.update(t, released);
        }
        continue;
      }
      if (deleting || rs.metadata.deletionTimestamp || !matches(rs.metadata.labels)) continue;
      const adopted = structuredClone(rs);
      adopted.metadata.ownerReferences = [
        ...(rs.metadata.ownerReferences ?? []),
        controllerRef(asOwner(this.stored)),
      ];
      owned.push(store.update(t, adopted) as ReplicaSetObject);
    }
    return owned;
  }

  /** Active pods of each owned ReplicaSet, by the ReplicaSet's uid (`getPodMapForDeployment`). */
  private podsByReplicaSet(rsList: ReplicaSetObject[]): Map<string, PodObject[]> {
    const byUid = new Map<string, PodObject[]>(rsList.map((rs) => [rs.metadata.uid!, []]));
    const matches = selectorMatcher(this.d.spec?.selector);
    for (const pod of this.ctx.store.list(types.pods, this.d.metadata.namespace) as PodObject[]) {
      const owner = controllerOf(pod)?.uid;
      if (owner && byUid.has(owner) && matches(pod.metadata.labels)) byUid.get(owner)!.push(pod);
    }
    return byUid;
  }

  // ---- new and old ReplicaSets (sync.go) -------------------------------------------------------

  private findNewReplicaSet(rsList: ReplicaSetObject[]): ReplicaSetObject | undefined {
    return [...rsList]
      .sort(byCreation)
      .find((rs) => templatesEqual(rs.spec?.template, this.d.spec?.template));
  }

  private getAllReplicaSetsAndSyncRevision(
    rsList: ReplicaSetObject[],
    createIfMissing: boolean,
  ): { newRS?: ReplicaSetObject; oldRSs: ReplicaSetObject[] } {
    const existing = this.findNewReplicaSet(rsList);
    const oldRSs = rsList.filter((rs) => rs.metadata.uid !== existing?.metadata.uid);
    const newRS = this.getNewReplicaSet(existing, oldRSs, createIfMissing);
    return { newRS, oldRSs };
  }

  /**
   * `SetNewReplicaSetAnnotations`: copies the Deployment's annotations, and makes the new
   * ReplicaSet's revision the highest; a ReplicaSet that becomes new again (rollout undo) keeps
   * its earlier revision numbers in revision-history.
   */
  private setNewReplicaSetAnnotations(rs: ReplicaSetObject, newRevision: number, exists: boolean): boolean {
    const d = this.d;
    const annotations = (rs.metadata.annotations ??= {});
    let changed = false;
    for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
      if (NOT_COPIED.has(k) || annotations[k] === v) continue;
      annotations[k] = v;
      changed = true;
    }
    const oldRevision = annotations[REVISION_ANNOTATION];
    // An unparsable revision is left alone, and so is everything else (as the real one does).
    if (oldRevision && !/^-?\d+$/.test(oldRevision)) return false;
    const oldRevisionNumber = oldRevision ? Number(oldRevision) : 0;
    if (oldRevisionNumber < newRevision) {
      annotations[REVISION_ANNOTATION] = String(newRevision);
      changed = true;
      if (oldRevision !== undefined) {
        const history = annotations[REVISION_HISTORY_ANNOTATION];
        if (!history) {
          annotations[REVISION_HISTORY_ANNOTATION] = oldRevision;
        } else {
          const revisions = history.split(',');
          let length = history.length + oldRevision.length + 1;
          let start = 0;
          while (length > MAX_REVISION_HISTORY_CHARS && start < revisions.length) {
            length -= revisions[start].length + 1;
            start++;
          }
          if (length <= MAX_REVISION_HISTORY_CHARS) {
            annotations[REVISION_HISTORY_ANNOTATION] = [...revisions.slice(start), oldRevision].join(',');
          }
        }
      }
    }
    if (!exists && this.setReplicasAnnotations(rs)) changed = true;
    return changed;
  }

  private setReplicasAnnotations(rs: ReplicaSetObject): boolean {
    const annotations = (rs.metadata.annotations ??= {});
    const desired = String(desiredReplicas(this.d));
    const max = String(desiredReplicas(this.d) + maxSurge(this.d));
    const changed =
      annotations[DESIRED_REPLICAS_ANNOTATION] !== desired || annotations[MAX_REPLICAS_ANNOTATION] !== max;
    annotations[DESIRED_REPLICAS_ANNOTATION] = desired;
    annotations[MAX_REPLICAS_ANNOTATION] = max;
    return changed;
  }

  private setDeploymentRevision(revision: string | undefined): void {
    if (revision === undefined) return;
    const annotations = (this.d.metadata.annotations ??= {});
    annotations[REVISION_ANNOTATION] = revision;
  }

  /** `getNewReplicaSet`: finds (and re-revisions) or creates the ReplicaSet of the current template. */
  private getNewReplicaSet(
    existing: ReplicaSetObject | undefined,
    oldRSs: ReplicaSetObject[],
    createIfMissing: boolean,
  ): ReplicaSetObject | undefined {
    const d = this.d;
    const { store } = this.ctx;
    const t = types['replicasets.apps'];
    const newRevision = maxRevision(oldRSs) + 1;
    if (existing) {
      const copy = structuredClone(existing);
      const annotationsChanged = this.setNewReplicaSetAnnotations(copy, newRevision, true);
      const minReadySeconds = d.spec?.minReadySeconds ?? 0;
      if (annotationsChanged || (copy.spec?.minReadySeconds ?? 0) !== minReadySeconds) {
        if (minReadySeconds) copy.spec!.minReadySeconds = minReadySeconds;
        else delete copy.spec!.minReadySeconds;
        // As the real controller does, the Deployment's own revision follows on the next sync.
        return store.update(t, copy) as ReplicaSetObject;
      }
      this.setDeploymentRevision(copy.metadata.annotations?.[REVISION_ANNOTATION]);
      if (hasProgressDeadline(d) && !getCondition(this.status, 'Progressing')) {
        setCondition(
          this.status,
          this.condition(
            'Progressing',
            'True',
            DeploymentReasons.FoundNewRS,
            `Found new replica set "${copy.metadata.name}"`,
          ),
        );
      }
      return copy;
    }
    if (!createIfMissing) return undefined;

    const template = structuredClone(d.spec!.template) as Template;
    const hash = computeTemplateHash(template, this.status.collisionCount);
    template.metadata = {
      ...template.metadata,
      labels: { ...template.metadata?.labels, [POD_TEMPLATE_HASH_LABEL]: hash },
    };
    const selector = structuredClone(d.spec!.selector);
    selector.matchLabels = { ...selector.matchLabels, [POD_TEMPLATE_HASH_LABEL]: hash };
    const name = `${d.metadata.name}-${hash}`;
    const newRS: ReplicaSetObject = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name,
        namespace: d.metadata.namespace,
        labels: { ...template.metadata.labels },
        ownerReferences: [controllerRef(asOwner(this.stored))],
      },
      spec: {
        replicas: 0,
        ...(d.spec?.minReadySeconds ? { minReadySeconds: d.spec.minReadySeconds } : {}),
        selector,
        template,
      },
    };
    const count = this.newRSNewReplicas([...oldRSs, newRS], newRS);
    newRS.spec!.replicas = count;
    this.setNewReplicaSetAnnotations(newRS, newRevision, false);

    let created: ReplicaSetObject;
    let alreadyExisted = false;
    try {
      admit(t, newRS);
      created = store.create(t, newRS) as ReplicaSetObject;
    } catch (error) {
      if (error instanceof ApiError && error.code === 409 && error.reason === 'AlreadyExists') {
        const clash = store.get(t, d.metadata.namespace, name) as ReplicaSetObject | undefined;
        if (
          clash &&
          controllerOf(clash)?.uid === d.metadata.uid &&
          templatesEqual(clash.spec?.template, d.spec?.template)
        ) {
          created = clash;
          alreadyExisted = true;
        } else {
          // A hash collision: a different template already owns the name. A bumped collision
          // count gives the next sync another name.
          this.status.collisionCount = (this.status.collisionCount ?? 0) + 1;
          throw new RolloutInterrupted();
        }
      } else {
        const message = `Failed to create new replica set "${name}": ${error instanceof Error ? error.message : String(error)}`;
        if (hasProgressDeadline(d)) {
          setCondition(
            this.status,
            this.condition('Progressing', 'False', DeploymentReasons.FailedRSCreate, message),
          );
        }
        this.record('Warning', DeploymentReasons.FailedRSCreate, message);
        throw new RolloutInterrupted(RETRY_AFTER_MS);
      }
    }
    if (!alreadyExisted && count > 0) {
      this.record(
        'Normal',
        'ScalingReplicaSet',
        `Scaled up replica set ${created.metadata.name} from 0 to ${count}`,
      );
    }
    this.setDeploymentRevision(String(newRevision));
    if (!alreadyExisted && hasProgressDeadline(d)) {
      setCondition(
        this.status,
        this.condition(
          'Progressing',
          'True',
          DeploymentReasons.NewReplicaSet,
          `Created new replica set "${created.metadata.name}"`,
        ),
      );
    }
    return created;
  }

  /** `NewRSNewReplicas`: how far the new ReplicaSet may grow now. */
  private newRSNewReplicas(allRSs: ReplicaSetObject[], newRS: ReplicaSetObject): number {
    const d = this.d;
    const replicas = desiredReplicas(d);
    if (!isRollingUpdate(d)) return replicas;
    const maxTotal = replicas + scaledValue(d.spec?.strategy?.rollingUpdate?.maxSurge, replicas, true);
    const current = sum(allRSs, specReplicas);
    if (current >= maxTotal) return replicasOf(newRS);
    return replicasOf(newRS) + Math.min(maxTotal - current, replicas - replicasOf(newRS));
  }

  // ---- scaling ---------------------------------------------------------------------------------

  /** `scaleReplicaSet`: sets replicas and the desired/max annotations; records ScalingReplicaSet. */
  private scaleReplicaSet(rs: ReplicaSetObject, newScale: number): ReplicaSetObject {
    const sizeChanges = replicasOf(rs) !== newScale;
    const copy = structuredClone(rs);
    const annotationsChange = this.setReplicasAnnotations(copy);
    if (!sizeChanges && !annotationsChange) return rs;
    const oldScale = replicasOf(rs);
    copy.spec!.replicas = newScale;
    const updated = this.ctx.store.update(types['replicasets.apps'], copy) as ReplicaSetObject;
    if (sizeChanges) {
      const direction = oldScale < newScale ? 'up' : 'down';
      this.record(
        'Normal',
        'ScalingReplicaSet',
        `Scaled ${direction} replica set ${rs.metadata.name} from ${oldScale} to ${newScale}`,
      );
    }
    return updated;
  }

  private scaleIfNeeded(rs: ReplicaSetObject, newScale: number): { scaled: boolean; rs: ReplicaSetObject } {
    if (replicasOf(rs) === newScale) return { scaled: false, rs };
    return { scaled: true, rs: this.scaleReplicaSet(rs, newScale) };
  }

  /** `isScalingEvent`: an active ReplicaSet was sized for a different spec.replicas. */
  private isScalingEvent(rsList: ReplicaSetObject[]): boolean {
    const { newRS, oldRSs } = this.getAllReplicaSetsAndSyncRevision(rsList, false);
    return activeOnly([...oldRSs, newRS]).some((rs) => {
      const desired = rs.metadata.annotations?.[DESIRED_REPLICAS_ANNOTATION];
      return desired !== undefined && /^-?\d+$/.test(desired) && Number(desired) !== desiredReplicas(this.d);
    });
  }

  /**
   * `scale`: a scaling event (or a paused Deployment). A single active ReplicaSet takes the new
   * size; otherwise, for RollingUpdate, the difference is spread over the active ReplicaSets in
   * proportion to their size (the real controller's proportional scaling).
   */
  private scale(newRS: ReplicaSetObject | undefined, oldRSs: ReplicaSetObject[]): void {
    const d = this.d;
    const replicas = desiredReplicas(d);
    const activeOrLatest = this.findActiveOrLatest(newRS, oldRSs);
    if (activeOrLatest) {
      if (replicasOf(activeOrLatest) !== replicas) this.scaleIfNeeded(activeOrLatest, replicas);
      return;
    }
    if (this.isSaturated(newRS)) {
      for (const old of activeOnly(oldRSs)) this.scaleIfNeeded(old, 0);
      return;
    }
    if (!isRollingUpdate(d)) return;
    const all = activeOnly([...oldRSs, newRS]);
    const allowed = replicas > 0 ? replicas + maxSurge(d) : 0;
    const toAdd = allowed - sum(all, specReplicas);
    if (toAdd > 0) all.sort((a, b) => replicasOf(b) - replicasOf(a) || byCreation(b, a));
    else if (toAdd < 0) all.sort((a, b) => replicasOf(b) - replicasOf(a) || byCreation(a, b));
    let added = 0;
    const sizes = new Map<string, number>();
    for (const rs of all) {
      const proportion = toAdd !== 0 ? this.proportion(rs, toAdd, added) : 0;
      sizes.set(rs.metadata.name!, replicasOf(rs) + proportion);
      added += proportion;
    }
    all.forEach((rs, i) => {
      let size = sizes.get(rs.metadata.name!)!;
      if (i === 0 && toAdd !== 0) size = Math.max(0, size + toAdd - added);
      this.scaleReplicaSet(rs, size);
    });
  }

  /** `GetProportion`. */
  private proportion(rs: ReplicaSetObject, toAdd: number, added: number): number {
    if (replicasOf(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
    const d = this.d;
    let fraction: number;
    if (desiredReplicas(d) === 0) {
      fraction = -replicasOf(rs);
    } else {
      const deploymentReplicas = desiredReplicas(d) + maxSurge(d);
      const annotated = Number(rs.metadata.annotations?.[MAX_REPLICAS_ANNOTATION]);
      const base = Number.isInteger(annotated) ? annotated : (d.status?.replicas ?? 0);
      fraction = Math.round((replicasOf(rs) * deploymentReplicas) / base) - replicasOf(rs);
    }
    const allowed = toAdd - added;
    return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
  }

  private findActiveOrLatest(
    newRS: ReplicaSetObject | undefined,
    oldRSs: ReplicaSetObject[],
  ): ReplicaSetObject | undefined {
    if (!newRS && oldRSs.length === 0) return undefined;
    const newestFirst = [...oldRSs].sort((a, b) => byCreation(b, a));
    const active = activeOnly([...newestFirst, newRS]);
    if (active.length === 0) return newRS ?? newestFirst[0];
    return active.length === 1 ? active[0] : undefined;
  }

  private isSaturated(rs: ReplicaSetObject | undefined): boolean {
    if (!rs) return false;
    const desired = rs.metadata.annotations?.[DESIRED_REPLICAS_ANNOTATION];
    const replicas = desiredReplicas(this.d);
    return (
      desired !== undefined &&
      Number(desired) === replicas &&
      replicasOf(rs) === replicas &&
      availableReplicas(rs) === replicas
    );
  }

  /** `cleanupDeployment`: keeps at most revisionHistoryLimit old, empty ReplicaSets. */
  private cleanupDeployment(oldRSs: ReplicaSetObject[]): void {
    const limit = this.d.spec?.revisionHistoryLimit;
    if (limit === undefined || limit === MAX_INT32) return;
    const cleanable = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp).sort(byRevision);
    const surplus = cleanable.length - limit;
    for (const rs of cleanable.slice(0, Math.max(0, surplus))) {
      if (
        statusReplicas(rs) !== 0 ||
        replicasOf(rs) !== 0 ||
        (rs.metadata.generation ?? 0) > (rs.status?.observedGeneration ?? 0)
      ) {
        continue;
      }
      try {
        this.ctx.store.delete(types['replicasets.apps'], rs.metadata.namespace, rs.metadata.name!);
      } catch (error) {
        if (!(error instanceof ApiError && error.code === 404)) throw error;
      }
    }
  }

  // ---- the sync flavours -----------------------------------------------------------------------

  private syncStatusOnly(rsList: ReplicaSetObject[]): void {
    const { newRS, oldRSs } = this.getAllReplicaSetsAndSyncRevision(rsList, false);
    this.d.status = this.calculateStatus([...oldRSs, newRS], newRS);
  }

  /** Scaling events and paused Deployments: resize, never roll out. */
  private sync(rsList: ReplicaSetObject[]): void {
    const { newRS, oldRSs } = this.getAllReplicaSetsAndSyncRevision(rsList, false);
    this.scale(newRS, oldRSs);
    if (this.d.spec?.paused) this.cleanupDeployment(oldRSs);
    this.d.status = this.calculateStatus([...oldRSs, newRS], newRS);
  }

  /** `checkPausedConditions`: Progressing=Unknown while paused, so the deadline does not run. */
  private checkPausedConditions(): void {
    if (!hasProgressDeadline(this.d)) return;
    const current = getCondition(this.status, 'Progressing');
    if (current?.reason === DeploymentReasons.TimedOut) return;
    const pausedSet = current?.reason === DeploymentReasons.Paused;
    if (this.d.spec?.paused && !pausedSet) {
      setCondition(
        this.status,
        this.condition('Progressing', 'Unknown', DeploymentReasons.Paused, 'Deployment is paused'),
      );
    } else if (!this.d.spec?.paused && pausedSet) {
      setCondition(
        this.status,
        this.condition('Progressing', 'Unknown', DeploymentReasons.Resumed, 'Deployment is resumed'),
      );
    }
  }

  private rolloutRolling(rsList: ReplicaSetObject[]): void {
    const got = this.getAllReplicaSetsAndSyncRevision(rsList, true);
    const newRS = got.newRS!;
    let oldRSs = got.oldRSs;
    const allRSs = [...oldRSs, newRS];
    const scaledUp = this.reconcileNewReplicaSet(allRSs, newRS);
    if (scaledUp) return this.syncRolloutStatus([...oldRSs, scaledUp], scaledUp);
    const scaledDown = this.reconcileOldReplicaSets(allRSs, oldRSs, newRS);
    if (scaledDown) {
      oldRSs = oldRSs.map((rs) => scaledDown.get(rs.metadata.uid!) ?? rs);
      return this.syncRolloutStatus([...oldRSs, newRS], newRS);
    }
    if (deploymentComplete(this.d, this.status)) this.cleanupDeployment(oldRSs);
    this.syncRolloutStatus(allRSs, newRS);
  }

  /** Grows (or shrinks to spec.replicas) the new ReplicaSet; the updated one when it scaled. */
  private reconcileNewReplicaSet(
    allRSs: ReplicaSetObject[],
    newRS: ReplicaSetObject,
  ): ReplicaSetObject | undefined {
    const replicas = desiredReplicas(this.d);
    if (replicasOf(newRS) === replicas) return undefined;
    const target = replicasOf(newRS) > replicas ? replicas : this.newRSNewReplicas(allRSs, newRS);
    const result = this.scaleIfNeeded(newRS, target);
    return result.scaled ? result.rs : undefined;
  }

  /**
   * `reconcileOldReplicaSets`: shrinks old ReplicaSets as far as maxUnavailable allows,
   * unhealthy replicas first. Returns the scaled ReplicaSets by uid, or undefined.
   */
  private reconcileOldReplicaSets(
    allRSs: ReplicaSetObject[],
    oldRSs: ReplicaSetObject[],
    newRS: ReplicaSetObject,
  ): Map<string, ReplicaSetObject> | undefined {
    let active = activeOnly(oldRSs);
    if (sum(active, specReplicas) === 0) return undefined;
    const minAvailable = desiredReplicas(this.d) - maxUnavailable(this.d);
    const newUnavailable = replicasOf(newRS) - availableReplicas(newRS);
    const maxScaledDown = sum(allRSs, specReplicas) - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) return undefined;

    const scaled = new Map<string, ReplicaSetObject>();
    // Unhealthy old replicas go first: removing them costs no availability.
    active = [...active].sort(byCreation);
    let cleaned = 0;
    active = active.map((rs) => {
      if (cleaned >= maxScaledDown || replicasOf(rs) === 0 || replicasOf(rs) === availableReplicas(rs))
        return rs;
      const count = Math.min(maxScaledDown - cleaned, replicasOf(rs) - availableReplicas(rs));
      const updated = this.scaleIfNeeded(rs, replicasOf(rs) - count).rs;
      cleaned += count;
      scaled.set(updated.metadata.uid!, updated);
      return updated;
    });

    const available = sum([...active, newRS], availableReplicas);
    let scaledDown = 0;
    if (available > minAvailable) {
      const total = available - minAvailable;
      for (const rs of active.sort(byCreation)) {
        if (scaledDown >= total) break;
        if (replicasOf(rs) === 0) continue;
        const count = Math.min(replicasOf(rs), total - scaledDown);
        const updated = this.scaleIfNeeded(rs, replicasOf(rs) - count).rs;
        scaled.set(updated.metadata.uid!, updated);
        scaledDown += count;
      }
    }
    return cleaned + scaledDown > 0 ? scaled : undefined;
  }

  private rolloutRecreate(rsList: ReplicaSetObject[]): void {
    let { newRS, oldRSs } = this.getAllReplicaSetsAndSyncRevision(rsList, false);
    const podMap = this.podsByReplicaSet(rsList);
    let scaledDown = false;
    oldRSs = oldRSs.map((rs) => {
      if (replicasOf(rs) === 0) return rs;
      const result = this.scaleIfNeeded(rs, 0);
      scaledDown ||= result.scaled;
      return result.rs;
    });
    if (scaledDown) return this.syncRolloutStatus([...oldRSs, newRS], newRS);
    if (this.oldPodsRunning(newRS, oldRSs, podMap)) return this.syncRolloutStatus([...oldRSs, newRS], newRS);
    if (!newRS) ({ newRS, oldRSs } = this.getAllReplicaSetsAndSyncRevision(rsList, true));
    newRS = this.scaleIfNeeded(newRS!, desiredReplicas(this.d)).rs;
    if (deploymentComplete(this.d, this.status)) this.cleanupDeployment(oldRSs);
    this.syncRolloutStatus([...oldRSs, newRS], newRS);
  }

  /** Recreate waits until no old pod runs, terminating ones included. */
  private oldPodsRunning(
    newRS: ReplicaSetObject | undefined,
    oldRSs: ReplicaSetObject[],
    podMap: Map<string, PodObject[]>,
  ): boolean {
    if (sum(oldRSs, statusReplicas) > 0) return true;
    for (const [uid, pods] of podMap) {
      if (uid === newRS?.metadata.uid) continue;
      if (pods.some((p) => !['Failed', 'Succeeded'].includes(p.status?.phase ?? ''))) return true;
    }
    return false;
  }

  // ---- status (sync.go calculateStatus, progress.go) -------------------------------------------

  private calculateStatus(
    rss: Array<ReplicaSetObject | undefined>,
    newRS: ReplicaSetObject | undefined,
  ): Status {
    const d = this.d;
    const available = sum(rss, availableReplicas);
    const status: Status = {
      observedGeneration: d.metadata.generation,
      replicas: sum(rss, statusReplicas),
      updatedReplicas: sum([newRS], statusReplicas),
      readyReplicas: sum(rss, readyReplicas),
      availableReplicas: available,
      unavailableReplicas: Math.max(0, sum(rss, specReplicas) - available),
      collisionCount: this.status.collisionCount,
      conditions: structuredClone(this.status.conditions ?? []),
    };
    if (available >= desiredReplicas(d) - maxUnavailable(d)) {
      setCondition(
        status,
        this.condition(
          'Available',
          'True',
          DeploymentReasons.MinimumReplicasAvailable,
          'Deployment has minimum availability.',
        ),
      );
    } else {
      setCondition(
        status,
        this.condition(
          'Available',
          'False',
          DeploymentReasons.MinimumReplicasUnavailable,
          'Deployment does not have minimum availability.',
        ),
      );
    }
    return status;
  }

  /** `syncRolloutStatus`: status plus the Progressing condition and the progress deadline. */
  private syncRolloutStatus(
    rss: Array<ReplicaSetObject | undefined>,
    newRS: ReplicaSetObject | undefined,
  ): void {
    const d = this.d;
    const previous = this.status;
    const next = this.calculateStatus(rss, newRS);
    if (!hasProgressDeadline(d)) removeCondition(next, 'Progressing');
    const current = getCondition(previous, 'Progressing');
    const complete =
      next.replicas === next.updatedReplicas && current?.reason === DeploymentReasons.NewRSAvailable;
    const subject = newRS ? `ReplicaSet "${newRS.metadata.name}"` : `Deployment "${d.metadata.name}"`;
    if (hasProgressDeadline(d) && !complete) {
      if (deploymentComplete(d, next)) {
        setCondition(
          next,
          this.condition(
            'Progressing',
            'True',
            DeploymentReasons.NewRSAvailable,
            `${subject} has successfully progressed.`,
          ),
        );
      } else if (deploymentProgressing(previous, next)) {
        const condition = this.condition(
          'Progressing',
          'True',
          DeploymentReasons.ReplicaSetUpdated,
          `${subject} is progressing.`,
        );
        // Unlike other conditions, Progressing moves lastUpdateTime on every sign of progress.
        if (current) {
          if (current.status === 'True') condition.lastTransitionTime = current.lastTransitionTime;
          removeCondition(next, 'Progressing');
        }
        setCondition(next, condition);
      } else if (this.timedOut(next)) {
        setCondition(
          next,
          this.condition(
            'Progressing',
            'False',
            DeploymentReasons.TimedOut,
            `${subject} has timed out progressing.`,
          ),
        );
      }
    }
    const failures = this.replicaFailures(rss, newRS);
    if (failures.length > 0) setCondition(next, failures[0]);
    else removeCondition(next, 'ReplicaFailure');
    d.status = next;
    this.planProgressCheck(next);
  }

  /** `DeploymentTimedOut`: no progress reported for longer than progressDeadlineSeconds. */
  private timedOut(status: Status): boolean {
    const condition = getCondition(status, 'Progressing');
    if (!condition || condition.reason === DeploymentReasons.NewRSAvailable) return false;
    if (condition.reason === DeploymentReasons.TimedOut) return true;
    const from = Date.parse(condition.lastUpdateTime ?? '');
    return from + this.d.spec!.progressDeadlineSeconds! * 1000 < this.ctx.clock.now();
  }

  /** ReplicaFailure conditions of the new ReplicaSet, else of the old ones, as Deployment conditions. */
  private replicaFailures(
    rss: Array<ReplicaSetObject | undefined>,
    newRS: ReplicaSetObject | undefined,
  ): Condition[] {
    const convert = (rs: ReplicaSetObject | undefined): Condition[] =>
      (rs?.status?.conditions ?? [])
        .filter((c) => c.type === 'ReplicaFailure')
        .map((c) => ({
          type: c.type,
          status: c.status,
          lastUpdateTime: c.lastTransitionTime,
          lastTransitionTime: c.lastTransitionTime,
          reason: c.reason,
          message: c.message,
        }));
    const fromNew = convert(newRS);
    return fromNew.length > 0 ? fromNew : rss.flatMap(convert);
  }

  /** `requeueStuckDeployment`: when to look again if nothing else happens. */
  private planProgressCheck(status: Status): void {
    const current = getCondition(status, 'Progressing');
    if (!hasProgressDeadline(this.d) || !current) return;
    if (deploymentComplete(this.d, status) || current.reason === DeploymentReasons.TimedOut) return;
    this.progressCheck = {
      from: Date.parse(current.lastUpdateTime ?? ''),
      deadlineMs: this.d.spec!.progressDeadlineSeconds! * 1000,
    };
  }
}

// ---- the controller ------------------------------------------------------------------------------

/**
 * The Deployment controller (pkg/controller/deployment): one ReplicaSet per pod template named
 * `<deployment>-<pod-template-hash>`, rolled out with RollingUpdate (maxSurge / maxUnavailable)
 * or Recreate, revisions and revision history in annotations, proportional scaling, pause,
 * revisionHistoryLimit cleanup, and the Available / Progressing conditions with the progress
 * deadline re-checked on the sandbox clock.
 */
export const deploymentController: Controller = {
  name: 'deployment',
  start(ctx) {
    const timers = new Map<string, number>();
    const t = types['deployments.apps'];
    const clearTimer = (key: string): void => {
      const id = timers.get(key);
      if (id !== undefined) ctx.clock.clearTimeout(id);
      timers.delete(key);
    };
    const after = (key: string, delayMs: number): void => {
      clearTimer(key);
      timers.set(
        key,
        ctx.clock.setTimeout(() => {
          timers.delete(key);
          queue.add(key);
        }, delayMs),
      );
    };
    const queue = ctx.queue('deployment', (key) => {
      const { namespace, name } = splitKey(key);
      const stored = ctx.store.get(t, namespace, name) as DeploymentObject | undefined;
      if (!stored) return clearTimer(key);
      const pass = new DeploymentSyncPass(ctx, stored);
      pass.run();
      if (!pass.commit()) return queue.add(key);
      if (pass.retryAfterMs !== undefined) return after(key, pass.retryAfterMs);
      if (pass.progressCheck) {
        const { from, deadlineMs } = pass.progressCheck;
        // One second past the deadline, as the real controller re-queues, so it has passed for sure.
        return after(key, Math.max(1, from + deadlineMs - ctx.clock.now() + 1000));
      }
      clearTimer(key);
    });

    const ownerKey = (obj: KubeObject): string | undefined => {
      const ref = controllerOf(obj);
      if (ref?.kind !== 'Deployment') return undefined;
      const d = ctx.store.get(t, obj.metadata.namespace, ref.name);
      return d?.metadata.uid === ref.uid ? keyOf(d) : undefined;
    };
    const unsubscribe = onStoreEvents(
      ctx.store,
      ['deployments.apps', 'replicasets.apps', 'pods'],
      (event) => {
        const obj = event.object;
        if (event.storageKey === 'deployments.apps') return queue.add(keyOf(obj));
        if (event.storageKey === 'replicasets.apps') {
          const key = ownerKey(obj);
          if (key) return queue.add(key);
          if (controllerOf(obj) || event.type === 'DELETED') return;
          // An orphan: the Deployments that select it may adopt it.
          for (const d of ctx.store.list(t, obj.metadata.namespace) as DeploymentObject[]) {
            if (selectorMatcher(d.spec?.selector)(obj.metadata.labels)) queue.add(keyOf(d));
          }
          return;
        }
        // Recreate waits for the last old pod to go away.
        if (event.type !== 'DELETED') return;
        const ref = controllerOf(obj);
        if (ref?.kind !== 'ReplicaSet') return;
        const rs = ctx.store.get(types['replicasets.apps'], obj.metadata.namespace, ref.name);
        const key = rs && ownerKey(rs);
        if (key) queue.add(key);
      },
    );
    for (const d of ctx.store.list(t)) queue.add(keyOf(d));
    return () => {
      unsubscribe();
      for (const key of [...timers.keys()]) clearTimer(key);
    };
  },
};
