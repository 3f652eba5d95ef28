import { InvalidPayloadError, parseAlertmanagerPayload } from '../../../lambdas/shared/alertmanager';
import { capture } from './captures';

function fieldOf(raw: unknown): string {
  try {
    parseAlertmanagerPayload(raw);
  } catch (error) {
    if (error instanceof InvalidPayloadError) return error.field;
    throw error;
  }
  throw new Error('expected the payload to be refused');
}

describe('parseAlertmanagerPayload', () => {
  it.each(['crashloop-firing', 'crashloop-one-resolved', 'crashloop-resolved'] as const)(
    'accepts what Alertmanager sent (%s)',
    (name) => {
      // Act
      const payload = parseAlertmanagerPayload(capture(name));

      // Assess
      expect(payload.version).toBe('4');
      expect(payload.groupKey).toBe('{}:{alertname="KubePodCrashLooping", namespace="one-data-alldata"}');
      expect(payload.alerts.length).toBeGreaterThan(0);
    },
  );

  it('ignores fields a later Alertmanager may add within version 4, and checks every known one', () => {
    // Prepare
    const newer = {
      ...capture('crashloop-firing'),
      groupID: 'a1b2',
      alerts: [{ ...capture('crashloop-firing').alerts[0], silenced: false }],
    };

    // Act
    const payload = parseAlertmanagerPayload(newer);

    // Assess
    expect(payload).not.toHaveProperty('groupID');
    expect(payload.alerts[0]).not.toHaveProperty('silenced');
  });

  const alert = (change: Record<string, unknown>) => {
    const payload = capture('crashloop-firing');
    return { ...payload, alerts: [payload.alerts[0], { ...payload.alerts[1], ...change }] };
  };
  const without = (field: string) => {
    const { [field]: _dropped, ...rest } = capture('crashloop-firing');
    return rest;
  };

  it.each([
    ['version 3', { ...capture('crashloop-firing'), version: '3' }, 'version'],
    ['no group key', without('groupKey'), 'groupKey'],
    ['no receiver', without('receiver'), 'receiver'],
    ['a pending status', { ...capture('crashloop-firing'), status: 'pending' }, 'status'],
    ['no alerts', { ...capture('crashloop-firing'), alerts: [] }, 'alerts'],
    ['alerts that are not a list', { ...capture('crashloop-firing'), alerts: {} }, 'alerts'],
    ['a numeric label', alert({ labels: { alertname: 'X', replicas: 3 } }), 'alerts.1.labels.replicas'],
    ['a bad fingerprint', alert({ fingerprint: 'not-hex' }), 'alerts.1.fingerprint'],
    ['a start that is no time', alert({ startsAt: 'yesterday' }), 'alerts.1.startsAt'],
    ['no end', alert({ endsAt: undefined }), 'alerts.1.endsAt'],
    ['no annotations', alert({ annotations: null }), 'alerts.1.annotations'],
    [
      'a negative truncatedAlerts',
      { ...capture('crashloop-firing'), truncatedAlerts: -1 },
      'truncatedAlerts',
    ],
    ['not an object', 'firing', '(payload)'],
  ])('refuses %s, naming the field', (_case, raw, field) => {
    // Act
    const named = fieldOf(raw);

    // Assess
    expect(named).toBe(field);
  });
});
