import { types } from '../../../local/kube-sandbox/runtime';
import type { Sandbox } from '../../../local/kube-sandbox/sandbox';
import type { KubeObject } from '../../../local/kube-sandbox/store';
import { type PodObject } from '../../support/sandbox';
import {
  controllersOnlySandbox,
  eventsAbout,
  isReady,
  markReady,
  podsOf,
  type ReplicaSetObject,
} from '../../support/sandbox-deployments';

let sandbox: Sandbox;
let stop: () => Promise<void>;

beforeEach(async () => {
  ({ sandbox, stop } = await controllersOnlySandbox());
});

afterEach(async () => {
  expect(sandbox.controllerErrors).toEqual([]);
  await stop();
});

function replicaSetManifest(name: string, replicas: number, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name, tier: 'web' }, annotations: { team: 'sre' } },
        spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
      },
      ...extra,
    },
  };
}

function getRS(name: string): ReplicaSetObject {
  return sandbox.store.mustGet(types['replicasets.apps'], 'default', name) as ReplicaSetObject;
}

function scaleRS(name: string, replicas: number): void {
  const next = structuredClone(getRS(name));
  next.spec!.replicas = replicas;
  sandbox.store.update(types['replicasets.apps'], next);
}

function orphanPod(name: string, labels: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels },
    spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
  };
}

describe('ReplicaSet controller', () => {
  it('creates pods from the template with the owner, labels and annotations', async () => {
    // Prepare
    const [rs] = sandbox.apply([replicaSetManifest('api', 2)]);

    // Act
    await sandbox.settle();

    // Assess
    const pods = podsOf(sandbox, rs);
    expect(pods).toHaveLength(2);
    for (const pod of pods) {
      expect(pod.metadata.generateName).toBe('api-');
      expect(pod.metadata.labels).toEqual({ app: 'api', tier: 'web' });
      expect(pod.metadata.annotations).toEqual({ team: 'sre' });
      expect(pod.metadata.ownerReferences).toEqual([
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: 'api',
          uid: rs.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
      expect(pod.spec!.restartPolicy).toBe('Always');
    }
    expect(getRS('api').status).toEqual({ replicas: 2, fullyLabeledReplicas: 2, observedGeneration: 1 });
  });

  it('deletes unscheduled and not-ready pods before ready ones, newest first', async () => {
    // Prepare
    sandbox.apply([replicaSetManifest('api', 2)]);
    await sandbox.settle();
    markReady(sandbox, podsOf(sandbox, getRS('api')));
    await sandbox.settle();
    sandbox.clock.advance(5_000);
    scaleRS('api', 4);
    await sandbox.settle();
    const [young] = podsOf(sandbox, getRS('api')).filter((p) => !isReady(p));
    markReady(sandbox, [young]);
    await sandbox.settle();
    const stillPending = podsOf(sandbox, getRS('api')).filter((p) => !isReady(p));

    // Act
    scaleRS('api', 2);
    await sandbox.settle();

    // Assess: the pending pod goes first, then the ready pod that became ready last.
    expect(stillPending).toHaveLength(1);
    const deleted = eventsAbout(sandbox, 'api')
      .filter((e) => e.reason === 'SuccessfulDelete')
      .map((e) => e.message);
    expect(deleted).toEqual([
      `Deleted pod: ${stillPending[0].metadata.name}`,
      `Deleted pod: ${young.metadata.name}`,
    ]);
    expect(podsOf(sandbox, getRS('api')).every(isReady)).toBe(true);
  });

  it('replaces a terminating pod at once: pods with a deletionTimestamp do not count', async () => {
    // Prepare: a pod bound to a node is deleted gracefully (the kubelet would finish it).
    sandbox.apply([replicaSetManifest('api', 1)]);
    await sandbox.settle();
    const [pod] = podsOf(sandbox, getRS('api'));
    const bound = structuredClone(pod);
    bound.spec!.nodeName = 'ip-10-0-1-20.eu-west-1.compute.internal';
    sandbox.store.update(types.pods, bound);

    // Act
    sandbox.store.delete(types.pods, 'default', pod.metadata.name!);
    await sandbox.settle();

    // Assess
    const pods = podsOf(sandbox, getRS('api'));
    expect(pods).toHaveLength(2);
    expect(pods.filter((p) => p.metadata.deletionTimestamp).map((p) => p.metadata.name)).toEqual([
      pod.metadata.name,
    ]);
    expect(getRS('api').status!.replicas).toBe(1);
  });

  it('adopts matching orphans instead of creating pods, and releases pods that stop matching', async () => {
    // Prepare
    sandbox.apply([orphanPod('stray', { app: 'api' })]);
    await sandbox.settle();

    // Act
    const [rs] = sandbox.apply([replicaSetManifest('api', 1)]);
    await sandbox.settle();
    const adopted = sandbox.store.mustGet(types.pods, 'default', 'stray') as PodObject;
    const relabelled = structuredClone(adopted);
    relabelled.metadata.labels = { app: 'other' };
    sandbox.store.update(types.pods, relabelled);
    await sandbox.settle();

    // Assess
    expect(adopted.metadata.ownerReferences).toEqual([
      expect.objectContaining({ uid: rs.metadata.uid, controller: true }),
    ]);
    expect(eventsAbout(sandbox, 'api').filter((e) => e.reason === 'SuccessfulCreate')).toHaveLength(1);
    const released = sandbox.store.mustGet(types.pods, 'default', 'stray');
    expect(released.metadata.ownerReferences).toBeUndefined();
    const owned = podsOf(sandbox, rs);
    expect(owned).toHaveLength(1);
    expect(owned[0].metadata.name).not.toBe('stray');
    // The template labels tier=web are missing on the adopted pod: not fully labelled.
    expect(adopted.metadata.labels).toEqual({ app: 'api' });
  });

  it('reports fullyLabeledReplicas only for pods carrying every template label', async () => {
    // Prepare
    sandbox.apply([orphanPod('stray', { app: 'api' })]);

    // Act
    sandbox.apply([replicaSetManifest('api', 2)]);
    await sandbox.settle();
    await sandbox.settle();

    // Assess
    expect(getRS('api').status).toMatchObject({ replicas: 2, fullyLabeledReplicas: 1 });
  });

  it('records FailedCreate and a ReplicaFailure condition when pods cannot be created', async () => {
    // Prepare: a template the pod admission rejects (stored directly: the API would refuse it too).
    const manifest = replicaSetManifest('api', 1);
    (manifest.spec as { template: { spec: { containers: unknown[] } } }).template.spec.containers = [];
    sandbox.store.create(types['replicasets.apps'], manifest);

    // Act
    await sandbox.settle();

    // Assess
    // Each attempt names the pod the API server generated, so attempts are separate events.
    const events = eventsAbout(sandbox, 'api');
    expect(events.length).toBeGreaterThan(0);
    for (const event of events) {
      expect(event).toEqual(
        expect.objectContaining({
          type: 'Warning',
          reason: 'FailedCreate',
          component: 'replicaset-controller',
          message: expect.stringMatching(
            /^Error creating: Pod "api-[a-z0-9]{5}" is invalid: spec.containers: Required value/,
          ),
        }),
      );
    }
    expect(getRS('api').status!.conditions).toEqual([
      expect.objectContaining({ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate' }),
    ]);
  });

  it('counts availability after minReadySeconds without any further change to pods', async () => {
    // Prepare
    sandbox.apply([replicaSetManifest('api', 1, { minReadySeconds: 5 })]);
    await sandbox.settle();
    markReady(sandbox, podsOf(sandbox, getRS('api')));
    await sandbox.settle();
    const before = getRS('api').status;

    // Act
    sandbox.clock.advance(6_000);
    await sandbox.settle();

    // Assess
    expect(before).toMatchObject({ readyReplicas: 1 });
    expect(before!.availableReplicas).toBeUndefined();
    expect(getRS('api').status).toMatchObject({ readyReplicas: 1, availableReplicas: 1 });
  });
});
