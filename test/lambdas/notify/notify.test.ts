import { notify, type NotifyDeps } from '../../../lambdas/notify/notify';
import type { Incident, Notified, StepEvent } from '../../../lambdas/shared/contracts';
import { SnsNotifier } from '../../../lambdas/shared/notify/sns-notifier';
import { receiveNotifications, REGION, startLocalAws, type LocalAws } from '../../support/aws';
import { EXECUTION, incident, target } from '../step-fixtures';

let aws: LocalAws;

beforeAll(async () => {
  aws = await startLocalAws();
});

afterAll(async () => {
  await aws.stop();
});

/** A console execution's input, as design §4 documents it. */
const consoleInput = {
  source: 'manual',
  target: { namespace: 'one-data-alldata', kind: 'Deployment', name: 'alldata-api' },
  alert: {
    name: 'ServiceDown',
    severity: 'critical',
    summary: '服务 alldata-api 不可用',
    labels: { job: 'alldata-api' },
    annotations: {},
    startsAt: '2025-12-31T23:58:00Z',
  },
  options: { dryRun: false, waitSeconds: 60, verifyTimeoutSeconds: 300, allowRollback: true },
};

function depsWithCount() {
  const built = { count: 0 };
  const deps = async (): Promise<NotifyDeps> => {
    built.count++;
    return {
      notifier: new SnsNotifier(aws.sns, aws.topicArn),
      bucket: aws.bucket,
      region: REGION,
      now: () => new Date('2026-01-01T00:05:00Z'),
    };
  };
  return { deps, built };
}

describe('notify (opened)', () => {
  it('names the incident after the execution and announces it with the evidence folder', async () => {
    // Prepare
    const { deps } = depsWithCount();

    // Act
    const result = (await notify(
      { state: consoleInput, execution: EXECUTION, params: { stage: 'opened' } },
      deps,
    )) as Incident;

    // Assess
    expect(result).toEqual({
      ...consoleInput,
      id: expect.stringMatching(/^20260101-000000-one-data-alldata-alldata-api-[0-9a-f]{6}$/),
      openedAt: '2026-01-01T00:00:00.000Z',
      evidencePrefix: `incidents/2026/01/01/${result.id}/`,
    });
    const [message] = await receiveNotifications(aws);
    const text = JSON.parse(message.Message).default as string;
    expect(text).toContain('Incident opened: ServiceDown on Deployment one-data-alldata/alldata-api');
    expect(text).toContain(`Incident: ${result.id}`);
    expect(text).toContain('Stage:    opened');
    expect(text).toContain('Outcome:  investigating');
    expect(text).toContain(`s3://${aws.bucket}/${result.evidencePrefix}`);
    expect(message.MessageAttributes?.stage.Value).toBe('opened');
  });

  it('gives the same incident id when Open Incident is retried', async () => {
    // Prepare
    const { deps } = depsWithCount();
    const event = { state: consoleInput, execution: EXECUTION, params: { stage: 'opened' } };

    // Act
    const first = (await notify(event, deps)) as Incident;
    const second = (await notify(event, deps)) as Incident;

    // Assess
    expect(second.id).toBe(first.id);
    await receiveNotifications(aws);
  });

  it('fills the option defaults of a minimal input', async () => {
    // Prepare
    const { deps } = depsWithCount();
    const { options: _options, ...minimal } = consoleInput;

    // Act
    const result = (await notify(
      { state: minimal, execution: EXECUTION, params: { stage: 'opened' } },
      deps,
    )) as Incident;

    // Assess
    expect(result.options).toEqual({
      dryRun: false,
      waitSeconds: 60,
      verifyTimeoutSeconds: 300,
      allowRollback: true,
    });
    await receiveNotifications(aws);
  });

  it.each([
    ['target.namespace', { ...consoleInput, target: { ...consoleInput.target, namespace: 'One_Data' } }],
    ['target.kind', { ...consoleInput, target: { ...consoleInput.target, kind: 'ReplicaSet' } }],
    ['alert.severity', { ...consoleInput, alert: { ...consoleInput.alert, severity: 'P0' } }],
    ['options.waitSeconds', { ...consoleInput, options: { ...consoleInput.options, waitSeconds: -1 } }],
  ])('fails naming %s, before building anything or notifying', async (field, input) => {
    // Prepare
    const { deps, built } = depsWithCount();

    // Act
    const failure = notify({ state: input, execution: EXECUTION, params: { stage: 'opened' } }, deps);

    // Assess
    await expect(failure).rejects.toMatchObject({ name: 'InvalidInputError', field });
    await expect(failure).rejects.toThrow(`invalid execution input: ${field}: `);
    expect(built.count).toBe(0);
    expect(await receiveNotifications(aws)).toEqual([]);
  });
});

describe('notify (recovered)', () => {
  it('says how the workload recovered and links the evidence', async () => {
    // Prepare
    const { deps } = depsWithCount();
    const inc = incident(target('alldata-api'));
    const event: StepEvent = {
      state: {
        incident: inc,
        events: {
          count: 12,
          warnings: 5,
          evidence: {
            events: `${inc.evidencePrefix}events.json`,
            manifest: `${inc.evidencePrefix}manifest.json`,
          },
        },
        verification: {
          outcome: 'healthy',
          phase: 'restart',
          message: 'deployment "alldata-api" successfully rolled out; 2/2 pods of revision 2 ready',
          deadline: '2026-01-01T00:06:00.000Z',
          checkedAt: '2026-01-01T00:02:05.000Z',
          history: [],
          rollbackPossible: false,
        },
      },
      execution: EXECUTION,
      params: { stage: 'recovered' },
    };

    // Act
    const result = (await notify(event, deps)) as Notified;

    // Assess
    expect(result).toEqual({ notifiedAt: '2026-01-01T00:05:00.000Z', notified: ['sns'] });
    const [message] = await receiveNotifications(aws);
    const text = JSON.parse(message.Message).default as string;
    expect(text).toContain('Recovered by rollout restart: Deployment one-data-alldata/alldata-api');
    expect(text).toContain('Outcome:  recovered-by-restart');
    expect(text).toContain(`s3://${aws.bucket}/${inc.evidencePrefix}events.json`);
    expect(text).toContain(`s3://${aws.bucket}/${inc.evidencePrefix}manifest.json`);
  });

  it('refuses an unknown stage', async () => {
    // Prepare
    const { deps } = depsWithCount();

    // Act
    const failure = notify({ state: {}, execution: EXECUTION, params: { stage: 'closed' } }, deps);

    // Assess
    await expect(failure).rejects.toMatchObject({ name: 'ConfigurationError' });
  });
});
