import { escalate, escalationReason } from '../../../lambdas/escalate/escalate';
import type { Verification, WorkflowState } from '../../../lambdas/shared/contracts';
import { SnsNotifier } from '../../../lambdas/shared/notify/sns-notifier';
import { receiveNotifications, REGION, startLocalAws, type LocalAws } from '../../support/aws';
import { allowed, diagnosticsAt, incident, stepEvent, target } from '../step-fixtures';

let aws: LocalAws;

beforeAll(async () => {
  aws = await startLocalAws();
});

afterAll(async () => {
  await aws.stop();
});

const t = target('alldata-api');
const inc = incident(t);

function failed(phase: Verification['phase'], message: string): Verification {
  return {
    outcome: 'failed',
    phase,
    message,
    deadline: '2026-01-01T00:06:00.000Z',
    checkedAt: '2026-01-01T00:06:01.000Z',
    history: [],
    rollbackPossible: false,
  };
}

describe('escalate', () => {
  it('pages with why, what was done, the probable cause and the evidence links', async () => {
    // Prepare
    const state: WorkflowState = {
      incident: inc,
      diagnostics: {
        ...diagnosticsAt(t, 2),
        probableCause: {
          ruleId: 'mysql-unreachable',
          cause: 'MySQL is not ready or not reachable (MySQL 未就绪).',
          suggestedFix: 'Check the MySQL pod and service.',
          runbook: 'one-data-studio-kubernetes-troubleshooting.md § 服务启动问题 / Alldata API 启动失败',
          evidence: "alldata-api-1/api (previous): Can't connect to MySQL server",
        },
      },
      events: {
        count: 3,
        warnings: 2,
        evidence: {
          events: `${inc.evidencePrefix}events.json`,
          manifest: `${inc.evidencePrefix}manifest.json`,
        },
      },
      guard: allowed(t),
      restart: { revisionBefore: 2, restartedAt: '2026-01-01T00:01:00Z', generation: 3 },
      verification: failed(
        'restart',
        'not healthy 300 s after the restart: Waiting for deployment "alldata-api"',
      ),
    };
    const deps = {
      notifier: new SnsNotifier(aws.sns, aws.topicArn),
      bucket: aws.bucket,
      region: REGION,
      now: () => new Date('2026-01-01T00:06:02Z'),
    };

    // Act
    const result = await escalate(stepEvent(state), deps);

    // Assess
    expect(result).toEqual({
      escalatedAt: '2026-01-01T00:06:02.000Z',
      why: 'The rollout restart did not recover the workload and there is no revision before the incident to roll back to: not healthy 300 s after the restart: Waiting for deployment "alldata-api"',
      notified: ['sns'],
    });
    const [message] = await receiveNotifications(aws);
    const text = JSON.parse(message.Message).default as string;
    expect(text).toContain('Needs a human: Deployment one-data-alldata/alldata-api');
    expect(text).toContain(`Incident: ${inc.id}`);
    expect(text).toContain('Stage:    escalated');
    expect(text).toContain('Outcome:  escalated');
    expect(text).toContain('Restarted at 2026-01-01T00:01:00Z (revision 2 was running).');
    expect(text).toContain('Probable cause: MySQL is not ready or not reachable');
    expect(text).toContain(`s3://${aws.bucket}/${inc.evidencePrefix}diagnostics.json`);
    expect(text).toContain(`s3://${aws.bucket}/${inc.evidencePrefix}events.json`);
    expect(message.MessageAttributes).toMatchObject({
      stage: { Value: 'escalated' },
      outcome: { Value: 'escalated' },
    });
  });

  it('says plainly that a dry run changed nothing', async () => {
    // Prepare
    const state: WorkflowState = {
      incident: incident(t, { dryRun: true }),
      guard: {
        allowed: false,
        reason: 'dry-run',
        detail: 'Dry run: no remediation; nothing in the cluster was changed.',
      },
    };
    const deps = {
      notifier: new SnsNotifier(aws.sns, aws.topicArn),
      bucket: aws.bucket,
      region: REGION,
      now: () => new Date(),
    };

    // Act
    await escalate(stepEvent(state), deps);

    // Assess
    const [message] = await receiveNotifications(aws);
    const text = JSON.parse(message.Message).default as string;
    expect(text).toContain('Dry run finished, human decision needed');
    expect(text).toContain(
      'Remediation not allowed (dry-run): Dry run: no remediation; nothing in the cluster was changed.',
    );
    expect(text).toContain('Nothing in the cluster was changed.');
    expect(message.MessageAttributes?.outcome.Value).toBe('dry-run');
  });
});

describe('escalationReason', () => {
  it('gives the caught error first, with the Lambda error message out of its JSON cause', () => {
    // Prepare
    const state: WorkflowState = {
      incident: inc,
      error: {
        Error: 'KubernetesRequestError',
        Cause: JSON.stringify({
          errorType: 'KubernetesRequestError',
          errorMessage:
            'get deployments.apps one-data-alldata/alldata-api: deployments.apps "alldata-api" is forbidden',
          trace: ['KubernetesRequestError: ...'],
        }),
      },
    };

    // Act
    const why = escalationReason(state);

    // Assess
    expect(why).toBe(
      'A step of the workflow failed: KubernetesRequestError: get deployments.apps one-data-alldata/alldata-api: deployments.apps "alldata-api" is forbidden',
    );
  });

  it('keeps a plain-text cause as it is', () => {
    expect(
      escalationReason({
        incident: inc,
        error: { Error: 'States.Timeout', Cause: 'Task timed out after 60 seconds' },
      }),
    ).toBe('A step of the workflow failed: States.Timeout: Task timed out after 60 seconds');
  });

  it('explains a rollback that did not help', () => {
    // Prepare
    const state: WorkflowState = {
      incident: inc,
      rollback: { fromRevision: 3, toRevision: 1, skipped: false, rolledBackAt: '2026-01-01T00:07:00Z' },
      verification: failed('rollback', 'deployment "alldata-api" exceeded its progress deadline'),
    };

    // Act
    const why = escalationReason(state);

    // Assess
    expect(why).toBe(
      'The rollback to revision 1 did not recover the workload: deployment "alldata-api" exceeded its progress deadline',
    );
  });
});
