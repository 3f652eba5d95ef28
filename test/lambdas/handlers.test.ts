import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { Incident, ReportResult } from '../../lambdas/shared/contracts';
import { receiveNotifications, REGION, startLocalAws, type LocalAws } from '../support/aws';
import { coldStart, useLambdaEnvironment } from './handler-fixtures';
import { EXECUTION, incident, stepEvent, target } from './step-fixtures';

// The handlers as Lambda runs them: configuration from the environment only, AWS endpoints
// through the SDK's standard AWS_ENDPOINT_URL (pointing at fauxqs here).
let aws: LocalAws;
const lambdaEnvironment = useLambdaEnvironment(() => aws);

beforeAll(async () => {
  aws = await startLocalAws();
});

afterAll(async () => {
  await aws.stop();
});

type NotifyModule = typeof import('../../lambdas/notify/handler');
type ReportModule = typeof import('../../lambdas/report/handler');

const input = {
  source: 'manual',
  target: { namespace: 'one-data-alldata', kind: 'Deployment', name: 'alldata-api' },
  alert: { name: 'ServiceDown', severity: 'critical', startsAt: '2025-12-31T23:58:00Z' },
};

describe('notify handler', () => {
  it('opens an incident with the topic and bucket of its environment', async () => {
    // Prepare
    lambdaEnvironment({ EVIDENCE_BUCKET: aws.bucket, TOPIC_ARN: aws.topicArn });
    const { handler } = coldStart<NotifyModule>('../../lambdas/notify/handler');

    // Act
    const result = (await handler({
      state: input,
      execution: EXECUTION,
      params: { stage: 'opened' },
    })) as Incident;

    // Assess
    expect(result.evidencePrefix).toBe(`incidents/2026/01/01/${result.id}/`);
    const [message] = await receiveNotifications(aws);
    expect(JSON.parse(message.Message).default).toContain(
      `https://${REGION}.console.aws.amazon.com/s3/buckets/${aws.bucket}`,
    );
  });

  it('rejects bad input before it even reads its environment', async () => {
    // Prepare: no environment at all.
    lambdaEnvironment({});
    const { handler } = coldStart<NotifyModule>('../../lambdas/notify/handler');

    // Act
    const failure = handler({
      state: { ...input, source: 'pagerduty' },
      execution: EXECUTION,
      params: { stage: 'opened' },
    });

    // Assess
    await expect(failure).rejects.toMatchObject({ name: 'InvalidInputError', field: 'source' });
  });
});

describe('report handler', () => {
  it('writes the report to the bucket of its environment', async () => {
    // Prepare
    lambdaEnvironment({ EVIDENCE_BUCKET: aws.bucket });
    const { handler } = coldStart<ReportModule>('../../lambdas/report/handler');
    const inc = incident(target('alldata-api'), { dryRun: true });

    // Act
    const result: ReportResult = await handler(stepEvent({ incident: inc }));

    // Assess
    const stored = await aws.s3.send(new GetObjectCommand({ Bucket: aws.bucket, Key: result.markdown }));
    expect(await stored.Body!.transformToString()).toContain(`# Incident ${inc.id}`);
  });
});

describe('the report handler as Lambda invokes it', () => {
  it("logs with the invocation's keys and prints the incident's metrics as EMF to stdout", async () => {
    // Prepare
    lambdaEnvironment({
      EVIDENCE_BUCKET: aws.bucket,
      POWERTOOLS_SERVICE_NAME: 'incident-stack',
      POWERTOOLS_METRICS_NAMESPACE: 'EksIncidentResponse',
      // What Lambda sets in an instance started for an invocation (Powertools reads cold starts from it).
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    });
    const { handler } = coldStart<ReportModule>('../../lambdas/report/handler');
    const inc = incident(target('alldata-api'));
    const context = {
      functionName: 'report',
      awsRequestId: 'req-1',
      invokedFunctionArn: 'arn',
      memoryLimitInMB: '512',
    };
    const lines: string[] = [];
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      return true;
    });

    // Act
    let result: ReportResult;
    try {
      result = await handler(
        {
          ...stepEvent({ incident: inc, escalation: { escalatedAt: inc.openedAt, why: 'x', notified: [] } }),
          step: 'Report',
        },
        context as never,
      );
    } finally {
      stdout.mockRestore();
    }

    // Assess
    const printed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(printed.find((p) => p.message === 'step finished')).toMatchObject({
      level: 'INFO',
      service: 'incident-stack',
      step: 'Report',
      incident_id: inc.id,
      execution_arn: EXECUTION.id,
      execution_name: EXECUTION.name,
      function_request_id: 'req-1',
      cold_start: true,
      duration_ms: expect.any(Number),
    });
    expect(result.outcome).toBe('escalated');
    const incidents = printed.filter((p) => p.Incidents === 1);
    expect(incidents.map((p) => [p.Outcome, p.Source])).toEqual([
      ['escalated', undefined],
      ['escalated', inc.source],
    ]);
    expect(incidents[0]._aws).toMatchObject({
      CloudWatchMetrics: [{ Namespace: 'EksIncidentResponse', Dimensions: [['service', 'Outcome']] }],
    });
    expect(printed.find((p) => p.RemediationActions === 1)).toMatchObject({ Action: 'none' });
  });
});

describe('a handler with a broken environment', () => {
  it('fails with ConfigurationError naming the variable', async () => {
    // Prepare
    lambdaEnvironment({ EVIDENCE_BUCKET: 'x' });
    const { handler } = coldStart<ReportModule>('../../lambdas/report/handler');

    // Act
    const failure = handler(stepEvent({ incident: incident(target('alldata-api')) }));

    // Assess
    await expect(failure).rejects.toMatchObject({ name: 'ConfigurationError' });
    await expect(failure).rejects.toThrow('EVIDENCE_BUCKET');
  });
});
