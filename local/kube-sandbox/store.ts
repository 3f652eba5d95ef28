import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { ObjectMeta as ReadonlyObjectMeta, OwnerReference } from 'kubernetes-types/meta/v1';
import type { SandboxClock } from './clock';
import { ApiError, errors } from './errors';
import { RESOURCE_TYPES, type ResourceType } from './resources';

/**
 * `kubernetes-types` describes API objects as read-only; controllers build and change them,
 * so they work on this writable view of the same shapes.
 */
export type Writable<T> =
  T extends ReadonlyArray<infer U>
    ? Writable<U>[]
    : T extends object
      ? { -readonly [K in keyof T]: Writable<T[K]> }
      : T;

export type ObjectMeta = Writable<ReadonlyObjectMeta>;

/** Any Kubernetes object as JSON. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: WatchEventType;
  storageKey: string;
  /** The object after the change; for DELETED, its last state with the deletion's resourceVersion. */
  object: KubeObject;
  resourceVersion: number;
}

export type StoreListener = (event: StoreEvent) => void;

/** Kinds whose `metadata.generation` moves when anything outside metadata and status changes. */
const GENERATION_TRACKED = new Set([
  'deployments.apps',
  'replicasets.apps',
  'statefulsets.apps',
  'daemonsets.apps',
  'jobs.batch',
  'cronjobs.batch',
  'poddisruptionbudgets.policy',
  'ingresses.networking.k8s.io',
  'networkpolicies.networking.k8s.io',
]);

/** How many past changes a watch can resume from before it gets 410 Gone. */
const WATCH_HISTORY = 20000;

function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

/** Everything but metadata and status, as plain JSON: what moves `metadata.generation`. */
function specOf(obj: KubeObject): unknown {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj;
  return JSON.parse(JSON.stringify(rest));
}

/**
 * Turns `generateName` into a name, as the API server does before it validates a new object
 * (so validation messages and events name the real object).
 */
export function resolveGeneratedName(obj: KubeObject): void {
  if (!obj.metadata.name && obj.metadata.generateName)
    obj.metadata.name = obj.metadata.generateName + randomSuffix();
}

function randomSuffix(length = 5): string {
  // The alphabet apimachinery's rand.String uses: no vowels, no confusable digits.
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(Math.random() * alphabet.length)];
  return out;
}

export interface DeleteOptions {
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
}

/**
 * The sandbox's etcd: every object of every type, one global resourceVersion counter,
 * a bounded history of changes for watches to resume from, and the API server's own
 * bookkeeping (uid, creationTimestamp, generation, deletionTimestamp, owner-reference
 * garbage collection).
 *
 * Objects handed out by `get`/`list` are the store's own and frozen: change a copy
 * (`structuredClone`) and write it back.
 */
export class ObjectStore {
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly sortedKeys = new Map<string, string[]>();
  private readonly listeners = new Set<StoreListener>();
  private readonly history: StoreEvent[] = [];
  private revision = 1;

  constructor(private readonly clock: SandboxClock) {
    for (const t of RESOURCE_TYPES) this.objects.set(t.storageKey, new Map());
  }

  get resourceVersion(): number {
    return this.revision;
  }

  /** The oldest resourceVersion a watch can still resume after. */
  get oldestWatchableVersion(): number {
    return this.history.length ? this.history[0].resourceVersion - 1 : this.revision;
  }

  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Changes after `resourceVersion`, or undefined when they are no longer kept. */
  changesSince(resourceVersion: number): StoreEvent[] | undefined {
    if (resourceVersion < this.oldestWatchableVersion) return undefined;
    const start = this.history.findIndex((e) => e.resourceVersion > resourceVersion);
    return start < 0 ? [] : this.history.slice(start);
  }

  get(t: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.objects.get(t.storageKey)!.get(objectKey(t.namespaced ? namespace : undefined, name));
  }

  /** Like get, but a 404 with the API server's message when absent. */
  mustGet(t: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const obj = this.get(t, namespace, name);
    if (!obj) throw errors.notFound(t.plural, t.group, name);
    return obj;
  }

  /** Objects of a type, in key order (namespace/name), optionally in one namespace. */
  list(t: ResourceType, namespace?: string): KubeObject[] {
    return [...this.scan(t, namespace)].map(([, obj]) => obj);
  }

  /**
   * Walks the objects of a type in key order, optionally in one namespace, starting at the
   * first key >= `fromKey`: what a paginated list needs without copying the whole type.
   * Yields [key, object]; the store must not change while the walk is consumed.
   */
  *scan(t: ResourceType, namespace?: string, fromKey?: string): Generator<[string, KubeObject]> {
    const bucket = this.objects.get(t.storageKey)!;
    const keys = this.keysOf(t.storageKey);
    const prefix = namespace && t.namespaced ? `${namespace}/` : '';
    const start = fromKey !== undefined && fromKey > prefix ? fromKey : prefix;
    for (let i = lowerBound(keys, start); i < keys.length && keys[i].startsWith(prefix); i++) {
      yield [keys[i], bucket.get(keys[i])!];
    }
  }

  /** How many objects of a type (in a namespace) have a key >= `fromKey`. */
  countFrom(t: ResourceType, namespace: string | undefined, fromKey: string): number {
    const keys = this.keysOf(t.storageKey);
    const prefix = namespace && t.namespaced ? `${namespace}/` : '';
    const end = prefix ? lowerBound(keys, `${prefix.slice(0, -1)}0`) : keys.length;
    return Math.max(0, end - lowerBound(keys, fromKey > prefix ? fromKey : prefix));
  }

  /** Keys in order, for pagination: `namespace/name` or `name`. */
  keysOf(storageKey: string): string[] {
    let keys = this.sortedKeys.get(storageKey);
    if (!keys) {
      keys = [...this.objects.get(storageKey)!.keys()].sort();
      this.sortedKeys.set(storageKey, keys);
    }
    return keys;
  }

  keyOf(t: ResourceType, obj: KubeObject): string {
    return objectKey(t.namespaced ? obj.metadata.namespace : undefined, obj.metadata.name!);
  }

  /**
   * Stores a new object: fills name from generateName, uid, resourceVersion,
   * creationTimestamp and generation. 409 when the name is taken, 404 when the
   * namespace does not exist.
   */
  create(t: ResourceType, input: KubeObject): KubeObject {
    const obj = structuredClone(input);
    obj.metadata = obj.metadata ?? {};
    resolveGeneratedName(obj);
    const name = obj.metadata.name!;
    if (t.namespaced) {
      const ns = obj.metadata.namespace!;
      const nsType = RESOURCE_TYPES.find((r) => r.storageKey === 'namespaces')!;
      const namespaceObj = this.get(nsType, undefined, ns);
      if (!namespaceObj) throw errors.notFound('namespaces', '', ns);
      if (namespaceObj.metadata.deletionTimestamp) {
        throw new ApiError(
          403,
          'Forbidden',
          `${t.plural} "${name}" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`,
        );
      }
    } else {
      delete obj.metadata.namespace;
    }
    const bucket = this.objects.get(t.storageKey)!;
    const key = this.keyOf(t, obj);
    if (bucket.has(key)) throw errors.alreadyExists(t.plural, t.group, name);
    // A uid and creationTimestamp already set are kept: admission assigns the uid a Job's
    // generated selector names (the API server does that before defaulting), and the sandbox's
    // apply() lets scenarios wire owners by uid and back-date history. The HTTP create path
    // must drop client-sent values, as FillObjectMetaSystemFields does.
    obj.metadata.uid ||= randomUUID();
    obj.metadata.creationTimestamp ||= this.clock.rfc3339();
    if (GENERATION_TRACKED.has(t.storageKey)) obj.metadata.generation = 1;
    delete obj.metadata.deletionTimestamp;
    delete obj.metadata.resourceVersion;
    this.commit(t, 'ADDED', obj);
    bucket.set(key, obj);
    this.sortedKeys.delete(t.storageKey);
    return obj;
  }

  /**
   * Replaces an object. `expectedVersion` makes it conditional (409 when stale). The
   * caller decides what the write may change (spec vs status); the store keeps the
   * identity fields, bumps generation when the spec moved, and finishes a deletion whose
   * last finalizer was removed.
   */
  update(t: ResourceType, input: KubeObject, expectedVersion?: string): KubeObject {
    const name = input.metadata.name!;
    const current = this.get(t, input.metadata.namespace, name);
    if (!current) throw errors.notFound(t.plural, t.group, name);
    if (expectedVersion !== undefined && expectedVersion !== current.metadata.resourceVersion) {
      throw errors.conflict(
        t.plural,
        t.group,
        name,
        'the object has been modified; please apply your changes to the latest version and try again',
      );
    }
    const obj = structuredClone(input);
    obj.metadata.uid = current.metadata.uid;
    obj.metadata.creationTimestamp = current.metadata.creationTimestamp;
    obj.metadata.deletionTimestamp = current.metadata.deletionTimestamp;
    if (!obj.metadata.deletionTimestamp) delete obj.metadata.deletionTimestamp;
    if (current.metadata.generation !== undefined) {
      obj.metadata.generation =
        current.metadata.generation + (isDeepStrictEqual(specOf(obj), specOf(current)) ? 0 : 1);
    }
    const lastFinalizerRemoved =
      current.metadata.deletionTimestamp &&
      (current.metadata.finalizers ?? []).length > 0 &&
      (obj.metadata.finalizers ?? []).length === 0;
    if (lastFinalizerRemoved) {
      const removed = this.remove(t, obj);
      this.collectDependents(removed, 'Background');
      return removed;
    }
    this.commit(t, 'MODIFIED', obj);
    this.objects.get(t.storageKey)!.set(this.keyOf(t, obj), obj);
    return obj;
  }

  /**
   * Deletes as the API server does: objects with finalizers, and pods bound to a node
   * (which the kubelet must stop first), only get a deletionTimestamp; everything else
   * goes at once and its dependents are garbage-collected (or orphaned).
   * Returns the object's last state and whether it is gone already.
   */
  delete(
    t: ResourceType,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions = {},
  ): { object: KubeObject; removed: boolean } {
    const current = this.mustGet(t, namespace, name);
    const pre = options.preconditions;
    if (pre?.uid && pre.uid !== current.metadata.uid) {
      throw errors.conflict(
        t.plural,
        t.group,
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`,
      );
    }
    if (pre?.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) {
      throw errors.conflict(
        t.plural,
        t.group,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`,
      );
    }
    const graceful =
      t.storageKey === 'pods' &&
      Boolean((current.spec as { nodeName?: string } | undefined)?.nodeName) &&
      options.gracePeriodSeconds !== 0 &&
      !['Succeeded', 'Failed'].includes((current.status as { phase?: string } | undefined)?.phase ?? '');
    const finalizers = current.metadata.finalizers ?? [];
    if (graceful || finalizers.length > 0 || t.storageKey === 'namespaces') {
      if (current.metadata.deletionTimestamp) return { object: current, removed: false };
      const marked = structuredClone(current);
      marked.metadata.deletionTimestamp = this.clock.rfc3339();
      if (graceful) {
        const spec = current.spec as { terminationGracePeriodSeconds?: number };
        marked.metadata.deletionGracePeriodSeconds =
          options.gracePeriodSeconds ?? spec.terminationGracePeriodSeconds ?? 30;
      }
      if (t.storageKey === 'namespaces')
        (marked.status as Record<string, unknown>) = { phase: 'Terminating' };
      this.commit(t, 'MODIFIED', marked);
      this.objects.get(t.storageKey)!.set(this.keyOf(t, marked), marked);
      return { object: marked, removed: false };
    }
    const removed = this.remove(t, current);
    this.collectDependents(removed, options.propagationPolicy ?? 'Background');
    return { object: removed, removed: true };
  }

  /** Final removal (the kubelet confirms a pod is stopped, or nothing holds the object). */
  remove(t: ResourceType, obj: KubeObject): KubeObject {
    const bucket = this.objects.get(t.storageKey)!;
    const key = this.keyOf(t, obj);
    if (!bucket.has(key)) return obj;
    const last = structuredClone(obj);
    this.commit(t, 'DELETED', last);
    bucket.delete(key);
    this.sortedKeys.delete(t.storageKey);
    return last;
  }

  /** The garbage collector: dependents of a removed owner are deleted or orphaned. */
  private collectDependents(owner: KubeObject, policy: 'Orphan' | 'Background' | 'Foreground'): void {
    const uid = owner.metadata.uid;
    for (const t of RESOURCE_TYPES) {
      if (t.storageKey === 'events' && t.group) continue;
      for (const obj of [...this.list(t, owner.metadata.namespace)]) {
        const refs: OwnerReference[] = obj.metadata.ownerReferences ?? [];
        if (!refs.some((r) => r.uid === uid)) continue;
        if (policy === 'Orphan') {
          const orphan = structuredClone(obj);
          orphan.metadata.ownerReferences = refs.filter((r) => r.uid !== uid);
          if (orphan.metadata.ownerReferences.length === 0) delete orphan.metadata.ownerReferences;
          this.update(t, orphan);
        } else if (!obj.metadata.deletionTimestamp) {
          this.delete(t, obj.metadata.namespace, obj.metadata.name!, { propagationPolicy: 'Background' });
        }
      }
    }
  }

  private commit(t: ResourceType, type: WatchEventType, obj: KubeObject): void {
    this.revision += 1;
    obj.metadata.resourceVersion = String(this.revision);
    deepFreeze(obj);
    const event: StoreEvent = { type, storageKey: t.storageKey, object: obj, resourceVersion: this.revision };
    this.history.push(event);
    if (this.history.length > WATCH_HISTORY) this.history.splice(0, this.history.length - WATCH_HISTORY);
    for (const listener of this.listeners) listener(event);
  }
}

function lowerBound(sorted: string[], value: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Stored objects are immutable: every write stores a fresh copy, so an object's identity is its
 * version. Freezing makes a change in place (which would bypass resourceVersion, watches and
 * history) fail loudly, and lets the API server cache each version's JSON (apiserver/response.ts).
 */
function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const child of Object.values(value)) deepFreeze(child);
}
