import { BEHAVIOR_ANNOTATION, type PodBehavior } from '../../local/kube-sandbox/behavior';
import { types } from '../../local/kube-sandbox/runtime';
import type { Sandbox } from '../../local/kube-sandbox/sandbox';
import type { KubeObject } from '../../local/kube-sandbox/store';
import { admitUpdate, storedEvents } from './sandbox';

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
