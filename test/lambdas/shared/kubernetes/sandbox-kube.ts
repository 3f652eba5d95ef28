import { AppsV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { BEHAVIOR_ANNOTATION, type PodBehavior } from '../../../../local/kube-sandbox/behavior';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../../../local/kube-sandbox/sandbox';
import type { KubeObject } from '../../../../local/kube-sandbox/store';
import { localKubeConfig } from '../../../../lambdas/shared/kubernetes/client';
import { ClientNodeKubernetes } from '../../../../lambdas/shared/kubernetes/kubernetes-port';

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
    objects: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }, ...(options.objects ?? [])],
  });
  const kc = localKubeConfig({ yaml: sandbox.kubeconfig() });
  return {
    sandbox,
    kube: new ClientNodeKubernetes(kc, { requestTimeoutMs }),
    apps: kc.makeApiClient(AppsV1Api),
  };
}

/** Polls `check` until it returns a value, failing with `what` after `timeoutMs` of wall time. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface TemplateOptions {
  image?: string;
  behavior?: PodBehavior;
}

function template(app: string, options: TemplateOptions): Record<string, unknown> {
  return {
    metadata: {
      labels: { app },
      ...(options.behavior
        ? { annotations: { [BEHAVIOR_ANNOTATION]: JSON.stringify(options.behavior) } }
        : {}),
    },
    spec: {
      containers: [
        {
          name: 'app',
          image: options.image ?? `registry.example.com/${app}:1.0.0`,
          ports: [{ containerPort: 8080 }],
        },
      ],
    },
  };
}

/** A Deployment as a team writes it (the runbooks' alldata-api). */
export function deployment(
  name: string,
  options: TemplateOptions & { replicas?: number; progressDeadlineSeconds?: number; paused?: boolean } = {},
): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS, labels: { app: name } },
    spec: {
      replicas: options.replicas ?? 2,
      ...(options.progressDeadlineSeconds
        ? { progressDeadlineSeconds: options.progressDeadlineSeconds }
        : {}),
      ...(options.paused ? { paused: true } : {}),
      selector: { matchLabels: { app: name } },
      template: template(name, options),
    },
  };
}

export function statefulSet(name: string, options: TemplateOptions & { replicas?: number } = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: NS },
    spec: {
      replicas: options.replicas ?? 2,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: template(name, { image: 'mysql:8.0.36', ...options }),
    },
  };
}

export function daemonSet(name: string, options: TemplateOptions = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: NS },
    spec: {
      selector: { matchLabels: { app: name } },
      template: template(name, { image: 'fluent/fluent-bit:3.0', ...options }),
    },
  };
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
