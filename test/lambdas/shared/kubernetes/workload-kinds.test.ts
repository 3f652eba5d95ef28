import type { Target } from '../../../../lambdas/shared/contracts';
import { ActionNotAllowedError, WorkloadNotFoundError } from '../../../../lambdas/shared/errors';
import type { KubeClient } from '../../../../lambdas/shared/kubernetes/ports/kube-client';
import { ClientNodeRollouts } from '../../../../lambdas/shared/kubernetes/ports/rollouts';
import { ClientNodeWorkloadReader } from '../../../../lambdas/shared/kubernetes/ports/workload-reader';
import { readWorkload, rolloutStrategyFor } from '../../../../lambdas/shared/kubernetes/ports/workload-kinds';

// The per-kind strategy is chosen once, by kind, as kubectl's StatusViewerFor / RollbackerFor /
// HistoryViewerFor choose theirs; a kind without one is refused before any request is sent.

const target = (kind: string): Target => ({ namespace: 'one-data-alldata', kind, name: 'alldata' }) as Target;

/** A client that fails the test if any request is made through it. */
const noRequests = {
  call: () => {
    throw new Error('a request was sent');
  },
} as unknown as KubeClient;

describe('rolloutStrategyFor', () => {
  it.each([
    ['Deployment', 'deployments.apps'],
    ['StatefulSet', 'statefulsets.apps'],
    ['DaemonSet', 'daemonsets.apps'],
  ])('gives a %s its own strategy (%s)', (kind, resource) => {
    // Act
    const strategy = rolloutStrategyFor(target(kind));

    // Assess
    expect(strategy.resource).toBe(resource);
  });

  it('gives each kind a different strategy, the same one on every lookup', () => {
    // Act
    const strategies = ['Deployment', 'StatefulSet', 'DaemonSet'].map((kind) =>
      rolloutStrategyFor(target(kind)),
    );

    // Assess
    expect(new Set(strategies).size).toBe(3);
    expect(rolloutStrategyFor(target('Deployment'))).toBe(strategies[0]);
  });

  it.each(['Job', 'CronJob'])('refuses a %s: nothing rolls it out (ActionNotAllowedError)', (kind) => {
    // Act
    const lookup = () => rolloutStrategyFor(target(kind));

    // Assess
    expect(lookup).toThrow(ActionNotAllowedError);
    expect(lookup).toThrow(
      `${kind} one-data-alldata/alldata has no rollout: a ${kind} is never restarted or rolled back`,
    );
  });

  it.each(['ReplicaSet', 'Pod', 'deployment', 'constructor', 'toString', ''])(
    'names an unknown kind "%s" (WorkloadNotFoundError), as kubectl\'s "no status viewer has been implemented"',
    (kind) => {
      // Act
      const lookup = () => rolloutStrategyFor(target(kind));

      // Assess
      expect(lookup).toThrow(WorkloadNotFoundError);
      expect(lookup).toThrow(`no rollout has been implemented for kind "${kind}" (one-data-alldata/alldata)`);
    },
  );
});

describe('the ports refuse a kind without a strategy before sending anything', () => {
  it.each([
    ['Job', ActionNotAllowedError],
    ['ReplicaSet', WorkloadNotFoundError],
  ])('%s: read, restart, undo and status', async (kind, error) => {
    // Prepare
    const rollouts = new ClientNodeRollouts(noRequests);
    const workloads = new ClientNodeWorkloadReader(noRequests);

    // Act + Assess
    await expect(readWorkload(noRequests, target(kind))).rejects.toThrow(error);
    await expect(workloads.getWorkload(target(kind))).rejects.toThrow(error);
    await expect(rollouts.rolloutRestart(target(kind), new Date())).rejects.toThrow(error);
    await expect(rollouts.rolloutUndo(target(kind))).rejects.toThrow(error);
    await expect(rollouts.rolloutStatus(target(kind))).rejects.toThrow(error);
  });

  it.each(['Job', 'CronJob'])('a %s has no revisions, and none are read', async (kind) => {
    // Act
    const revisions = await new ClientNodeWorkloadReader(noRequests).revisions(target(kind));

    // Assess
    expect(revisions).toEqual([]);
  });

  it('an unknown kind has no revisions either: it is refused', async () => {
    // Act
    const revisions = new ClientNodeWorkloadReader(noRequests).revisions(target('ReplicaSet'));

    // Assess
    await expect(revisions).rejects.toThrow(WorkloadNotFoundError);
  });
});
