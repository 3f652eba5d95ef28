import { BEHAVIOR_ANNOTATION } from '../../../local/kube-sandbox/behavior';
import type { Sandbox } from '../../../local/kube-sandbox/sandbox';
import { deploymentManifest } from '../../support/manifests';
import { elapse, manualSandbox } from '../../support/sandbox';
import {
  condition,
  eventsAbout,
  getDeployment,
  isReady,
  podsOf,
  replicaSetsOf,
  revision,
  rolloutRestart,
  updateDeployment,
} from '../../support/sandbox-deployments';

/*
 * Deployments with the real scheduler and simulated kubelet: pods are bound to nodes, start,
 * become Ready (or crash), and terminate gracefully.
 */

let sandbox: Sandbox;

beforeEach(async () => {
  sandbox = await manualSandbox();
});

afterEach(async () => {
  expect(sandbox.controllerErrors).toEqual([]);
  await sandbox.stop();
});

const CRASH = JSON.stringify({ app: { mode: 'crash' } });

describe('Deployments with the kubelet', () => {
  it('rolls a healthy template out fully', async () => {
    // Prepare
    sandbox.apply([deploymentManifest('web', { replicas: 3 })]);

    // Act
    await elapse(sandbox, 30_000);

    // Assess
    const d = getDeployment(sandbox, 'web');
    expect(d.status).toMatchObject({
      observedGeneration: 1,
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
    });
    expect(d.status!.unavailableReplicas).toBeUndefined();
    expect(condition(d, 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable' });
    expect(condition(d, 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable' });
    const pods = podsOf(sandbox, replicaSetsOf(sandbox, 'web')[0]);
    expect(pods.map((p) => p.status!.phase)).toEqual(['Running', 'Running', 'Running']);
    expect(pods.every((p) => p.spec!.nodeName)).toBe(true);
  });

  it('restarts a rollout: new pods ready, old pods terminated gracefully and gone', async () => {
    // Prepare
    sandbox.apply([deploymentManifest('web', { replicas: 3 })]);
    await elapse(sandbox, 30_000);
    const [first] = replicaSetsOf(sandbox, 'web');

    // Act
    rolloutRestart(sandbox, 'web', sandbox.clock.rfc3339());
    await elapse(sandbox, 120_000);

    // Assess
    const [old, current] = replicaSetsOf(sandbox, 'web');
    expect(old.metadata.uid).toBe(first.metadata.uid);
    expect(podsOf(sandbox, old)).toEqual([]);
    expect(revision(current)).toBe(2);
    expect(podsOf(sandbox, current).filter(isReady)).toHaveLength(3);
    const d = getDeployment(sandbox, 'web');
    expect(d.status).toMatchObject({
      observedGeneration: 2,
      replicas: 3,
      updatedReplicas: 3,
      availableReplicas: 3,
    });
    expect(condition(d, 'Progressing')).toMatchObject({
      reason: 'NewReplicaSetAvailable',
      message: `ReplicaSet "${current.metadata.name}" has successfully progressed.`,
    });
  });

  it('ends a crashing rollout in Progressing=False ProgressDeadlineExceeded', async () => {
    // Prepare
    sandbox.apply([
      deploymentManifest('web', {
        replicas: 2,
        templateAnnotations: { [BEHAVIOR_ANNOTATION]: CRASH },
        spec: { progressDeadlineSeconds: 60 },
      }),
    ]);

    // Act
    await elapse(sandbox, 90_000);

    // Assess
    const d = getDeployment(sandbox, 'web');
    const [rs] = replicaSetsOf(sandbox, 'web');
    expect(condition(d, 'Progressing')).toMatchObject({
      status: 'False',
      reason: 'ProgressDeadlineExceeded',
      message: `ReplicaSet "${rs.metadata.name}" has timed out progressing.`,
    });
    expect(condition(d, 'Available')).toMatchObject({
      status: 'False',
      reason: 'MinimumReplicasUnavailable',
    });
    expect(d.status).toMatchObject({ replicas: 2, updatedReplicas: 2, unavailableReplicas: 2 });
  });

  it('keeps the old pods serving while a bad release is stuck, and recovers on rollback', async () => {
    // Prepare
    sandbox.apply([deploymentManifest('web', { replicas: 2, spec: { progressDeadlineSeconds: 60 } })]);
    await elapse(sandbox, 30_000);
    updateDeployment(sandbox, 'web', (d) => {
      d.spec!.template.metadata!.annotations = { [BEHAVIOR_ANNOTATION]: CRASH };
    });
    await elapse(sandbox, 90_000);
    const [good, bad] = replicaSetsOf(sandbox, 'web');
    const stuck = getDeployment(sandbox, 'web');

    // Act: `kubectl rollout undo` copies revision 1's template back.
    updateDeployment(sandbox, 'web', (d) => {
      const template = structuredClone(good.spec!.template!);
      delete template.metadata!.labels!['pod-template-hash'];
      d.spec!.template = template;
    });
    await elapse(sandbox, 60_000);

    // Assess
    expect(condition(stuck, 'Progressing')).toMatchObject({
      status: 'False',
      reason: 'ProgressDeadlineExceeded',
    });
    expect(condition(stuck, 'Available')).toMatchObject({ status: 'True' });
    expect(podsOf(sandbox, good).filter(isReady).length).toBeGreaterThanOrEqual(2);
    const rss = replicaSetsOf(sandbox, 'web');
    expect(rss.map((rs) => [rs.metadata.name, revision(rs), rs.spec!.replicas])).toEqual([
      [bad.metadata.name, 2, 0],
      [good.metadata.name, 3, 2],
    ]);
    expect(podsOf(sandbox, bad)).toEqual([]);
    const d = getDeployment(sandbox, 'web');
    expect(d.metadata.annotations!['deployment.kubernetes.io/revision']).toBe('3');
    expect(condition(d, 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable' });
    expect(condition(d, 'Available')).toMatchObject({ status: 'True' });
  });

  it('with Recreate, starts new pods only after the old ones have terminated', async () => {
    // Prepare
    sandbox.apply([deploymentManifest('web', { replicas: 2, strategy: { type: 'Recreate' } })]);
    await elapse(sandbox, 30_000);
    const [old] = replicaSetsOf(sandbox, 'web');

    // Act
    rolloutRestart(sandbox, 'web', sandbox.clock.rfc3339());
    await sandbox.settle();
    const whileTerminating = {
      rss: replicaSetsOf(sandbox, 'web').length,
      oldPods: podsOf(sandbox, old).length,
    };
    await elapse(sandbox, 60_000);

    // Assess
    expect(whileTerminating).toEqual({ rss: 1, oldPods: 2 });
    const [, current] = replicaSetsOf(sandbox, 'web');
    expect(podsOf(sandbox, current).filter(isReady)).toHaveLength(2);
    const messages = eventsAbout(sandbox, 'web').map((e) => e.message);
    expect(messages.slice(-2)).toEqual([
      `Scaled down replica set ${old.metadata.name} from 2 to 0`,
      `Scaled up replica set ${current.metadata.name} from 0 to 2`,
    ]);
  });
});
