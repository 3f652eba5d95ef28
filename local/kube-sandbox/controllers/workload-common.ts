import type { Pod, PodCondition, PodSpec, PodTemplateSpec } from 'kubernetes-types/core/v1';
import type { LabelSelector } from 'kubernetes-types/meta/v1';
import { isDeepStrictEqual } from 'node:util';
import { admit } from '../admission';
import type { SandboxClock } from '../clock';
import { ApiError } from '../errors';
import {
  controllerRef,
  controllerUid,
  keyOf,
  onStoreEvents,
  splitKey,
  types,
  type Controller,
  type ControllerContext,
  type EventSource,
} from '../runtime';
import { labelSelectorPredicate } from '../selectors';
import { resolveGeneratedName, type KubeObject, type Writable } from '../store';

/*
 * What the workload controllers (ReplicaSet, Deployment, StatefulSet, DaemonSet, Job, CronJob)
 * share: owners and selectors, pod state as k8s.io/kubernetes/pkg/api/v1/pod reads it, creating
 * pods through admission as a controller's API call would, status compared as the API returns
 * it, wake-ups at a sandbox time, and the work queue fed by owners and what they own.
 */

export type PodObject = KubeObject & Writable<Pod>;

export function readyCondition(pod: PodObject): Writable<PodCondition> | undefined {
  return pod.status?.conditions?.find((c) => c.type === 'Ready');
}

export function isPodReady(pod: PodObject): boolean {
  return readyCondition(pod)?.status === 'True';
}

export function isTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

export function isTerminating(pod: PodObject): boolean {
  return Boolean(pod.metadata.deletionTimestamp);
}

export function isRunningAndReady(pod: PodObject): boolean {
  return pod.status?.phase === 'Running' && isPodReady(pod);
}

/**
 * Sandbox time (ms) from which a Ready pod counts as available, as podutil.IsPodAvailable decides
 * for every workload controller: at once with minReadySeconds 0, else once its Ready condition has
 * been true for minReadySeconds, that instant included (upstream compares `<=` since
 * kubernetes/kubernetes#132122). Undefined when the pod is not Ready, or when minReadySeconds is set
 * and the Ready condition has no lastTransitionTime (Go's zero time never counts).
 */
export function availableSince(pod: PodObject, minReadySeconds = 0): number | undefined {
  const ready = readyCondition(pod);
  if (ready?.status !== 'True') return undefined;
  if (minReadySeconds <= 0) return -Infinity;
  if (!ready.lastTransitionTime) return undefined;
  return Date.parse(ready.lastTransitionTime) + minReadySeconds * 1000;
}

export function isPodAvailable(pod: PodObject, minReadySeconds: number | undefined, now: number): boolean {
  const at = availableSince(pod, minReadySeconds);
  return at !== undefined && at <= now;
}

/** A metav1.LabelSelector as a predicate; a missing selector selects nothing, an empty one everything. */
export function selectorMatcher(
  selector: Writable<LabelSelector> | undefined,
): (labels: Record<string, string> | undefined) => boolean {
  if (!selector) return () => false;
  const predicate = labelSelectorPredicate(selector);
  return (labels) => predicate(labels ?? {});
}

/** The controlling owner reference of an object, if any. */
export function controllerOf(
  obj: KubeObject,
): NonNullable<KubeObject['metadata']['ownerReferences']>[number] | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller);
}

/** Not finished and not being deleted: the pods a controller counts (`controller.IsPodActive`). */
export function isPodActive(pod: PodObject): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata.deletionTimestamp;
}

/** Equal as the JSON the API returns (absent and undefined alike, key order aside). */
export function sameJson(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(JSON.parse(JSON.stringify(a ?? null)), JSON.parse(JSON.stringify(b ?? null)));
}

/** The pods of a namespace whose controlling owner is `ownerUid`. */
export function podsControlledBy(ctx: ControllerContext, namespace: string, ownerUid: string): PodObject[] {
  return ctx.store.list(types.pods, namespace).filter((p) => controllerUid(p) === ownerUid) as PodObject[];
}

/** The `namespace/name` of the owner of kind `kind` controlling `obj`, for work-queue keys. */
export function controllerKeyOf(obj: KubeObject, kind: string): string | undefined {
  const ref = obj.metadata.ownerReferences?.find((r) => r.controller && r.kind === kind);
  return ref ? `${obj.metadata.namespace}/${ref.name}` : undefined;
}

export interface NewPod {
  /** The pod's name; without one the API server makes one up after `<owner>-`. */
  name?: string;
  /** Labels over the template's. */
  labels?: Record<string, string>;
  finalizers?: string[];
  spec: Writable<PodSpec> | undefined;
}

/**
 * A pod the controller of `owner` makes from its (copied) pod template: the template's labels and
 * annotations, the owner as controller.
 */
export function templatePod(owner: KubeObject, template: Writable<PodTemplateSpec>, pod: NewPod): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...(pod.name !== undefined ? { name: pod.name } : { generateName: `${owner.metadata.name}-` }),
      namespace: owner.metadata.namespace,
      labels: { ...template.metadata?.labels, ...pod.labels },
      ...(template.metadata?.annotations ? { annotations: template.metadata.annotations } : {}),
      ownerReferences: [controllerRef(owner)],
      ...(pod.finalizers ? { finalizers: pod.finalizers } : {}),
    },
    spec: pod.spec,
  };
}

/**
 * Creates a pod as a controller does, through the API server's admission (service account,
 * default tolerations, validation). An API error is returned, not thrown: controllers report
 * it as a FailedCreate event and try again on their next sync.
 */
export function createPod(ctx: ControllerContext, pod: KubeObject): PodObject | ApiError {
  try {
    const obj = structuredClone(pod);
    resolveGeneratedName(obj);
    admit(types.pods, obj);
    return ctx.store.create(types.pods, obj) as PodObject;
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
}

/** Deletes a pod as a controller does (graceful when the pod is bound to a node). */
export function deletePod(ctx: ControllerContext, pod: PodObject): boolean {
  try {
    ctx.store.delete(types.pods, pod.metadata.namespace, pod.metadata.name!);
    return true;
  } catch (error) {
    if (error instanceof ApiError && error.code === 404) return false;
    throw error;
  }
}

/** Records an event from a controller of the controller-manager. */
export function recordEvent(
  ctx: ControllerContext,
  component: string,
  obj: KubeObject,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
): void {
  const source: EventSource = { component };
  ctx.events.record(obj, type, reason, message, source);
}

/** Writes `status` when it differs from the stored one (a no-op sync writes nothing). */
export function writeStatus(
  ctx: ControllerContext,
  storageKey: string,
  obj: KubeObject,
  status: unknown,
): void {
  if (JSON.stringify(sortKeys(status)) === JSON.stringify(sortKeys(obj.status))) return;
  const next = structuredClone(obj);
  next.status = status;
  ctx.store.update(types[storageKey], next);
}

/** A copy with object keys sorted at every level, as Go's json.Marshal writes maps. */
export function sortKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => sortKeys(v)) as T;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([k, v]) => [k, sortKeys(v)])) as T;
  }
  return value;
}

/**
 * Longest single wait. A monthly schedule is weeks away, past what a Node timer can hold
 * (2^31 ms) at time scale 1; waking up daily to look again costs nothing.
 */
const MAX_WAIT_MS = 86_400_000;

/**
 * Per-key wake-ups at a sandbox time (the work queue's AddAfter): the earliest pending one
 * wins, later requests for the same key are dropped.
 */
export class Wakeups {
  private readonly pending = new Map<string, { id: number; due: number }>();

  constructor(
    private readonly clock: SandboxClock,
    private readonly wake: (key: string) => void,
  ) {}

  after(key: string, requestedMs: number): void {
    const delayMs = Math.min(Math.max(0, requestedMs), MAX_WAIT_MS);
    const due = this.clock.now() + delayMs;
    const existing = this.pending.get(key);
    if (existing && existing.due <= due) return;
    if (existing) this.clock.clearTimeout(existing.id);
    const id = this.clock.setTimeout(() => {
      this.pending.delete(key);
      this.wake(key);
    }, delayMs);
    this.pending.set(key, { id, due });
  }

  clear(): void {
    for (const { id } of this.pending.values()) this.clock.clearTimeout(id);
    this.pending.clear();
  }
}

/** `a` before `b` when created earlier (ties by name), as controllers order "oldest first". */
export function byCreation(a: KubeObject, b: KubeObject): number {
  const ta = Date.parse(a.metadata.creationTimestamp ?? '') || 0;
  const tb = Date.parse(b.metadata.creationTimestamp ?? '') || 0;
  if (ta !== tb) return ta - tb;
  return (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
}

export interface OwnerControllerSpec<T extends KubeObject> {
  /** The controller's and its work queue's name. */
  name: string;
  /** The owner type's storage key and kind. */
  storageKey: string;
  kind: string;
  /** Storage keys of what the owner controls: a change to one syncs its controlling owner. */
  owned: string[];
  /** Storage keys whose every change syncs all owners (the DaemonSet controller's nodes). */
  resyncOn?: string[];
  sync(ctx: ControllerContext, owner: T, wakeups: Wakeups): void;
}

/**
 * A controller that syncs each owner of one type on a work queue: when it changes, when
 * something it controls changes, and when a wake-up it asked for is due.
 */
export function ownerController<T extends KubeObject>(spec: OwnerControllerSpec<T>): Controller {
  return {
    name: spec.name,
    start(ctx) {
      const t = types[spec.storageKey];
      const queue = ctx.queue(spec.name, (key) => {
        const { namespace, name } = splitKey(key);
        const owner = ctx.store.get(t, namespace, name) as T | undefined;
        if (owner) spec.sync(ctx, owner, wakeups);
      });
      const wakeups = new Wakeups(ctx.clock, (key) => queue.add(key));
      const enqueueAll = (): void => {
        for (const owner of ctx.store.list(t)) queue.add(keyOf(owner));
      };
      const resyncOn = new Set(spec.resyncOn ?? []);
      const unsubscribe = onStoreEvents(
        ctx.store,
        [spec.storageKey, ...spec.owned, ...resyncOn],
        ({ storageKey, object }) => {
          if (resyncOn.has(storageKey)) return enqueueAll();
          const key = storageKey === spec.storageKey ? keyOf(object) : controllerKeyOf(object, spec.kind);
          if (key) queue.add(key);
        },
      );
      enqueueAll();
      return () => {
        unsubscribe();
        wakeups.clear();
      };
    },
  };
}
