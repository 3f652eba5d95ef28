import type { Event } from 'kubernetes-types/core/v1';
import { admit } from '../../../local/kube-sandbox/admission';
import { BEHAVIOR_ANNOTATION, type PodBehavior } from '../../../local/kube-sandbox/behavior';
import { SandboxClock } from '../../../local/kube-sandbox/clock';
import { types } from '../../../local/kube-sandbox/runtime';
import { startSandbox, type Sandbox } from '../../../local/kube-sandbox/sandbox';
import type { KubeObject } from '../../../local/kube-sandbox/store';

export const START = Date.parse('2026-03-01T12:00:00Z');

/** A sandbox on a manual clock starting at START: time moves only through `elapse`. */
export async function workloadSandbox(objects: KubeObject[] = []): Promise<Sandbox> {
  return startSandbox({ clock: new SandboxClock({ mode: 'manual', start: START }), objects });
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

/** Changes an object as an API client's update would: through admission, against the stored one. */
export async function updateObject(
  sandbox: Sandbox,
  storageKey: string,
  name: string,
  mutate: (obj: KubeObject) => void,
  namespace = 'default',
): Promise<KubeObject> {
  const t = types[storageKey];
  const current = sandbox.store.mustGet(t, namespace, name);
  const next = structuredClone(current);
  mutate(next);
  admit(t, next, current);
  const stored = sandbox.store.update(t, next);
  await sandbox.settle();
  return stored;
}

export function get(sandbox: Sandbox, storageKey: string, name: string, namespace = 'default'): KubeObject {
  return sandbox.store.mustGet(types[storageKey], namespace, name);
}

/** The Events about an object, as `kubectl events --for` lists them (oldest first). */
export function eventsFor(sandbox: Sandbox, name: string, namespace = 'default'): Event[] {
  return (sandbox.store.list(types.events, namespace) as unknown as Event[])
    .filter((e) => e.involvedObject.name === name)
    .sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion));
}

export function eventMessages(sandbox: Sandbox, name: string, reason?: string): string[] {
  return eventsFor(sandbox, name)
    .filter((e) => !reason || e.reason === reason)
    .map((e) => `${e.reason}: ${e.message}`);
}

export function podsOf(sandbox: Sandbox, ownerUid: string, namespace = 'default'): KubeObject[] {
  return sandbox.store
    .list(types.pods, namespace)
    .filter((p) => p.metadata.ownerReferences?.some((r) => r.controller && r.uid === ownerUid));
}

export function template(
  labels: Record<string, string>,
  options: { image?: string; behavior?: PodBehavior; restartPolicy?: string } = {},
): Record<string, unknown> {
  return {
    metadata: {
      labels,
      ...(options.behavior
        ? { annotations: { [BEHAVIOR_ANNOTATION]: JSON.stringify(options.behavior) } }
        : {}),
    },
    spec: {
      containers: [{ name: 'app', image: options.image ?? 'nginx:1.27' }],
      ...(options.restartPolicy ? { restartPolicy: options.restartPolicy } : {}),
    },
  };
}

export function statefulSet(name: string, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: 'default' },
    spec: {
      serviceName: name,
      replicas: 3,
      selector: { matchLabels: { app: name } },
      template: template({ app: name }),
      ...spec,
    },
  };
}

export function daemonSet(name: string, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: name } },
      template: template({ app: name }),
      ...spec,
    },
  };
}

export function job(name: string, spec: Record<string, unknown> = {}, behavior?: PodBehavior): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: 'default' },
    spec: {
      template: template({ app: name }, { restartPolicy: 'Never', behavior }),
      ...spec,
    },
  };
}

export function cronJob(
  name: string,
  schedule: string,
  spec: Record<string, unknown> = {},
  behavior: PodBehavior = { app: { mode: 'complete', runSeconds: 5 } },
): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: 'default' },
    spec: {
      schedule,
      jobTemplate: { spec: { template: template({ app: name }, { restartPolicy: 'Never', behavior }) } },
      ...spec,
    },
  };
}
