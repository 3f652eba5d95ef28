import { FanOutNotifier, type Notification, type Notifier } from '../../../../lambdas/shared/notify/notifier';

const notification = {
  stage: 'escalated',
  incidentId: 'i-1',
  target: { namespace: 'shop', kind: 'Deployment', name: 'api' },
  severity: 'high',
  outcome: 'escalated',
  title: 'Escalated',
  details: [],
  evidence: [],
} satisfies Notification;

const delivering = (name: string): Notifier => ({ notify: async () => [name] });
const failing = (message: string): Notifier => ({
  notify: async () => {
    throw new Error(message);
  },
});

describe('FanOutNotifier', () => {
  it('reports the channels that delivered and the failures of the others', async () => {
    // Prepare
    const errors: unknown[] = [];
    const notifier = new FanOutNotifier([delivering('sns'), failing('Slack webhook answered 500')], (e) =>
      errors.push(e),
    );

    // Act
    const delivered = await notifier.notify(notification);

    // Assess
    expect(delivered).toEqual(['sns']);
    expect(errors).toEqual([new Error('Slack webhook answered 500')]);
  });

  it('fails when no channel delivered', async () => {
    // Prepare
    const notifier = new FanOutNotifier(
      [failing('SNS throttled'), failing('Slack timeout')],
      () => undefined,
    );

    // Act
    const failure = notifier.notify(notification);

    // Assess
    await expect(failure).rejects.toThrow('no notification channel delivered: SNS throttled; Slack timeout');
    await expect(failure).rejects.toMatchObject({ name: 'NotificationError' });
  });
});
