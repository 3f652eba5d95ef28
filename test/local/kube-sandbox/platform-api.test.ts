import { CoreV1Api, CustomObjectsApi, PolicyV1Api } from '@kubernetes/client-node';
import { KUBELET_ANNOTATION } from '../../../local/kube-sandbox/controllers/node-lifecycle';
import { types } from '../../../local/kube-sandbox/runtime';
import { startSandbox, type Sandbox } from '../../../local/kube-sandbox/sandbox';
import type { KubeObject } from '../../../local/kube-sandbox/store';
import { deployment, service } from '../../support/manifests';
import { apiError, kubeConfigFor } from '../../support/kube';
import { elapse, manualSandbox } from '../../support/sandbox';

// The platform types through @kubernetes/client-node: endpoints, claims, budgets and eviction
// (429), node heartbeats and taint eviction, and RBAC (403) with access reviews.

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
});

function budget(minAvailable: number): KubeObject {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: 'web', namespace: 'default' },
    spec: { minAvailable, selector: { matchLabels: { app: 'web' } } },
  };
}

describe('controllers of the platform types', () => {
  it('keeps Endpoints and an EndpointSlice of the ready pods, resolving a named targetPort', async () => {
    // Prepare
    const svc = service('default', 'web', 80);
    (svc.spec as { ports: Array<Record<string, unknown>> }).ports[0].targetPort = 'http';
    const web = deployment('default', 'web', { replicas: 2 });
    const container = (web.spec as { template: { spec: { containers: Array<Record<string, unknown>> } } })
      .template.spec.containers[0];
    container.ports = [{ name: 'http', containerPort: 9090 }];
    sandbox = await manualSandbox([web, svc]);
    await elapse(sandbox, 10_000);
    const core = kubeConfigFor(sandbox).makeApiClient(CoreV1Api);
    const custom = kubeConfigFor(sandbox).makeApiClient(CustomObjectsApi);

    // Act
    const endpoints = await core.readNamespacedEndpoints({ name: 'web', namespace: 'default' });
    const slices = (await custom.listNamespacedCustomObject({
      group: 'discovery.k8s.io',
      version: 'v1',
      namespace: 'default',
      plural: 'endpointslices',
      labelSelector: 'kubernetes.io/service-name=web',
    })) as { items: Array<{ endpoints: Array<{ conditions: { ready: boolean } }>; ports: unknown[] }> };

    // Assess
    expect(endpoints.subsets).toHaveLength(1);
    expect(endpoints.subsets![0].addresses).toHaveLength(2);
    expect(endpoints.subsets![0].ports).toEqual([{ name: 'http', port: 9090, protocol: 'TCP' }]);
    expect(slices.items).toHaveLength(1);
    expect(slices.items[0].endpoints.map((e) => e.conditions.ready)).toEqual([true, true]);
    expect(slices.items[0].ports).toEqual([{ name: 'http', port: 9090, protocol: 'TCP' }]);
  });

  it('puts pods that are not ready in notReadyAddresses', async () => {
    // Prepare
    sandbox = await manualSandbox([
      deployment('default', 'web', { replicas: 1, behavior: { app: { mode: 'not-ready' } } }),
      service('default', 'web', 80),
    ]);
    await elapse(sandbox, 10_000);

    // Act
    const ep = await kubeConfigFor(sandbox)
      .makeApiClient(CoreV1Api)
      .readNamespacedEndpoints({ name: 'web', namespace: 'default' });

    // Assess
    expect(ep.subsets![0].addresses).toBeUndefined();
    expect(ep.subsets![0].notReadyAddresses).toHaveLength(1);
  });

  it('provisions a default-class claim for its first pod and binds both', async () => {
    // Prepare
    const web = deployment('default', 'web', { replicas: 1 });
    (web.spec as { template: { spec: Record<string, unknown> } }).template.spec.volumes = [
      { name: 'data', persistentVolumeClaim: { claimName: 'data' } },
    ];
    sandbox = await manualSandbox([
      {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: 'data', namespace: 'default' },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } } },
      },
      web,
    ]);

    // Act
    await elapse(sandbox, 10_000);
    const core = kubeConfigFor(sandbox).makeApiClient(CoreV1Api);
    const claim = await core.readNamespacedPersistentVolumeClaim({ name: 'data', namespace: 'default' });
    const pv = await core.readPersistentVolume({ name: claim.spec!.volumeName! });

    // Assess
    expect(claim.spec!.storageClassName).toBe('gp3');
    expect(claim.status).toMatchObject({ phase: 'Bound', capacity: { storage: '5Gi' } });
    expect(pv.spec!.claimRef).toMatchObject({ name: 'data', namespace: 'default' });
    expect(pv.status!.phase).toBe('Bound');
  });

  it('leaves a pod whose claim does not exist unscheduled with the scheduler message', async () => {
    // Prepare
    sandbox = await manualSandbox([
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'orphan', namespace: 'default' },
        spec: {
          containers: [{ name: 'app', image: 'nginx:1.27' }],
          volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'missing' } }],
        },
      },
    ]);

    // Act
    await elapse(sandbox, 2_000);
    const pod = await kubeConfigFor(sandbox)
      .makeApiClient(CoreV1Api)
      .readNamespacedPod({ name: 'orphan', namespace: 'default' });

    // Assess
    expect(pod.status!.conditions!.find((c) => c.type === 'PodScheduled')!.message).toBe(
      '0/3 nodes are available: persistentvolumeclaim "missing" not found. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.',
    );
  });
});

describe('eviction', () => {
  it('answers 429 with the DisruptionBudget cause while the budget allows no disruption', async () => {
    // Prepare
    sandbox = await manualSandbox([deployment('default', 'web', { replicas: 2 }), budget(2)]);
    await elapse(sandbox, 10_000);
    const pod = sandbox.store.list(types.pods, 'default')[0];
    const core = kubeConfigFor(sandbox).makeApiClient(CoreV1Api);
    const eviction = {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: pod.metadata.name, namespace: 'default' },
    };

    // Act
    const refused = await apiError(
      core.createNamespacedPodEviction({ name: pod.metadata.name!, namespace: 'default', body: eviction }),
    );

    // Assess
    expect(refused.code).toBe(429);
    expect(refused.status).toMatchObject({
      reason: 'TooManyRequests',
      message: "Cannot evict pod as it would violate the pod's disruption budget.",
      details: {
        causes: [
          {
            reason: 'DisruptionBudget',
            message: 'The disruption budget web needs 2 healthy pods and has 2 currently',
          },
        ],
      },
    });
  });

  it('evicts when the budget allows it, recording the disruption in the budget first', async () => {
    // Prepare
    sandbox = await manualSandbox([deployment('default', 'web', { replicas: 2 }), budget(1)]);
    await elapse(sandbox, 10_000);
    const pod = sandbox.store.list(types.pods, 'default')[0];
    const core = kubeConfigFor(sandbox).makeApiClient(CoreV1Api);
    const budgetWrites: Array<Record<string, unknown>> = [];
    sandbox.store.subscribe((e) => {
      if (e.storageKey === 'poddisruptionbudgets.policy')
        budgetWrites.push(e.object.status as Record<string, unknown>);
    });

    // Act
    await core.createNamespacedPodEviction({
      name: pod.metadata.name!,
      namespace: 'default',
      body: {
        apiVersion: 'policy/v1',
        kind: 'Eviction',
        metadata: { name: pod.metadata.name, namespace: 'default' },
      },
    });
    await sandbox.settle();
    const pdb = await kubeConfigFor(sandbox)
      .makeApiClient(PolicyV1Api)
      .readNamespacedPodDisruptionBudget({ name: 'web', namespace: 'default' });
    const evicted = sandbox.store.get(types.pods, 'default', pod.metadata.name!);

    // Assess
    expect(evicted?.metadata.deletionTimestamp).toBeDefined();
    expect(
      (evicted?.status as { conditions: Array<{ type: string; reason?: string }> }).conditions.find(
        (c) => c.type === 'DisruptionTarget',
      ),
    ).toMatchObject({ reason: 'EvictionByEvictionAPI' });
    expect(budgetWrites[0]).toMatchObject({
      disruptionsAllowed: 0,
      disruptedPods: { [pod.metadata.name!]: expect.any(String) },
    });
    expect(pdb.status).toMatchObject({ disruptionsAllowed: 0, desiredHealthy: 1 });
  });
});

describe('a node whose kubelet stops', () => {
  it('turns Unknown after the grace period, is tainted unreachable, and its pods are evicted after 300 s', async () => {
    // Prepare
    sandbox = await manualSandbox([deployment('default', 'web', { replicas: 3 })]);
    await elapse(sandbox, 20_000);
    const node = sandbox.store.list(types.nodes)[0].metadata.name!;
    const victims = sandbox.store
      .list(types.pods, 'default')
      .filter((p) => (p.spec as { nodeName?: string }).nodeName === node);
    expect(sandbox.store.get(types['leases.coordination.k8s.io'], 'kube-node-lease', node)).toBeDefined();

    // Act
    sandbox.stopKubelet(node);
    await elapse(sandbox, 60_000, 5_000);
    const unknown = sandbox.store.get(types.nodes, undefined, node)!;
    await elapse(sandbox, 300_000, 10_000);

    // Assess
    expect(unknown.metadata.annotations?.[KUBELET_ANNOTATION]).toBe('stopped');
    const ready = (
      unknown.status as { conditions: Array<{ type: string; status: string; message: string }> }
    ).conditions.find((c) => c.type === 'Ready');
    expect(ready).toMatchObject({ status: 'Unknown', message: 'Kubelet stopped posting node status.' });
    expect(
      (unknown.spec as { taints: Array<{ key: string; effect: string }> }).taints.map(
        (t) => `${t.key}:${t.effect}`,
      ),
    ).toEqual(['node.kubernetes.io/unreachable:NoSchedule', 'node.kubernetes.io/unreachable:NoExecute']);
    for (const victim of victims) {
      const now = sandbox.store.get(types.pods, 'default', victim.metadata.name!);
      expect(now?.metadata.deletionTimestamp).toBeDefined();
    }
    expect(
      sandbox.store.list(types.pods, 'default').filter((p) => !p.metadata.deletionTimestamp),
    ).toHaveLength(3);
  });
});

describe('RBAC authorization', () => {
  it('answers 403 as the RBAC authorizer words it, and access reviews say why', async () => {
    // Prepare
    sandbox = await startSandbox({
      authorization: 'rbac',
      controllers: false,
      tokens: { 'alice-token': { user: 'alice', groups: ['dev'] } },
      objects: [
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: 'dev-view', namespace: 'default' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
          subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'dev' }],
        },
      ],
    });
    const kc = kubeConfigFor(sandbox);
    kc.users[0] = { ...kc.users[0], token: 'alice-token' } as (typeof kc.users)[0];
    const core = kc.makeApiClient(CoreV1Api);
    const custom = kc.makeApiClient(CustomObjectsApi);

    // Act
    const pods = await core.listNamespacedPod({ namespace: 'default' });
    const refused = await apiError(core.listNamespacedSecret({ namespace: 'default' }));
    const review = (await custom.createClusterCustomObject({
      group: 'authorization.k8s.io',
      version: 'v1',
      plural: 'selfsubjectaccessreviews',
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: { resourceAttributes: { namespace: 'default', verb: 'list', resource: 'pods' } },
      },
    })) as { status: { allowed: boolean; reason: string } };

    // Assess
    expect(pods.items).toEqual([]);
    expect(refused.code).toBe(403);
    expect(refused.status.message).toBe(
      'secrets is forbidden: User "alice" cannot list resource "secrets" in API group "" in the namespace "default"',
    );
    expect(review.status).toEqual({
      allowed: true,
      reason: 'RBAC: allowed by RoleBinding "dev-view/default" of ClusterRole "view" to Group "dev"',
    });
  });
});
