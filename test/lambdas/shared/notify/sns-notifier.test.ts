import { SnsNotifier } from '../../../../lambdas/shared/notify/sns-notifier';
import type { Notification } from '../../../../lambdas/shared/notify/notifier';
import { evidenceLink } from '../../../../lambdas/shared/evidence/links';
import { receiveNotifications, REGION, startLocalAws, type LocalAws } from '../../../support/aws';

let aws: LocalAws;

beforeAll(async () => {
  aws = await startLocalAws();
});

afterAll(async () => {
  await aws.stop();
});

const prefix = 'incidents/2026/01/01/20260101-000000-one-data-alldata-alldata-api-3f9a1c/';

function notification(overrides: Partial<Notification> = {}): Notification {
  return {
    stage: 'escalated',
    incidentId: '20260101-000000-one-data-alldata-alldata-api-3f9a1c',
    target: { namespace: 'one-data-alldata', kind: 'Deployment', name: 'alldata-api' },
    severity: 'critical',
    outcome: 'escalated',
    title: 'Automatic recovery failed: Deployment one-data-alldata/alldata-api',
    details: ['Verify (restart): deployment "alldata-api" exceeded its progress deadline'],
    evidence: [evidenceLink('evidence-bucket', REGION, `${prefix}diagnostics.json`, 'diagnostics.json')],
    ...overrides,
  };
}

/**
 * fauxqs delivers the whole JSON structure to SQS where SNS would pick its `sqs` member;
 * read whichever arrived, so the assertions hold for both.
 */
function document(message: string): Record<string, unknown> {
  const parsed = JSON.parse(message) as Record<string, unknown>;
  return typeof parsed.sqs === 'string' ? (JSON.parse(parsed.sqs) as Record<string, unknown>) : parsed;
}

describe('SnsNotifier', () => {
  it('publishes a subject, a structured message and filterable attributes', async () => {
    // Prepare
    const notifier = new SnsNotifier(aws.sns, aws.topicArn);

    // Act
    const delivered = await notifier.notify(notification());

    // Assess
    expect(delivered).toEqual(['sns']);
    const [received] = await receiveNotifications(aws);
    expect(received.Subject).toMatch(
      /^\[CRITICAL\] escalated: Deployment one-data-alldata\/alldata-api \(escalated\) 2026.*\.\.\.$/,
    );
    expect(received.Subject).toHaveLength(100);
    const structure = JSON.parse(received.Message) as Record<string, string>;
    expect(structure.default).toContain('Incident: 20260101-000000-one-data-alldata-alldata-api-3f9a1c');
    expect(structure.default).toContain('Stage:    escalated');
    expect(structure.default).toContain(`s3://evidence-bucket/${prefix}diagnostics.json`);
    expect(document(received.Message)).toMatchObject({
      incidentId: '20260101-000000-one-data-alldata-alldata-api-3f9a1c',
      stage: 'escalated',
      outcome: 'escalated',
      target: { namespace: 'one-data-alldata', kind: 'Deployment', name: 'alldata-api' },
      evidence: [
        {
          label: 'diagnostics.json',
          s3Uri: `s3://evidence-bucket/${prefix}diagnostics.json`,
          consoleUrl: `https://${REGION}.console.aws.amazon.com/s3/object/evidence-bucket?region=${REGION}&prefix=${encodeURIComponent(`${prefix}diagnostics.json`)}`,
        },
      ],
    });
    expect(received.MessageAttributes).toMatchObject({
      stage: { Type: 'String', Value: 'escalated' },
      severity: { Type: 'String', Value: 'critical' },
      outcome: { Type: 'String', Value: 'escalated' },
    });
  });

  it('keeps the subject ASCII for alerts named in other scripts', async () => {
    // Prepare
    const notifier = new SnsNotifier(aws.sns, aws.topicArn);

    // Act
    await notifier.notify(
      notification({
        target: { namespace: 'ops', kind: 'Deployment', name: 'api' },
        incidentId: '服务不可用',
      }),
    );

    // Assess
    const [received] = await receiveNotifications(aws);
    expect(received.Subject).toMatch(/^[\x20-\x7e]+$/);
  });

  it('redacts credentials in what it publishes', async () => {
    // Prepare
    const notifier = new SnsNotifier(aws.sns, aws.topicArn);

    // Act
    await notifier.notify(
      notification({
        details: ['Cause: KubernetesRequestError: login mysql://root:Zx9kq2Lr@mysql:3306 failed'],
      }),
    );

    // Assess
    const [received] = await receiveNotifications(aws);
    expect(JSON.stringify(received)).not.toContain('Zx9kq2Lr');
    expect(JSON.stringify(received)).toContain('mysql://root:[REDACTED]@mysql:3306');
  });
});
