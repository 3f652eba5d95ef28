import type { BackupReportResult, BackupRun, S3Checks } from '../../lambdas/shared/backup-contracts';
import type { StoredS3Object } from '../../local/aws/stored-objects';
import { startLocalAws as startEmulator, type LocalAws } from '../../local/aws/local-aws';
import { receiveNotifications, REGION } from '../support/aws';
import { BACKUP_EXECUTION, gzip, sha256sum, sqlDump } from './backup-fixtures';
import { coldStart, useLambdaEnvironment } from './handler-fixtures';

// The backup handlers as Lambda runs them: configuration from the environment only, AWS
// endpoints through the SDK's standard AWS_ENDPOINT_URL (pointing at fauxqs here).
let aws: LocalAws;
const lambdaEnvironment = useLambdaEnvironment(() => aws);
const dump = gzip(sqlDump(100));
const written = new Date(Date.now() - 3_600_000);
const BACKUPS: StoredS3Object[] = [
  { bucket: 'one-data-backups', key: 'mysql/one_data_studio.sql.gz', body: dump, lastModified: written },
  {
    bucket: 'one-data-backups',
    key: 'mysql/one_data_studio.sql.gz.sha256',
    body: sha256sum(dump, 'one_data_studio.sql.gz'),
    lastModified: written,
  },
];

beforeAll(async () => {
  aws = await startEmulator({
    region: REGION,
    bucket: 'evidence-bucket',
    topic: 'incidents',
    s3Objects: BACKUPS,
  });
});

afterAll(async () => {
  await aws.stop();
});

type CheckS3Module = typeof import('../../lambdas/backup-check-s3/handler');
type ReportModule = typeof import('../../lambdas/backup-report/handler');

describe('backup-check-s3 handler', () => {
  it('checks the sources of its environment', async () => {
    // Prepare
    lambdaEnvironment({
      BACKUP_S3_SOURCES: JSON.stringify([
        { name: 'mysql', bucket: 'one-data-backups', prefix: 'mysql/', maxAgeHours: 26, format: 'gzip' },
      ]),
    });
    const { handler } = coldStart<CheckS3Module>('../../lambdas/backup-check-s3/handler');

    // Act
    const result: S3Checks = await handler({ state: {}, execution: BACKUP_EXECUTION });

    // Assess
    expect(result.results).toEqual([
      expect.objectContaining({
        name: 'mysql',
        status: 'passed',
        newest: expect.objectContaining({ sidecar: 'matched' }),
      }),
    ]);
  });

  it('fails at cold start naming a malformed variable', async () => {
    // Prepare
    lambdaEnvironment({ BACKUP_S3_SOURCES: '[{"name": "mysql"}]' });
    const { handler } = coldStart<CheckS3Module>('../../lambdas/backup-check-s3/handler');

    // Act + Assess
    await expect(handler({ state: {}, execution: BACKUP_EXECUTION })).rejects.toMatchObject({
      name: 'ConfigurationError',
      message: expect.stringContaining('BACKUP_S3_SOURCES.0.bucket'),
    });
  });
});

describe('backup-report handler', () => {
  it('opens the run, then writes the report and notifies a failure through its environment', async () => {
    // Prepare
    lambdaEnvironment({
      EVIDENCE_BUCKET: aws.bucket,
      TOPIC_ARN: aws.topicArn,
      BACKUP_SUCCESS_DIGEST: 'false',
    });
    const { handler } = coldStart<ReportModule>('../../lambdas/backup-report/handler');
    await receiveNotifications(aws);

    // Act
    const run = (await handler({
      state: { source: 'schedule' },
      execution: BACKUP_EXECUTION,
      params: { action: 'open' },
    })) as BackupRun;
    const report = (await handler({
      state: {
        run,
        checks: {
          s3: { results: [] },
          cronJobs: { results: [] },
          restoreTests: { results: [], error: { Error: 'KubernetesTimeoutError', Cause: 'no answer' } },
        },
      },
      execution: BACKUP_EXECUTION,
      params: { action: 'report' },
    })) as BackupReportResult;

    // Assess
    expect(run.source).toBe('schedule');
    expect(report).toMatchObject({ outcome: 'failed', failures: 1, notified: ['sns'], prefix: run.prefix });
    expect((await receiveNotifications(aws)).map((n) => n.MessageAttributes?.stage?.Value)).toEqual([
      'backup-verification',
    ]);
  });
});
