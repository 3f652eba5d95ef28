import { randomBytes } from 'node:crypto';
import type { ObjectReference } from 'kubernetes-types/core/v1';
import type { SandboxClock } from './clock';
import { ApiError } from './errors';
import { RESOURCE_TYPES, type ResourceType } from './resources';
import type { KubeObject, ObjectStore, StoreEvent } from './store';

/** Resource types by store key, for controllers: `types.pods`, `types['deployments.apps']`. */
export const types: Record<string, ResourceType> = Object.fromEntries(
  RESOURCE_TYPES.filter((t) => !(t.storageKey === 'events' && t.group)).map((t) => [t.storageKey, t]),
);

export type EventType = 'Normal' | 'Warning';

export interface EventSource {
  /** e.g. `kubelet`, `deployment-controller`, `default-scheduler`. */
  component: string;
  /** The node, for kubelet events. */
  host?: string;
  /** e.g. `spec.containers{app}` for container events. */
  fieldPath?: string;
  /**
   * Set by components that record through the events.k8s.io/v1 recorder (kube-scheduler):
   * the event then carries `eventTime` (a MicroTime), `action` and a reporting instance.
   */
  action?: string;
}

/** The host name in a control-plane component's reporting instance (`default-scheduler-<host>`). */
const REPORTING_HOST = 'ip-10-0-0-10.eu-west-1.compute.internal';

/**
 * Records core/v1 Events the way client-go's legacy event recorder (used by the kubelet and
 * the controller-manager) does: repeats of the same event on the same object are folded
 * into one Event whose `count` and `lastTimestamp` move.
 */
export class EventRecorder {
  private readonly folded = new Map<string, string>();

  constructor(
    private readonly store: ObjectStore,
    private readonly clock: SandboxClock,
  ) {}

  record(
    involved: KubeObject,
    type: EventType,
    reason: string,
    message: string,
    source: EventSource,
  ): KubeObject {
    const meta = involved.metadata;
    const namespace = meta.namespace ?? 'default';
    const foldKey = [meta.uid, source.fieldPath ?? '', type, reason, message, source.component].join(
      '\u0000',
    );
    const now = this.clock.rfc3339();
    const existingName = this.folded.get(foldKey);
    const existing = existingName ? this.store.get(types.events, namespace, existingName) : undefined;
    if (existing) {
      const next = structuredClone(existing);
      next.count = ((existing.count as number) ?? 1) + 1;
      next.lastTimestamp = now;
      return this.store.update(types.events, next);
    }
    const involvedObject: ObjectReference = {
      kind: involved.kind,
      namespace: meta.namespace,
      name: meta.name,
      uid: meta.uid,
      apiVersion: involved.apiVersion,
      resourceVersion: meta.resourceVersion,
      ...(source.fieldPath ? { fieldPath: source.fieldPath } : {}),
    };
    const event: KubeObject = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${meta.name}.${randomBytes(8).toString('hex')}`, namespace },
      involvedObject,
      reason,
      message,
      source: { component: source.component, ...(source.host ? { host: source.host } : {}) },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type,
      eventTime: source.action ? this.clock.rfc3339Micro() : null,
      ...(source.action ? { action: source.action } : {}),
      reportingComponent: source.component,
      reportingInstance: source.action ? `${source.component}-${REPORTING_HOST}` : (source.host ?? ''),
    };
    try {
      const created = this.store.create(types.events, event);
      this.folded.set(foldKey, created.metadata.name!);
      return created;
    } catch (error) {
      // A namespace being deleted refuses new events too; the broadcaster only logs that.
      if (error instanceof ApiError && error.code === 403) return event;
      throw error;
    }
  }
}

export interface LogLine {
  /** Sandbox time, ms since epoch. */
  at: number;
  text: string;
}

/**
 * Container logs, kept per pod uid, container and instance (the container's restart
 * count when it ran), so `previous=true` reads the instance before the current one.
 */
export class LogStore {
  private readonly logs = new Map<string, LogLine[]>();

  private key(podUid: string, container: string, instance: number): string {
    return `${podUid}/${container}/${instance}`;
  }

  append(podUid: string, container: string, instance: number, lines: LogLine[]): void {
    const key = this.key(podUid, container, instance);
    const existing = this.logs.get(key) ?? [];
    existing.push(...lines);
    this.logs.set(key, existing);
  }

  read(podUid: string, container: string, instance: number): LogLine[] | undefined {
    return this.logs.get(this.key(podUid, container, instance));
  }

  forgetPod(podUid: string): void {
    for (const key of this.logs.keys()) if (key.startsWith(`${podUid}/`)) this.logs.delete(key);
  }
}

/**
 * A de-duplicating queue of keys processed off the current call stack, like client-go's
 * workqueue: many changes to one object cause one reconcile. `settle()` resolves once
 * every queue is empty, so tests can wait for controllers to catch up.
 */
export class WorkQueue {
  private readonly pending = new Set<string>();
  private scheduled = false;
  private running = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    readonly name: string,
    private readonly handler: (key: string) => void,
    private readonly onError: (name: string, key: string, error: unknown) => void,
  ) {}

  add(key: string): void {
    this.pending.add(key);
    this.schedule();
  }

  get idle(): boolean {
    return this.pending.size === 0 && !this.running;
  }

  whenIdle(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }

  private drain(): void {
    this.scheduled = false;
    this.running = true;
    const keys = [...this.pending];
    this.pending.clear();
    for (const key of keys) {
      try {
        this.handler(key);
      } catch (error) {
        this.onError(this.name, key, error);
      }
    }
    this.running = false;
    if (this.pending.size > 0) {
      this.schedule();
    } else {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}

/** What every controller is given. */
export interface ControllerContext {
  store: ObjectStore;
  clock: SandboxClock;
  events: EventRecorder;
  logs: LogStore;
  /** Creates a work queue the sandbox can wait on in `settle()`. */
  queue(name: string, handler: (key: string) => void): WorkQueue;
}

/**
 * A controller watches the store and reconciles. `start` subscribes; the returned function
 * stops it. Controllers write through `ctx.store` directly (they are the control plane, so
 * they bypass the spec/status split the HTTP API enforces).
 */
export interface Controller {
  readonly name: string;
  start(ctx: ControllerContext): () => void;
}

/** `namespace/name` of an object, the work-queue key convention. */
export function keyOf(obj: KubeObject): string {
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name!;
}

export function splitKey(key: string): { namespace?: string; name: string } {
  const slash = key.indexOf('/');
  return slash < 0 ? { name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** The owner reference a controller puts on what it creates. */
export function controllerRef(
  owner: KubeObject,
): NonNullable<KubeObject['metadata']['ownerReferences']>[number] {
  return {
    apiVersion: owner.apiVersion!,
    kind: owner.kind!,
    name: owner.metadata.name!,
    uid: owner.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** The controlling owner's uid of an object, if any. */
export function controllerUid(obj: KubeObject): string | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller)?.uid;
}

/** Calls `fn` for store events of the given store keys. */
export function onStoreEvents(
  store: ObjectStore,
  storageKeys: string[],
  fn: (event: StoreEvent) => void,
): () => void {
  const wanted = new Set(storageKeys);
  return store.subscribe((event) => {
    if (wanted.has(event.storageKey)) fn(event);
  });
}
