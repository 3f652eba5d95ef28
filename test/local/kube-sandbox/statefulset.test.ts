import type { ControllerRevision, StatefulSet } from 'kubernetes-types/apps/v1';
import type { Pod } from 'kubernetes-types/core/v1';
import { strategicMerge } from '../../../local/kube-sandbox/patch';
import { types } from '../../../local/kube-sandbox/runtime';
import type { Sandbox } from '../../../local/kube-sandbox/sandbox';
import type { KubeObject } from '../../../local/kube-sandbox/store';
import { statefulSetManifest } from '../../support/manifests';
import {
  elapse,
  elapseUntil,
  eventMessages,
  get,
  manualSandbox,
  podsControlledBy,
  updateObject,
} from '../../support/sandbox';

function sts(sandbox: Sandbox, name = 'web'): StatefulSet & KubeObject {
  return get(sandbox, 'statefulsets.apps', name) as StatefulSet & KubeObject;
}

function podNames(sandbox: Sandbox, name = 'web'): string[] {
  return podsControlledBy(sandbox, sts(sandbox, name).metadata.uid!)
    .map((p) => p.metadata.name!)
    .sort();
}

function revisions(sandbox: Sandbox): Array<ControllerRevision & KubeObject> {
  return (
    sandbox.store.list(types['controllerrevisions.apps'], 'default') as Array<ControllerRevision & KubeObject>
  ).sort((a, b) => a.revision - b.revision);
}

function podImage(sandbox: Sandbox, name: string): string | undefined {
  return (sandbox.store.get(types.pods, 'default', name) as Pod | undefined)?.spec?.containers[0].image;
}

function rolledOut(sandbox: Sandbox, name = 'web'): boolean {
  const s = sts(sandbox, name);
  const status = s.status!;
  return (
    status.observedGeneration === s.metadata.generation &&
    status.readyReplicas === s.spec!.replicas &&
    status.updatedReplicas === s.spec!.replicas &&
    status.currentRevision === status.updateRevision
  );
}

/** Records, in order, the pods that start terminating or disappear (once per pod uid). */
function recordDeletions(sandbox: Sandbox): string[] {
  const deleted: string[] = [];
  const seen = new Set<string>();
  sandbox.store.subscribe(({ storageKey, type, object }) => {
    if (storageKey !== 'pods' || seen.has(object.metadata.uid!)) return;
    if (type === 'DELETED' || object.metadata.deletionTimestamp) {
      seen.add(object.metadata.uid!);
      deleted.push(object.metadata.name!);
    }
  });
  return deleted;
}

describe('StatefulSet controller', () => {
  let sandbox: Sandbox;

  afterEach(async () => {
    await sandbox.stop();
    expect(sandbox.controllerErrors).toEqual([]);
  });

  it('creates pods one ordinal at a time, each after the previous one is Running and Ready', async () => {
    // Prepare
    sandbox = await manualSandbox();

    // Act
    sandbox.apply([statefulSetManifest('web')]);
    await sandbox.settle();

    // Assess
    expect(podNames(sandbox)).toEqual(['web-0']);
    expect(await elapseUntil(sandbox, () => podNames(sandbox).length === 2)).toBe(true);
    const first = sandbox.store.get(types.pods, 'default', 'web-0') as Pod & KubeObject;
    expect(first.status?.phase).toBe('Running');
    expect(first.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(await elapseUntil(sandbox, () => rolledOut(sandbox))).toBe(true);
    expect(podNames(sandbox)).toEqual(['web-0', 'web-1', 'web-2']);
    expect(eventMessages(sandbox, 'web', 'SuccessfulCreate')).toEqual([
      'SuccessfulCreate: create Pod web-0 in StatefulSet web successful',
      'SuccessfulCreate: create Pod web-1 in StatefulSet web successful',
      'SuccessfulCreate: create Pod web-2 in StatefulSet web successful',
    ]);
  });

  it('labels pods with their identity and revision and records the revision', async () => {
    // Prepare
    sandbox = await manualSandbox();

    // Act
    sandbox.apply([statefulSetManifest('web', { replicas: 2 })]);
    await elapseUntil(sandbox, () => rolledOut(sandbox));

    // Assess
    const [revision] = revisions(sandbox);
    const set = sts(sandbox);
    expect(revision.metadata.name).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(revision.revision).toBe(1);
    expect(revision.metadata.labels).toEqual({
      app: 'web',
      'controller.kubernetes.io/hash': revision.metadata.name!.slice('web-'.length),
    });
    expect(revision.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'StatefulSet', name: 'web', uid: set.metadata.uid, controller: true }),
    ]);
    const data = revision.data as { spec: { template: Record<string, unknown> } };
    expect(Object.keys(data.spec.template)[0]).toBe('$patch');
    expect(data.spec.template.$patch).toBe('replace');
    expect(data.spec.template.metadata).toEqual({ creationTimestamp: null, labels: { app: 'web' } });
    const pod = sandbox.store.get(types.pods, 'default', 'web-1') as Pod & KubeObject;
    expect(pod.metadata.labels).toEqual({
      app: 'web',
      'apps.kubernetes.io/pod-index': '1',
      'controller-revision-hash': revision.metadata.name,
      'statefulset.kubernetes.io/pod-name': 'web-1',
    });
    expect(pod.spec?.hostname).toBe('web-1');
    expect(pod.spec?.subdomain).toBe('web');
    expect(set.status).toEqual({
      observedGeneration: 1,
      replicas: 2,
      readyReplicas: 2,
      currentReplicas: 2,
      updatedReplicas: 2,
      currentRevision: revision.metadata.name,
      updateRevision: revision.metadata.name,
      collisionCount: 0,
      availableReplicas: 2,
    });
  });

  it('rolls a template change out from the highest ordinal down, one pod at a time', async () => {
    // Prepare
    sandbox = await manualSandbox([statefulSetManifest('web')]);
    await elapseUntil(sandbox, () => rolledOut(sandbox));
    const before = sts(sandbox).status!.currentRevision;
    const deleted = recordDeletions(sandbox);

    // Act
    await updateObject(sandbox, 'statefulsets.apps', 'web', (o) => {
      (o as StatefulSet & KubeObject).spec!.template.spec!.containers[0].image = 'nginx:1.28';
    });

    // Assess
    const midway = sts(sandbox).status!;
    expect(midway.updateRevision).not.toBe(before);
    expect(midway.currentRevision).toBe(before);
    expect(await elapseUntil(sandbox, () => rolledOut(sandbox))).toBe(true);
    expect(deleted).toEqual(['web-2', 'web-1', 'web-0']);
    expect(['web-0', 'web-1', 'web-2'].map((n) => podImage(sandbox, n))).toEqual([
      'nginx:1.28',
      'nginx:1.28',
      'nginx:1.28',
    ]);
    expect(revisions(sandbox).map((r) => r.revision)).toEqual([1, 2]);
    expect(sts(sandbox).status!.currentRevision).toBe(revisions(sandbox)[1].metadata.name);
    expect(eventMessages(sandbox, 'web', 'SuccessfulDelete')).toEqual([
      'SuccessfulDelete: delete Pod web-2 in StatefulSet web successful',
      'SuccessfulDelete: delete Pod web-1 in StatefulSet web successful',
      'SuccessfulDelete: delete Pod web-0 in StatefulSet web successful',
    ]);
  });

  it('updates only the ordinals at or above the partition', async () => {
    // Prepare
    sandbox = await manualSandbox([
      statefulSetManifest('web', {
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } },
      }),
    ]);
    await elapseUntil(sandbox, () => rolledOut(sandbox));
    const before = sts(sandbox).status!.currentRevision;

    // Act
    await updateObject(sandbox, 'statefulsets.apps', 'web', (o) => {
      (o as StatefulSet & KubeObject).spec!.template.spec!.containers[0].image = 'nginx:1.28';
    });
    await elapse(sandbox, 60_000);

    // Assess
    expect(['web-0', 'web-1', 'web-2'].map((n) => podImage(sandbox, n))).toEqual([
      'nginx:1.27',
      'nginx:1.27',
      'nginx:1.28',
    ]);
    const status = sts(sandbox).status!;
    expect(status.updatedReplicas).toBe(1);
    expect(status.currentReplicas).toBe(2);
    expect(status.currentRevision).toBe(before);
    expect(status.readyReplicas).toBe(3);
  });

  it('rolls back to an earlier revision the way `kubectl rollout undo` patches it', async () => {
    // Prepare
    sandbox = await manualSandbox([statefulSetManifest('web')]);
    await elapseUntil(sandbox, () => rolledOut(sandbox));
    await updateObject(sandbox, 'statefulsets.apps', 'web', (o) => {
      (o as StatefulSet & KubeObject).spec!.template.spec!.containers[0].image = 'nginx:1.28';
    });
    await elapseUntil(sandbox, () => rolledOut(sandbox));
    const [first] = revisions(sandbox);

    // Act: kubectl applies the revision's data as a strategic merge patch to the StatefulSet.
    await updateObject(sandbox, 'statefulsets.apps', 'web', (o) => {
      const patched = strategicMerge(o, structuredClone(first.data)) as KubeObject;
      o.spec = patched.spec;
    });
    await elapseUntil(sandbox, () => rolledOut(sandbox));

    // Assess
    const after = revisions(sandbox);
    expect(after.map((r) => [r.metadata.name, r.revision])).toEqual([
      [after[0].metadata.name, 2],
      [first.metadata.name, 3],
    ]);
    expect(sts(sandbox).status!.currentRevision).toBe(first.metadata.name);
    expect(['web-0', 'web-1', 'web-2'].map((n) => podImage(sandbox, n))).toEqual([
      'nginx:1.27',
      'nginx:1.27',
      'nginx:1.27',
    ]);
  });

  it('starts all pods at once with the Parallel policy', async () => {
    // Prepare
    sandbox = await manualSandbox();

    // Act
    sandbox.apply([statefulSetManifest('web', { podManagementPolicy: 'Parallel' })]);
    await sandbox.settle();

    // Assess
    expect(podNames(sandbox)).toEqual(['web-0', 'web-1', 'web-2']);
  });

  it('leaves pods alone with OnDelete until they are deleted', async () => {
    // Prepare
    sandbox = await manualSandbox([
      statefulSetManifest('web', { replicas: 2, updateStrategy: { type: 'OnDelete' } }),
    ]);
    await elapseUntil(sandbox, () => sts(sandbox).status?.readyReplicas === 2);

    // Act
    await updateObject(sandbox, 'statefulsets.apps', 'web', (o) => {
      (o as StatefulSet & KubeObject).spec!.template.spec!.containers[0].image = 'nginx:1.28';
    });
    await elapse(sandbox, 30_000);
    const untouched = ['web-0', 'web-1'].map((n) => podImage(sandbox, n));
    sandbox.store.delete(types.pods, 'default', 'web-1');
    await elapseUntil(sandbox, () => podImage(sandbox, 'web-1') === 'nginx:1.28');

    // Assess
    expect(untouched).toEqual(['nginx:1.27', 'nginx:1.27']);
    expect(podImage(sandbox, 'web-0')).toBe('nginx:1.27');
    expect(podImage(sandbox, 'web-1')).toBe('nginx:1.28');
  });

  it('scales down from the highest ordinal', async () => {
    // Prepare
    sandbox = await manualSandbox([statefulSetManifest('web')]);
    await elapseUntil(sandbox, () => rolledOut(sandbox));
    const deleted = recordDeletions(sandbox);

    // Act
    await updateObject(sandbox, 'statefulsets.apps', 'web', (o) => {
      (o as StatefulSet & KubeObject).spec!.replicas = 1;
    });
    await elapseUntil(sandbox, () => podNames(sandbox).length === 1);

    // Assess
    expect(deleted).toEqual(['web-2', 'web-1']);
    expect(podNames(sandbox)).toEqual(['web-0']);
    await elapse(sandbox, 2000);
    expect(sts(sandbox).status).toMatchObject({ replicas: 1, readyReplicas: 1, availableReplicas: 1 });
  });

  it('keeps revisionHistoryLimit old revisions', async () => {
    // Prepare
    sandbox = await manualSandbox([statefulSetManifest('web', { replicas: 1, revisionHistoryLimit: 1 })]);
    await elapseUntil(sandbox, () => rolledOut(sandbox));

    // Act
    for (const image of ['nginx:1.28', 'nginx:1.29', 'nginx:1.30']) {
      await updateObject(sandbox, 'statefulsets.apps', 'web', (o) => {
        (o as StatefulSet & KubeObject).spec!.template.spec!.containers[0].image = image;
      });
      await elapseUntil(sandbox, () => rolledOut(sandbox));
    }

    // Assess
    expect(revisions(sandbox).map((r) => r.revision)).toEqual([3, 4]);
  });
});
