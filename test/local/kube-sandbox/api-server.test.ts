import {
  AppsV1Api,
  CoreV1Api,
  EventsV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  VersionApi,
  Watch,
  setHeaderOptions,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { types } from '../../../local/kube-sandbox/runtime';
import type { KubeObject } from '../../../local/kube-sandbox/store';
import { startSandbox, type Sandbox } from '../../../local/kube-sandbox/sandbox';
import { apiError, kubeConfigFor } from '../../support/kube';

// The HTTP API alone: controllers are off so every object stays exactly as written.
let sandbox: Sandbox;

beforeEach(async () => {
  sandbox = await startSandbox({ controllers: false, clock: { mode: 'manual' } });
  sandbox.apply([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } }]);
});

afterEach(async () => {
  await sandbox.stop();
});

const podTemplate = {
  metadata: { labels: { app: 'web' } },
  spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
};

/** One valid object of every resource type the sandbox serves. */
function samples(): KubernetesObject[] {
  const ns = 'team';
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'extra' } },
    { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-x' }, spec: {} } as KubernetesObject,
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p1', namespace: ns, labels: { app: 'web' } },
      spec: podTemplate.spec,
    } as KubernetesObject,
    {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'p1.1', namespace: ns },
      involvedObject: { kind: 'Pod', name: 'p1', namespace: ns },
      reason: 'Tested',
      message: 'core event',
      type: 'Normal',
    } as KubernetesObject,
    {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: 'p1.2', namespace: ns },
      eventTime: '2026-01-01T00:00:00.000000Z',
      reportingController: 'test',
      reportingInstance: 'test-1',
      action: 'Testing',
      regarding: { kind: 'Pod', name: 'p1', namespace: ns },
      reason: 'Tested',
      note: 'events.k8s.io event',
      type: 'Normal',
    } as KubernetesObject,
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: ns },
      spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
    } as KubernetesObject,
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cfg', namespace: ns },
      data: { a: '1' },
    } as KubernetesObject,
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'sec', namespace: ns },
      stringData: { pw: 'x' },
    } as KubernetesObject,
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: ns },
      spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: podTemplate },
    } as KubernetesObject,
    {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'web-rs', namespace: ns },
      spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: podTemplate },
    } as KubernetesObject,
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db', namespace: ns },
      spec: {
        serviceName: 'db',
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        template: podTemplate,
      },
    } as KubernetesObject,
    {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'agent', namespace: ns },
      spec: { selector: { matchLabels: { app: 'web' } }, template: podTemplate },
    } as KubernetesObject,
    {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: { name: 'db-1', namespace: ns },
      revision: 1,
      data: {},
    } as KubernetesObject,
    {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'once', namespace: ns },
      spec: { template: { spec: { ...podTemplate.spec, restartPolicy: 'Never' } } },
    } as KubernetesObject,
    {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'nightly', namespace: ns },
      spec: {
        schedule: '0 2 * * *',
        jobTemplate: { spec: { template: { spec: { ...podTemplate.spec, restartPolicy: 'OnFailure' } } } },
      },
    } as KubernetesObject,
    {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'lock', namespace: ns },
      spec: { holderIdentity: 'me', leaseDurationSeconds: 30 },
    } as KubernetesObject,
  ];
}

describe('discovery', () => {
  test('serves /version and the group/version resource lists kubectl and client-node use', async () => {
    // Prepare
    const kc = kubeConfigFor(sandbox);

    // Act
    const version = await kc.makeApiClient(VersionApi).getCode();
    const apps = (await (await fetch(`${sandbox.url}/apis/apps/v1`)).json()) as {
      resources: Array<{ name: string }>;
    };
    const groups = (await (await fetch(`${sandbox.url}/apis`)).json()) as { groups: Array<{ name: string }> };

    // Assess
    expect(version.major).toBe('1');
    expect(version.gitVersion).toMatch(/^v1\.32\./);
    expect(apps.resources.map((r: { name: string }) => r.name)).toEqual(
      expect.arrayContaining([
        'deployments',
        'deployments/scale',
        'deployments/status',
        'statefulsets',
        'daemonsets',
      ]),
    );
    expect(groups.groups.map((g: { name: string }) => g.name)).toEqual(
      expect.arrayContaining(['apps', 'batch', 'events.k8s.io', 'coordination.k8s.io']),
    );
  });
});

describe('every resource type through the generic client', () => {
  test.each(samples().map((s) => [`${s.apiVersion} ${s.kind}`, s] as const))(
    '%s: create, read, list, replace, patch, delete',
    async (_label, sample) => {
      // Prepare
      const client = KubernetesObjectApi.makeApiClient(kubeConfigFor(sandbox));
      const namespace = sample.metadata?.namespace;

      // Act
      const created = await client.create(sample);
      const read = await client.read({
        apiVersion: sample.apiVersion!,
        kind: sample.kind!,
        metadata: { name: sample.metadata!.name!, namespace },
      });
      const listed = await client.list(sample.apiVersion!, sample.kind!, namespace);
      const replaced = await client.replace({
        ...read,
        metadata: { ...read.metadata, labels: { ...read.metadata?.labels, replaced: 'yes' } },
      });
      const patched: KubernetesObject = await client.patch(
        {
          apiVersion: sample.apiVersion,
          kind: sample.kind,
          metadata: { name: sample.metadata!.name, namespace, annotations: { patched: 'yes' } },
        },
        undefined,
        undefined,
        undefined,
        undefined,
        PatchStrategy.MergePatch,
      );
      await client.delete({
        apiVersion: sample.apiVersion,
        kind: sample.kind,
        metadata: { name: sample.metadata!.name, namespace },
      });

      // Assess
      expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
      expect(created.metadata?.creationTimestamp).toBeDefined();
      expect(read.metadata?.uid).toBe(created.metadata?.uid);
      expect(listed.items.map((i) => i.metadata?.name)).toContain(sample.metadata!.name);
      expect(Number(replaced.metadata?.resourceVersion)).toBeGreaterThan(
        Number(created.metadata?.resourceVersion),
      );
      expect(replaced.metadata?.labels?.replaced).toBe('yes');
      expect(patched.metadata?.annotations?.patched).toBe('yes');
      expect(patched.metadata?.labels?.replaced).toBe('yes');
      const storageKey =
        sample.apiVersion === 'events.k8s.io/v1'
          ? 'events'
          : Object.keys(types).find(
              (k) => types[k].kind === sample.kind && sample.apiVersion!.endsWith(types[k].version),
            )!;
      const gone = sandbox.store.list(types[storageKey]);
      // Namespaces and bound pods are removed asynchronously (finalizers, kubelet); the rest at once.
      if (sample.kind !== 'Namespace') {
        expect(gone.map((o) => o.metadata.name)).not.toContain(sample.metadata!.name);
      }
    },
  );

  test('events written as events.k8s.io/v1 read back as core/v1 and the reverse', async () => {
    // Prepare
    const kc = kubeConfigFor(sandbox);
    const core = kc.makeApiClient(CoreV1Api);
    const events = kc.makeApiClient(EventsV1Api);
    const v1Sample = samples().find((s) => s.apiVersion === 'events.k8s.io/v1')!;

    // Act
    await events.createNamespacedEvent({ namespace: 'team', body: v1Sample as never });
    const asCore = await core.readNamespacedEvent({ namespace: 'team', name: 'p1.2' });
    const asV1 = await events.readNamespacedEvent({ namespace: 'team', name: 'p1.2' });

    // Assess
    expect(asCore.involvedObject.name).toBe('p1');
    expect(asCore.message).toBe('events.k8s.io event');
    expect(asCore.reportingComponent).toBe('test');
    expect(asV1.regarding?.name).toBe('p1');
    expect(asV1.note).toBe('events.k8s.io event');
  });
});

describe('errors come back as metav1.Status with the real codes', () => {
  test('404 NotFound for a missing object and for an unknown resource', async () => {
    // Prepare
    const core = kubeConfigFor(sandbox).makeApiClient(CoreV1Api);

    // Act
    const missing = await apiError(core.readNamespacedConfigMap({ namespace: 'team', name: 'nope' }));
    const unknown = await fetch(`${sandbox.url}/api/v1/namespaces/team/widgets`);

    // Assess
    expect(missing.code).toBe(404);
    expect(missing.status).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'NotFound',
      message: 'configmaps "nope" not found',
      details: { name: 'nope', kind: 'configmaps' },
      code: 404,
    });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ reason: 'NotFound', code: 404 });
  });

  test('409 AlreadyExists on a duplicate create, 409 Conflict on a stale resourceVersion', async () => {
    // Prepare
    const core = kubeConfigFor(sandbox).makeApiClient(CoreV1Api);
    const body = { metadata: { name: 'cfg' }, data: { a: '1' } };
    const first = await core.createNamespacedConfigMap({ namespace: 'team', body });
    await core.replaceNamespacedConfigMap({
      namespace: 'team',
      name: 'cfg',
      body: { ...first, data: { a: '2' } },
    });

    // Act
    const duplicate = await apiError(core.createNamespacedConfigMap({ namespace: 'team', body }));
    const stale = await apiError(
      core.replaceNamespacedConfigMap({
        namespace: 'team',
        name: 'cfg',
        body: { ...first, data: { a: '3' } },
      }),
    );

    // Assess
    expect(duplicate.code).toBe(409);
    expect(duplicate.status).toMatchObject({
      reason: 'AlreadyExists',
      message: 'configmaps "cfg" already exists',
    });
    expect(stale.code).toBe(409);
    expect(stale.status).toMatchObject({
      reason: 'Conflict',
      message:
        'Operation cannot be fulfilled on configmaps "cfg": the object has been modified; please apply your changes to the latest version and try again',
    });
    expect(sandbox.store.get(types.configmaps, 'team', 'cfg')?.data).toEqual({
      a: '2',
    });
  });

  test('422 Invalid names the bad field', async () => {
    // Prepare
    const core = kubeConfigFor(sandbox).makeApiClient(CoreV1Api);

    // Act
    const bad = await apiError(core.createNamespace({ body: { metadata: { name: 'Not_A_Label' } } }));
    const nameless = await apiError(
      core.createNamespacedConfigMap({ namespace: 'team', body: { metadata: {} } }),
    );

    // Assess
    expect(bad.code).toBe(422);
    expect(bad.status).toMatchObject({
      reason: 'Invalid',
      details: { causes: [{ field: 'metadata.name' }] },
    });
    expect(nameless.code).toBe(422);
    expect(nameless.status.message).toContain(
      'metadata.name: Required value: name or generateName is required',
    );
  });

  test('400 BadRequest for malformed JSON, a bad label selector, an unsupported field selector', async () => {
    // Prepare
    const core = kubeConfigFor(sandbox).makeApiClient(CoreV1Api);

    // Act
    const malformed = await fetch(`${sandbox.url}/api/v1/namespaces/team/configmaps`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"metadata": {"name": "x"',
    });
    const badLabels = await apiError(
      core.listNamespacedPod({ namespace: 'team', labelSelector: 'app in (web' }),
    );
    const badField = await apiError(
      core.listNamespacedPod({ namespace: 'team', fieldSelector: 'spec.color=blue' }),
    );

    // Assess
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ kind: 'Status', reason: 'BadRequest', code: 400 });
    expect(badLabels.code).toBe(400);
    expect(badLabels.status.message).toContain('unable to parse requirement');
    expect(badField.code).toBe(400);
    expect(badField.status.message).toBe('field label not supported: spec.color');
  });

  test('415 for an unknown patch type, 422 for a JSON patch that does not apply', async () => {
    // Prepare
    await kubeConfigFor(sandbox)
      .makeApiClient(CoreV1Api)
      .createNamespacedConfigMap({
        namespace: 'team',
        body: { metadata: { name: 'cfg' }, data: { a: '1' } },
      });
    const url = `${sandbox.url}/api/v1/namespaces/team/configmaps/cfg`;

    // Act
    const wrongType = await fetch(url, {
      method: 'PATCH',
      headers: { 'Content-Type': 'text/plain' },
      body: '{}',
    });
    const notApplicable = await fetch(url, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json-patch+json' },
      body: JSON.stringify([{ op: 'replace', path: '/data/missing/deep', value: 'x' }]),
    });
    const notAList = await fetch(url, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json-patch+json' },
      body: '{"data":{}}',
    });

    // Assess
    expect(wrongType.status).toBe(415);
    expect(await wrongType.json()).toMatchObject({ reason: 'UnsupportedMediaType', code: 415 });
    expect(notApplicable.status).toBe(422);
    expect(await notApplicable.json()).toMatchObject({ reason: 'Invalid', code: 422 });
    expect(notAList.status).toBe(400);
  });

  test('413 for a body over the API server limit', async () => {
    // Act
    const response = await fetch(`${sandbox.url}/api/v1/namespaces/team/configmaps`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ metadata: { name: 'big' }, data: { blob: 'x'.repeat(4 * 1024 * 1024) } }),
    });

    // Assess
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ reason: 'RequestEntityTooLarge' });
  });

  test('401 for a missing or wrong bearer token when the sandbox requires one', async () => {
    // Prepare
    const guarded = await startSandbox({ controllers: false, token: 'sekrit-token' });
    try {
      // Act
      const none = await fetch(`${guarded.url}/api/v1/namespaces`);
      const wrong = await fetch(`${guarded.url}/api/v1/namespaces`, {
        headers: { Authorization: 'Bearer nope' },
      });
      const right = await kubeConfigFor(guarded).makeApiClient(CoreV1Api).listNamespace();

      // Assess
      expect(none.status).toBe(401);
      expect(await none.json()).toMatchObject({ reason: 'Unauthorized', code: 401 });
      expect(wrong.status).toBe(401);
      expect(right.items.length).toBeGreaterThan(0);
    } finally {
      await guarded.stop();
    }
  });
});

describe('list', () => {
  beforeEach(() => {
    sandbox.apply(
      Array.from({ length: 7 }, (_, i) => ({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `p${i}`, namespace: 'team', labels: { app: i % 2 ? 'odd' : 'even', tier: 'web' } },
        spec: { ...podTemplate.spec, nodeName: i < 3 ? 'node-a' : 'node-b' },
        status: { phase: i === 0 ? 'Failed' : 'Running' },
      })),
    );
  });

  test('label selectors: equality, set-based, existence', async () => {
    // Prepare
    const core = kubeConfigFor(sandbox).makeApiClient(CoreV1Api);
    const names = async (labelSelector: string): Promise<string[]> =>
      (await core.listNamespacedPod({ namespace: 'team', labelSelector })).items.map(
        (p) => p.metadata!.name!,
      );

    // Act + Assess
    expect(await names('app=odd')).toEqual(['p1', 'p3', 'p5']);
    expect(await names('app!=odd,tier==web')).toEqual(['p0', 'p2', 'p4', 'p6']);
    expect(await names('app in (odd, even)')).toHaveLength(7);
    expect(await names('app notin (even)')).toEqual(['p1', 'p3', 'p5']);
    expect(await names('tier,!missing')).toHaveLength(7);
    expect(await names('missing')).toEqual([]);
  });

  test('field selectors: status.phase, spec.nodeName, metadata.name', async () => {
    // Prepare
    const core = kubeConfigFor(sandbox).makeApiClient(CoreV1Api);
    const names = async (fieldSelector: string): Promise<string[]> =>
      (await core.listNamespacedPod({ namespace: 'team', fieldSelector })).items.map(
        (p) => p.metadata!.name!,
      );

    // Act + Assess
    expect(await names('status.phase=Failed')).toEqual(['p0']);
    expect(await names('status.phase!=Failed,spec.nodeName=node-a')).toEqual(['p1', 'p2']);
    expect(await names('metadata.name=p6')).toEqual(['p6']);
  });

  test('events filter by involvedObject.* (core) and regarding.* (events.k8s.io)', async () => {
    // Prepare
    const kc = kubeConfigFor(sandbox);
    const pod = sandbox.store.get(types.pods, 'team', 'p1')!;
    sandbox.events.record({ ...pod, apiVersion: 'v1', kind: 'Pod' }, 'Warning', 'BackOff', 'Back-off', {
      component: 'kubelet',
    });
    sandbox.events.record(
      { ...pod, apiVersion: 'v1', kind: 'Pod', metadata: { ...pod.metadata, name: 'p2', uid: 'u2' } },
      'Normal',
      'Pulled',
      'ok',
      {
        component: 'kubelet',
      },
    );

    // Act
    const core = await kc.makeApiClient(CoreV1Api).listNamespacedEvent({
      namespace: 'team',
      fieldSelector: 'involvedObject.name=p1,involvedObject.kind=Pod',
    });
    const v1 = await kc
      .makeApiClient(EventsV1Api)
      .listNamespacedEvent({ namespace: 'team', fieldSelector: 'regarding.name=p2,type=Normal' });
    const rejected = await apiError(
      kc
        .makeApiClient(EventsV1Api)
        .listNamespacedEvent({ namespace: 'team', fieldSelector: 'involvedObject.name=p2' }),
    );

    // Assess
    expect(core.items.map((e) => e.reason)).toEqual(['BackOff']);
    expect(v1.items.map((e) => e.reason)).toEqual(['Pulled']);
    expect(rejected.code).toBe(400);
  });

  test('limit/continue pages through every object once, with remainingItemCount', async () => {
    // Prepare
    const core = kubeConfigFor(sandbox).makeApiClient(CoreV1Api);
    const seen: string[] = [];
    const remaining: Array<number | undefined> = [];
    let token: string | undefined;

    // Act
    do {
      const page = await core.listNamespacedPod({ namespace: 'team', limit: 3, _continue: token });
      seen.push(...page.items.map((p) => p.metadata!.name!));
      remaining.push(page.metadata?.remainingItemCount);
      token = page.metadata?._continue;
    } while (token);

    // Assess
    expect(seen).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
    expect(remaining).toEqual([4, 1, undefined]);
  });

  test('a malformed continue token is 400, an expired one 410', async () => {
    // Prepare
    const core = kubeConfigFor(sandbox).makeApiClient(CoreV1Api);
    const expired = Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: -5, start: 'team/p1' })).toString(
      'base64url',
    );

    // Act
    const malformed = await apiError(
      core.listNamespacedPod({ namespace: 'team', limit: 2, _continue: '%%%' }),
    );
    const old = await apiError(core.listNamespacedPod({ namespace: 'team', limit: 2, _continue: expired }));

    // Assess
    expect(malformed.code).toBe(400);
    expect(old.code).toBe(410);
    expect(old.status).toMatchObject({ reason: 'Expired' });
  });

  test('a list across namespaces returns namespaced objects of every namespace', async () => {
    // Prepare
    sandbox.apply([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'default' } }]);
    sandbox.apply([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'y', namespace: 'team' } }]);

    // Act
    const all = await kubeConfigFor(sandbox).makeApiClient(CoreV1Api).listConfigMapForAllNamespaces();

    // Assess
    expect(all.items.map((c) => `${c.metadata!.namespace}/${c.metadata!.name}`)).toEqual([
      'default/x',
      'team/y',
    ]);
  });
});

describe('patch', () => {
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'team' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'web:1',
              env: [
                { name: 'A', value: '1' },
                { name: 'B', value: '2' },
              ],
            },
            { name: 'sidecar', image: 'proxy:1' },
          ],
        },
      },
    },
  };

  test('strategic merge patches merge containers and env by name and honour $patch: delete', async () => {
    // Prepare
    sandbox.apply([deployment]);
    const apps = kubeConfigFor(sandbox).makeApiClient(AppsV1Api);

    // Act
    const patched = await apps.patchNamespacedDeployment(
      {
        namespace: 'team',
        name: 'web',
        body: {
          spec: {
            template: {
              metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-01-01T00:00:00Z' } },
              spec: {
                containers: [
                  {
                    name: 'app',
                    image: 'web:2',
                    env: [
                      { name: 'B', value: '3' },
                      { name: 'A', $patch: 'delete' },
                    ],
                  },
                ],
              },
            },
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );

    // Assess
    const containers = patched.spec!.template.spec!.containers;
    expect(containers.map((c) => `${c.name}=${c.image}`)).toEqual(['app=web:2', 'sidecar=proxy:1']);
    expect(containers[0].env).toEqual([{ name: 'B', value: '3' }]);
    expect(patched.spec!.template.metadata!.annotations).toEqual({
      'kubectl.kubernetes.io/restartedAt': '2026-01-01T00:00:00Z',
    });
    expect(patched.metadata!.generation).toBe(2);
  });

  test('JSON merge patches replace lists and delete with null; JSON patches apply operations', async () => {
    // Prepare
    sandbox.apply([deployment]);
    const apps = kubeConfigFor(sandbox).makeApiClient(AppsV1Api);

    // Act
    const merged = await apps.patchNamespacedDeployment(
      {
        namespace: 'team',
        name: 'web',
        body: {
          metadata: { labels: { team: 'a' } },
          spec: { template: { spec: { containers: [{ name: 'only', image: 'x:1' }] } } },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const jsonPatched = await apps.patchNamespacedDeployment(
      {
        namespace: 'team',
        name: 'web',
        body: [
          { op: 'replace', path: '/spec/replicas', value: 4 },
          { op: 'remove', path: '/metadata/labels/team' },
        ],
      },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );

    // Assess
    expect(merged.spec!.template.spec!.containers.map((c) => c.name)).toEqual(['only']);
    expect(merged.metadata!.labels).toEqual({ team: 'a' });
    expect(jsonPatched.spec!.replicas).toBe(4);
    expect(jsonPatched.metadata!.labels ?? {}).toEqual({});
  });
});

describe('subresources', () => {
  test('status writes change only status; object writes keep status', async () => {
    // Prepare
    const [created] = sandbox.apply([{ ...samplesByKind('Deployment'), status: { replicas: 7 } }]);
    const apps = kubeConfigFor(sandbox).makeApiClient(AppsV1Api);

    // Act
    const statusWrite = await apps.replaceNamespacedDeploymentStatus({
      namespace: 'team',
      name: 'web',
      body: {
        ...(created as never as object),
        spec: { ...(created.spec as object), replicas: 9 },
        status: { replicas: 3 },
      } as never,
    });
    const objectWrite = await apps.replaceNamespacedDeployment({
      namespace: 'team',
      name: 'web',
      body: { ...(statusWrite as object), status: { replicas: 100 } } as never,
    });

    // Assess
    expect(statusWrite.spec!.replicas).toBe(2);
    expect(statusWrite.status!.replicas).toBe(3);
    expect(objectWrite.status!.replicas).toBe(3);
  });

  test('scale reads and patches spec.replicas and rejects a negative count', async () => {
    // Prepare
    sandbox.apply([samplesByKind('Deployment')]);
    const apps = kubeConfigFor(sandbox).makeApiClient(AppsV1Api);

    // Act
    const scale = await apps.readNamespacedDeploymentScale({ namespace: 'team', name: 'web' });
    const scaled = await apps.patchNamespacedDeploymentScale(
      { namespace: 'team', name: 'web', body: { spec: { replicas: 5 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const negative = await apiError(
      apps.patchNamespacedDeploymentScale(
        { namespace: 'team', name: 'web', body: { spec: { replicas: -1 } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    );

    // Assess
    expect(scale).toMatchObject({ kind: 'Scale', spec: { replicas: 2 }, status: { selector: 'app=web' } });
    expect(scaled.spec!.replicas).toBe(5);
    expect((await apps.readNamespacedDeployment({ namespace: 'team', name: 'web' })).spec!.replicas).toBe(5);
    expect(negative.code).toBe(422);
  });

  test('log: container, previous, tailLines, timestamps, limitBytes and their errors', async () => {
    // Prepare
    const [created] = sandbox.apply([
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'crashy', namespace: 'team' },
        spec: {
          containers: [
            { name: 'app', image: 'a:1' },
            { name: 'side', image: 's:1' },
          ],
        },
      },
    ]);
    // Status as the kubelet writes it (the API server resets the status of a new pod).
    const pod = sandbox.store.update(types.pods, {
      ...created,
      status: {
        containerStatuses: [
          {
            name: 'app',
            restartCount: 1,
            lastState: { terminated: { exitCode: 1 } },
            state: { running: {} },
          },
          { name: 'side', restartCount: 0, state: { running: {} } },
        ],
      },
    });
    const at = sandbox.clock.now();
    sandbox.logs.append(pod.metadata.uid!, 'app', 0, [
      { at, text: 'booting' },
      { at, text: "Can't connect to MySQL server" },
    ]);
    sandbox.logs.append(
      pod.metadata.uid!,
      'app',
      1,
      [1, 2, 3, 4].map((n) => ({ at, text: `line ${n}` })),
    );
    const core = kubeConfigFor(sandbox).makeApiClient(CoreV1Api);

    // Act
    const current = await core.readNamespacedPodLog({
      namespace: 'team',
      name: 'crashy',
      container: 'app',
      tailLines: 2,
    });
    const previous = await core.readNamespacedPodLog({
      namespace: 'team',
      name: 'crashy',
      container: 'app',
      previous: true,
    });
    const stamped = await core.readNamespacedPodLog({
      namespace: 'team',
      name: 'crashy',
      container: 'app',
      timestamps: true,
      limitBytes: 40,
    });
    const noContainer = await apiError(core.readNamespacedPodLog({ namespace: 'team', name: 'crashy' }));
    const noPrevious = await apiError(
      core.readNamespacedPodLog({ namespace: 'team', name: 'crashy', container: 'side', previous: true }),
    );

    // Assess
    expect(current).toBe('line 3\nline 4\n');
    expect(previous).toBe("booting\nCan't connect to MySQL server\n");
    expect(stamped).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z line 1\n/);
    expect(Buffer.byteLength(stamped)).toBe(40);
    expect(noContainer.code).toBe(400);
    expect(noContainer.status.message).toBe(
      'a container name must be specified for pod crashy, choose one of: [app side]',
    );
    expect(noPrevious.status.message).toBe('previous terminated container "side" in pod "crashy" not found');
  });
});

describe('watch', () => {
  test('streams ADDED, MODIFIED and DELETED, and resumes from a resourceVersion', async () => {
    // Prepare
    const kc = kubeConfigFor(sandbox);
    const core = kc.makeApiClient(CoreV1Api);
    const start = await core.listNamespacedConfigMap({ namespace: 'team' });
    const seen: string[] = [];
    const done = new Promise<void>((resolve) => {
      void new Watch(kc)
        .watch(
          '/api/v1/namespaces/team/configmaps',
          { resourceVersion: start.metadata!.resourceVersion },
          (type, obj: { metadata: { name: string } }) => {
            seen.push(`${type} ${obj.metadata.name}`);
            if (type === 'DELETED') resolve();
          },
          () => undefined,
        )
        .then((req) => done.finally(() => req.abort()));
    });

    // Act
    await core.createNamespacedConfigMap({ namespace: 'team', body: { metadata: { name: 'w' } } });
    await core.patchNamespacedConfigMap(
      { namespace: 'team', name: 'w', body: { data: { a: 'b' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await core.deleteNamespacedConfigMap({ namespace: 'team', name: 'w' });
    await done;

    // Assess
    expect(seen).toEqual(['ADDED w', 'MODIFIED w', 'DELETED w']);
  });

  test('a too-old resourceVersion gets an ERROR event with a 410 Status', async () => {
    // Act
    const response = await fetch(
      `${sandbox.url}/api/v1/namespaces/team/configmaps?watch=true&resourceVersion=-3`,
    );
    const text = await response.text();

    // Assess
    expect(response.status).toBe(200);
    expect(JSON.parse(text.trim())).toMatchObject({
      type: 'ERROR',
      object: { kind: 'Status', code: 410, reason: 'Expired' },
    });
  });
});

describe('fault injection and the request log', () => {
  test('injected 429 carries Retry-After; 500 is an InternalError; faults stop after `times`', async () => {
    // Prepare
    const core = kubeConfigFor(sandbox).makeApiClient(CoreV1Api);
    sandbox.faults.add({ verb: 'list', resource: 'pods', status: 429, times: 1 });
    sandbox.faults.add({ verb: 'get', resource: 'namespaces', status: 500, times: 1 });

    // Act
    const throttled = await fetch(`${sandbox.url}/api/v1/namespaces/team/pods`);
    const broken = await apiError(core.readNamespace({ name: 'team' }));
    const recovered = await core.listNamespacedPod({ namespace: 'team' });

    // Assess
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('1');
    expect(await throttled.json()).toMatchObject({
      reason: 'TooManyRequests',
      details: { retryAfterSeconds: 1 },
    });
    expect(broken.code).toBe(500);
    expect(broken.status).toMatchObject({ reason: 'InternalError' });
    expect(recovered.items).toEqual([]);
  });

  test('a dropped connection fails the client call without an answer', async () => {
    // Prepare
    sandbox.faults.add({ verb: 'get', resource: 'namespaces', drop: true, times: 1 });

    // Act
    const outcome = await fetch(`${sandbox.url}/api/v1/namespaces/team`).then(
      () => 'answered',
      (error: Error) => error.message,
    );

    // Assess
    expect(outcome).toBe('fetch failed');
  });

  test('dryRun=All validates and answers but writes nothing; the log counts it as a dry-run write', async () => {
    // Prepare
    const core = kubeConfigFor(sandbox).makeApiClient(CoreV1Api);
    sandbox.requests.clear();

    // Act
    await core.createNamespacedConfigMap({
      namespace: 'team',
      body: { metadata: { name: 'dry' } },
      dryRun: 'All',
    });

    // Assess
    expect(sandbox.store.get(types.configmaps, 'team', 'dry')).toBeUndefined();
    expect(sandbox.requests.writes()).toEqual([
      expect.objectContaining({
        verb: 'create',
        resource: 'configmaps',
        namespace: 'team',
        dryRun: true,
        status: 201,
      }),
    ]);
  });
});

function samplesByKind(kind: string): KubeObject {
  return samples().find((s) => s.kind === kind) as KubeObject;
}
