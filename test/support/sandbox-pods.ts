import type { Pod } from 'kubernetes-types/core/v1';
import { BEHAVIOR_ANNOTATION, type PodBehavior } from '../../local/kube-sandbox/behavior';
import { types } from '../../local/kube-sandbox/runtime';
import type { Sandbox } from '../../local/kube-sandbox/sandbox';
import type { KubeObject } from '../../local/kube-sandbox/store';
import { storedEvents } from './sandbox';

export interface PodOptions {
  behavior?: PodBehavior;
  annotations?: Record<string, string>;
  spec?: Record<string, unknown>;
  containers?: Array<Record<string, unknown>>;
  namespace?: string;
}

/** A bare pod manifest, as a user would apply it. */
export function podManifest(name: string, options: PodOptions = {}): KubeObject {
  const annotations = {
    ...options.annotations,
    ...(options.behavior ? { [BEHAVIOR_ANNOTATION]: JSON.stringify(options.behavior) } : {}),
  };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: options.namespace ?? 'default',
      ...(Object.keys(annotations).length ? { annotations } : {}),
    },
    spec: {
      containers: options.containers ?? [{ name: 'app', image: 'nginx:1.27' }],
      ...options.spec,
    },
  };
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

/** Errors from the controllers this suite covers (other helpers' controllers run alongside). */
export function ownErrors(sandbox: Sandbox): unknown[] {
  return sandbox.controllerErrors.filter((e) => ['kubelet', 'scheduler'].includes(e.controller));
}

/** Steps sandbox time one second at a time until `predicate` holds for the pod; fails after `maxMs`. */
export async function until(
  sandbox: Sandbox,
  name: string,
  predicate: (pod: Pod) => boolean,
  maxMs = 120_000,
): Promise<Pod> {
  await sandbox.settle();
  for (let waited = 0; waited <= maxMs; waited += 1000) {
    const pod = getPod(sandbox, name);
    if (pod && predicate(pod)) return pod;
    sandbox.clock.advance(1000);
    await sandbox.settle();
  }
  throw new Error(`pod ${name} did not reach the expected state within ${maxMs} ms of sandbox time`);
}
