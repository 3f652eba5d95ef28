import type { V1Pod } from '@kubernetes/client-node';
import { podTrouble, serviceName } from '../../../lambdas/diagnose/dependencies';

describe('serviceName', () => {
  it.each([
    ['redis', { namespace: 'apps', service: 'redis', explicit: false }],
    ['mysql.one-data-infra', { namespace: 'one-data-infra', service: 'mysql', explicit: false }],
    ['mysql.one-data-infra.svc', { namespace: 'one-data-infra', service: 'mysql', explicit: true }],
    [
      'milvus-proxy.one-data-infra.svc.cluster.local',
      { namespace: 'one-data-infra', service: 'milvus-proxy', explicit: true },
    ],
    [
      'mysql-0.mysql.one-data-infra.svc.cluster.local',
      { namespace: 'one-data-infra', service: 'mysql', explicit: true },
    ],
  ])('reads %s from namespace apps as a Service', (host, expected) => {
    // Assess
    expect(serviceName(host, 'apps')).toEqual(expected);
  });

  it.each(['localhost', '127.0.0.1', '0.0.0.0', 'api.openai.example.com'])('is no Service for %s', (host) => {
    // Assess
    expect(serviceName(host, 'apps')).toBeUndefined();
  });
});

describe('podTrouble', () => {
  const pod = (status: V1Pod['status']): V1Pod => ({ metadata: { name: 'redis-0' }, status });

  it('says what its pods lack, the way a responder would lead', () => {
    // Assess
    expect(podTrouble([])).toBe('its selector matches no pods (scaled to zero or deleted)');
    expect(
      podTrouble([
        pod({
          containerStatuses: [
            {
              name: 'redis',
              image: 'redis:7',
              imageID: '',
              ready: false,
              restartCount: 3,
              state: { waiting: { reason: 'CrashLoopBackOff' } },
              lastState: { terminated: { reason: 'OOMKilled', exitCode: 137 } },
            },
          ],
        }),
      ]),
    ).toBe('its pod redis-0 is OOMKilled (container redis)');
    expect(
      podTrouble([
        pod({
          phase: 'Pending',
          conditions: [
            {
              type: 'PodScheduled',
              status: 'False',
              message: '0/3 nodes are available: 3 Insufficient memory.',
            },
          ],
        }),
      ]),
    ).toBe('its pod redis-0 cannot be scheduled: 0/3 nodes are available: 3 Insufficient memory.');
  });
});
