import type {
  CoreV1Event,
  EventsV1Event,
  V1ControllerRevision,
  V1DaemonSet,
  V1Deployment,
  V1LabelSelector,
  V1ObjectMeta,
  V1PodTemplateSpec,
  V1ReplicaSet,
  V1StatefulSet,
} from '@kubernetes/client-node';
import { RolloutRefusedError } from '../errors';

/*
 * kubectl's client-side rollout logic (kubernetes/kubectl release-1.32: pkg/polymorphichelpers
 * rollout_status.go, rollback.go, history.go, objectrestarter.go; pkg/util/deployment; and
 * pkg/cmd/events), as pure functions over the objects the API returns. Messages are kubectl's,
 * word for word, without the trailing newline.
 */

export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const CHANGE_CAUSE_ANNOTATION = 'kubernetes.io/change-cause';
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';
/** DaemonSet pods carry their ControllerRevision's hash under this label. */
export const CONTROLLER_REVISION_HASH_LABEL = 'controller-revision-hash';

/** Deployment annotations `rollout undo` keeps instead of copying them from the ReplicaSet. */
const ANNOTATIONS_TO_SKIP = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION_ANNOTATION,
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.deployment.rollback.to',
]);

// ---------------------------------------------------------------------------------------
// Equality

/**
 * A canonical form for apimachinery's Semantic.DeepEqual: Go does not tell a nil map or slice
 * from an empty one, nor an absent field from a null one, so those are all dropped.
 */
function canonical(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    const entries = Object.entries(value)
      .map(([k, v]) => [k, canonical(v)] as const)
      .filter(([, v]) => !isEmpty(v))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries);
  }
  return value;
}

function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && Object.keys(value as object).length === 0;
}

export function semanticEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/** A copy of `template` without the pod-template-hash label (what a Deployment's template lacks). */
export function withoutHash(template: V1PodTemplateSpec): V1PodTemplateSpec {
  const copy = structuredClone(template);
  if (copy.metadata?.labels) {
    delete copy.metadata.labels[POD_TEMPLATE_HASH_LABEL];
    if (Object.keys(copy.metadata.labels).length === 0) delete copy.metadata.labels;
  }
  return copy;
}

/** deploymentutil.equalIgnoreHash */
export function equalIgnoreHash(a: V1PodTemplateSpec | undefined, b: V1PodTemplateSpec | undefined): boolean {
  return semanticEqual(withoutHash(a ?? {}), withoutHash(b ?? {}));
}

// ---------------------------------------------------------------------------------------
// Ownership and selectors

/** metav1.IsControlledBy */
export function isControlledBy(
  obj: { metadata?: V1ObjectMeta },
  owner: { metadata?: V1ObjectMeta },
): boolean {
  const uid = owner.metadata?.uid;
  return !!uid && (obj.metadata?.ownerReferences ?? []).some((r) => r.controller === true && r.uid === uid);
}

/** metav1.LabelSelectorAsSelector(...).String(): the `labelSelector` query parameter. */
export function labelSelectorString(selector: V1LabelSelector | undefined): string {
  const terms: Array<[string, string]> = Object.entries(selector?.matchLabels ?? {}).map(([k, v]) => [
    k,
    `${k}=${v}`,
  ]);
  for (const e of selector?.matchExpressions ?? []) {
    const values = [...(e.values ?? [])].sort().join(',');
    switch (e.operator) {
      case 'In':
        terms.push([e.key, `${e.key} in (${values})`]);
        break;
      case 'NotIn':
        terms.push([e.key, `${e.key} notin (${values})`]);
        break;
      case 'Exists':
        terms.push([e.key, e.key]);
        break;
      case 'DoesNotExist':
        terms.push([e.key, `!${e.key}`]);
        break;
      default:
        throw new Error(`"${e.operator}" is not a valid label selector operator`);
    }
  }
  // labels.Selector sorts its requirements by key.
  return terms
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, t]) => t)
    .join(',');
}

// ---------------------------------------------------------------------------------------
// rollout restart

/** time.Now().Format(time.RFC3339) in UTC, as a Lambda (TZ=UTC) running kubectl would write it. */
export function rfc3339Seconds(at: Date): string {
  return new Date(Math.floor(at.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * The strategic-merge patch `kubectl rollout restart` sends (defaultObjectRestarter, then the
 * two-way merge patch against the object as read).
 */
export function restartPatch(
  kind: 'Deployment' | 'StatefulSet' | 'DaemonSet',
  workload: V1Deployment | V1StatefulSet | V1DaemonSet,
  at: Date,
): { patch: object; restartedAt: string } {
  if (kind === 'Deployment' && (workload as V1Deployment).spec?.paused) {
    throw new RolloutRefusedError("can't restart paused deployment (run rollout resume first)");
  }
  const restartedAt = rfc3339Seconds(at);
  if (workload.spec?.template?.metadata?.annotations?.[RESTARTED_AT_ANNOTATION] === restartedAt) {
    // The template would not change: kubectl computes an empty patch and refuses.
    throw new RolloutRefusedError(
      `failed to create patch for ${workload.metadata?.name}: if restart has already been triggered within the past second, please wait before attempting to trigger another`,
    );
  }
  return {
    patch: { spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: restartedAt } } } } },
    restartedAt,
  };
}

// ---------------------------------------------------------------------------------------
// History and rollout undo

/**
 * deploymentutil.Revision: a missing annotation is revision 0; one that is not a number is
 * undefined, and kubectl's history and undo pass over such ReplicaSets.
 */
export function deploymentRevisionOf(obj: { metadata?: V1ObjectMeta }): number | undefined {
  const value = obj.metadata?.annotations?.[REVISION_ANNOTATION];
  if (value === undefined) return 0;
  return /^-?\d+$/.test(value) ? Number(value) : undefined;
}

function revisionNotFound(revision: number): RolloutRefusedError {
  return new RolloutRefusedError(`unable to find specified revision ${revision} in history`);
}

function creationOrder(a: V1ReplicaSet, b: V1ReplicaSet): number {
  const ta = a.metadata?.creationTimestamp ? new Date(a.metadata.creationTimestamp).getTime() : 0;
  const tb = b.metadata?.creationTimestamp ? new Date(b.metadata.creationTimestamp).getTime() : 0;
  if (ta !== tb) return ta - tb;
  const na = a.metadata?.name ?? '';
  const nb = b.metadata?.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/** deploymentutil.findNewReplicaSet: the oldest owned ReplicaSet whose template is the Deployment's. */
export function findNewReplicaSet(deployment: V1Deployment, owned: V1ReplicaSet[]): V1ReplicaSet | undefined {
  return [...owned]
    .sort(creationOrder)
    .find((rs) => equalIgnoreHash(rs.spec?.template, deployment.spec?.template));
}

/** rollback.go deploymentRevision: `toRevision` 0 means the second-highest revision. */
export function deploymentRollbackTarget(
  deployment: V1Deployment,
  owned: V1ReplicaSet[],
  toRevision: number,
): V1ReplicaSet {
  if (toRevision < 0) throw revisionNotFound(toRevision);
  let latest: { rs?: V1ReplicaSet; revision: number } = { revision: -1 };
  let previous: { rs?: V1ReplicaSet; revision: number } = { revision: -1 };
  for (const rs of owned) {
    const revision = deploymentRevisionOf(rs);
    if (revision === undefined) continue;
    if (toRevision === 0) {
      if (latest.revision < revision) {
        previous = latest;
        latest = { rs, revision };
      } else if (previous.revision < revision) {
        previous = { rs, revision };
      }
    } else if (toRevision === revision) {
      return rs;
    }
  }
  if (toRevision > 0) throw revisionNotFound(toRevision);
  if (!previous.rs) {
    throw new RolloutRefusedError(`no rollout history found for deployment "${deployment.metadata?.name}"`);
  }
  return previous.rs;
}

export type JsonPatch = Array<{ op: 'replace'; path: string; value: unknown }>;

export interface UndoDecision {
  /** kubectl's output: `rolled back` or `skipped rollback (...)`. */
  message: string;
  skipped: boolean;
  /** What to send, unless skipped. */
  patch?: JsonPatch | object;
}

/** DeploymentRollbacker.Rollback after the ReplicaSet is found. */
export function deploymentUndo(
  deployment: V1Deployment,
  target: V1ReplicaSet,
  toRevision: number,
): UndoDecision {
  if (deployment.spec?.paused) {
    throw new RolloutRefusedError(
      "you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again",
    );
  }
  if (equalIgnoreHash(target.spec?.template, deployment.spec?.template)) {
    // kubectl names the revision asked for: 0 when none was.
    return {
      message: `skipped rollback (current template already matches revision ${toRevision})`,
      skipped: true,
    };
  }
  const annotations: Record<string, string> = {};
  const current = deployment.metadata?.annotations ?? {};
  for (const key of ANNOTATIONS_TO_SKIP) if (key in current) annotations[key] = current[key];
  for (const [key, value] of Object.entries(target.metadata?.annotations ?? {})) {
    if (!ANNOTATIONS_TO_SKIP.has(key)) annotations[key] = value;
  }
  return {
    message: 'rolled back',
    skipped: false,
    patch: [
      { op: 'replace', path: '/spec/template', value: withoutHash(target.spec?.template ?? {}) },
      { op: 'replace', path: '/metadata/annotations', value: annotations },
    ],
  };
}

/** rollback.go findHistory: `toRevision` 0 is the second-highest revision. */
export function findHistory(
  toRevision: number,
  history: V1ControllerRevision[],
): V1ControllerRevision | undefined {
  if (toRevision === 0) {
    if (history.length <= 1) return undefined;
    return [...history].sort((a, b) => a.revision - b.revision)[history.length - 2];
  }
  return history.find((h) => h.revision === toRevision);
}

/** The strategic-merge patch a StatefulSet/DaemonSet ControllerRevision stores for `template`. */
export function revisionPatchFor(template: V1PodTemplateSpec | undefined): object {
  return { spec: { template: { ...template, $patch: 'replace' } } };
}

/** statefulsetMatch / daemonSetMatch: the live template is the revision's. */
export function controllerRevisionMatches(
  template: V1PodTemplateSpec | undefined,
  revision: V1ControllerRevision,
): boolean {
  return semanticEqual(revisionPatchFor(template), revision.data);
}

/** The revision of the live template; the newest one while the controller has not recorded it yet. */
export function liveRevision(
  template: V1PodTemplateSpec | undefined,
  history: V1ControllerRevision[],
): V1ControllerRevision | undefined {
  return (
    history.find((cr) => controllerRevisionMatches(template, cr)) ??
    [...history].sort((a, b) => b.revision - a.revision)[0]
  );
}

/** The pod template a ControllerRevision puts back (its patch replaces the whole template). */
export function controllerRevisionTemplate(revision: V1ControllerRevision): V1PodTemplateSpec {
  const template = structuredClone(
    (revision.data as { spec?: { template?: Record<string, unknown> } } | undefined)?.spec?.template ?? {},
  );
  delete template.$patch;
  const metadata = template.metadata as Record<string, unknown> | undefined;
  if (metadata && metadata.creationTimestamp === null) delete metadata.creationTimestamp;
  return template as V1PodTemplateSpec;
}

/** StatefulSetRollbacker / DaemonSetRollbacker.Rollback after the history is listed. */
export function controllerRevisionUndo(
  template: V1PodTemplateSpec | undefined,
  history: V1ControllerRevision[],
  toRevision: number,
): UndoDecision & { target: V1ControllerRevision } {
  if (toRevision < 0) throw revisionNotFound(toRevision);
  if (toRevision === 0 && history.length <= 1) {
    throw new RolloutRefusedError('no last revision to roll back to');
  }
  const target = findHistory(toRevision, history);
  if (!target) throw revisionNotFound(toRevision);
  if (controllerRevisionMatches(template, target)) {
    return {
      message: `skipped rollback (current template already matches revision ${toRevision})`,
      skipped: true,
      target,
    };
  }
  return { message: 'rolled back', skipped: false, patch: target.data as object, target };
}

// ---------------------------------------------------------------------------------------
// rollout status

export interface StatusView {
  /** The rollout finished (kubectl exits 0). */
  done: boolean;
  /** kubectl exits with an error: the rollout cannot finish as things stand. */
  failed: boolean;
  message: string;
}

const waiting = (message: string): StatusView => ({ done: false, failed: false, message });
const finished = (message: string): StatusView => ({ done: true, failed: false, message });
const failure = (message: string): StatusView => ({ done: false, failed: true, message });

/** DeploymentStatusViewer.Status */
export function deploymentStatus(d: V1Deployment): StatusView {
  const name = d.metadata?.name;
  const generation = d.metadata?.generation ?? 0;
  const status = d.status ?? {};
  if (generation <= (status.observedGeneration ?? 0)) {
    const progressing = status.conditions?.find((c) => c.type === 'Progressing');
    if (progressing?.reason === 'ProgressDeadlineExceeded') {
      return failure(`deployment "${name}" exceeded its progress deadline`);
    }
    const updated = status.updatedReplicas ?? 0;
    const replicas = status.replicas ?? 0;
    const available = status.availableReplicas ?? 0;
    if (d.spec?.replicas !== undefined && updated < d.spec.replicas) {
      return waiting(
        `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${d.spec.replicas} new replicas have been updated...`,
      );
    }
    if (replicas > updated) {
      return waiting(
        `Waiting for deployment "${name}" rollout to finish: ${replicas - updated} old replicas are pending termination...`,
      );
    }
    if (available < updated) {
      return waiting(
        `Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...`,
      );
    }
    return finished(`deployment "${name}" successfully rolled out`);
  }
  return waiting('Waiting for deployment spec update to be observed...');
}

/** DaemonSetStatusViewer.Status */
export function daemonSetStatus(ds: V1DaemonSet): StatusView {
  const name = ds.metadata?.name;
  if ((ds.spec?.updateStrategy?.type ?? 'RollingUpdate') !== 'RollingUpdate') {
    return failure('rollout status is only available for RollingUpdate strategy type');
  }
  const status = ds.status;
  if ((ds.metadata?.generation ?? 0) <= (status?.observedGeneration ?? 0)) {
    const desired = status?.desiredNumberScheduled ?? 0;
    const updated = status?.updatedNumberScheduled ?? 0;
    const available = status?.numberAvailable ?? 0;
    if (updated < desired) {
      return waiting(
        `Waiting for daemon set "${name}" rollout to finish: ${updated} out of ${desired} new pods have been updated...`,
      );
    }
    if (available < desired) {
      return waiting(
        `Waiting for daemon set "${name}" rollout to finish: ${available} of ${desired} updated pods are available...`,
      );
    }
    return finished(`daemon set "${name}" successfully rolled out`);
  }
  return waiting('Waiting for daemon set spec update to be observed...');
}

/** StatefulSetStatusViewer.Status */
export function statefulSetStatus(sts: V1StatefulSet): StatusView {
  const strategy = sts.spec?.updateStrategy;
  if ((strategy?.type ?? 'RollingUpdate') !== 'RollingUpdate') {
    return failure('rollout status is only available for RollingUpdate strategy type');
  }
  const status = sts.status;
  const observed = status?.observedGeneration ?? 0;
  if (observed === 0 || (sts.metadata?.generation ?? 0) > observed) {
    return waiting('Waiting for statefulset spec update to be observed...');
  }
  const replicas = sts.spec?.replicas;
  const ready = status?.readyReplicas ?? 0;
  const updated = status?.updatedReplicas ?? 0;
  if (replicas !== undefined && ready < replicas) {
    return waiting(`Waiting for ${replicas - ready} pods to be ready...`);
  }
  if (strategy?.rollingUpdate) {
    const partition = strategy.rollingUpdate.partition;
    if (replicas !== undefined && partition !== undefined && updated < replicas - partition) {
      return waiting(
        `Waiting for partitioned roll out to finish: ${updated} out of ${replicas - partition} new pods have been updated...`,
      );
    }
    return finished(`partitioned roll out complete: ${updated} new pods have been updated...`);
  }
  if (status?.updateRevision !== status?.currentRevision) {
    return waiting(
      `waiting for statefulset rolling update to complete ${updated} pods at revision ${status?.updateRevision}...`,
    );
  }
  return finished(
    `statefulset rolling update complete ${status?.currentReplicas ?? 0} pods at revision ${status?.currentRevision}...`,
  );
}

// ---------------------------------------------------------------------------------------
// kubectl events

function timeOf(value: Date | string | undefined | null): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Go's zero time.Time, which sorts before every real timestamp. */
const ZERO_TIME = Date.parse('0001-01-01T00:00:00Z');

/** events.go eventTime: series.lastObservedTime, else lastTimestamp, else eventTime. */
export function eventTime(event: CoreV1Event): number {
  if (event.series) return timeOf(event.series.lastObservedTime) ?? ZERO_TIME;
  return timeOf(event.lastTimestamp) ?? timeOf(event.eventTime) ?? ZERO_TIME;
}

/**
 * `kubectl events` order, oldest first. kubectl's sort is not stable; ties keep the order the
 * API listed them in, so the result is reproducible.
 */
export function sortEvents(events: CoreV1Event[]): CoreV1Event[] {
  return events
    .map((event, index) => ({ event, index, at: eventTime(event) }))
    .sort((a, b) => a.at - b.at || a.index - b.index)
    .map(({ event }) => event);
}

/** An events.k8s.io/v1 Event in its core/v1 form (the API server's own conversion). */
export function toCoreEvent(e: EventsV1Event): CoreV1Event {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: e.metadata ?? {},
    involvedObject: e.regarding ?? {},
    related: e.related,
    reason: e.reason,
    message: e.note,
    type: e.type,
    action: e.action,
    eventTime: e.eventTime,
    series: e.series,
    reportingComponent: e.reportingController,
    reportingInstance: e.reportingInstance,
    source: e.deprecatedSource,
    firstTimestamp: e.deprecatedFirstTimestamp,
    lastTimestamp: e.deprecatedLastTimestamp,
    count: e.deprecatedCount,
  };
}
