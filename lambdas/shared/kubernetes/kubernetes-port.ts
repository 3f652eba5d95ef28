import {
  PatchStrategy,
  V1MicroTime,
  setHeaderOptions,
  type CoreV1Event,
  type ResponseBody,
  type KubeConfig,
  type KubernetesObject,
  type V1ControllerRevision,
  type V1CronJob,
  type V1DaemonSet,
  type V1Deployment,
  type V1Job,
  type V1LabelSelector,
  type V1Lease,
  type V1ListMeta,
  type V1Node,
  type V1ObjectMeta,
  type V1Pod,
  type V1PodTemplateSpec,
  type V1ReplicaSet,
  type V1Service,
  type V1StatefulSet,
} from '@kubernetes/client-node';
import type { Target, WorkloadKind } from '../contracts';
import {
  ActionNotAllowedError,
  KubernetesRequestError,
  LedgerContentionError,
  LockLostError,
  WorkloadNotFoundError,
} from '../errors';
import type { DumpResource } from './api-usage';
import { kubernetesApis, type KubernetesApis } from './client';
import { request } from './errors';
import {
  parseSecretKeys,
  servedEventSubject,
  servedEventTime,
  servedJson,
  type JsonObject,
} from './served-json';
import {
  REMEDIATIONS_ANNOTATION,
  remediationsOf,
  withRemediation,
  type RemediationEntry,
} from './remediation-record';
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
  labelSelectorString,
  liveRevision,
  restartPatch,
  rfc3339Seconds,
  RESTARTED_AT_ANNOTATION,
  sortEvents,
  statefulSetStatus,
  toCoreEvent,
  withoutHash,
  type StatusView,
} from './kubectl';

/**
 * The one Kubernetes adapter of the workflow's Lambdas. Reads and writes go through
 * client-node with a per-request timeout; failures surface as the named errors of
 * lambdas/shared/errors.ts. Rollout operations behave as kubectl 1.32's do (see kubectl.ts).
 */

export type Workload =
  | { kind: 'Deployment'; object: V1Deployment }
  | { kind: 'StatefulSet'; object: V1StatefulSet }
  | { kind: 'DaemonSet'; object: V1DaemonSet };

export interface LogOptions {
  /** The previous (terminated) instance of the container. */
  previous?: boolean;
  tailLines?: number;
  limitBytes?: number;
}

/** An object events may be about; a RegExp name also matches objects that no longer exist. */
export interface EventSubject {
  kind: string;
  name: string | RegExp;
}

export interface WorkloadRevision {
  revision: number;
  /** The ReplicaSet or ControllerRevision that holds it. */
  name: string;
  /** The pod template of that revision (a ReplicaSet's without pod-template-hash). */
  template: V1PodTemplateSpec;
  createdAt?: string;
  changeCause?: string;
  /** The workload's template is this revision's. */
  current: boolean;
  /** Deployment revisions: the ReplicaSet's ready and desired replicas now. */
  readyReplicas?: number;
  replicas?: number;
}

export interface RestartOutcome {
  /**
   * The revision running before the restart; when `alreadyApplied`, the revision running now
   * (the caller's remediation record holds the one before).
   */
  revisionBefore: number;
  /** The `kubectl.kubernetes.io/restartedAt` value written. */
  restartedAt: string;
  /** metadata.generation after the patch. */
  generation: number;
  /** The template already carried this `restartedAt` (an earlier attempt's write): nothing was sent. */
  alreadyApplied?: boolean;
}

export interface RestartOptions {
  /**
   * A retry-safe restart: when the template already carries the `restartedAt` of `now`, the
   * restart took effect in an earlier attempt and is not sent again (kubectl refuses instead).
   */
  idempotent?: boolean;
}

export interface AcquireOptions {
  /**
   * Take the Lease over from this holder even before it expires: the caller knows the holder's
   * execution is no longer running.
   */
  takeOverFrom?: string;
}

export interface UndoOutcome {
  fromRevision: number;
  toRevision: number;
  /** kubectl's "skipped rollback (current template already matches revision N)". */
  skipped: boolean;
  /** kubectl's output: `rolled back` or the skip message. */
  message: string;
}

export interface PodReadiness {
  /** Pods of the current revision that are not being deleted. */
  total: number;
  ready: number;
  notReady: Array<{ name: string; reason: string }>;
}

export interface RolloutStatus extends StatusView {
  /** Deployment: revision annotation; StatefulSet/DaemonSet: the live template's ControllerRevision. */
  revision: number;
  pods: PodReadiness;
}

export interface LeaseOutcome {
  acquired: boolean;
  /** Who holds the lease now (us when acquired). */
  holderIdentity: string;
  /** When the holder's claim lapses unless renewed. */
  expiresAt: string;
}

/** The log of one container of a Job's pod. */
export interface JobLog {
  pod: string;
  container: string;
  text: string;
}

export interface Page {
  /**
   * The objects as the server sent them: plain JSON, every timestamp the served string (typed
   * by the identity fields the dump reads), each with its `apiVersion` and `kind`.
   */
  items: KubernetesObject[];
  /** Token for the next page; absent on the last one. */
  continue?: string;
  remainingItemCount?: number;
}

/** Endpoint addresses of a Service, and where they were read from. */
export interface ServiceEndpoints {
  ready: number;
  notReady: number;
  /** EndpointSlices when the API serves them; else the pods the Service's selector picks. */
  source: 'EndpointSlice' | 'pods';
}

export interface ReferenceKeys {
  exists: boolean;
  keys?: string[];
}

export interface KubernetesPort {
  /** The target workload; WorkloadNotFoundError names what was looked for when it does not exist. */
  getWorkload(target: Target): Promise<Workload>;
  /** Pods matching a workload's selector. */
  listPods(namespace: string, selector: V1LabelSelector): Promise<V1Pod[]>;
  /** The named nodes that exist. */
  getNodes(names: string[]): Promise<V1Node[]>;
  /** The named nodes that exist, as the server sent them (plain JSON, for evidence). */
  getServedNodes(names: string[]): Promise<JsonObject[]>;
  readLog(namespace: string, pod: string, container: string, options?: LogOptions): Promise<string>;
  /** The workload, its ReplicaSets/ControllerRevisions and its pods, present and past. */
  eventSubjects(target: Target): Promise<EventSubject[]>;
  /** Events about `subjects` from core/v1 and events.k8s.io/v1, once each, in `kubectl events` order. */
  listEvents(namespace: string, subjects: EventSubject[]): Promise<CoreV1Event[]>;
  /**
   * The same events as the server sent them (plain JSON, for evidence), each in the version it
   * was read from: core/v1 when both APIs serve it (as a real server does), else events.k8s.io/v1.
   */
  listServedEvents(namespace: string, subjects: EventSubject[]): Promise<JsonObject[]>;
  /** The workload's revisions, oldest first (`kubectl rollout history`). */
  revisions(target: Target): Promise<WorkloadRevision[]>;
  /** `kubectl rollout restart` at `now`. */
  rolloutRestart(target: Target, now: Date, options?: RestartOptions): Promise<RestartOutcome>;
  /** `kubectl rollout undo [--to-revision=N]`. */
  rolloutUndo(target: Target, toRevision?: number): Promise<UndoOutcome>;
  /** One check of `kubectl rollout status`, plus the readiness of the current revision's pods. */
  rolloutStatus(target: Target): Promise<RolloutStatus>;
  /** Takes the Lease for `holder`: creates it, renews our own, or takes over an expired one. */
  acquireLease(
    namespace: string,
    name: string,
    holder: string,
    ttlSeconds: number,
    now: Date,
    options?: AcquireOptions,
  ): Promise<LeaseOutcome>;
  /**
   * Writes `entry` into the remediation record of the Lease `holder` holds (replacing that
   * execution's entry for the same action). LockLostError when the Lease is not `holder`'s.
   */
  recordRemediation(namespace: string, name: string, holder: string, entry: RemediationEntry): Promise<void>;
  /**
   * Compare-and-swap of one annotation of a Lease that nobody holds (a shared ledger): reads it,
   * lets `update` compute the new value from the current one, and writes it with the
   * resourceVersion read as precondition (creating the Lease if there is none), again and
   * again until no other writer came in between. Returns what `update` returned with the write
   * that won. LedgerContentionError after `attempts` lost writes.
   */
  updateLeaseAnnotation<T>(
    namespace: string,
    name: string,
    key: string,
    update: (current: string | undefined) => { value: string; result: T },
    attempts?: number,
  ): Promise<T>;
  /** Gives the Lease up if `holder` holds it; false when it was not ours (or is gone). */
  releaseLease(namespace: string, name: string, holder: string, now: Date): Promise<boolean>;
  getLease(namespace: string, name: string): Promise<V1Lease | undefined>;
  /** The CronJob, or undefined when there is none. */
  getCronJob(namespace: string, name: string): Promise<V1CronJob | undefined>;
  /** The Jobs of a namespace, all pages, optionally only those matching a label selector. */
  listJobs(namespace: string, labelSelector?: string): Promise<V1Job[]>;
  /** `kubectl create -f job.yaml`: the Job as the API server stored it. */
  createJob(namespace: string, job: V1Job): Promise<V1Job>;
  /** The Job, or undefined when there is none. */
  getJob(namespace: string, name: string): Promise<V1Job | undefined>;
  /**
   * `kubectl delete job NAME`: background cascading deletion, so the garbage collector removes
   * the Job's pods too. False when the Job was already gone.
   */
  deleteJob(namespace: string, name: string): Promise<boolean>;
  /**
   * The logs of every container of the Job's pods, oldest pod first (`kubectl logs` of each pod
   * the Job made, `--all-containers`). A container that never started has a one-line note instead.
   */
  readJobLogs(job: V1Job, options?: LogOptions): Promise<JobLog[]>;
  /** The Services of a namespace, or of all namespaces (dependency resolution, the target's own Services). */
  listServices(namespace?: string): Promise<V1Service[]>;
  /** Ready and not-ready endpoints of a Service (`kubectl get endpoints`). */
  serviceEndpoints(service: V1Service): Promise<ServiceEndpoints>;
  /**
   * Whether a ConfigMap exists, and its key names (never values). Secrets have no such read: RBAC
   * cannot grant "names only", so diagnosis takes a Secret's state from the kubelet's reports.
   */
  configMapKeys(namespace: string, name: string): Promise<ReferenceKeys>;
  /** A PersistentVolumeClaim's phase; `missing` when there is none, `unknown` when the API serves no claims. */
  claimPhase(namespace: string, name: string): Promise<string>;
  /** One page of a resource for the cluster dump (all namespaces when `namespace` is unset). */
  listPage(
    resource: DumpResource,
    namespace: string | undefined,
    page: { limit: number; continue?: string },
  ): Promise<Page>;
  /**
   * One page of Secrets for the cluster dump: identity, `type` and `dataKeys` (the key names, as
   * `kubectl describe secret` lists them). Values are dropped while the answer is parsed.
   */
  listSecretKeysPage(namespace: string, page: { limit: number; continue?: string }): Promise<Page>;
}

export interface ClientNodeKubernetesOptions {
  /** Client-side timeout of one request (KUBE_REQUEST_TIMEOUT_MS). */
  requestTimeoutMs: number;
  /** The field manager recorded for our writes. @default 'eks-incident-response' */
  fieldManager?: string;
}

const LIST_CHUNK = 500;
const PLURAL: Record<WorkloadKind, string> = {
  Deployment: 'deployments.apps',
  StatefulSet: 'statefulsets.apps',
  DaemonSet: 'daemonsets.apps',
  Job: 'jobs.batch',
  CronJob: 'cronjobs.batch',
};

/** Jobs and CronJobs are diagnosed through getJob/getCronJob; nothing rolls them out. */
function notRolledOut(target: Target): never {
  throw new ActionNotAllowedError(
    `${target.kind} ${target.namespace}/${target.name} has no rollout: a ${target.kind} is never restarted or rolled back`,
  );
}

/**
 * What client-go's metadata client asks for: the server answers with PartialObjectMetadata
 * (no data at all), and one that cannot falls back to the full objects.
 */
const METADATA_ONLY_ACCEPT =
  'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';

function isNotFound(error: unknown): boolean {
  return error instanceof KubernetesRequestError && error.status === 404;
}

/** A 404 for the resource type itself (not served by this API server), not for an object. */
function isUnserved(error: unknown): boolean {
  return (
    error instanceof KubernetesRequestError &&
    error.status === 404 &&
    /could not find the requested resource|page not found/i.test(error.message)
  );
}

function isConflict(error: unknown): boolean {
  return error instanceof KubernetesRequestError && error.status === 409;
}

function isTerminating(pod: V1Pod): boolean {
  return !!pod.metadata?.deletionTimestamp;
}

function isPodReady(pod: V1Pod): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

function notReadyReason(pod: V1Pod): string {
  for (const status of pod.status?.containerStatuses ?? []) {
    if (status.state?.waiting?.reason) return status.state.waiting.reason;
    if (status.state?.terminated?.reason) return status.state.terminated.reason;
  }
  return pod.status?.phase ?? 'Unknown';
}

function readiness(pods: V1Pod[]): PodReadiness {
  const live = pods.filter((p) => !isTerminating(p));
  const notReady = live.filter((p) => !isPodReady(p));
  return {
    total: live.length,
    ready: live.length - notReady.length,
    notReady: notReady.map((p) => ({ name: p.metadata?.name ?? '', reason: notReadyReason(p) })),
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function leaseExpiry(lease: V1Lease): number {
  const spec = lease.spec ?? {};
  const renewed = Date.parse(String(spec.renewTime ?? spec.acquireTime ?? ''));
  if (Number.isNaN(renewed)) return 0;
  return renewed + (spec.leaseDurationSeconds ?? 0) * 1000;
}

/** Only what identifies an object (as served): a dump never carries ConfigMap or Secret contents. */
function identityOnly(apiVersion: string, kind: string, item: JsonObject): KubernetesObject {
  const m = (item.metadata ?? {}) as JsonObject;
  const pick = [
    'name',
    'namespace',
    'uid',
    'resourceVersion',
    'creationTimestamp',
    'labels',
    'ownerReferences',
  ];
  const metadata = Object.fromEntries(pick.filter((key) => m[key] !== undefined).map((key) => [key, m[key]]));
  return { apiVersion, kind, metadata } as KubernetesObject;
}

type ListResult = { body: ResponseBody };

/** A served list as a Page, each item made by `item`. */
function servedPage(list: JsonObject, item: (served: JsonObject) => KubernetesObject): Page {
  const meta = (list.metadata ?? {}) as { continue?: string; remainingItemCount?: number };
  return {
    items: ((list.items ?? []) as JsonObject[]).map(item),
    continue: meta.continue || undefined,
    remainingItemCount: meta.remainingItemCount,
  };
}

interface ListParams {
  limit: number;
  _continue?: string;
}

export class ClientNodeKubernetes implements KubernetesPort {
  private readonly api: KubernetesApis;
  private readonly timeoutMs: number;
  private readonly fieldManager: string;

  constructor(kubeConfig: KubeConfig, options: ClientNodeKubernetesOptions) {
    this.api = kubernetesApis(kubeConfig, options.requestTimeoutMs);
    this.timeoutMs = options.requestTimeoutMs;
    this.fieldManager = options.fieldManager ?? 'eks-incident-response';
  }

  private call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return request(what, this.timeoutMs, fn);
  }

  /** Every item of a list, following `continue` as kubectl's FollowContinue does. */
  private async listAll<T>(
    what: string,
    fetchPage: (params: ListParams) => Promise<{ items: T[]; metadata?: V1ListMeta }>,
  ): Promise<T[]> {
    const items: T[] = [];
    let token: string | undefined;
    do {
      const page = await this.call(what, () => fetchPage({ limit: LIST_CHUNK, _continue: token }));
      items.push(...page.items);
      token = page.metadata?._continue || undefined;
    } while (token);
    return items;
  }

  // -------------------------------------------------------------------------------------
  // Reads

  async getWorkload(target: Target): Promise<Workload> {
    const { namespace, name, kind } = target;
    const what = `get ${PLURAL[kind]} ${namespace}/${name}`;
    try {
      switch (kind) {
        case 'Deployment':
          return {
            kind,
            object: await this.call(what, () => this.api.apps.readNamespacedDeployment({ namespace, name })),
          };
        case 'StatefulSet':
          return {
            kind,
            object: await this.call(what, () => this.api.apps.readNamespacedStatefulSet({ namespace, name })),
          };
        case 'DaemonSet':
          return {
            kind,
            object: await this.call(what, () => this.api.apps.readNamespacedDaemonSet({ namespace, name })),
          };
        case 'Job':
        case 'CronJob':
          return notRolledOut(target);
      }
    } catch (error) {
      if (isNotFound(error)) {
        throw new WorkloadNotFoundError(`${PLURAL[kind]} "${name}" not found in namespace "${namespace}"`);
      }
      throw error;
    }
  }

  listPods(namespace: string, selector: V1LabelSelector): Promise<V1Pod[]> {
    const labelSelector = labelSelectorString(selector);
    return this.listAll(`list pods ${namespace} -l ${labelSelector}`, (params) =>
      this.api.core.listNamespacedPod({ namespace, labelSelector, ...params }),
    );
  }

  async getNodes(names: string[]): Promise<V1Node[]> {
    const nodes: V1Node[] = [];
    for (const name of new Set(names)) {
      try {
        nodes.push(await this.call(`get nodes ${name}`, () => this.api.core.readNode({ name })));
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
    return nodes;
  }

  async getServedNodes(names: string[]): Promise<JsonObject[]> {
    const nodes: JsonObject[] = [];
    for (const name of new Set(names)) {
      try {
        nodes.push(
          await this.call(`get nodes ${name}`, async () =>
            servedJson(await this.api.core.readNodeWithHttpInfo({ name })),
          ),
        );
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
    return nodes;
  }

  readLog(namespace: string, pod: string, container: string, options: LogOptions = {}): Promise<string> {
    return this.call(
      `get pods/log ${namespace}/${pod} -c ${container}${options.previous ? ' --previous' : ''}`,
      () =>
        this.api.core.readNamespacedPodLog({
          namespace,
          name: pod,
          container,
          previous: options.previous,
          tailLines: options.tailLines,
          limitBytes: options.limitBytes,
        }),
    );
  }

  private ownedReplicaSets(deployment: V1Deployment): Promise<V1ReplicaSet[]> {
    const namespace = deployment.metadata!.namespace!;
    const labelSelector = labelSelectorString(deployment.spec?.selector);
    return this.listAll(`list replicasets.apps ${namespace} -l ${labelSelector}`, (params) =>
      this.api.apps.listNamespacedReplicaSet({ namespace, labelSelector, ...params }),
    ).then((all) => all.filter((rs) => isControlledBy(rs, deployment)));
  }

  /** controlledHistoryV1: the ControllerRevisions a StatefulSet/DaemonSet controls. */
  private ownedHistory(workload: V1StatefulSet | V1DaemonSet): Promise<V1ControllerRevision[]> {
    const namespace = workload.metadata!.namespace!;
    const labelSelector = labelSelectorString(workload.spec?.selector);
    return this.listAll(`list controllerrevisions.apps ${namespace} -l ${labelSelector}`, (params) =>
      this.api.apps.listNamespacedControllerRevision({ namespace, labelSelector, ...params }),
    ).then((all) => all.filter((cr) => isControlledBy(cr, workload)));
  }

  private controlledPods(
    owner: { metadata?: V1ObjectMeta },
    selector: V1LabelSelector | undefined,
  ): Promise<V1Pod[]> {
    return this.listPods(owner.metadata!.namespace!, selector ?? {}).then((pods) =>
      pods.filter((p) => isControlledBy(p, owner)),
    );
  }

  async revisions(target: Target): Promise<WorkloadRevision[]> {
    // A Job's template is immutable: it has no history of revisions.
    if (target.kind === 'Job' || target.kind === 'CronJob') return [];
    return this.revisionsOf(await this.getWorkload(target));
  }

  private async revisionsOf(workload: Workload): Promise<WorkloadRevision[]> {
    const createdAt = (meta?: V1ObjectMeta): string | undefined =>
      meta?.creationTimestamp ? new Date(meta.creationTimestamp).toISOString() : undefined;
    if (workload.kind === 'Deployment') {
      const owned = await this.ownedReplicaSets(workload.object);
      const current = findNewReplicaSet(workload.object, owned);
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
    }
    const history = await this.ownedHistory(workload.object);
    const template = workload.object.spec?.template;
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
  }

  /** The revision the workload runs: the Deployment's annotation, else its live ControllerRevision. */
  private async revisionNumber(workload: Workload): Promise<number> {
    if (workload.kind === 'Deployment') return deploymentRevisionOf(workload.object) ?? 0;
    return (
      liveRevision(workload.object.spec?.template, await this.ownedHistory(workload.object))?.revision ?? 0
    );
  }

  /** A Job, its pods (present and gone); a CronJob, its Jobs and their pods. */
  private async batchSubjects(target: Target): Promise<EventSubject[]> {
    const subjects: EventSubject[] = [{ kind: target.kind, name: target.name }];
    let jobs: V1Job[];
    if (target.kind === 'Job') {
      const job = await this.getJob(target.namespace, target.name);
      jobs = job ? [job] : [];
    } else {
      const cronJob = await this.getCronJob(target.namespace, target.name);
      jobs = cronJob ? (await this.listJobs(target.namespace)).filter((j) => isControlledBy(j, cronJob)) : [];
      subjects.push(...jobs.map((j) => ({ kind: 'Job', name: j.metadata?.name ?? '' })));
    }
    for (const job of jobs) {
      const name = escapeRegExp(job.metadata?.name ?? '');
      // Job pods are `<job>-<5 chars>`; gone ones still have their events.
      subjects.push({ kind: 'Pod', name: new RegExp(`^${name}-(\\d+-)?[a-z0-9]{5}$`) });
    }
    return subjects;
  }

  async eventSubjects(target: Target): Promise<EventSubject[]> {
    if (target.kind === 'Job' || target.kind === 'CronJob') return this.batchSubjects(target);
    const workload = await this.getWorkload(target);
    const subjects: EventSubject[] = [{ kind: target.kind, name: target.name }];
    const pods = await this.listPods(target.namespace, workload.object.spec?.selector ?? {});
    const podSubjects = (owners: Array<{ metadata?: V1ObjectMeta }>): EventSubject[] =>
      pods
        .filter((p) => owners.some((owner) => isControlledBy(p, owner)))
        .map((p) => ({ kind: 'Pod', name: p.metadata?.name ?? '' }));
    if (workload.kind === 'Deployment') {
      const owned = await this.ownedReplicaSets(workload.object);
      subjects.push(...owned.map((rs) => ({ kind: 'ReplicaSet', name: rs.metadata?.name ?? '' })));
      subjects.push(...podSubjects(owned));
      // Pods of these ReplicaSets that are gone still have their events: `<replicaset>-<5 chars>`.
      if (owned.length) {
        const sets = owned.map((rs) => escapeRegExp(rs.metadata?.name ?? '')).join('|');
        subjects.push({ kind: 'Pod', name: new RegExp(`^(${sets})-[a-z0-9]{5}$`) });
      }
      return subjects;
    }
    const history = await this.ownedHistory(workload.object);
    subjects.push(...history.map((cr) => ({ kind: 'ControllerRevision', name: cr.metadata?.name ?? '' })));
    subjects.push(...podSubjects([workload.object]));
    // Gone pods too: StatefulSet pods are `<set>-<ordinal>`, DaemonSet pods `<set>-<5 chars>`.
    const name = escapeRegExp(target.name);
    subjects.push({
      kind: 'Pod',
      name: new RegExp(workload.kind === 'StatefulSet' ? `^${name}-\\d+$` : `^${name}-[a-z0-9]{5}$`),
    });
    return subjects;
  }

  async listEvents(namespace: string, subjects: EventSubject[]): Promise<CoreV1Event[]> {
    const core = await this.listAll(`list events ${namespace}`, (params) =>
      this.api.core.listNamespacedEvent({ namespace, ...params }),
    );
    const v1 = await this.listAll(`list events.events.k8s.io ${namespace}`, (params) =>
      this.api.events.listNamespacedEvent({ namespace, ...params }),
    );
    // On a real server both lists hold the same objects; the uid keeps each event once.
    const byUid = new Map<string, CoreV1Event>();
    for (const event of [...core, ...v1.map(toCoreEvent)]) {
      const uid = event.metadata?.uid ?? `${event.metadata?.namespace}/${event.metadata?.name}`;
      if (!byUid.has(uid)) byUid.set(uid, event);
    }
    const about = (event: CoreV1Event): boolean =>
      subjects.some(
        (s) =>
          s.kind === event.involvedObject?.kind &&
          (typeof s.name === 'string'
            ? s.name === event.involvedObject?.name
            : s.name.test(event.involvedObject?.name ?? '')),
      );
    return sortEvents([...byUid.values()].filter(about));
  }

  /** Every item of a list as served, following `continue`. */
  private async listAllServed(
    what: string,
    fetchPage: (params: ListParams) => Promise<{ body: ResponseBody }>,
  ): Promise<JsonObject[]> {
    const items: JsonObject[] = [];
    let token: string | undefined;
    do {
      const page = await this.call(what, async () =>
        servedJson(await fetchPage({ limit: LIST_CHUNK, _continue: token })),
      );
      items.push(...((page.items ?? []) as JsonObject[]));
      token = ((page.metadata as JsonObject | null)?.continue as string | undefined) || undefined;
    } while (token);
    return items;
  }

  async listServedEvents(namespace: string, subjects: EventSubject[]): Promise<JsonObject[]> {
    const core = await this.listAllServed(`list events ${namespace}`, (params) =>
      this.api.core.listNamespacedEventWithHttpInfo({ namespace, ...params }),
    );
    const v1 = await this.listAllServed(`list events.events.k8s.io ${namespace}`, (params) =>
      this.api.events.listNamespacedEventWithHttpInfo({ namespace, ...params }),
    );
    // List items carry no apiVersion/kind; each event says which version it is, as kubectl prints it.
    const byUid = new Map<string, JsonObject>();
    const add = (apiVersion: string) => (event: JsonObject) => {
      const meta = (event.metadata ?? {}) as JsonObject;
      const uid = (meta.uid as string | undefined) ?? `${String(meta.namespace)}/${String(meta.name)}`;
      if (!byUid.has(uid)) byUid.set(uid, { apiVersion, kind: 'Event', ...event });
    };
    core.forEach(add('v1'));
    v1.forEach(add('events.k8s.io/v1'));
    const about = (event: JsonObject): boolean => {
      const { kind, name } = servedEventSubject(event);
      return subjects.some(
        (s) => s.kind === kind && (typeof s.name === 'string' ? s.name === name : s.name.test(name ?? '')),
      );
    };
    // kubectl's sort is not stable; ties keep the order the API listed them in.
    return [...byUid.values()]
      .filter(about)
      .map((event, index) => ({ event, index, at: servedEventTime(event) }))
      .sort((a, b) => a.at - b.at || a.index - b.index)
      .map(({ event }) => event);
  }

  // -------------------------------------------------------------------------------------
  // Rollouts

  private patch(target: Target, body: object, strategy: PatchStrategy): Promise<V1ObjectMeta | undefined> {
    const { namespace, name } = target;
    const params = { namespace, name, body, fieldManager: this.fieldManager };
    const options = setHeaderOptions('Content-Type', strategy);
    const what = `patch ${PLURAL[target.kind]} ${namespace}/${name}`;
    switch (target.kind) {
      case 'Deployment':
        return this.call(what, () => this.api.apps.patchNamespacedDeployment(params, options)).then(
          (o) => o.metadata,
        );
      case 'StatefulSet':
        return this.call(what, () => this.api.apps.patchNamespacedStatefulSet(params, options)).then(
          (o) => o.metadata,
        );
      case 'DaemonSet':
        return this.call(what, () => this.api.apps.patchNamespacedDaemonSet(params, options)).then(
          (o) => o.metadata,
        );
      case 'Job':
      case 'CronJob':
        return notRolledOut(target);
    }
  }

  async rolloutRestart(target: Target, now: Date, options: RestartOptions = {}): Promise<RestartOutcome> {
    const workload = await this.getWorkload(target);
    const restartedAt = rfc3339Seconds(now);
    const current = workload.object.spec?.template?.metadata?.annotations?.[RESTARTED_AT_ANNOTATION];
    if (options.idempotent && current === restartedAt) {
      return {
        revisionBefore: await this.revisionNumber(workload),
        restartedAt,
        generation: workload.object.metadata?.generation ?? 0,
        alreadyApplied: true,
      };
    }
    const { patch } = restartPatch(workload.kind, workload.object, now);
    const revisionBefore = await this.revisionNumber(workload);
    const patched = await this.patch(target, patch, PatchStrategy.StrategicMergePatch);
    return { revisionBefore, restartedAt, generation: patched?.generation ?? 0 };
  }

  async rolloutUndo(target: Target, toRevision = 0): Promise<UndoOutcome> {
    const workload = await this.getWorkload(target);
    if (workload.kind === 'Deployment') {
      const owned = await this.ownedReplicaSets(workload.object);
      const rs = deploymentRollbackTarget(workload.object, owned, toRevision);
      const decision = deploymentUndo(workload.object, rs, toRevision);
      if (decision.patch) await this.patch(target, decision.patch, PatchStrategy.JsonPatch);
      return {
        fromRevision: deploymentRevisionOf(workload.object) ?? 0,
        toRevision: deploymentRevisionOf(rs)!,
        skipped: decision.skipped,
        message: decision.message,
      };
    }
    const history = await this.ownedHistory(workload.object);
    const template = workload.object.spec?.template;
    const decision = controllerRevisionUndo(template, history, toRevision);
    if (decision.patch) await this.patch(target, decision.patch, PatchStrategy.StrategicMergePatch);
    return {
      fromRevision: liveRevision(template, history)?.revision ?? 0,
      toRevision: decision.target.revision,
      skipped: decision.skipped,
      message: decision.message,
    };
  }

  async rolloutStatus(target: Target): Promise<RolloutStatus> {
    const workload = await this.getWorkload(target);
    switch (workload.kind) {
      case 'Deployment': {
        const d = workload.object;
        const newRs = findNewReplicaSet(d, await this.ownedReplicaSets(d));
        const pods = newRs ? await this.controlledPods(newRs, d.spec?.selector) : [];
        return { ...deploymentStatus(d), revision: deploymentRevisionOf(d) ?? 0, pods: readiness(pods) };
      }
      case 'StatefulSet': {
        const sts = workload.object;
        // StatefulSet pods name their whole revision (`<set>-<hash>`) in controller-revision-hash.
        const pods = (await this.controlledPods(sts, sts.spec?.selector)).filter(
          (p) => p.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] === sts.status?.updateRevision,
        );
        return {
          ...statefulSetStatus(sts),
          revision: await this.revisionNumber(workload),
          pods: readiness(pods),
        };
      }
      case 'DaemonSet': {
        const ds = workload.object;
        const history = await this.ownedHistory(ds);
        const live = liveRevision(ds.spec?.template, history);
        // DaemonSet pods carry only the hash, which the revision also has as a label.
        const hash =
          live?.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] ??
          live?.metadata?.name?.slice((ds.metadata?.name ?? '').length + 1);
        const pods = (await this.controlledPods(ds, ds.spec?.selector)).filter(
          (p) => hash !== undefined && p.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] === hash,
        );
        return { ...daemonSetStatus(ds), revision: live?.revision ?? 0, pods: readiness(pods) };
      }
    }
  }

  // -------------------------------------------------------------------------------------
  // Lease lock

  async getLease(namespace: string, name: string): Promise<V1Lease | undefined> {
    try {
      return await this.call(`get leases.coordination.k8s.io ${namespace}/${name}`, () =>
        this.api.coordination.readNamespacedLease({ namespace, name }),
      );
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  private outcome(lease: V1Lease, holder: string): LeaseOutcome {
    const holderIdentity = lease.spec?.holderIdentity ?? '';
    return {
      acquired: holderIdentity === holder,
      holderIdentity,
      expiresAt: new Date(leaseExpiry(lease)).toISOString(),
    };
  }

  /** What the lease looks like after a write we lost: somebody else's. */
  private async lost(namespace: string, name: string, holder: string): Promise<LeaseOutcome> {
    const lease = await this.getLease(namespace, name);
    if (!lease) return { acquired: false, holderIdentity: '', expiresAt: new Date(0).toISOString() };
    return { ...this.outcome(lease, holder), acquired: false };
  }

  async acquireLease(
    namespace: string,
    name: string,
    holder: string,
    ttlSeconds: number,
    now: Date,
    options: AcquireOptions = {},
  ): Promise<LeaseOutcome> {
    const stamp = new V1MicroTime(now.getTime());
    const current = await this.getLease(namespace, name);
    if (!current) {
      try {
        const created = await this.call(`create leases.coordination.k8s.io ${namespace}/${name}`, () =>
          this.api.coordination.createNamespacedLease({
            namespace,
            fieldManager: this.fieldManager,
            body: {
              metadata: { name, namespace },
              spec: {
                holderIdentity: holder,
                leaseDurationSeconds: ttlSeconds,
                acquireTime: stamp,
                renewTime: stamp,
                leaseTransitions: 0,
              },
            },
          }),
        );
        return this.outcome(created, holder);
      } catch (error) {
        if (isConflict(error)) return this.lost(namespace, name, holder);
        throw error;
      }
    }
    const spec = current.spec ?? {};
    const ours = spec.holderIdentity === holder;
    const free =
      !spec.holderIdentity ||
      leaseExpiry(current) <= now.getTime() ||
      (options.takeOverFrom !== undefined && spec.holderIdentity === options.takeOverFrom);
    if (!ours && !free) return this.outcome(current, holder);
    const next: V1Lease = {
      ...current,
      spec: {
        ...spec,
        holderIdentity: holder,
        leaseDurationSeconds: ttlSeconds,
        renewTime: stamp,
        ...(ours ? {} : { acquireTime: stamp, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 }),
      },
    };
    try {
      // The resourceVersion read above is the precondition: of two takers, one gets 409.
      const updated = await this.call(`update leases.coordination.k8s.io ${namespace}/${name}`, () =>
        this.api.coordination.replaceNamespacedLease({
          namespace,
          name,
          body: next,
          fieldManager: this.fieldManager,
        }),
      );
      return this.outcome(updated, holder);
    } catch (error) {
      if (isConflict(error)) return this.lost(namespace, name, holder);
      throw error;
    }
  }

  async recordRemediation(
    namespace: string,
    name: string,
    holder: string,
    entry: RemediationEntry,
  ): Promise<void> {
    // A conflict is a concurrent write (our own renewal from another step cannot overlap, but a
    // human's edit can): read again and retry a few times.
    for (let attempt = 0; ; attempt++) {
      const current = await this.getLease(namespace, name);
      if (!current || current.spec?.holderIdentity !== holder) {
        throw new LockLostError(
          `the lock ${namespace}/${name} is held by ${current?.spec?.holderIdentity || 'nobody'}, not this execution`,
        );
      }
      const next: V1Lease = {
        ...current,
        metadata: {
          ...current.metadata,
          annotations: {
            ...current.metadata?.annotations,
            [REMEDIATIONS_ANNOTATION]: JSON.stringify(withRemediation(remediationsOf(current), entry)),
          },
        },
      };
      try {
        await this.call(`update leases.coordination.k8s.io ${namespace}/${name}`, () =>
          this.api.coordination.replaceNamespacedLease({
            namespace,
            name,
            body: next,
            fieldManager: this.fieldManager,
          }),
        );
        return;
      } catch (error) {
        if (!isConflict(error) || attempt >= 2) throw error;
      }
    }
  }

  async updateLeaseAnnotation<T>(
    namespace: string,
    name: string,
    key: string,
    update: (current: string | undefined) => { value: string; result: T },
    attempts = 40,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.getLease(namespace, name);
      const { value, result } = update(current?.metadata?.annotations?.[key]);
      try {
        if (!current) {
          await this.call(`create leases.coordination.k8s.io ${namespace}/${name}`, () =>
            this.api.coordination.createNamespacedLease({
              namespace,
              fieldManager: this.fieldManager,
              body: { metadata: { name, namespace, annotations: { [key]: value } }, spec: {} },
            }),
          );
        } else {
          const next: V1Lease = {
            ...current,
            metadata: {
              ...current.metadata,
              annotations: { ...current.metadata?.annotations, [key]: value },
            },
          };
          // The resourceVersion read above is the precondition: of two writers, one gets 409.
          await this.call(`update leases.coordination.k8s.io ${namespace}/${name}`, () =>
            this.api.coordination.replaceNamespacedLease({
              namespace,
              name,
              body: next,
              fieldManager: this.fieldManager,
            }),
          );
        }
        return result;
      } catch (error) {
        if (!isConflict(error)) throw error;
        if (attempt >= attempts) {
          throw new LedgerContentionError(
            `${namespace}/${name}: ${attempts} writes in a row lost to concurrent writers`,
          );
        }
        // Spread the contenders out, so a burst of executions does not collide in lockstep.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * Math.min(attempt, 5)));
      }
    }
  }

  async releaseLease(namespace: string, name: string, holder: string, now: Date): Promise<boolean> {
    const current = await this.getLease(namespace, name);
    if (!current || current.spec?.holderIdentity !== holder) return false;
    // As client-go's leader election releases: no holder, expired, transitions kept.
    const next: V1Lease = {
      ...current,
      spec: {
        ...current.spec,
        holderIdentity: undefined,
        leaseDurationSeconds: 1,
        renewTime: new V1MicroTime(now.getTime()),
      },
    };
    try {
      await this.call(`update leases.coordination.k8s.io ${namespace}/${name}`, () =>
        this.api.coordination.replaceNamespacedLease({
          namespace,
          name,
          body: next,
          fieldManager: this.fieldManager,
        }),
      );
      return true;
    } catch (error) {
      if (isConflict(error) || isNotFound(error)) return false;
      throw error;
    }
  }

  // -------------------------------------------------------------------------------------
  // Jobs and CronJobs (backup verification)

  async getCronJob(namespace: string, name: string): Promise<V1CronJob | undefined> {
    try {
      return await this.call(`get cronjobs.batch ${namespace}/${name}`, () =>
        this.api.batch.readNamespacedCronJob({ namespace, name }),
      );
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  listJobs(namespace: string, labelSelector?: string): Promise<V1Job[]> {
    return this.listAll(
      `list jobs.batch ${namespace}${labelSelector ? ` -l ${labelSelector}` : ''}`,
      (params) => this.api.batch.listNamespacedJob({ namespace, labelSelector, ...params }),
    );
  }

  createJob(namespace: string, job: V1Job): Promise<V1Job> {
    return this.call(
      `create jobs.batch ${namespace}/${job.metadata?.name ?? job.metadata?.generateName}`,
      () => this.api.batch.createNamespacedJob({ namespace, body: job, fieldManager: this.fieldManager }),
    );
  }

  async getJob(namespace: string, name: string): Promise<V1Job | undefined> {
    try {
      return await this.call(`get jobs.batch ${namespace}/${name}`, () =>
        this.api.batch.readNamespacedJob({ namespace, name }),
      );
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async deleteJob(namespace: string, name: string): Promise<boolean> {
    try {
      // batch/v1 Jobs default to orphaning their pods; kubectl asks for background cascading.
      await this.call(`delete jobs.batch ${namespace}/${name}`, () =>
        this.api.batch.deleteNamespacedJob({ namespace, name, propagationPolicy: 'Background' }),
      );
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  async readJobLogs(job: V1Job, options: LogOptions = {}): Promise<JobLog[]> {
    const namespace = job.metadata!.namespace!;
    const pods = (await this.listPods(namespace, job.spec?.selector ?? {}))
      .filter((p) => isControlledBy(p, job))
      .sort(
        (a, b) =>
          new Date(a.metadata?.creationTimestamp ?? 0).getTime() -
            new Date(b.metadata?.creationTimestamp ?? 0).getTime() ||
          (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''),
      );
    const logs: JobLog[] = [];
    for (const pod of pods) {
      const podName = pod.metadata?.name ?? '';
      for (const container of pod.spec?.containers ?? []) {
        let text: string;
        try {
          text = await this.readLog(namespace, podName, container.name, options);
        } catch (error) {
          // kubectl answers the same 400 ("container ... is waiting to start") for a pod that never ran.
          if (!(error instanceof KubernetesRequestError && error.status === 400)) throw error;
          text = `(no log: ${error.message})\n`;
        }
        logs.push({ pod: podName, container: container.name, text });
      }
    }
    return logs;
  }

  // -------------------------------------------------------------------------------------
  // Diagnosis: Services, endpoints, references

  listServices(namespace?: string): Promise<V1Service[]> {
    if (namespace === undefined)
      return this.listAll('list services --all-namespaces', (params) =>
        this.api.core.listServiceForAllNamespaces(params),
      );
    return this.listAll(`list services ${namespace}`, (params) =>
      this.api.core.listNamespacedService({ namespace, ...params }),
    );
  }

  async serviceEndpoints(service: V1Service): Promise<ServiceEndpoints> {
    const namespace = service.metadata?.namespace ?? '';
    const name = service.metadata?.name ?? '';
    try {
      const slices = await this.listAll(`list endpointslices.discovery.k8s.io ${namespace}`, (params) =>
        this.api.discovery.listNamespacedEndpointSlice({
          namespace,
          labelSelector: `kubernetes.io/service-name=${name}`,
          ...params,
        }),
      );
      const endpoints = slices.flatMap((s) => s.endpoints ?? []);
      // EndpointSlice readiness: a nil `ready` means ready (discovery/v1 API documentation).
      const ready = endpoints.filter((e) => e.conditions?.ready !== false).length;
      return { ready, notReady: endpoints.length - ready, source: 'EndpointSlice' };
    } catch (error) {
      if (!isUnserved(error)) throw error;
    }
    // Without EndpointSlices: what the endpoints controller would publish, from the selected pods.
    const selector = service.spec?.selector;
    if (!selector || Object.keys(selector).length === 0) return { ready: 0, notReady: 0, source: 'pods' };
    const pods = (await this.listPods(namespace, { matchLabels: selector })).filter(
      (p) => !isTerminating(p) && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed',
    );
    const ready = pods.filter(isPodReady).length;
    return { ready, notReady: pods.length - ready, source: 'pods' };
  }

  async configMapKeys(namespace: string, name: string): Promise<ReferenceKeys> {
    try {
      const cm = await this.call(`get configmaps ${namespace}/${name}`, () =>
        this.api.core.readNamespacedConfigMap({ namespace, name }),
      );
      return { exists: true, keys: [...Object.keys(cm.data ?? {}), ...Object.keys(cm.binaryData ?? {})] };
    } catch (error) {
      if (isNotFound(error) && !isUnserved(error)) return { exists: false };
      throw error;
    }
  }

  async claimPhase(namespace: string, name: string): Promise<string> {
    try {
      const claim = await this.call(`get persistentvolumeclaims ${namespace}/${name}`, () =>
        this.api.core.readNamespacedPersistentVolumeClaim({ namespace, name }),
      );
      return claim.status?.phase ?? 'Pending';
    } catch (error) {
      if (isUnserved(error)) return 'unknown';
      if (isNotFound(error)) return 'missing';
      throw error;
    }
  }

  // -------------------------------------------------------------------------------------
  // Cluster dump

  async listPage(
    resource: DumpResource,
    namespace: string | undefined,
    page: { limit: number; continue?: string },
  ): Promise<Page> {
    const params = { limit: page.limit, _continue: page.continue };
    const { core, apps, batch } = this.api;
    const metadataOnly = setHeaderOptions('Accept', METADATA_ONLY_ACCEPT);
    const ns = namespace;
    const lists: Record<DumpResource, { apiVersion: string; kind: string; list: () => Promise<ListResult> }> =
      {
        namespaces: {
          apiVersion: 'v1',
          kind: 'Namespace',
          list: () => core.listNamespaceWithHttpInfo(params),
        },
        nodes: { apiVersion: 'v1', kind: 'Node', list: () => core.listNodeWithHttpInfo(params) },
        pods: {
          apiVersion: 'v1',
          kind: 'Pod',
          list: () =>
            ns
              ? core.listNamespacedPodWithHttpInfo({ namespace: ns, ...params })
              : core.listPodForAllNamespacesWithHttpInfo(params),
        },
        events: {
          apiVersion: 'v1',
          kind: 'Event',
          list: () =>
            ns
              ? core.listNamespacedEventWithHttpInfo({ namespace: ns, ...params })
              : core.listEventForAllNamespacesWithHttpInfo(params),
        },
        services: {
          apiVersion: 'v1',
          kind: 'Service',
          list: () =>
            ns
              ? core.listNamespacedServiceWithHttpInfo({ namespace: ns, ...params })
              : core.listServiceForAllNamespacesWithHttpInfo(params),
        },
        configmaps: {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          list: () =>
            ns
              ? core.listNamespacedConfigMapWithHttpInfo({ namespace: ns, ...params }, metadataOnly)
              : core.listConfigMapForAllNamespacesWithHttpInfo(params, metadataOnly),
        },
        secrets: {
          apiVersion: 'v1',
          kind: 'Secret',
          list: () =>
            ns
              ? core.listNamespacedSecretWithHttpInfo({ namespace: ns, ...params }, metadataOnly)
              : core.listSecretForAllNamespacesWithHttpInfo(params, metadataOnly),
        },
        deployments: {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          list: () =>
            ns
              ? apps.listNamespacedDeploymentWithHttpInfo({ namespace: ns, ...params })
              : apps.listDeploymentForAllNamespacesWithHttpInfo(params),
        },
        replicasets: {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          list: () =>
            ns
              ? apps.listNamespacedReplicaSetWithHttpInfo({ namespace: ns, ...params })
              : apps.listReplicaSetForAllNamespacesWithHttpInfo(params),
        },
        statefulsets: {
          apiVersion: 'apps/v1',
          kind: 'StatefulSet',
          list: () =>
            ns
              ? apps.listNamespacedStatefulSetWithHttpInfo({ namespace: ns, ...params })
              : apps.listStatefulSetForAllNamespacesWithHttpInfo(params),
        },
        daemonsets: {
          apiVersion: 'apps/v1',
          kind: 'DaemonSet',
          list: () =>
            ns
              ? apps.listNamespacedDaemonSetWithHttpInfo({ namespace: ns, ...params })
              : apps.listDaemonSetForAllNamespacesWithHttpInfo(params),
        },
        jobs: {
          apiVersion: 'batch/v1',
          kind: 'Job',
          list: () =>
            ns
              ? batch.listNamespacedJobWithHttpInfo({ namespace: ns, ...params })
              : batch.listJobForAllNamespacesWithHttpInfo(params),
        },
        cronjobs: {
          apiVersion: 'batch/v1',
          kind: 'CronJob',
          list: () =>
            ns
              ? batch.listNamespacedCronJobWithHttpInfo({ namespace: ns, ...params })
              : batch.listCronJobForAllNamespacesWithHttpInfo(params),
        },
      };
    const { apiVersion, kind, list } = lists[resource];
    const result = await this.call(`list ${resource}${ns ? ` ${ns}` : ''}`, async () =>
      servedJson(await list()),
    );
    const secretive = resource === 'configmaps' || resource === 'secrets';
    return servedPage(result, (item) =>
      secretive ? identityOnly(apiVersion, kind, item) : { apiVersion, kind, ...item },
    );
  }

  async listSecretKeysPage(namespace: string, page: { limit: number; continue?: string }): Promise<Page> {
    const result = await this.call(`list secrets ${namespace}`, async () => {
      const answer = await this.api.core.listNamespacedSecretWithHttpInfo({
        namespace,
        limit: page.limit,
        _continue: page.continue,
      });
      return parseSecretKeys(await answer.body.text());
    });
    return servedPage(result, (item) => ({
      ...identityOnly('v1', 'Secret', item),
      ...(typeof item.type === 'string' ? { type: item.type } : {}),
      dataKeys: Array.isArray(item.data) ? item.data : [],
    }));
  }
}
