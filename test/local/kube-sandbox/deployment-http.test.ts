import { AppsV1Api, CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { Sandbox } from '../../../local/kube-sandbox/sandbox';
import { apiError, kubeConfigFor } from '../../support/kube';
import { deploymentManifest } from '../../support/manifests';
import { elapse, manualSandbox } from '../../support/sandbox';

/*
 * The Deployment and ReplicaSet controllers driven over HTTP by @kubernetes/client-node, the
 * client the project's Lambdas use: the calls `rollout restart`, `rollout status`, `rollout undo`
 * and `scale` boil down to.
 */

let sandbox: Sandbox;
let apps: AppsV1Api;
let core: CoreV1Api;

beforeEach(async () => {
  sandbox = await manualSandbox();
  const kc = kubeConfigFor(sandbox);
  apps = kc.makeApiClient(AppsV1Api);
  core = kc.makeApiClient(CoreV1Api);
});

afterEach(async () => {
  expect(sandbox.controllerErrors).toEqual([]);
  await sandbox.stop();
});

const namespace = 'default';

async function rolledOut(name: string): Promise<boolean> {
  // kubectl rollout status's rules for a Deployment.
  const d = await apps.readNamespacedDeployment({ name, namespace });
  const s = d.status ?? {};
  const spec = d.spec!.replicas ?? 1;
  return (
    (d.metadata!.generation ?? 0) <= (s.observedGeneration ?? 0) &&
    (s.updatedReplicas ?? 0) >= spec &&
    (s.replicas ?? 0) <= (s.updatedReplicas ?? 0) &&
    (s.availableReplicas ?? 0) >= (s.updatedReplicas ?? 0)
  );
}

describe('Deployments over HTTP', () => {
  it('creates, restarts with a strategic merge patch, and reports the new revision', async () => {
    // Prepare
    await apps.createNamespacedDeployment({
      namespace,
      body: deploymentManifest('web', { replicas: 2 }) as never,
    });
    await elapse(sandbox, 20_000);
    const before = await apps.readNamespacedDeployment({ name: 'web', namespace });

    // Act: the patch `kubectl rollout restart` sends.
    await apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace,
        body: {
          spec: {
            template: {
              metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-03-01T12:00:20Z' } },
            },
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    await elapse(sandbox, 60_000);

    // Assess
    expect(before.metadata!.annotations).toEqual({ 'deployment.kubernetes.io/revision': '1' });
    expect(await rolledOut('web')).toBe(true);
    const after = await apps.readNamespacedDeployment({ name: 'web', namespace });
    expect(after.metadata!.annotations).toEqual({ 'deployment.kubernetes.io/revision': '2' });
    expect(after.status!.observedGeneration).toBe(2);
    const conditions = Object.fromEntries(after.status!.conditions!.map((c) => [c.type, c.reason]));
    expect(conditions).toEqual({
      Available: 'MinimumReplicasAvailable',
      Progressing: 'NewReplicaSetAvailable',
    });
    const rss = await apps.listNamespacedReplicaSet({ namespace, labelSelector: 'app=web' });
    const revisions = rss.items
      .map((rs) => [rs.metadata!.annotations!['deployment.kubernetes.io/revision'], rs.spec!.replicas])
      .sort();
    expect(revisions).toEqual([
      ['1', 0],
      ['2', 2],
    ]);
    const events = await core.listNamespacedEvent({
      namespace,
      fieldSelector: 'involvedObject.kind=Deployment,involvedObject.name=web',
    });
    expect(events.items.every((e) => e.source?.component === 'deployment-controller')).toBe(true);
    expect(events.items.map((e) => e.message)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^Scaled down replica set web-\w+ from 1 to 0$/)]),
    );
  });

  it('scales through the scale subresource', async () => {
    // Prepare
    await apps.createNamespacedDeployment({
      namespace,
      body: deploymentManifest('web', { replicas: 1 }) as never,
    });
    await elapse(sandbox, 20_000);

    // Act
    await apps.patchNamespacedDeploymentScale(
      { name: 'web', namespace, body: { spec: { replicas: 4 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await elapse(sandbox, 20_000);

    // Assess
    const scale = await apps.readNamespacedDeploymentScale({ name: 'web', namespace });
    expect(scale.spec!.replicas).toBe(4);
    expect(scale.status!.replicas).toBe(4);
    const d = await apps.readNamespacedDeployment({ name: 'web', namespace });
    expect(d.status).toMatchObject({
      replicas: 4,
      updatedReplicas: 4,
      readyReplicas: 4,
      availableReplicas: 4,
    });
    const pods = await core.listNamespacedPod({ namespace, labelSelector: 'app=web' });
    expect(pods.items.filter((p) => p.status?.phase === 'Running')).toHaveLength(4);
  });

  it('rolls back with the JSON patch `kubectl rollout undo` sends', async () => {
    // Prepare
    await apps.createNamespacedDeployment({
      namespace,
      body: deploymentManifest('web', { replicas: 1 }) as never,
    });
    await elapse(sandbox, 20_000);
    await apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace,
        body: { spec: { template: { spec: { containers: [{ name: 'app', image: 'nginx:1.28' }] } } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    await elapse(sandbox, 30_000);
    const rss = await apps.listNamespacedReplicaSet({ namespace, labelSelector: 'app=web' });
    const first = rss.items.find(
      (rs) => rs.metadata!.annotations!['deployment.kubernetes.io/revision'] === '1',
    )!;
    const template = structuredClone(first.spec!.template!);
    delete template.metadata!.labels!['pod-template-hash'];

    // Act
    await apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace,
        body: [
          { op: 'replace', path: '/spec/template', value: template },
          {
            op: 'replace',
            path: '/metadata/annotations',
            value: { 'deployment.kubernetes.io/revision': '2' },
          },
        ],
      },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    await elapse(sandbox, 30_000);

    // Assess
    expect(await rolledOut('web')).toBe(true);
    const back = await apps.readNamespacedReplicaSet({ name: first.metadata!.name!, namespace });
    expect(back.metadata!.annotations).toMatchObject({
      'deployment.kubernetes.io/revision': '3',
      'deployment.kubernetes.io/revision-history': '1',
    });
    expect(back.spec!.replicas).toBe(1);
    const d = await apps.readNamespacedDeployment({ name: 'web', namespace });
    expect(d.metadata!.annotations!['deployment.kubernetes.io/revision']).toBe('3');
    expect(d.spec!.template.spec!.containers[0].image).toBe('nginx:1.27');
  });

  it('answers 422 with the API server message for a selector that misses the template', async () => {
    // Prepare
    const manifest = deploymentManifest('web');
    manifest.spec!.selector = { matchLabels: { app: 'other' } };

    // Act
    const { code, status } = await apiError(
      apps.createNamespacedDeployment({ namespace, body: manifest as never }),
    );

    // Assess
    expect(code).toBe(422);
    expect(status).toMatchObject({
      reason: 'Invalid',
      message:
        'Deployment.apps "web" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
    });
  });
});
