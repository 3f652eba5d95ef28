import { AppsV1Api } from '@kubernetes/client-node';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1';
import type { RolloutKind as WorkloadKind, Target } from '../../../../lambdas/shared/contracts';
import { localKubeConfig } from '../../../../lambdas/shared/kubernetes/client';
import { ClientNodeKubernetes } from '../../../../lambdas/shared/kubernetes/kubernetes-port';
import { types } from '../../../../local/kube-sandbox/runtime';
import type { KubeObject } from '../../../../local/kube-sandbox/store';
import { KubectlSandbox } from '../../../support/kubectl';
import { NS, daemonSet, deployment, setImage, statefulSet } from './sandbox-kube';

// The adapter and the installed kubectl (1.32) do the same thing to twin workloads in one
// sandbox; the objects they leave behind and the messages they print must match.
let k: KubectlSandbox;
let kube: ClientNodeKubernetes;
let apps: AppsV1Api;

beforeEach(async () => {
  k = await KubectlSandbox.start({ clock: { mode: 'manual', start: Date.parse('2026-03-01T12:00:00Z') } });
  k.sandbox.apply([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }]);
  const kc = localKubeConfig({ yaml: k.sandbox.kubeconfig() });
  kube = new ClientNodeKubernetes(kc, { requestTimeoutMs: 5000 });
  apps = kc.makeApiClient(AppsV1Api);
});

afterEach(async () => {
  await k.stop();
});

const STORAGE: Record<WorkloadKind, string> = {
  Deployment: 'deployments.apps',
  StatefulSet: 'statefulsets.apps',
  DaemonSet: 'daemonsets.apps',
};
const RESOURCE: Record<WorkloadKind, string> = {
  Deployment: 'deployment',
  StatefulSet: 'statefulset',
  DaemonSet: 'daemonset',
};

/** The fields of a workload these comparisons read. */
interface Workload {
  metadata: { generation?: number; annotations?: Record<string, string> };
  spec: { template: PodTemplateSpec };
}

function live(kind: WorkloadKind, name: string): Workload {
  return structuredClone(k.sandbox.store.get(types[STORAGE[kind]], NS, name)) as unknown as Workload;
}

/**
 * A workload with its name written as NAME everywhere, so twins compare equal. kubectl sends
 * Go's `creationTimestamp: null` in the template; a real API server prints every template
 * that way whoever wrote it, the sandbox keeps what it was sent, so it is left out.
 */
function anonymous(kind: WorkloadKind, name: string): Workload {
  const { metadata, spec } = live(kind, name);
  const text = JSON.stringify(
    { annotations: metadata.annotations ?? {}, generation: metadata.generation, spec },
    (key, value) => (key === 'creationTimestamp' && value === null ? undefined : value),
  );
  return JSON.parse(text.replaceAll(name, 'NAME'));
}

/** Moves sandbox time a second at a time until the rollout is done (or has failed). */
async function rollOut(target: Target): Promise<void> {
  for (let second = 0; second < 900; second++) {
    await k.sandbox.settle();
    const status = await kube.rollouts.rolloutStatus(target);
    if (status.done || status.failed) return;
    k.sandbox.clock.advance(1000);
  }
  throw new Error(`${target.kind} ${target.name} did not finish rolling out`);
}

async function twins(
  kind: WorkloadKind,
  make: (name: string) => KubeObject,
  revisions: string[],
): Promise<void> {
  k.sandbox.apply([make('by-kubectl'), make('by-adapter')]);
  for (const name of ['by-kubectl', 'by-adapter']) {
    const target: Target = { namespace: NS, kind, name };
    await rollOut(target);
    for (const image of revisions) {
      await setImage(apps, kind, name, image);
      await rollOut(target);
    }
  }
}

const target = (kind: WorkloadKind, name: string): Target => ({ namespace: NS, kind, name });

describe.each([
  [
    'Deployment',
    (name: string) => deployment(name),
    ['registry.example.com/api:1.1.0', 'registry.example.com/api:1.2.0'],
  ],
  ['StatefulSet', (name: string) => statefulSet(name), ['mysql:8.0.37', 'mysql:8.0.38']],
  ['DaemonSet', (name: string) => daemonSet(name), ['fluent/fluent-bit:3.1', 'fluent/fluent-bit:3.2']],
] as const)('%s', (kind, make, images) => {
  it('rollout undo (previous, then --to-revision=1) leaves the same object as kubectl', async () => {
    // Prepare
    await twins(kind, make, [...images]);

    // Act
    const kubectlPrevious = await k.ok(['rollout', 'undo', `${RESOURCE[kind]}/by-kubectl`, '-n', NS]);
    const adapterPrevious = await kube.rollouts.rolloutUndo(target(kind, 'by-adapter'));
    await rollOut(target(kind, 'by-kubectl'));
    await rollOut(target(kind, 'by-adapter'));
    const afterPrevious = [anonymous(kind, 'by-kubectl'), anonymous(kind, 'by-adapter')];
    const kubectlFirst = await k.ok([
      'rollout',
      'undo',
      `${RESOURCE[kind]}/by-kubectl`,
      '-n',
      NS,
      '--to-revision=1',
    ]);
    const adapterFirst = await kube.rollouts.rolloutUndo(target(kind, 'by-adapter'), 1);
    await rollOut(target(kind, 'by-kubectl'));
    await rollOut(target(kind, 'by-adapter'));

    // Assess
    const prefix = `${RESOURCE[kind]}.apps/by-kubectl `;
    expect(kubectlPrevious).toBe(`${prefix}${adapterPrevious.message}\n`);
    expect(kubectlFirst).toBe(`${prefix}${adapterFirst.message}\n`);
    expect(afterPrevious[1]).toEqual(afterPrevious[0]);
    expect(anonymous(kind, 'by-adapter')).toEqual(anonymous(kind, 'by-kubectl'));
    const history = async (name: string) =>
      (await kube.workloads.revisions(target(kind, name))).map((r) => r.revision);
    expect(await history('by-adapter')).toEqual(await history('by-kubectl'));
  });

  it('rollout undo refusals print kubectl`s words', async () => {
    // Prepare
    await twins(kind, make, [images[0]]);

    // Act
    const kubectlSkip = await k.ok([
      'rollout',
      'undo',
      `${RESOURCE[kind]}/by-kubectl`,
      '-n',
      NS,
      '--to-revision=2',
    ]);
    const adapterSkip = await kube.rollouts.rolloutUndo(target(kind, 'by-adapter'), 2);
    const kubectlUnknown = await k.run([
      'rollout',
      'undo',
      `${RESOURCE[kind]}/by-kubectl`,
      '-n',
      NS,
      '--to-revision=9',
    ]);
    const adapterUnknown = await kube.rollouts
      .rolloutUndo(target(kind, 'by-adapter'), 9)
      .catch((error: Error) => error);

    // Assess
    expect(kubectlSkip).toBe(`${RESOURCE[kind]}.apps/by-kubectl ${adapterSkip.message}\n`);
    expect(kubectlUnknown.code).toBe(1);
    expect(kubectlUnknown.stderr).toBe(`error: ${(adapterUnknown as Error).message}\n`);
  });

  it('rollout restart writes the same template change as kubectl', async () => {
    // Prepare
    await twins(kind, make, []);

    // Act
    await k.ok(['rollout', 'restart', `${RESOURCE[kind]}/by-kubectl`, '-n', NS]);
    await kube.rollouts.rolloutRestart(target(kind, 'by-adapter'), new Date());
    await k.sandbox.settle();

    // Assess
    const restartedAt = (name: string) =>
      live(kind, name).spec.template.metadata!.annotations!['kubectl.kubernetes.io/restartedAt'];
    expect(restartedAt('by-kubectl')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(restartedAt('by-adapter')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const withoutStamp = (name: string) => {
      const copy = anonymous(kind, name);
      delete copy.spec.template.metadata!.annotations!['kubectl.kubernetes.io/restartedAt'];
      return copy;
    };
    expect(withoutStamp('by-adapter')).toEqual(withoutStamp('by-kubectl'));
  });

  it('rollout status prints the same message at every step of a rollout', async () => {
    // Prepare
    await twins(kind, make, []);
    await setImage(apps, kind, 'by-adapter', images[0]);
    const seen: Array<[string, string]> = [];

    // Act
    for (let second = 0; second < 120; second++) {
      await k.sandbox.settle();
      const kubectl = await k.run([
        'rollout',
        'status',
        `${RESOURCE[kind]}/by-adapter`,
        '-n',
        NS,
        '--watch=false',
      ]);
      const adapter = await kube.rollouts.rolloutStatus(target(kind, 'by-adapter'));
      seen.push([kubectl.stdout || kubectl.stderr, `${adapter.message}\n`]);
      if (adapter.done) break;
      k.sandbox.clock.advance(1000);
    }

    // Assess
    expect(seen.length).toBeGreaterThan(1);
    for (const [kubectl, adapter] of seen) expect(adapter).toBe(kubectl);
  });
});

describe('Deployment specifics', () => {
  it('refuses to restart a paused Deployment in kubectl`s words', async () => {
    // Prepare
    k.sandbox.apply([deployment('paused-api', { paused: true })]);

    // Act
    const kubectl = await k.run(['rollout', 'restart', 'deployment/paused-api', '-n', NS]);
    const adapter = await kube.rollouts
      .rolloutRestart(target('Deployment', 'paused-api'), new Date())
      .catch((error: Error) => error);

    // Assess
    expect(kubectl.code).toBe(1);
    expect(kubectl.stderr).toBe(`error: deployments.apps "paused-api" ${(adapter as Error).message}\n`);
  });

  it('reports the progress deadline as kubectl does', async () => {
    // Prepare
    k.sandbox.apply([
      deployment('alldata-api', {
        progressDeadlineSeconds: 30,
        behavior: { app: { mode: 'crash', runSeconds: 2 } },
      }),
    ]);
    await rollOut(target('Deployment', 'alldata-api'));

    // Act
    const kubectl = await k.run(['rollout', 'status', 'deployment/alldata-api', '-n', NS, '--watch=false']);
    const adapter = await kube.rollouts.rolloutStatus(target('Deployment', 'alldata-api'));

    // Assess
    expect(adapter.failed).toBe(true);
    expect(kubectl.code).toBe(1);
    expect(kubectl.stderr).toBe(`error: ${adapter.message}\n`);
  });

  it('orders a pod`s events as kubectl events --for does', async () => {
    // Prepare
    k.sandbox.apply([
      deployment('alldata-api', { replicas: 1, behavior: { app: { mode: 'crash', runSeconds: 2 } } }),
    ]);
    for (let second = 0; second < 60; second++) {
      k.sandbox.clock.advance(1000);
      await k.sandbox.settle();
    }
    const [pod] = await kube.workloads.listPods(NS, { matchLabels: { app: 'alldata-api' } });
    const name = pod.metadata!.name!;

    // Act
    const kubectl = JSON.parse(await k.ok(['events', '-n', NS, '--for', `pod/${name}`, '-o', 'json'])) as {
      items: Array<{ metadata: { uid: string } }>;
    };
    const adapter = await kube.events.listEvents(NS, [{ kind: 'Pod', name }]);

    // Assess
    expect(adapter.length).toBeGreaterThan(3);
    expect(adapter.map((e) => e.metadata.uid)).toEqual(kubectl.items.map((e) => e.metadata.uid));
  });
});
