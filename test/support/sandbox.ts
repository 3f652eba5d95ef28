import type { Event, Pod } from 'kubernetes-types/core/v1';
import { admit } from '../../local/kube-sandbox/admission';
import { SandboxClock } from '../../local/kube-sandbox/clock';
import { ApiError } from '../../local/kube-sandbox/errors';
import { controllerUid, types } from '../../local/kube-sandbox/runtime';
import { startSandbox, type Sandbox } from '../../local/kube-sandbox/sandbox';
import type { KubeObject, Writable } from '../../local/kube-sandbox/store';

/* What the sandbox suites share: a manual clock, moving it, and reading and writing objects. */

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
