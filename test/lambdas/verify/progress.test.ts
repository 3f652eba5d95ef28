import type { V1Pod } from '@kubernetes/client-node';
import type { RolloutStatus } from '../../../lambdas/shared/kubernetes/ports/rollouts';
import { cleanProgress, startTrouble } from '../../../lambdas/verify/progress';

const NOW = new Date('2026-11-22T03:00:00Z');
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000);

/** A pod as the API returns it, with one app container in `state`. */
function pod(
  name: string,
  container: { ready?: boolean; restartCount?: number; state: Record<string, unknown> },
  created = ago(5),
): V1Pod {
  return {
    metadata: { name, creationTimestamp: created },
    status: {
      phase: 'Running',
      conditions: [{ type: 'PodScheduled', status: 'True' }],
      containerStatuses: [
        {
          name: 'api',
          image: 'registry.example.com/api:2',
          imageID: '',
          ready: container.ready ?? false,
          restartCount: container.restartCount ?? 0,
          state: container.state,
        },
      ],
    },
  } as V1Pod;
}

function rollout(notReady: string[], done = false): RolloutStatus {
  return {
    done,
    failed: false,
    message: 'Waiting for deployment "api" rollout to finish: 1 of 2 updated replicas are available...',
    revision: 3,
    pods: {
      total: 2,
      ready: 2 - notReady.length,
      notReady: notReady.map((name) => ({ name, reason: 'Running' })),
    },
  } as RolloutStatus;
}

describe('startTrouble', () => {
  it('finds nothing wrong with a pod that only starts', () => {
    // Assess
    expect(startTrouble(pod('a', { state: { running: { startedAt: ago(10) } } }), NOW, 60)).toBeUndefined();
    expect(
      startTrouble(pod('b', { state: { waiting: { reason: 'ContainerCreating' } } }), NOW, 60),
    ).toBeUndefined();
  });

  it.each([
    [
      'restarted',
      pod('a', { restartCount: 1, state: { running: { startedAt: ago(5) } } }),
      /restarted 1 times/,
    ],
    [
      'waits for a failure',
      pod('a', { state: { waiting: { reason: 'CrashLoopBackOff' } } }),
      /waits: CrashLoopBackOff/,
    ],
    [
      'runs unready too long',
      pod('a', { state: { running: { startedAt: ago(300) } } }),
      /has run 300 s without becoming ready/,
    ],
    [
      'is still being created long after',
      pod('a', { state: { waiting: { reason: 'ContainerCreating' } } }, ago(600)),
      /still waits \(ContainerCreating\)/,
    ],
  ])('says what is wrong with a pod that %s', (_name, p, message) => {
    // Assess
    expect(startTrouble(p, NOW, 60)).toMatch(message);
  });
});

describe('cleanProgress', () => {
  it('is clean while every unready pod of the new revision only starts', () => {
    // Prepare
    const pods = [
      pod('new-1', { ready: true, state: { running: { startedAt: ago(20) } } }),
      pod('new-2', { state: { running: { startedAt: ago(3) } } }),
      pod('old-1', { restartCount: 7, state: { waiting: { reason: 'CrashLoopBackOff' } } }),
    ];

    // Assess: the crashed pod of the old revision is what the rollout replaces.
    expect(cleanProgress(rollout(['new-2']), pods, NOW, 60)).toEqual({ clean: true });
  });

  it('is not clean when a new pod fails, nor when there is no rollout under way', () => {
    // Prepare
    const failing = [pod('new-2', { restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } } })];

    // Assess
    expect(cleanProgress(rollout(['new-2']), failing, NOW, 60)).toMatchObject({ clean: false });
    expect(cleanProgress(rollout([], true), [], NOW, 60)).toEqual({ clean: false });
  });
});
