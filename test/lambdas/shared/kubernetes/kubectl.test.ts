import type {
  CoreV1Event,
  V1ControllerRevision,
  V1Deployment,
  V1ReplicaSet,
  V1StatefulSet,
} from '@kubernetes/client-node';
import { RolloutRefusedError } from '../../../../lambdas/shared/errors';
import {
  controllerRevisionMatches,
  daemonSetStatus,
  deploymentRollbackTarget,
  deploymentStatus,
  deploymentUndo,
  labelSelectorString,
  rfc3339Seconds,
  semanticEqual,
  sortEvents,
  statefulSetStatus,
  toCoreEvent,
} from '../../../../lambdas/shared/kubernetes/kubectl';

// kubectl's client-side rules on objects as the API returns them; the cases mirror
// kubernetes/kubectl pkg/polymorphichelpers rollout_status_test.go and rollback_test.go.

function deploymentWith(status: V1Deployment['status'], generation = 2, replicas = 3): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'alldata-api', namespace: 'one-data-alldata', generation },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'alldata-api' } },
      template: {
        metadata: { labels: { app: 'alldata-api' } },
        spec: { containers: [{ name: 'app', image: 'a:1' }] },
      },
    },
    status,
  };
}

describe('deploymentStatus', () => {
  it.each([
    [{ observedGeneration: 1 }, 'Waiting for deployment spec update to be observed...', false],
    [
      { observedGeneration: 2, replicas: 3, updatedReplicas: 1, availableReplicas: 2 },
      'Waiting for deployment "alldata-api" rollout to finish: 1 out of 3 new replicas have been updated...',
      false,
    ],
    [
      { observedGeneration: 2, replicas: 4, updatedReplicas: 3, availableReplicas: 3 },
      'Waiting for deployment "alldata-api" rollout to finish: 1 old replicas are pending termination...',
      false,
    ],
    [
      { observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 1 },
      'Waiting for deployment "alldata-api" rollout to finish: 1 of 3 updated replicas are available...',
      false,
    ],
    [
      { observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 3 },
      'deployment "alldata-api" successfully rolled out',
      true,
    ],
  ])('%j → %s', (status, message, done) => {
    // Act
    const view = deploymentStatus(deploymentWith(status));

    // Assess
    expect(view).toEqual({ done, failed: false, message });
  });

  it('fails on Progressing=False ProgressDeadlineExceeded once the generation is observed', () => {
    // Prepare
    const exceeded = deploymentWith({
      observedGeneration: 2,
      replicas: 3,
      updatedReplicas: 3,
      unavailableReplicas: 3,
      conditions: [
        { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: '...' },
        {
          type: 'Progressing',
          status: 'False',
          reason: 'ProgressDeadlineExceeded',
          message: 'ReplicaSet "alldata-api-7d9c6b8f5" has timed out progressing.',
        },
      ],
    });

    // Act
    const view = deploymentStatus(exceeded);
    const notObservedYet = deploymentStatus({
      ...exceeded,
      metadata: { ...exceeded.metadata, generation: 3 },
    });

    // Assess
    expect(view).toEqual({
      done: false,
      failed: true,
      message: 'deployment "alldata-api" exceeded its progress deadline',
    });
    expect(notObservedYet.failed).toBe(false);
  });
});

describe('statefulSetStatus and daemonSetStatus', () => {
  const sts = (status: V1StatefulSet['status'], partition?: number): V1StatefulSet => ({
    metadata: { name: 'mysql', generation: 2 },
    spec: {
      replicas: 3,
      serviceName: 'mysql',
      selector: {},
      template: {},
      updateStrategy: {
        type: 'RollingUpdate',
        ...(partition === undefined ? {} : { rollingUpdate: { partition } }),
      },
    },
    status,
  });

  it('follows the StatefulSet rules: observed, ready, partition, revisions', () => {
    // Act + Assess
    expect(statefulSetStatus(sts({ replicas: 3, observedGeneration: 0 })).message).toBe(
      'Waiting for statefulset spec update to be observed...',
    );
    expect(statefulSetStatus(sts({ replicas: 3, observedGeneration: 2, readyReplicas: 1 })).message).toBe(
      'Waiting for 2 pods to be ready...',
    );
    expect(
      statefulSetStatus(sts({ replicas: 3, observedGeneration: 2, readyReplicas: 3, updatedReplicas: 1 }, 1)),
    ).toEqual({
      done: false,
      failed: false,
      message: 'Waiting for partitioned roll out to finish: 1 out of 2 new pods have been updated...',
    });
    expect(
      statefulSetStatus(sts({ replicas: 3, observedGeneration: 2, readyReplicas: 3, updatedReplicas: 3 }, 0)),
    ).toEqual({
      done: true,
      failed: false,
      message: 'partitioned roll out complete: 3 new pods have been updated...',
    });
    expect(
      statefulSetStatus(
        sts({
          replicas: 3,
          observedGeneration: 2,
          readyReplicas: 3,
          updatedReplicas: 1,
          currentRevision: 'mysql-5c4d',
          updateRevision: 'mysql-7f8b',
        }),
      ).message,
    ).toBe('waiting for statefulset rolling update to complete 1 pods at revision mysql-7f8b...');
  });

  it('refuses OnDelete strategies as kubectl does', () => {
    // Prepare
    const onDelete = sts({ replicas: 3, observedGeneration: 2 });
    onDelete.spec!.updateStrategy = { type: 'OnDelete' };

    // Act
    const view = statefulSetStatus(onDelete);
    const ds = daemonSetStatus({
      metadata: { name: 'fluent-bit' },
      spec: { selector: {}, template: {}, updateStrategy: { type: 'OnDelete' } },
    });

    // Assess
    expect(view).toEqual({
      done: false,
      failed: true,
      message: 'rollout status is only available for RollingUpdate strategy type',
    });
    expect(ds.message).toBe('rollout status is only available for RollingUpdate strategy type');
  });

  it('follows the DaemonSet rules: updated, then available', () => {
    // Prepare
    const ds = (status: Record<string, number>) =>
      daemonSetStatus({
        metadata: { name: 'fluent-bit', generation: 1 },
        spec: { selector: {}, template: {}, updateStrategy: { type: 'RollingUpdate' } },
        status: {
          observedGeneration: 1,
          currentNumberScheduled: 3,
          numberMisscheduled: 0,
          numberReady: 0,
          desiredNumberScheduled: 3,
          ...status,
        },
      });

    // Act + Assess
    expect(ds({ updatedNumberScheduled: 2 }).message).toBe(
      'Waiting for daemon set "fluent-bit" rollout to finish: 2 out of 3 new pods have been updated...',
    );
    expect(ds({ updatedNumberScheduled: 3, numberAvailable: 1 }).message).toBe(
      'Waiting for daemon set "fluent-bit" rollout to finish: 1 of 3 updated pods are available...',
    );
    expect(ds({ updatedNumberScheduled: 3, numberAvailable: 3 })).toEqual({
      done: true,
      failed: false,
      message: 'daemon set "fluent-bit" successfully rolled out',
    });
  });
});

describe('deployment rollback', () => {
  function rs(
    name: string,
    revision: number | undefined,
    image: string,
    annotations: Record<string, string> = {},
  ): V1ReplicaSet {
    return {
      metadata: {
        name,
        annotations: {
          ...(revision === undefined ? {} : { 'deployment.kubernetes.io/revision': String(revision) }),
          ...annotations,
        },
      },
      spec: {
        selector: {},
        template: {
          metadata: { labels: { app: 'alldata-api', 'pod-template-hash': name.split('-').pop()! } },
          spec: { containers: [{ name: 'app', image }] },
        },
      },
    };
  }

  it('picks the second-highest revision whatever the list order, or the one asked for', () => {
    // Prepare: a ReplicaSet whose revision is not a number is passed over, as kubectl does.
    const unreadable = rs('api-x', undefined, 'a:x', { 'deployment.kubernetes.io/revision': 'x' });
    const owned = [
      unreadable,
      rs('api-c', 3, 'a:3'),
      rs('api-a', 1, 'a:1'),
      rs('api-d', 10, 'a:10'),
      rs('api-b', 2, 'a:2'),
    ];
    const d = deploymentWith({});

    // Act + Assess
    expect(deploymentRollbackTarget(d, owned, 0).metadata?.name).toBe('api-c');
    expect(deploymentRollbackTarget(d, owned, 2).metadata?.name).toBe('api-b');
    expect(() => deploymentRollbackTarget(d, owned, 4)).toThrow(
      new RolloutRefusedError('unable to find specified revision 4 in history'),
    );
    expect(() => deploymentRollbackTarget(d, [unreadable, owned[1]], 0)).toThrow(
      'no rollout history found for deployment "alldata-api"',
    );
  });

  it('patches the template without pod-template-hash and the annotations as kubectl computes them', () => {
    // Prepare
    const d = deploymentWith({});
    d.spec!.template.spec!.containers[0].image = 'a:3';
    d.metadata!.annotations = {
      'deployment.kubernetes.io/revision': '3',
      'kubectl.kubernetes.io/last-applied-configuration': '{"kind":"Deployment"}',
      'kubernetes.io/change-cause': 'kubectl set image deployment/alldata-api app=a:3',
      team: 'data',
    };
    const target = rs('api-a', 1, 'a:1', {
      'deployment.kubernetes.io/revision': '1',
      'deployment.kubernetes.io/desired-replicas': '3',
      'deployment.kubernetes.io/max-replicas': '4',
      'kubernetes.io/change-cause': 'initial release',
    });

    // Act
    const decision = deploymentUndo(d, target, 0);

    // Assess
    expect(decision).toEqual({
      message: 'rolled back',
      skipped: false,
      patch: [
        {
          op: 'replace',
          path: '/spec/template',
          value: {
            metadata: { labels: { app: 'alldata-api' } },
            spec: { containers: [{ name: 'app', image: 'a:1' }] },
          },
        },
        {
          op: 'replace',
          path: '/metadata/annotations',
          value: {
            'kubectl.kubernetes.io/last-applied-configuration': '{"kind":"Deployment"}',
            'deployment.kubernetes.io/revision': '3',
            'kubernetes.io/change-cause': 'initial release',
          },
        },
      ],
    });
  });
});

describe('equality and selectors', () => {
  it('treats absent, null and empty collections alike, as Semantic.DeepEqual does', () => {
    // Act + Assess
    expect(
      semanticEqual(
        { metadata: { labels: {} }, spec: { volumes: [] } },
        { metadata: {}, spec: { volumes: null } },
      ),
    ).toBe(true);
    expect(semanticEqual({ spec: { replicas: 0 } }, { spec: {} })).toBe(false);
  });

  it('matches a ControllerRevision`s patch bytes against the live template', () => {
    // Prepare
    const revision: V1ControllerRevision = {
      revision: 1,
      data: {
        spec: {
          template: {
            $patch: 'replace',
            metadata: { creationTimestamp: null, labels: { app: 'mysql' } },
            spec: { containers: [{ image: 'mysql:8.0.36', name: 'mysql', resources: {} }] },
          },
        },
      },
    };

    // Act + Assess
    expect(
      controllerRevisionMatches(
        {
          metadata: { labels: { app: 'mysql' } },
          spec: { containers: [{ name: 'mysql', image: 'mysql:8.0.36' }] },
        },
        revision,
      ),
    ).toBe(true);
    expect(
      controllerRevisionMatches(
        { metadata: { labels: { app: 'mysql' } }, spec: { containers: [] } },
        revision,
      ),
    ).toBe(false);
  });

  it('writes label selectors as labels.Selector.String() does: sorted by key', () => {
    // Act
    const selector = labelSelectorString({
      matchLabels: { tier: 'api', app: 'alldata' },
      matchExpressions: [
        { key: 'env', operator: 'In', values: ['prod', 'canary'] },
        { key: 'legacy', operator: 'DoesNotExist' },
        { key: 'zone', operator: 'NotIn', values: ['eu-west-1c'] },
        { key: 'owner', operator: 'Exists' },
      ],
    });

    // Assess
    expect(selector).toBe('app=alldata,env in (canary,prod),!legacy,owner,tier=api,zone notin (eu-west-1c)');
  });

  it('formats restartedAt as time.RFC3339 in UTC, to the second', () => {
    expect(rfc3339Seconds(new Date('2026-03-01T12:00:05.987Z'))).toBe('2026-03-01T12:00:05Z');
  });
});

describe('sortEvents', () => {
  const event = (name: string, times: Partial<CoreV1Event>): CoreV1Event => ({
    metadata: { name, namespace: 'one-data-alldata', uid: name },
    involvedObject: { kind: 'Pod', name: 'alldata-api-7d9c6b8f5-x2x9q' },
    ...times,
  });

  it('orders by series.lastObservedTime, else lastTimestamp, else eventTime, like kubectl events', () => {
    // Prepare
    const events = [
      event('series', {
        lastTimestamp: new Date('2026-01-01T00:00:01Z'),
        series: { count: 5, lastObservedTime: '2026-01-01T00:05:00.000000Z' as never },
      }),
      event('legacy', {
        firstTimestamp: new Date('2026-01-01T00:00:00Z'),
        lastTimestamp: new Date('2026-01-01T00:03:00Z'),
      }),
      event('new-api', { eventTime: '2026-01-01T00:01:00.500000Z' as never }),
      event('legacy-tie', { lastTimestamp: new Date('2026-01-01T00:03:00Z') }),
    ];

    // Act
    const sorted = sortEvents(events).map((e) => e.metadata.name);

    // Assess
    expect(sorted).toEqual(['new-api', 'legacy', 'legacy-tie', 'series']);
  });

  it('converts events.k8s.io/v1 fields to their core/v1 names', () => {
    // Act
    const core = toCoreEvent({
      metadata: { name: 'e', uid: 'u' },
      eventTime: '2026-01-01T00:00:00.000000Z' as never,
      regarding: { kind: 'Pod', name: 'p' },
      note: 'Back-off restarting failed container app',
      reason: 'BackOff',
      type: 'Warning',
      reportingController: 'kubelet',
      deprecatedLastTimestamp: new Date('2026-01-01T00:02:00Z'),
      deprecatedCount: 4,
    });

    // Assess
    expect(core).toMatchObject({
      involvedObject: { kind: 'Pod', name: 'p' },
      message: 'Back-off restarting failed container app',
      reportingComponent: 'kubelet',
      lastTimestamp: new Date('2026-01-01T00:02:00Z'),
      count: 4,
    });
  });
});
