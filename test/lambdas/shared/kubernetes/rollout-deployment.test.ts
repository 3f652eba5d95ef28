import {
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
  type V1ReplicaSet,
} from '@kubernetes/client-node';
import type { Target } from '../../../../lambdas/shared/contracts';
import { RolloutRefusedError } from '../../../../lambdas/shared/errors';
import { equalIgnoreHash, rfc3339Seconds } from '../../../../lambdas/shared/kubernetes/kubectl';
import type { RolloutStatus } from '../../../../lambdas/shared/kubernetes/ports/rollouts';
import { types } from '../../../../local/kube-sandbox/runtime';
import { NS, deployment, setImage, startKube, type KubeUnderTest } from './sandbox-kube';
import { eventually } from '../../../support/polling';

// Deployment rollouts through the adapter against the sandbox's controllers and kubelet,
// over HTTP, as the restart / verify / rollback Lambdas use them.
let t: KubeUnderTest;

afterEach(async () => {
  await t?.sandbox.stop();
});

const target = (name: string): Target => ({ namespace: NS, kind: 'Deployment', name });

/** Checks rollout status until it is done or failed; returns every distinct message seen. */
async function watchStatus(name: string): Promise<{ last: RolloutStatus; messages: string[] }> {
  const messages: string[] = [];
  const last = await eventually(`rollout of ${name} to finish`, async () => {
    const status = await t.kube.rollouts.rolloutStatus(target(name));
    if (messages[messages.length - 1] !== status.message) messages.push(status.message);
    return status.done || status.failed ? status : undefined;
  });
  return { last, messages };
}

function deploymentIn(name: string): V1Deployment {
  return t.sandbox.store.get(types['deployments.apps'], NS, name) as V1Deployment;
}

function replicaSetIn(name: string): V1ReplicaSet {
  return t.sandbox.store.get(types['replicasets.apps'], NS, name) as V1ReplicaSet;
}

describe('rolloutRestart then rolloutStatus', () => {
  it('restarts a healthy Deployment as kubectl does and watches it roll out', async () => {
    // Prepare
    t = await startKube({ objects: [deployment('alldata-api', { replicas: 3 })] });
    await watchStatus('alldata-api');
    const now = new Date(t.sandbox.clock.now());

    // Act
    const restart = await t.kube.rollouts.rolloutRestart(target('alldata-api'), now);
    const { last, messages } = await watchStatus('alldata-api');

    // Assess
    expect(restart).toEqual({ revisionBefore: 1, restartedAt: rfc3339Seconds(now), generation: 2 });
    expect(deploymentIn('alldata-api').spec!.template.metadata!.annotations).toEqual({
      'kubectl.kubernetes.io/restartedAt': restart.restartedAt,
    });
    const patch = t.sandbox.requests.writes().find((w) => w.verb === 'patch')!;
    expect(patch).toMatchObject({ resource: 'deployments', name: 'alldata-api', status: 200 });
    expect(
      messages.some((m) => m.startsWith('Waiting for deployment "alldata-api" rollout to finish: ')),
    ).toBe(true);
    expect(last).toEqual({
      done: true,
      failed: false,
      message: 'deployment "alldata-api" successfully rolled out',
      revision: 2,
      pods: { total: 3, ready: 3, notReady: [] },
    });
    expect(
      (await t.kube.workloads.revisions(target('alldata-api'))).map((r) => [r.revision, r.current]),
    ).toEqual([
      [1, false],
      [2, true],
    ]);
  });

  it('refuses a paused Deployment with kubectl`s message and writes nothing', async () => {
    // Prepare
    t = await startKube({ objects: [deployment('paused-api', { paused: true })] });

    // Act
    const refusal = await t.kube.rollouts
      .rolloutRestart(target('paused-api'), new Date(t.sandbox.clock.now()))
      .catch((error: Error) => error);

    // Assess
    expect(refusal).toBeInstanceOf(RolloutRefusedError);
    expect((refusal as Error).message).toBe("can't restart paused deployment (run rollout resume first)");
    expect(t.sandbox.requests.writes()).toEqual([]);
  });

  it('refuses a second restart within the same second, as kubectl`s empty patch does', async () => {
    // Prepare
    t = await startKube({ objects: [deployment('alldata-api')] });
    const now = new Date(t.sandbox.clock.now());
    await t.kube.rollouts.rolloutRestart(target('alldata-api'), now);

    // Act
    const refusal = await t.kube.rollouts
      .rolloutRestart(target('alldata-api'), now)
      .catch((error: Error) => error);

    // Assess
    expect(refusal).toBeInstanceOf(RolloutRefusedError);
    expect((refusal as Error).message).toBe(
      'failed to create patch for alldata-api: if restart has already been triggered within the past second, please wait before attempting to trigger another',
    );
    expect(t.sandbox.requests.writes().filter((w) => w.verb === 'patch')).toHaveLength(1);
  });
});

describe('rolloutStatus', () => {
  it('fails with kubectl`s message once the progress deadline passes, naming the crashing pods', async () => {
    // Prepare
    t = await startKube({
      objects: [
        deployment('alldata-api', {
          progressDeadlineSeconds: 60,
          behavior: { app: { mode: 'crash', logs: ['Error: connect ECONNREFUSED mysql:3306'] } },
        }),
      ],
    });

    // Act
    const { last, messages } = await watchStatus('alldata-api');

    // Assess
    expect(messages[messages.length - 2]).toBe(
      'Waiting for deployment "alldata-api" rollout to finish: 0 of 2 updated replicas are available...',
    );
    expect(last).toMatchObject({
      done: false,
      failed: true,
      message: 'deployment "alldata-api" exceeded its progress deadline',
      revision: 1,
      pods: { total: 2, ready: 0 },
    });
    expect(last.pods.notReady.map((p) => p.reason)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^(CrashLoopBackOff|Error)$/)]),
    );
  });
});

describe('rolloutUndo', () => {
  /** A Deployment with revisions 1, 2, 3 (images 1.0.0, 1.1.0, 1.2.0), rolled out. */
  async function threeRevisions(name: string): Promise<void> {
    t = await startKube({ objects: [deployment(name)] });
    await watchStatus(name);
    for (const version of ['1.1.0', '1.2.0']) {
      await setImage(t.apps, 'Deployment', name, `registry.example.com/${name}:${version}`);
      await watchStatus(name);
    }
  }

  it('goes back to the previous revision, which becomes the newest, as on a real cluster', async () => {
    // Prepare
    await threeRevisions('alldata-api');
    const before = await t.kube.workloads.revisions(target('alldata-api'));

    // Act
    const undo = await t.kube.rollouts.rolloutUndo(target('alldata-api'));
    const { last } = await watchStatus('alldata-api');

    // Assess
    expect(undo).toEqual({ fromRevision: 3, toRevision: 2, skipped: false, message: 'rolled back' });
    const d = deploymentIn('alldata-api');
    const rs2 = replicaSetIn(before.find((r) => r.revision === 2)!.name);
    expect(equalIgnoreHash(d.spec!.template, rs2.spec!.template)).toBe(true);
    expect(d.spec!.template.metadata!.labels).toEqual({ app: 'alldata-api' });
    expect(d.spec!.template.spec!.containers[0].image).toBe('registry.example.com/alldata-api:1.1.0');
    expect(d.metadata!.annotations!['deployment.kubernetes.io/revision']).toBe('4');
    expect(rs2.metadata!.annotations!['deployment.kubernetes.io/revision']).toBe('4');
    expect(rs2.metadata!.annotations!['deployment.kubernetes.io/revision-history']).toBe('2');
    expect(last).toMatchObject({ done: true, revision: 4 });
    expect(
      (await t.kube.workloads.revisions(target('alldata-api'))).map((r) => [r.revision, r.current]),
    ).toEqual([
      [1, false],
      [3, false],
      [4, true],
    ]);
  });

  it('goes to a given revision with a JSON patch of the template and the annotations', async () => {
    // Prepare
    await threeRevisions('alldata-api');
    const rs1 = (await t.kube.workloads.revisions(target('alldata-api'))).find((r) => r.revision === 1)!;
    t.sandbox.requests.clear();

    // Act
    const undo = await t.kube.rollouts.rolloutUndo(target('alldata-api'), 1);
    await watchStatus('alldata-api');

    // Assess
    expect(undo).toEqual({ fromRevision: 3, toRevision: 1, skipped: false, message: 'rolled back' });
    expect(t.sandbox.requests.writes().map((w) => `${w.verb} ${w.resource}/${w.name} ${w.status}`)).toEqual([
      'patch deployments/alldata-api 200',
    ]);
    const d = deploymentIn('alldata-api');
    const rs = replicaSetIn(rs1.name);
    expect(equalIgnoreHash(d.spec!.template, rs.spec!.template)).toBe(true);
    expect(d.spec!.template.spec!.containers[0].image).toBe('registry.example.com/alldata-api:1.0.0');
    expect(d.metadata!.annotations!['deployment.kubernetes.io/revision']).toBe('4');
    expect(rs.metadata!.annotations!['deployment.kubernetes.io/revision']).toBe('4');
  });

  it('skips when the current template already is that revision, with kubectl`s message', async () => {
    // Prepare
    await threeRevisions('alldata-api');
    t.sandbox.requests.clear();

    // Act
    const undo = await t.kube.rollouts.rolloutUndo(target('alldata-api'), 3);

    // Assess
    expect(undo).toEqual({
      fromRevision: 3,
      toRevision: 3,
      skipped: true,
      message: 'skipped rollback (current template already matches revision 3)',
    });
    expect(t.sandbox.requests.writes()).toEqual([]);
  });

  it('refuses an unknown revision, a Deployment without history and a paused one, as kubectl does', async () => {
    // Prepare
    t = await startKube({ objects: [deployment('alldata-api'), deployment('fresh-api')] });
    await watchStatus('fresh-api');
    await watchStatus('alldata-api');
    await setImage(t.apps, 'Deployment', 'alldata-api', 'registry.example.com/alldata-api:1.1.0');
    await watchStatus('alldata-api');
    await t.apps.patchNamespacedDeployment(
      { namespace: NS, name: 'alldata-api', body: { spec: { paused: true } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    t.sandbox.requests.clear();

    // Act
    const unknown = await t.kube.rollouts
      .rolloutUndo(target('alldata-api'), 9)
      .catch((error: Error) => error);
    const noHistory = await t.kube.rollouts.rolloutUndo(target('fresh-api')).catch((error: Error) => error);
    const paused = await t.kube.rollouts.rolloutUndo(target('alldata-api')).catch((error: Error) => error);

    // Assess
    expect(unknown).toBeInstanceOf(RolloutRefusedError);
    expect((unknown as Error).message).toBe('unable to find specified revision 9 in history');
    expect(noHistory).toBeInstanceOf(RolloutRefusedError);
    expect((noHistory as Error).message).toBe('no rollout history found for deployment "fresh-api"');
    expect(paused).toBeInstanceOf(RolloutRefusedError);
    expect((paused as Error).message).toBe(
      "you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again",
    );
    expect(t.sandbox.requests.writes()).toEqual([]);
  });
});
