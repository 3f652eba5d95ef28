import type { Event, Pod } from 'kubernetes-types/core/v1';
import { admit } from '../../local/kube-sandbox/admission';
import { SandboxClock } from '../../local/kube-sandbox/clock';
import { ApiError } from '../../local/kube-sandbox/errors';
import { controllerUid, types } from '../../local/kube-sandbox/runtime';
import { startSandbox, type Sandbox } from '../../local/kube-sandbox/sandbox';
import type { KubeObject, Writable } from '../../local/kube-sandbox/store';

/*
 * What the sandbox suites share: a manual clock and moving it, reading and writing objects as an
 * API client would, the events recorded about them, and pods. Manifests: ./manifests.
 */

export type PodObject = KubeObject & Writable<Pod>;

export const START = Date.parse('2026-03-01T12:00:00Z');

/** A clock that stands at START until a test moves it. */
export function manualClock(): SandboxClock {
  return new SandboxClock({ mode: 'manual', start: START });
}

/** A full sandbox (scheduler, kubelet and every controller) on a manual clock. */
export async function manualSandbox(objects: KubeObject[] = []): Promise<Sandbox> {
  return startSandbox({ clock: manualClock(), objects });
}

/** Moves sandbox time forward step by step, letting the controllers react after each step. */
export async function elapse(sandbox: Sandbox, ms: number, stepMs = 1000): Promise<void> {
  await sandbox.settle();
  for (let done = 0; done < ms; done += stepMs) {
    sandbox.clock.advance(Math.min(stepMs, ms - done));
    await sandbox.settle();
  }
}

/** Steps time until `done()` holds (at most `maxMs` of sandbox time); returns whether it did. */
export async function elapseUntil(
  sandbox: Sandbox,
  done: () => boolean,
  maxMs = 600_000,
  stepMs = 1000,
): Promise<boolean> {
  await sandbox.settle();
  for (let spent = 0; spent <= maxMs; spent += stepMs) {
    if (done()) return true;
    sandbox.clock.advance(stepMs);
    await sandbox.settle();
  }
  return done();
}

/** The core/v1 Events about an object, as `kubectl events --for` lists them (oldest first). */
export function storedEvents(sandbox: Sandbox, name: string, namespace = 'default'): Event[] {
  return (sandbox.store.list(types.events, namespace) as unknown as Event[])
    .filter((e) => e.involvedObject.name === name)
    .sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion));
}

/** The pods of a namespace whose controlling owner is `ownerUid`, terminating ones included. */
export function podsControlledBy(sandbox: Sandbox, ownerUid: string, namespace = 'default'): PodObject[] {
  return (sandbox.store.list(types.pods, namespace) as PodObject[]).filter(
    (p) => controllerUid(p) === ownerUid,
  );
}

export function nodeNames(sandbox: Sandbox): string[] {
  return sandbox.store.list(types.nodes).map((n) => n.metadata.name!);
}

/** Changes a stored object as an API client's update would: through admission, against `current`. */
export function admitUpdate<T extends KubeObject>(
  sandbox: Sandbox,
  storageKey: string,
  current: T,
  change: (obj: T) => void,
): T {
  const t = types[storageKey];
  const next = structuredClone(current);
  change(next);
  admit(t, next, current);
  return sandbox.store.update(t, next) as T;
}

/** A copy of `obj` as admission leaves it on create (or on an update from `old`). */
export function admitted(storageKey: string, obj: KubeObject, old?: KubeObject): KubeObject {
  const copy = structuredClone(obj);
  admit(types[storageKey], copy, old);
  return copy;
}

/** The API error admission rejects `obj` with, undefined when it admits it. */
export function admissionError(storageKey: string, obj: KubeObject, old?: KubeObject): ApiError | undefined {
  try {
    admitted(storageKey, obj, old);
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  return undefined;
}

/** Changes an object as an API client's update would: through admission, against the stored one. */
export async function updateObject(
  sandbox: Sandbox,
  storageKey: string,
  name: string,
  mutate: (obj: KubeObject) => void,
  namespace = 'default',
): Promise<KubeObject> {
  const current = sandbox.store.mustGet(types[storageKey], namespace, name);
  const stored = admitUpdate(sandbox, storageKey, current, mutate);
  await sandbox.settle();
  return stored;
}

export function get(sandbox: Sandbox, storageKey: string, name: string, namespace = 'default'): KubeObject {
  return sandbox.store.mustGet(types[storageKey], namespace, name);
}

export function eventMessages(sandbox: Sandbox, name: string, reason?: string): string[] {
  return storedEvents(sandbox, name)
    .filter((e) => !reason || e.reason === reason)
    .map((e) => `${e.reason}: ${e.message}`);
}

export function getPod(sandbox: Sandbox, name: string, namespace = 'default'): Pod | undefined {
  return sandbox.store.get(types.pods, namespace, name) as Pod | undefined;
}

export function mustGetPod(sandbox: Sandbox, name: string, namespace = 'default'): Pod {
  const pod = getPod(sandbox, name, namespace);
  if (!pod) throw new Error(`pod ${namespace}/${name} does not exist`);
  return pod;
}

export interface EventView {
  reason: string;
  message: string;
  type: string;
  count: number;
  fieldPath?: string;
  component: string;
  host?: string;
}

/** The core/v1 events about one object, oldest first. */
export function eventsFor(sandbox: Sandbox, name: string, namespace = 'default'): EventView[] {
  return storedEvents(sandbox, name, namespace).map((e) => ({
    reason: e.reason!,
    message: e.message!,
    type: e.type!,
    count: e.count!,
    fieldPath: e.involvedObject.fieldPath,
    component: e.source!.component!,
    host: e.source!.host,
  }));
}

/** Errors from the kubelet and the scheduler, which the pod suites cover (other controllers run alongside). */
export function ownErrors(sandbox: Sandbox): unknown[] {
  return sandbox.controllerErrors.filter((e) => ['kubelet', 'scheduler'].includes(e.controller));
}

/** Steps sandbox time one second at a time until `predicate` holds for the pod; fails after `maxMs`. */
export async function untilPod(
  sandbox: Sandbox,
  name: string,
  predicate: (pod: Pod) => boolean,
  maxMs = 120_000,
): Promise<Pod> {
  let pod: Pod | undefined;
  const reached = () => {
    pod = getPod(sandbox, name);
    return pod !== undefined && predicate(pod);
  };
  if (await elapseUntil(sandbox, reached, maxMs)) return pod!;
  throw new Error(`pod ${name} did not reach the expected state within ${maxMs} ms of sandbox time`);
}
