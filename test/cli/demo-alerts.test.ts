import type { V1Pod } from '@kubernetes/client-node';
import { parseAlertmanagerPayload } from '../../lambdas/shared/alertmanager';
import { labelSetFingerprint, serviceDownPayload } from '../../local/cli/demo-alerts';

function pod(name: string, ready: boolean, podIP: string): V1Pod {
  return {
    metadata: { name, namespace: 'one-data-alldata', labels: { app: 'alldata-api' } },
    spec: {
      containers: [{ name: 'alldata-api', image: 'alldata-api:2.4.1', ports: [{ containerPort: 8080 }] }],
    },
    status: {
      phase: 'Running',
      podIP,
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    },
  };
}

describe('the demo’s Alertmanager webhooks', () => {
  it('fingerprints label sets as Prometheus does (prometheus/common model test vectors)', () => {
    // Assess
    expect(labelSetFingerprint({})).toBe(14695981039346656037n.toString(16));
    expect(labelSetFingerprint({ name: 'garland, briggs', fear: 'love is not enough' })).toBe(
      5799056148416392346n.toString(16).padStart(16, '0'),
    );
  });

  it('sends ServiceDown for each pod whose target is down, as a valid version-4 payload of one group', () => {
    // Prepare
    const pods = [
      pod('alldata-api-7d9c-a1', false, '10.0.1.5'),
      pod('alldata-api-7d9c-b2', true, '10.0.2.6'),
    ];

    // Act
    const payload = serviceDownPayload({
      namespace: 'one-data-alldata',
      service: 'alldata-api',
      pods,
      activeSince: Date.parse('2026-11-22T03:00:00.120Z'),
    });

    // Assess
    expect(parseAlertmanagerPayload(JSON.parse(JSON.stringify(payload)))).toEqual(payload);
    expect(payload.alerts).toHaveLength(1);
    const [alert] = payload.alerts;
    expect(alert.labels).toEqual({
      alertname: 'ServiceDown',
      container: 'alldata-api',
      endpoint: 'http',
      instance: '10.0.1.5:8080',
      job: 'alldata-api',
      namespace: 'one-data-alldata',
      pod: 'alldata-api-7d9c-a1',
      prometheus: 'monitoring/k8s',
      service: 'alldata-api',
      severity: 'critical',
    });
    expect(alert.annotations).toEqual({ summary: '服务 alldata-api 不可用' });
    expect(alert.startsAt).toBe('2026-11-22T03:00:00.12Z');
    expect(alert.endsAt).toBe('0001-01-01T00:00:00Z');
    expect(alert.fingerprint).toBe(labelSetFingerprint(alert.labels));
    expect(new URL(alert.generatorURL).searchParams.get('g0.expr')).toBe(
      'up{job=~"data-api|agent-api|alldata-api|bisheng-api"} == 0',
    );
    expect(payload.groupKey).toBe(
      '{}/{severity="critical"}:{alertname="ServiceDown", job="alldata-api", namespace="one-data-alldata"}',
    );
    expect(payload.commonLabels).toEqual(alert.labels);
    expect(payload.status).toBe('firing');
  });
});
