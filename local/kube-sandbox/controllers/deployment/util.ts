import type { Deployment, DeploymentCondition, DeploymentStatus } from 'kubernetes-types/apps/v1';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1';
import type { KubeObject, Writable } from '../../store';
import { canonicalJson } from '../hash';
import type { ReplicaSetObject } from '../replicaset';

// util/deployment_util.go: the pure helpers of the Deployment controller (revisions, fenceposts,
// conditions, replica sums) and its constants.

export type DeploymentObject = KubeObject & Writable<Deployment>;
export type Condition = Writable<DeploymentCondition>;
export type Status = Writable<DeploymentStatus>;
export type Template = Writable<PodTemplateSpec>;

export const COMPONENT = 'deployment-controller';
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
/** Annotations of a Deployment that are not copied onto its ReplicaSets (`annotationsToSkip`). */
export const NOT_COPIED = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  'deprecated.deployment.rollback.to',
]);
/** `maxRevHistoryLengthInChars`: the revision-history annotation is kept under this length. */
export const MAX_REVISION_HISTORY_CHARS = 2000;
export const MAX_INT32 = 2147483647;
/** How long a failed ReplicaSet creation waits before the next try (the work queue's back-off). */
export const RETRY_AFTER_MS = 10_000;

/** Condition reasons of deployment_util.go. */
export const DeploymentReasons = {
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

export function desiredReplicas(d: DeploymentObject): number {
  return d.spec?.replicas ?? 1;
}

export function replicasOf(rs: ReplicaSetObject | undefined): number {
  return rs ? (rs.spec?.replicas ?? 1) : 0;
}

export function isRollingUpdate(d: DeploymentObject): boolean {
  return (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

/** `intstr.GetScaledValueFromIntOrPercent`. */
export function scaledValue(value: number | string | undefined, total: number, roundUp: boolean): number {
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

export function maxSurge(d: DeploymentObject): number {
  return isRollingUpdate(d) ? fenceposts(d).surge : 0;
}

export function maxUnavailable(d: DeploymentObject): number {
  const replicas = desiredReplicas(d);
  if (!isRollingUpdate(d) || replicas === 0) return 0;
  return Math.min(fenceposts(d).unavailable, replicas);
}

function revisionOf(obj: KubeObject | undefined): number {
  const value = obj?.metadata.annotations?.[REVISION_ANNOTATION];
  if (value === undefined) return 0;
  return /^-?\d+$/.test(value) ? Number(value) : NaN;
}

export function maxRevision(rss: ReplicaSetObject[]): number {
  return Math.max(0, ...rss.map(revisionOf).filter((v) => !Number.isNaN(v)));
}

function createdAt(obj: KubeObject): number {
  return obj.metadata.creationTimestamp ? Date.parse(obj.metadata.creationTimestamp) : 0;
}

/** `ReplicaSetsByCreationTimestamp`: older first, name breaking ties. */
export function byCreation(a: KubeObject, b: KubeObject): number {
  return createdAt(a) - createdAt(b) || (a.metadata.name! < b.metadata.name! ? -1 : 1);
}

/** `ReplicaSetsByRevision`: lower revision first, then older. */
export function byRevision(a: ReplicaSetObject, b: ReplicaSetObject): number {
  const ra = revisionOf(a);
  const rb = revisionOf(b);
  if (Number.isNaN(ra) || Number.isNaN(rb) || ra === rb) return byCreation(a, b);
  return ra - rb;
}

/** `EqualIgnoreHash`: templates compared as stored, ignoring the pod-template-hash label. */
export function templatesEqual(a: Template | undefined, b: Template | undefined): boolean {
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

export function activeOnly(rss: Array<ReplicaSetObject | undefined>): ReplicaSetObject[] {
  return rss.filter((rs): rs is ReplicaSetObject => rs !== undefined && replicasOf(rs) > 0);
}

export function sum(rss: Array<ReplicaSetObject | undefined>, f: (rs: ReplicaSetObject) => number): number {
  return rss.reduce((total, rs) => total + (rs ? f(rs) : 0), 0);
}

export const specReplicas = (rs: ReplicaSetObject): number => replicasOf(rs);
export const statusReplicas = (rs: ReplicaSetObject): number => rs.status?.replicas ?? 0;
export const readyReplicas = (rs: ReplicaSetObject): number => rs.status?.readyReplicas ?? 0;
export const availableReplicas = (rs: ReplicaSetObject): number => rs.status?.availableReplicas ?? 0;

export function hasProgressDeadline(d: DeploymentObject): boolean {
  const deadline = d.spec?.progressDeadlineSeconds;
  return deadline !== undefined && deadline !== MAX_INT32;
}

export function getCondition(status: Status, type: string): Condition | undefined {
  return status.conditions?.find((c) => c.type === type);
}

/** `SetDeploymentCondition`: no-op for the same status and reason; keeps the transition time for the same status. */
export function setCondition(status: Status, condition: Condition): void {
  const current = getCondition(status, condition.type);
  if (current && current.status === condition.status && current.reason === condition.reason) return;
  if (current && current.status === condition.status)
    condition.lastTransitionTime = current.lastTransitionTime;
  status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== condition.type), condition];
}

export function removeCondition(status: Status, type: string): void {
  status.conditions = (status.conditions ?? []).filter((c) => c.type !== type);
}

/** `DeploymentComplete`: every desired replica updated and available, no old pods left. */
export function deploymentComplete(d: DeploymentObject, status: Status): boolean {
  const replicas = desiredReplicas(d);
  return (
    (status.updatedReplicas ?? 0) === replicas &&
    (status.replicas ?? 0) === replicas &&
    (status.availableReplicas ?? 0) === replicas &&
    (status.observedGeneration ?? 0) >= (d.metadata.generation ?? 0)
  );
}

/** `DeploymentProgressing`: new pods created, ready or available, or old ones gone, since the last status. */
export function deploymentProgressing(previous: Status, next: Status): boolean {
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
export function normalizeStatus(status: Status): Status {
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

/** The Deployment as an owner: store objects keep apiVersion and kind, but be explicit. */
export function asOwner(d: KubeObject): KubeObject {
  return { ...d, apiVersion: 'apps/v1', kind: 'Deployment' };
}
