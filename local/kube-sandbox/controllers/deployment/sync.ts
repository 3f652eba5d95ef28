import { admit } from '../../admission';
import { ApiError } from '../../errors';
import { controllerRef, types, type ControllerContext } from '../../runtime';
import { computeTemplateHash } from '../hash';
import type { ReplicaSetObject } from '../replicaset';
import { controllerOf, sameJson, selectorMatcher, type PodObject } from '../workload-common';
import { rolloutRecreate } from './recreate';
import { rolloutRolling } from './rolling';
import {
  activeOnly,
  asOwner,
  availableReplicas,
  byCreation,
  byRevision,
  COMPONENT,
  DeploymentReasons,
  DESIRED_REPLICAS_ANNOTATION,
  desiredReplicas,
  getCondition,
  hasProgressDeadline,
  isRollingUpdate,
  MAX_INT32,
  MAX_REPLICAS_ANNOTATION,
  MAX_REVISION_HISTORY_CHARS,
  maxRevision,
  maxSurge,
  maxUnavailable,
  normalizeStatus,
  NOT_COPIED,
  POD_TEMPLATE_HASH_LABEL,
  readyReplicas,
  replicasOf,
  RETRY_AFTER_MS,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  scaledValue,
  setCondition,
  specReplicas,
  statusReplicas,
  sum,
  templatesEqual,
  type Condition,
  type DeploymentObject,
  type Status,
  type Template,
} from './util';

/** A create of the new ReplicaSet failed: the rest of this sync cannot go on. */
export class RolloutInterrupted extends Error {
  constructor(readonly retryAfterMs?: number) {
    super('rollout interrupted');
    this.name = 'RolloutInterrupted';
  }
}

/**
 * One pass of `syncDeployment` over one Deployment. Works on a copy (`d`) whose annotations and
 * status are written back once at the end, as the several UpdateStatus calls of the real
 * controller would leave them.
 */
export class DeploymentSyncPass {
  readonly d: DeploymentObject;
  /** The Progressing condition's lastUpdateTime to re-check the deadline from, if any. */
  progressCheck?: { from: number; deadlineMs: number };
  retryAfterMs?: number;

  constructor(
    readonly ctx: ControllerContext,
    readonly stored: DeploymentObject,
  ) {
    this.d = structuredClone(stored);
    this.d.status ??= {};
  }

  get status(): Status {
    return this.d.status!;
  }

  condition(type: string, status: string, reason: string, message: string): Condition {
    const now = this.ctx.clock.rfc3339();
    return { type, status, lastUpdateTime: now, lastTransitionTime: now, reason, message };
  }

  record(type: 'Normal' | 'Warning', reason: string, message: string): void {
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
      if (d.spec?.strategy?.type === 'Recreate') return rolloutRecreate(this, rsList);
      return rolloutRolling(this, rsList);
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
  claimReplicaSets(): ReplicaSetObject[] {
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
  podsByReplicaSet(rsList: ReplicaSetObject[]): Map<string, PodObject[]> {
    const byUid = new Map<string, PodObject[]>(rsList.map((rs) => [rs.metadata.uid!, []]));
    const matches = selectorMatcher(this.d.spec?.selector);
    for (const pod of this.ctx.store.list(types.pods, this.d.metadata.namespace) as PodObject[]) {
      const owner = controllerOf(pod)?.uid;
      if (owner && byUid.has(owner) && matches(pod.metadata.labels)) byUid.get(owner)!.push(pod);
    }
    return byUid;
  }

  // ---- new and old ReplicaSets (sync.go) -------------------------------------------------------

  findNewReplicaSet(rsList: ReplicaSetObject[]): ReplicaSetObject | undefined {
    return [...rsList]
      .sort(byCreation)
      .find((rs) => templatesEqual(rs.spec?.template, this.d.spec?.template));
  }

  getAllReplicaSetsAndSyncRevision(
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
  setNewReplicaSetAnnotations(rs: ReplicaSetObject, newRevision: number, exists: boolean): boolean {
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

  setReplicasAnnotations(rs: ReplicaSetObject): boolean {
    const annotations = (rs.metadata.annotations ??= {});
    const desired = String(desiredReplicas(this.d));
    const max = String(desiredReplicas(this.d) + maxSurge(this.d));
    const changed =
      annotations[DESIRED_REPLICAS_ANNOTATION] !== desired || annotations[MAX_REPLICAS_ANNOTATION] !== max;
    annotations[DESIRED_REPLICAS_ANNOTATION] = desired;
    annotations[MAX_REPLICAS_ANNOTATION] = max;
    return changed;
  }

  setDeploymentRevision(revision: string | undefined): void {
    if (revision === undefined) return;
    const annotations = (this.d.metadata.annotations ??= {});
    annotations[REVISION_ANNOTATION] = revision;
  }

  /** `getNewReplicaSet`: finds (and re-revisions) or creates the ReplicaSet of the current template. */
  getNewReplicaSet(
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
  newRSNewReplicas(allRSs: ReplicaSetObject[], newRS: ReplicaSetObject): number {
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
  scaleReplicaSet(rs: ReplicaSetObject, newScale: number): ReplicaSetObject {
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

  scaleIfNeeded(rs: ReplicaSetObject, newScale: number): { scaled: boolean; rs: ReplicaSetObject } {
    if (replicasOf(rs) === newScale) return { scaled: false, rs };
    return { scaled: true, rs: this.scaleReplicaSet(rs, newScale) };
  }

  /** `isScalingEvent`: an active ReplicaSet was sized for a different spec.replicas. */
  isScalingEvent(rsList: ReplicaSetObject[]): boolean {
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
  scale(newRS: ReplicaSetObject | undefined, oldRSs: ReplicaSetObject[]): void {
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
  proportion(rs: ReplicaSetObject, toAdd: number, added: number): number {
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

  findActiveOrLatest(
    newRS: ReplicaSetObject | undefined,
    oldRSs: ReplicaSetObject[],
  ): ReplicaSetObject | undefined {
    if (!newRS && oldRSs.length === 0) return undefined;
    const newestFirst = [...oldRSs].sort((a, b) => byCreation(b, a));
    const active = activeOnly([...newestFirst, newRS]);
    if (active.length === 0) return newRS ?? newestFirst[0];
    return active.length === 1 ? active[0] : undefined;
  }

  isSaturated(rs: ReplicaSetObject | undefined): boolean {
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
  cleanupDeployment(oldRSs: ReplicaSetObject[]): void {
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

  // ---- the sync flavours (the rollouts: rolling.ts, recreate.ts) -------------------------------

  syncStatusOnly(rsList: ReplicaSetObject[]): void {
    const { newRS, oldRSs } = this.getAllReplicaSetsAndSyncRevision(rsList, false);
    this.d.status = this.calculateStatus([...oldRSs, newRS], newRS);
  }

  /** Scaling events and paused Deployments: resize, never roll out. */
  sync(rsList: ReplicaSetObject[]): void {
    const { newRS, oldRSs } = this.getAllReplicaSetsAndSyncRevision(rsList, false);
    this.scale(newRS, oldRSs);
    if (this.d.spec?.paused) this.cleanupDeployment(oldRSs);
    this.d.status = this.calculateStatus([...oldRSs, newRS], newRS);
  }

  /** `checkPausedConditions`: Progressing=Unknown while paused, so the deadline does not run. */
  checkPausedConditions(): void {
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

  // ---- status (sync.go calculateStatus; the Progressing condition: progress.ts) ---------------

  calculateStatus(rss: Array<ReplicaSetObject | undefined>, newRS: ReplicaSetObject | undefined): Status {
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
}
