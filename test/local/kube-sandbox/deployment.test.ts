import { computeTemplateHash } from '../../../local/kube-sandbox/controllers/hash';
import { types } from '../../../local/kube-sandbox/runtime';
import type { Sandbox } from '../../../local/kube-sandbox/sandbox';
import { deploymentManifest } from '../../support/manifests';
import { type PodObject } from '../../support/sandbox';
import {
  condition,
  controllersOnlySandbox,
  type DeploymentObject,
  eventsAbout,
  getDeployment,
  isReady,
  markReady,
  podsOf,
  readyAll,
  replicaSetsOf,
  revision,
  rolloutRestart,
  updateDeployment,
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

function activePods(name: string): PodObject[] {
  return replicaSetsOf(sandbox, name).flatMap((rs) =>
    podsOf(sandbox, rs).filter((p) => !p.metadata.deletionTimestamp),
  );
}

describe('pod-template hash', () => {
  it('is stable, ignores key order, and renders with the safe alphabet', () => {
    // Prepare
    const a = {
      metadata: { labels: { app: 'web', tier: 'x' } },
      spec: { containers: [{ name: 'c', image: 'i' }] },
    };
    const b = {
      spec: { containers: [{ image: 'i', name: 'c' }] },
      metadata: { labels: { tier: 'x', app: 'web' } },
    };

    // Act
    const hashA = computeTemplateHash(a);
    const hashB = computeTemplateHash(b);

    // Assess
    expect(hashA).toBe(hashB);
    expect(hashA).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
    expect(computeTemplateHash({ ...a, spec: { containers: [{ name: 'c', image: 'j' }] } })).not.toBe(hashA);
  });

  it('mixes in the collision count, where 0 differs from none', () => {
    // Prepare
    const template = { metadata: { labels: { app: 'web' } } };

    // Act
    const none = computeTemplateHash(template);
    const zero = computeTemplateHash(template, 0);
    const one = computeTemplateHash(template, 1);

    // Assess
    expect(new Set([none, zero, one]).size).toBe(3);
  });

  it('is FNV-32a of the canonical JSON, encoded digit by digit like SafeEncodeString', () => {
    // Prepare: FNV-32a("{}") = 0x5465b825 = 1415952421; digits map 0→4 1→5 2→6 3→7 4→8 5→9 6→b 7→c 8→d 9→f
    const expected = '1415952421'.replace(/\d/g, (digit) => '456789bcdf'[Number(digit)]);

    // Act
    const hash = computeTemplateHash({});

    // Assess
    expect(hash).toBe(expected);
  });
});

describe('Deployment → ReplicaSet → Pods', () => {
  it('creates the ReplicaSet and pods the way the controller-manager does', async () => {
    // Prepare
    const [d] = sandbox.apply([deploymentManifest('web')]) as DeploymentObject[];

    // Act
    await sandbox.settle();

    // Assess
    const [rs] = replicaSetsOf(sandbox, 'web');
    const hash = rs.metadata.labels!['pod-template-hash'];
    expect(rs.metadata.name).toBe(`web-${hash}`);
    expect(rs.metadata.labels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(rs.spec!.selector.matchLabels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(rs.spec!.template!.metadata!.labels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(rs.spec!.replicas).toBe(3);
    expect(rs.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: 'web',
        uid: d.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(rs.metadata.annotations).toEqual({
      'deployment.kubernetes.io/revision': '1',
      'deployment.kubernetes.io/desired-replicas': '3',
      'deployment.kubernetes.io/max-replicas': '4',
    });
    const pods = podsOf(sandbox, rs);
    expect(pods).toHaveLength(3);
    for (const pod of pods) {
      expect(pod.metadata.name).toMatch(new RegExp(`^web-${hash}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
      expect(pod.metadata.generateName).toBe(`web-${hash}-`);
      expect(pod.metadata.labels).toEqual({ app: 'web', 'pod-template-hash': hash });
      expect(pod.metadata.ownerReferences![0]).toMatchObject({
        kind: 'ReplicaSet',
        name: rs.metadata.name,
        controller: true,
      });
    }
    expect(eventsAbout(sandbox, 'web')).toEqual([
      {
        reason: 'ScalingReplicaSet',
        message: `Scaled up replica set web-${hash} from 0 to 3`,
        type: 'Normal',
        component: 'deployment-controller',
        kind: 'Deployment',
      },
    ]);
    expect(
      eventsAbout(sandbox, rs.metadata.name!)
        .map((e) => `${e.component} ${e.reason} ${e.message}`)
        .sort(),
    ).toEqual(
      pods.map((p) => `replicaset-controller SuccessfulCreate Created pod: ${p.metadata.name}`).sort(),
    );
    expect(getDeployment(sandbox, 'web').metadata.annotations).toEqual({
      'deployment.kubernetes.io/revision': '1',
    });
  });

  it('reports status and conditions as pods become ready', async () => {
    // Prepare
    sandbox.apply([deploymentManifest('web')]);
    await sandbox.settle();
    const before = getDeployment(sandbox, 'web');

    // Act
    await readyAll(sandbox);

    // Assess
    expect(before.status).toMatchObject({
      observedGeneration: 1,
      replicas: 3,
      updatedReplicas: 3,
      unavailableReplicas: 3,
    });
    expect(condition(before, 'Available')).toMatchObject({
      status: 'False',
      reason: 'MinimumReplicasUnavailable',
      message: 'Deployment does not have minimum availability.',
    });
    expect(condition(before, 'Progressing')).toMatchObject({ status: 'True', reason: 'ReplicaSetUpdated' });
    const after = getDeployment(sandbox, 'web');
    const [rs] = replicaSetsOf(sandbox, 'web');
    expect(after.status).toEqual({
      observedGeneration: 1,
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      conditions: [
        expect.objectContaining({
          type: 'Available',
          status: 'True',
          reason: 'MinimumReplicasAvailable',
          message: 'Deployment has minimum availability.',
        }),
        expect.objectContaining({
          type: 'Progressing',
          status: 'True',
          reason: 'NewReplicaSetAvailable',
          message: `ReplicaSet "${rs.metadata.name}" has successfully progressed.`,
          lastUpdateTime: '2026-03-01T12:00:00Z',
          lastTransitionTime: '2026-03-01T12:00:00Z',
        }),
      ],
    });
    expect(rs.status).toEqual({
      replicas: 3,
      fullyLabeledReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      observedGeneration: 1,
    });
  });

  it('rolls out a restart within maxSurge and maxUnavailable, then scales the old ReplicaSet to zero', async () => {
    // Prepare: 4 replicas, 25%/25% → at most 5 pods, at least 3 available.
    sandbox.apply([deploymentManifest('web', { replicas: 4 })]);
    await readyAll(sandbox);
    const [first] = replicaSetsOf(sandbox, 'web');

    // Act
    rolloutRestart(sandbox, 'web', '2026-03-01T12:00:00Z');
    const seen: Array<{ total: number; available: number }> = [];
    for (let round = 0; round < 30; round++) {
      await sandbox.settle();
      const pods = activePods('web');
      seen.push({ total: pods.length, available: pods.filter(isReady).length });
      const notReady = pods.filter((p) => !isReady(p));
      const status = getDeployment(sandbox, 'web').status;
      if (notReady.length === 0 && status?.updatedReplicas === 4 && status.availableReplicas === 4) break;
      markReady(sandbox, notReady.slice(0, 1));
    }

    // Assess
    expect(Math.max(...seen.map((s) => s.total))).toBe(5);
    expect(Math.min(...seen.map((s) => s.available))).toBeGreaterThanOrEqual(3);
    const [old, current] = replicaSetsOf(sandbox, 'web');
    expect(old.metadata.uid).toBe(first.metadata.uid);
    expect(old.spec!.replicas).toBe(0);
    expect(current.spec!.replicas).toBe(4);
    expect(revision(current)).toBe(2);
    expect(current.spec!.template!.metadata!.annotations).toEqual({
      'kubectl.kubernetes.io/restartedAt': '2026-03-01T12:00:00Z',
    });
    const d = getDeployment(sandbox, 'web');
    expect(d.metadata.annotations!['deployment.kubernetes.io/revision']).toBe('2');
    expect(d.status).toMatchObject({
      observedGeneration: 2,
      replicas: 4,
      updatedReplicas: 4,
      availableReplicas: 4,
    });
    expect(condition(d, 'Progressing')).toMatchObject({ reason: 'NewReplicaSetAvailable' });
    const scaling = eventsAbout(sandbox, 'web').map((e) => e.message);
    expect(scaling).toContain(`Scaled up replica set ${current.metadata.name} from 0 to 1`);
    expect(scaling).toContain(`Scaled down replica set ${old.metadata.name} from 4 to 3`);
    expect(scaling[scaling.length - 1]).toBe(`Scaled down replica set ${old.metadata.name} from 1 to 0`);
  });

  it('makes an old ReplicaSet new again on rollback, bumping its revision and keeping the history', async () => {
    // Prepare
    sandbox.apply([deploymentManifest('web', { replicas: 2 })]);
    await readyAll(sandbox);
    rolloutRestart(sandbox, 'web', '2026-03-01T12:00:00Z');
    await readyAll(sandbox);
    const [first, second] = replicaSetsOf(sandbox, 'web');

    // Act: what `kubectl rollout undo` patches in: revision 1's template without the hash label.
    updateDeployment(sandbox, 'web', (d) => {
      const template = structuredClone(first.spec!.template!);
      delete template.metadata!.labels!['pod-template-hash'];
      d.spec!.template = template;
    });
    await readyAll(sandbox);

    // Assess
    const rss = replicaSetsOf(sandbox, 'web');
    expect(rss.map((rs) => rs.metadata.name)).toEqual([second.metadata.name, first.metadata.name]);
    const back = rss[1];
    expect(back.metadata.annotations).toMatchObject({
      'deployment.kubernetes.io/revision': '3',
      'deployment.kubernetes.io/revision-history': '1',
    });
    expect(back.spec!.replicas).toBe(2);
    expect(rss[0].spec!.replicas).toBe(0);
    expect(getDeployment(sandbox, 'web').metadata.annotations!['deployment.kubernetes.io/revision']).toBe(
      '3',
    );
    expect(eventsAbout(sandbox, 'web').map((e) => e.message)).toContain(
      `Scaled up replica set ${first.metadata.name} from 0 to 1`,
    );
  });

  it('scales the only active ReplicaSet on a scaling event, deleting not-ready pods first', async () => {
    // Prepare
    sandbox.apply([deploymentManifest('web', { replicas: 3 })]);
    await readyAll(sandbox);
    updateDeployment(sandbox, 'web', (d) => {
      d.spec!.replicas = 5;
    });
    await sandbox.settle();
    const [rs] = replicaSetsOf(sandbox, 'web');
    const fresh = podsOf(sandbox, rs).filter((p) => !isReady(p));

    // Act
    updateDeployment(sandbox, 'web', (d) => {
      d.spec!.replicas = 3;
    });
    await sandbox.settle();

    // Assess
    expect(fresh).toHaveLength(2);
    const remaining = podsOf(sandbox, rs);
    expect(remaining).toHaveLength(3);
    expect(remaining.every(isReady)).toBe(true);
    const messages = eventsAbout(sandbox, 'web').map((e) => e.message);
    expect(messages).toContain(`Scaled up replica set ${rs.metadata.name} from 3 to 5`);
    expect(messages).toContain(`Scaled down replica set ${rs.metadata.name} from 5 to 3`);
    expect(
      eventsAbout(sandbox, rs.metadata.name!)
        .filter((e) => e.reason === 'SuccessfulDelete')
        .map((e) => e.message)
        .sort(),
    ).toEqual(fresh.map((p) => `Deleted pod: ${p.metadata.name}`).sort());
    expect(
      replicaSetsOf(sandbox, 'web')[0].metadata.annotations!['deployment.kubernetes.io/desired-replicas'],
    ).toBe('3');
  });

  it('scales proportionally when a rollout is in flight', async () => {
    // Prepare: a stuck rollout with old and new pods (maxUnavailable 0 keeps all old ones).
    sandbox.apply([
      deploymentManifest('web', {
        replicas: 4,
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      }),
    ]);
    await readyAll(sandbox);
    rolloutRestart(sandbox, 'web', '2026-03-01T12:00:00Z');
    await sandbox.settle();
    const [oldBefore, newBefore] = replicaSetsOf(sandbox, 'web');

    // Act
    updateDeployment(sandbox, 'web', (d) => {
      d.spec!.replicas = 8;
    });
    await sandbox.settle();

    // Assess: (4, 1) of at most 5 become at most 8 + 1 = 9: 4·9/5 ≈ 7 and 1·9/5 ≈ 2.
    const [oldAfter, newAfter] = replicaSetsOf(sandbox, 'web');
    expect([oldBefore.spec!.replicas, newBefore.spec!.replicas]).toEqual([4, 1]);
    expect([oldAfter.spec!.replicas, newAfter.spec!.replicas]).toEqual([7, 2]);
    for (const rs of [oldAfter, newAfter]) {
      expect(rs.metadata.annotations).toMatchObject({
        'deployment.kubernetes.io/desired-replicas': '8',
        'deployment.kubernetes.io/max-replicas': '9',
      });
    }
    expect(eventsAbout(sandbox, 'web').map((e) => e.message)).toEqual(
      expect.arrayContaining([
        `Scaled up replica set ${oldAfter.metadata.name} from 4 to 7`,
        `Scaled up replica set ${newAfter.metadata.name} from 1 to 2`,
      ]),
    );
  });

  it('does not roll out while paused, and resumes the rollout afterwards', async () => {
    // Prepare
    sandbox.apply([deploymentManifest('web', { replicas: 2 })]);
    await readyAll(sandbox);

    // Act
    updateDeployment(sandbox, 'web', (d) => {
      d.spec!.paused = true;
    });
    rolloutRestart(sandbox, 'web', '2026-03-01T12:00:00Z');
    await sandbox.settle();
    const whilePaused = getDeployment(sandbox, 'web');
    const rssWhilePaused = replicaSetsOf(sandbox, 'web');
    updateDeployment(sandbox, 'web', (d) => {
      d.spec!.paused = false;
    });
    await sandbox.settle();
    const resumed = getDeployment(sandbox, 'web');
    await readyAll(sandbox);

    // Assess
    expect(rssWhilePaused).toHaveLength(1);
    expect(condition(whilePaused, 'Progressing')).toMatchObject({
      status: 'Unknown',
      reason: 'DeploymentPaused',
      message: 'Deployment is paused',
    });
    expect(whilePaused.status!.observedGeneration).toBe(whilePaused.metadata.generation);
    expect(replicaSetsOf(sandbox, 'web')).toHaveLength(2);
    const newRS = replicaSetsOf(sandbox, 'web')[1];
    expect(condition(resumed, 'Progressing')).toMatchObject({
      status: 'True',
      reason: 'ReplicaSetUpdated',
      message: `ReplicaSet "${newRS.metadata.name}" is progressing.`,
    });
    expect(condition(getDeployment(sandbox, 'web'), 'Progressing')).toMatchObject({
      reason: 'NewReplicaSetAvailable',
    });
  });

  it('with Recreate, removes every old pod before the new ReplicaSet exists', async () => {
    // Prepare
    sandbox.apply([deploymentManifest('web', { replicas: 2, strategy: { type: 'Recreate' } })]);
    await readyAll(sandbox);

    // Act
    rolloutRestart(sandbox, 'web', '2026-03-01T12:00:00Z');
    await sandbox.settle();

    // Assess
    const [old, current] = replicaSetsOf(sandbox, 'web');
    expect(old.spec!.replicas).toBe(0);
    expect(podsOf(sandbox, old)).toHaveLength(0);
    expect(current.spec!.replicas).toBe(2);
    const messages = eventsAbout(sandbox, 'web').map((e) => e.message);
    expect(messages.slice(-2)).toEqual([
      `Scaled down replica set ${old.metadata.name} from 2 to 0`,
      `Scaled up replica set ${current.metadata.name} from 0 to 2`,
    ]);
  });

  it('keeps only revisionHistoryLimit old ReplicaSets once a rollout completes', async () => {
    // Prepare
    sandbox.apply([deploymentManifest('web', { replicas: 1, spec: { revisionHistoryLimit: 1 } })]);
    await readyAll(sandbox);

    // Act
    for (const at of ['2026-03-01T12:00:01Z', '2026-03-01T12:00:02Z', '2026-03-01T12:00:03Z']) {
      rolloutRestart(sandbox, 'web', at);
      await readyAll(sandbox);
    }

    // Assess
    expect(replicaSetsOf(sandbox, 'web').map(revision)).toEqual([3, 4]);
  });

  it('reports ProgressDeadlineExceeded when pods do not become available in time', async () => {
    // Prepare
    sandbox.apply([deploymentManifest('web', { replicas: 1, spec: { progressDeadlineSeconds: 30 } })]);
    await sandbox.settle();
    const early = getDeployment(sandbox, 'web');

    // Act
    sandbox.clock.advance(31_000);
    await sandbox.settle();
    sandbox.clock.advance(1_000);
    await sandbox.settle();

    // Assess
    expect(condition(early, 'Progressing')).toMatchObject({ status: 'True' });
    const d = getDeployment(sandbox, 'web');
    const [rs] = replicaSetsOf(sandbox, 'web');
    expect(condition(d, 'Progressing')).toMatchObject({
      status: 'False',
      reason: 'ProgressDeadlineExceeded',
      message: `ReplicaSet "${rs.metadata.name}" has timed out progressing.`,
      lastUpdateTime: '2026-03-01T12:00:31Z',
    });
    expect(condition(d, 'Available')).toMatchObject({
      status: 'False',
      reason: 'MinimumReplicasUnavailable',
    });
  });

  it('counts pods as available only minReadySeconds after they became ready', async () => {
    // Prepare
    sandbox.apply([deploymentManifest('web', { replicas: 2, spec: { minReadySeconds: 10 } })]);
    await readyAll(sandbox);
    const ready = getDeployment(sandbox, 'web');

    // Act
    sandbox.clock.advance(11_000);
    await sandbox.settle();

    // Assess
    expect(ready.status).toMatchObject({ readyReplicas: 2, unavailableReplicas: 2 });
    expect(ready.status!.availableReplicas).toBeUndefined();
    expect(replicaSetsOf(sandbox, 'web')[0].spec!.minReadySeconds).toBe(10);
    expect(getDeployment(sandbox, 'web').status).toMatchObject({ readyReplicas: 2, availableReplicas: 2 });
  });

  it('copies the Deployment annotations (change-cause) to the new ReplicaSet', async () => {
    // Prepare
    sandbox.apply([
      deploymentManifest('web', {
        annotations: {
          'kubernetes.io/change-cause': 'first release',
          'kubectl.kubernetes.io/last-applied-configuration': '{}',
        },
      }),
    ]);

    // Act
    await sandbox.settle();

    // Assess
    const [rs] = replicaSetsOf(sandbox, 'web');
    expect(rs.metadata.annotations!['kubernetes.io/change-cause']).toBe('first release');
    expect(rs.metadata.annotations!['kubectl.kubernetes.io/last-applied-configuration']).toBeUndefined();
  });

  it('deletes the ReplicaSets and pods with the Deployment', async () => {
    // Prepare
    sandbox.apply([deploymentManifest('web', { replicas: 2 })]);
    await sandbox.settle();

    // Act
    sandbox.store.delete(types['deployments.apps'], 'default', 'web');
    await sandbox.settle();

    // Assess
    expect(sandbox.store.list(types['replicasets.apps'], 'default')).toHaveLength(0);
    expect(sandbox.store.list(types.pods, 'default')).toHaveLength(0);
    expect(sandbox.controllerErrors).toEqual([]);
  });
});
