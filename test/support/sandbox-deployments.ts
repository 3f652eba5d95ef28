import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1';
import { deploymentController } from '../../local/kube-sandbox/controllers/deployment/deployment-controller';
import { replicaSetController } from '../../local/kube-sandbox/controllers/replicaset';
import { controllerUid, types } from '../../local/kube-sandbox/runtime';
import { startSandbox, type Sandbox } from '../../local/kube-sandbox/sandbox';
import type { KubeObject, Writable } from '../../local/kube-sandbox/store';
import { admitUpdate, manualClock, podsControlledBy, storedEvents, type PodObject } from './sandbox';

export type DeploymentObject = KubeObject & Writable<Deployment>;
export type ReplicaSetObject = KubeObject & Writable<ReplicaSet>;

/**
 * A sandbox on a manual clock running only the ReplicaSet and Deployment controllers: no
 * scheduler and no kubelet, so pods stay unscheduled and Pending until `markReady` plays the
 * kubelet. Stop it with `stopControllersOnly`.
 */
export async function controllersOnlySandbox(): Promise<{ sandbox: Sandbox; stop: () => Promise<void> }> {
  const sandbox = await startSandbox({ clock: manualClock(), controllers: false });
  const stops = [replicaSetController.start(sandbox.context), deploymentController.start(sandbox.context)];
  return {
    sandbox,
    stop: async () => {
      for (const stop of stops) stop();
      await sandbox.stop();
    },
  };
}

export function getDeployment(sandbox: Sandbox, name: string, namespace = 'default'): DeploymentObject {
  const d = sandbox.store.get(types['deployments.apps'], namespace, name);
  if (!d) throw new Error(`deployment ${namespace}/${name} does not exist`);
  return d as DeploymentObject;
}

/** Changes a Deployment as an API client's update would: admission, then the store. */
export function updateDeployment(
  sandbox: Sandbox,
  name: string,
  change: (d: DeploymentObject) => void,
  namespace = 'default',
): DeploymentObject {
  return admitUpdate(sandbox, 'deployments.apps', getDeployment(sandbox, name, namespace), change);
}

/** What `kubectl rollout restart` sends: the restartedAt template annotation. */
export function rolloutRestart(sandbox: Sandbox, name: string, at: string): DeploymentObject {
  return updateDeployment(sandbox, name, (d) => {
    const meta = (d.spec!.template.metadata ??= {});
    meta.annotations = { ...meta.annotations, 'kubectl.kubernetes.io/restartedAt': at };
  });
}

/** The ReplicaSets a Deployment controls, oldest revision first. */
export function replicaSetsOf(sandbox: Sandbox, name: string, namespace = 'default'): ReplicaSetObject[] {
  const uid = getDeployment(sandbox, name, namespace).metadata.uid;
  return (sandbox.store.list(types['replicasets.apps'], namespace) as ReplicaSetObject[])
    .filter((rs) => controllerUid(rs) === uid)
    .sort((a, b) => revision(a) - revision(b));
}

export function revision(obj: KubeObject): number {
  return Number(obj.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0);
}

/** Pods controlled by a ReplicaSet, terminating ones included. */
export function podsOf(sandbox: Sandbox, rs: KubeObject): PodObject[] {
  return podsControlledBy(sandbox, rs.metadata.uid!, rs.metadata.namespace);
}

export function isReady(pod: PodObject): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Plays the kubelet for pods that match: Running and Ready from now. */
export function markReady(sandbox: Sandbox, pods: PodObject[]): void {
  const now = sandbox.clock.rfc3339();
  for (const pod of pods) {
    const next = structuredClone(pod);
    next.status = {
      phase: 'Running',
      conditions: [
        { type: 'Initialized', status: 'True', lastTransitionTime: now },
        { type: 'Ready', status: 'True', lastTransitionTime: now },
        { type: 'ContainersReady', status: 'True', lastTransitionTime: now },
        { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
      ],
      startTime: now,
    };
    sandbox.store.update(types.pods, next);
  }
}

/** Marks every not-ready pod of the namespace ready and lets the controllers react, until none is left. */
export async function readyAll(sandbox: Sandbox, namespace = 'default'): Promise<void> {
  for (let round = 0; round < 20; round++) {
    await sandbox.settle();
    const pending = (sandbox.store.list(types.pods, namespace) as PodObject[]).filter(
      (p) => !isReady(p) && !p.metadata.deletionTimestamp,
    );
    if (pending.length === 0) return;
    markReady(sandbox, pending);
  }
  throw new Error('pods kept appearing: the rollout did not finish in 20 rounds');
}

export interface EventView {
  reason: string;
  message: string;
  type: string;
  component: string;
  kind: string;
}

/** core/v1 events about one object, in the order they were first recorded. */
export function eventsAbout(sandbox: Sandbox, name: string, namespace = 'default'): EventView[] {
  return storedEvents(sandbox, name, namespace).map((e) => ({
    reason: e.reason!,
    message: e.message!,
    type: e.type!,
    component: e.source!.component!,
    kind: e.involvedObject.kind!,
  }));
}

export function condition(
  d: DeploymentObject,
  type: string,
):
  | {
      status: string;
      reason?: string;
      message?: string;
      lastUpdateTime?: string;
      lastTransitionTime?: string;
    }
  | undefined {
  return d.status?.conditions?.find((c) => c.type === type);
}
