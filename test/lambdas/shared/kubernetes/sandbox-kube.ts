import { AppsV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../../../local/kube-sandbox/sandbox';
import type { KubeObject } from '../../../../local/kube-sandbox/store';
import { localKubeConfig } from '../../../../lambdas/shared/kubernetes/client';
import { ClientNodeKubernetes } from '../../../../lambdas/shared/kubernetes/kubernetes-port';
import * as manifests from '../../../support/manifests';

/** The adapter under test, talking HTTP to a sandbox through its own kubeconfig. */
export interface KubeUnderTest {
  sandbox: Sandbox;
  kube: ClientNodeKubernetes;
  /** A plain client-node client, to change workloads as a user would between steps. */
  apps: AppsV1Api;
}

export const NS = 'one-data-alldata';

/** A sandbox 100x faster than real time (a 60 s wait takes 0.6 s) with the test namespace. */
export async function startKube(
  options: SandboxOptions = {},
  requestTimeoutMs = 5000,
): Promise<KubeUnderTest> {
  const sandbox = await startSandbox({
    clock: { timeScale: 100 },
    ...options,
    objects: [manifests.namespace(NS), ...(options.objects ?? [])],
  });
  const kc = localKubeConfig({ yaml: sandbox.kubeconfig() });
  return {
    sandbox,
    kube: new ClientNodeKubernetes(kc, { requestTimeoutMs }),
    apps: kc.makeApiClient(AppsV1Api),
  };
}

/** A Deployment as a team writes it (the runbooks' alldata-api), in the test namespace. */
export function deployment(
  name: string,
  options: Parameters<typeof manifests.deployment>[2] = {},
): KubeObject {
  return manifests.deployment(NS, name, options);
}

export function statefulSet(
  name: string,
  options: Parameters<typeof manifests.statefulSet>[2] = {},
): KubeObject {
  return manifests.statefulSet(NS, name, options);
}

export function daemonSet(name: string, options: Parameters<typeof manifests.daemonSet>[2] = {}): KubeObject {
  return manifests.daemonSet(NS, name, options);
}

/** `kubectl set image`: a new revision of a workload's single container. */
export async function setImage(
  apps: AppsV1Api,
  kind: 'Deployment' | 'StatefulSet' | 'DaemonSet',
  name: string,
  image: string,
): Promise<void> {
  const params = {
    namespace: NS,
    name,
    body: { spec: { template: { spec: { containers: [{ name: 'app', image }] } } } },
  };
  const options = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
  if (kind === 'Deployment') await apps.patchNamespacedDeployment(params, options);
  else if (kind === 'StatefulSet') await apps.patchNamespacedStatefulSet(params, options);
  else await apps.patchNamespacedDaemonSet(params, options);
}
