import type { DaemonSet, StatefulSet } from 'kubernetes-types/apps/v1';
import type { Target } from '../../../../lambdas/shared/contracts';
import { RolloutRefusedError } from '../../../../lambdas/shared/errors';
import type { RolloutStatus } from '../../../../lambdas/shared/kubernetes/ports/rollouts';
import { types } from '../../../../local/kube-sandbox/runtime';
import { NS, daemonSet, setImage, startKube, statefulSet, type KubeUnderTest } from './sandbox-kube';
import { eventually } from '../../../support/polling';

// StatefulSet and DaemonSet rollouts: history in ControllerRevisions, undo by re-applying a
// revision's strategic-merge patch, each with its own rollout status rules.
let t: KubeUnderTest;

afterEach(async () => {
  await t?.sandbox.stop();
});

type Kind = 'StatefulSet' | 'DaemonSet';

async function watchStatus(target: Target): Promise<RolloutStatus> {
  return eventually(`rollout of ${target.kind} ${target.name}`, async () => {
    const status = await t.kube.rollouts.rolloutStatus(target);
    return status.done || status.failed ? status : undefined;
  });
}

function live(kind: Kind, name: string): StatefulSet | DaemonSet {
  const key = kind === 'StatefulSet' ? 'statefulsets.apps' : 'daemonsets.apps';
  return t.sandbox.store.get(types[key], NS, name) as StatefulSet | DaemonSet;
}

const cases: Array<{ kind: Kind; name: string; image: string; done: string; pods: number }> = [
  {
    kind: 'StatefulSet',
    name: 'mysql',
    image: 'mysql:8.0.36',
    done: 'partitioned roll out complete: 2 new pods have been updated...',
    pods: 2,
  },
  {
    kind: 'DaemonSet',
    name: 'fluent-bit',
    image: 'fluent/fluent-bit:3.0',
    done: 'daemon set "fluent-bit" successfully rolled out',
    pods: 3,
  },
];

describe.each(cases)('$kind', ({ kind, name, image, done, pods }) => {
  const target: Target = { namespace: NS, kind, name };

  beforeEach(async () => {
    t = await startKube({ objects: [kind === 'StatefulSet' ? statefulSet(name) : daemonSet(name)] });
    await watchStatus(target);
  });

  it('restarts with the restartedAt annotation and rolls every pod to the new revision', async () => {
    // Prepare
    const now = new Date(t.sandbox.clock.now());

    // Act
    const restart = await t.kube.rollouts.rolloutRestart(target, now);
    const status = await watchStatus(target);

    // Assess
    expect(restart).toMatchObject({ revisionBefore: 1, generation: 2 });
    expect(live(kind, name).spec!.template.metadata!.annotations).toEqual({
      'kubectl.kubernetes.io/restartedAt': restart.restartedAt,
    });
    expect(status).toEqual({
      done: true,
      failed: false,
      message: done,
      revision: 2,
      pods: { total: pods, ready: pods, notReady: [] },
    });
  });

  it('undoes to the previous revision, which the controller renumbers as the newest', async () => {
    // Prepare
    await setImage(t.apps, kind, name, `${image}-patched`);
    await watchStatus(target);

    // Act
    const undo = await t.kube.rollouts.rolloutUndo(target);
    const status = await watchStatus(target);

    // Assess
    expect(undo).toEqual({ fromRevision: 2, toRevision: 1, skipped: false, message: 'rolled back' });
    expect(live(kind, name).spec!.template.spec!.containers[0].image).toBe(image);
    expect((await t.kube.workloads.revisions(target)).map((r) => [r.revision, r.current])).toEqual([
      [2, false],
      [3, true],
    ]);
    expect(status).toMatchObject({ done: true, revision: 3, pods: { total: pods, ready: pods } });
  });

  it('skips a revision that is the current template, refuses unknown ones and a missing history', async () => {
    // Prepare
    const noHistory = await t.kube.rollouts.rolloutUndo(target).catch((error: Error) => error);
    await setImage(t.apps, kind, name, `${image}-patched`);
    await watchStatus(target);
    t.sandbox.requests.clear();

    // Act
    const skipped = await t.kube.rollouts.rolloutUndo(target, 2);
    const unknown = await t.kube.rollouts.rolloutUndo(target, 7).catch((error: Error) => error);

    // Assess
    expect(noHistory).toBeInstanceOf(RolloutRefusedError);
    expect((noHistory as Error).message).toBe('no last revision to roll back to');
    expect(skipped).toEqual({
      fromRevision: 2,
      toRevision: 2,
      skipped: true,
      message: 'skipped rollback (current template already matches revision 2)',
    });
    expect((unknown as Error).message).toBe('unable to find specified revision 7 in history');
    expect(t.sandbox.requests.writes()).toEqual([]);
  });
});
