import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import {
  backupReport,
  type BackupReportDeps,
  type BackupReportDocument,
} from '../../../lambdas/backup-report/backup-report';
import {
  backupRun,
  type BackupChecks,
  type BackupReportResult,
  type BackupRun,
  type BackupState,
} from '../../../lambdas/shared/backup-contracts';
import { InvalidInputError } from '../../../lambdas/shared/errors';
import type { Manifest } from '../../../lambdas/shared/evidence/evidence-store';
import { S3EvidenceStore } from '../../../lambdas/shared/evidence/s3-evidence-store';
import { SnsBackupNotifier } from '../../../lambdas/shared/notify/backup-notifier';
import { receiveNotifications, startLocalAws, type LocalAws } from '../../support/aws';
import { BACKUP_EXECUTION, backupEvent } from '../backup-fixtures';

let aws: LocalAws;

beforeAll(async () => {
  aws = await startLocalAws();
});

afterAll(async () => {
  await aws.stop();
});

beforeEach(async () => {
  await receiveNotifications(aws);
});

const RUN = backupRun(BACKUP_EXECUTION, 'schedule');

function deps(successDigest = false): BackupReportDeps {
  const now = () => new Date('2026-11-22T06:03:00Z');
  return {
    evidence: new S3EvidenceStore(aws.s3, aws.bucket, { now }),
    notifier: new SnsBackupNotifier(aws.sns, aws.topicArn),
    bucket: aws.bucket,
    region: aws.region,
    successDigest,
    now,
  };
}

async function report(state: BackupState, successDigest = false): Promise<BackupReportResult> {
  return (await backupReport(backupEvent(state, { action: 'report' }), async () =>
    deps(successDigest),
  )) as BackupReportResult;
}

async function text(key: string): Promise<string> {
  const object = await aws.s3.send(new GetObjectCommand({ Bucket: aws.bucket, Key: key }));
  return object.Body!.transformToString();
}

async function keysUnder(prefix: string): Promise<string[]> {
  const listed = await aws.s3.send(new ListObjectsV2Command({ Bucket: aws.bucket, Prefix: prefix }));
  return (listed.Contents ?? []).map((o) => o.Key!).sort();
}

/** A real payload of `$.checks`, as the three branches of Verify Backups leave it. */
const FAILING: BackupChecks = {
  s3: {
    results: [
      {
        name: 'mysql',
        bucket: 'one-data-backups',
        prefix: 'mysql/',
        status: 'passed',
        objects: 3,
        newest: {
          key: 'mysql/one_data_studio-20261122.sql.gz',
          size: 3401,
          lastModified: '2026-11-22T02:04:12.000Z',
          ageHours: 3.93,
          sha256: 'a'.repeat(64),
          uncompressedBytes: 62011,
          sidecar: 'matched',
        },
        findings: [],
      },
      {
        name: 'milvus',
        bucket: 'one-data-backups',
        prefix: 'milvus/',
        status: 'failed',
        objects: 3,
        newest: {
          key: 'milvus/backup_nightly-20261118.tar.gz',
          size: 1210,
          lastModified: '2026-11-18T03:01:41.000Z',
          ageHours: 98.97,
          tarEntries: 4,
          uncompressedBytes: 10240,
          sidecar: 'absent',
        },
        findings: [
          {
            code: 'stale',
            message:
              'the newest backup milvus/backup_nightly-20261118.tar.gz is 99 h old (written 2026-11-18T03:01:41.000Z); the limit is 26 h',
          },
        ],
      },
    ],
  },
  cronJobs: {
    results: [
      {
        namespace: 'one-data-infra',
        name: 'milvus-backup',
        status: 'failed',
        schedule: '0 3 * * *',
        suspended: false,
        lastSuccessfulTime: '2026-11-18T03:07:42.000Z',
        ageHours: 98.87,
        lastJob: {
          name: 'milvus-backup-29398500',
          state: 'failed',
          reason: 'BackoffLimitExceeded',
          message: 'Job has reached the specified backoff limit',
          logTail: [
            'Error: backup backup_nightly failed: copy segment binlogs: The specified bucket does not exist.',
          ],
        },
        findings: [
          { code: 'stale', message: 'CronJob one-data-infra/milvus-backup last succeeded 98.9 h ago' },
          { code: 'last-job-failed', message: 'the last Job milvus-backup-29398500 failed' },
        ],
      },
    ],
  },
  restoreTests: {
    results: [
      {
        name: 'mysql-restore',
        namespace: 'backup-restore-test',
        job: 'restore-mysql-restore-1a2b3c',
        status: 'failed',
        state: 'failed',
        startedAt: '2026-11-22T06:00:05.000Z',
        finishedAt: '2026-11-22T06:00:50.000Z',
        durationSeconds: 45,
        deleted: true,
        logs: [
          {
            pod: 'restore-mysql-restore-1a2b3c-x7k2p',
            container: 'restore',
            text: 'connecting with MYSQL_PWD=Zt8#q2Lw!rP4\nERROR 1049 (42000): Unknown database one_data_studio\n',
          },
        ],
        findings: [{ code: 'job-failed', message: 'restore test mysql-restore failed' }],
      },
    ],
  },
};

describe('backupReport', () => {
  it('opens the run: validates the input and names the report prefix after the execution', async () => {
    // Act
    const run = (await backupReport(
      backupEvent({ source: 'schedule' } as BackupState, { action: 'open' }),
      () => Promise.reject(new Error('open needs no dependencies')),
    )) as BackupRun;

    // Assess
    expect(run).toEqual({
      id: expect.stringMatching(/^20261122-060000-[0-9a-f]{6}$/),
      startedAt: '2026-11-22T06:00:00.000Z',
      prefix: expect.stringMatching(/^backup-verification\/2026\/11\/22\/20261122-060000-[0-9a-f]{6}\/$/),
      source: 'schedule',
    });
  });

  it.each([
    [{ source: 'cron' }, 'source'],
    [{ source: 'manual', config: {} }, '(input)'],
  ])('refuses the input %j, naming %s', async (input, field) => {
    // Act + Assess
    await expect(
      backupReport(backupEvent(input as BackupState, { action: 'open' }), () =>
        Promise.reject(new Error('unused')),
      ),
    ).rejects.toMatchObject({ name: 'InvalidInputError', field });
    await expect(
      backupReport(backupEvent(input as BackupState, { action: 'open' }), () =>
        Promise.reject(new Error('unused')),
      ),
    ).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('writes the report, the restore-test logs (redacted) and the manifest, and notifies the failures', async () => {
    // Act
    const result = await report({ run: RUN, checks: FAILING });

    // Assess: what was written.
    expect(result).toEqual({
      outcome: 'failed',
      failures: 4,
      prefix: RUN.prefix,
      markdown: `${RUN.prefix}report.md`,
      json: `${RUN.prefix}report.json`,
      notified: ['sns'],
    });
    expect(await keysUnder(RUN.prefix)).toEqual(
      [
        'manifest.json',
        'report.json',
        'report.md',
        'restore-tests/mysql-restore/restore-mysql-restore-1a2b3c-x7k2p/restore.log',
      ].map((k) => `${RUN.prefix}${k}`),
    );
    const document = JSON.parse(await text(result.json)) as BackupReportDocument;
    expect(document.summary).toEqual({ checks: 4, passed: 1, failed: 3 });
    expect(document.failures.map((f) => `${f.check} ${f.code}`)).toEqual([
      's3:milvus stale',
      'cronjob:one-data-infra/milvus-backup stale',
      'cronjob:one-data-infra/milvus-backup last-job-failed',
      'restore-test:mysql-restore job-failed',
    ]);
    expect(document.restoreTests[0].logs).toEqual([
      `${RUN.prefix}restore-tests/mysql-restore/restore-mysql-restore-1a2b3c-x7k2p/restore.log`,
    ]);
    const log = await text(document.restoreTests[0].logs[0]);
    expect(log).toContain('ERROR 1049 (42000): Unknown database one_data_studio');
    expect(log).not.toContain('Zt8#q2Lw!rP4');
    const markdown = await text(result.markdown);
    expect(markdown).toMatch(/^# Backup verification 20261122-060000-[0-9a-f]{6}: FAILED/);
    expect(markdown).toContain(
      '- **s3:milvus** `stale`: the newest backup milvus/backup_nightly-20261118.tar.gz',
    );
    expect(markdown).toContain('Error: backup backup_nightly failed: copy segment binlogs');
    const manifest = JSON.parse(await text(`${RUN.prefix}manifest.json`)) as Manifest;
    expect(manifest.objects.map((o) => o.key)).toHaveLength(3);
    // Assess: who was told what.
    const [notification, ...others] = await receiveNotifications(aws);
    expect(others).toEqual([]);
    expect(notification.Subject).toMatch(
      /^\[BACKUP\] Backup verification failed: 3 of 4 checks \(20261122-060000-/,
    );
    expect(notification.MessageAttributes).toMatchObject({
      stage: { Value: 'backup-verification' },
      outcome: { Value: 'failed' },
      runId: { Value: RUN.id },
    });
    const structured = JSON.parse(JSON.parse(notification.Message).sqs) as {
      failures: string[];
      passed: string[];
    };
    expect(structured.failures).toHaveLength(4);
    expect(structured.failures[0]).toMatch(/^s3:milvus: \[stale\] the newest backup/);
    expect(structured.passed).toEqual(['s3:mysql']);
  });

  it('sends no notification for a passing run unless the digest is on', async () => {
    // Prepare
    const passing: BackupChecks = {
      s3: { results: [FAILING.s3.results[0]] },
      cronJobs: { results: [] },
      restoreTests: { results: [] },
    };

    // Act
    const quiet = await report({ run: RUN, checks: passing });
    const quietNotifications = await receiveNotifications(aws);
    const digest = await report({ run: RUN, checks: passing }, true);
    const digestNotifications = await receiveNotifications(aws);

    // Assess
    expect(quiet).toMatchObject({ outcome: 'passed', failures: 0, notified: [] });
    expect(quietNotifications).toEqual([]);
    expect(digest).toMatchObject({ outcome: 'passed', notified: ['sns'] });
    expect(digestNotifications.map((n) => n.Subject)).toEqual([
      `[BACKUP] Backups verified: all 1 checks passed (${RUN.id})`,
    ]);
  });

  it('counts a section that could not be checked, and a run whose checks never ran, as failures', async () => {
    // Prepare
    const sectionFailed: BackupChecks = {
      ...FAILING,
      s3: { results: [], error: { Error: 'AccessDenied', Cause: 'not authorized to perform s3:ListBucket' } },
    };

    // Act (the two reports share the run's prefix: each is read before the next is written)
    const partial = await report({ run: RUN, checks: sectionFailed });
    const partialDoc = JSON.parse(await text(partial.json)) as BackupReportDocument;
    const nothing = await report({ error: { Error: 'States.Timeout', Cause: 'Verify Backups timed out' } });
    await receiveNotifications(aws);

    // Assess
    expect(partialDoc.failures.at(-1)).toEqual({
      section: 's3',
      check: 's3',
      code: 'check-error',
      message: 'could not be checked: AccessDenied: not authorized to perform s3:ListBucket',
    });
    expect(nothing).toMatchObject({ outcome: 'failed', failures: 1, prefix: RUN.prefix });
    const nothingDoc = JSON.parse(await text(nothing.json)) as BackupReportDocument;
    expect(nothingDoc.errors).toEqual([
      { section: 'workflow', error: { Error: 'States.Timeout', Cause: 'Verify Backups timed out' } },
    ]);
  });

  it.each([
    ['a check function', 'KubernetesRequestError', 'list cronjobs.batch one-data-infra: forbidden'],
    ['the S3 check', 'AccessDenied', 'User: arn:aws:sts::123456789012:assumed-role/x is not authorized'],
    ['a function that crashed', 'TypeError', "Cannot read properties of undefined (reading 'spec')"],
  ])(
    'shows only the message of a Lambda error from %s, never its JSON and stack trace',
    async (_case, type, message) => {
      // Prepare: Lambda reports a function's error as this JSON in the Catch's Cause.
      const Cause = JSON.stringify({
        errorType: type,
        errorMessage: message,
        trace: [
          `${type}: ${message}`,
          '    at check (/var/task/index.mjs:1:23456)',
          '    at process.processTicksAndRejections',
        ],
      });
      const failed: BackupChecks = { ...FAILING, cronJobs: { results: [], error: { Error: type, Cause } } };

      // Act
      const result = await report({ run: RUN, checks: failed });
      const notifications = await receiveNotifications(aws);
      const markdown = await text(result.markdown);

      // Assess
      const bodies = [...notifications.map((n) => n.Message ?? ''), markdown];
      for (const body of bodies) {
        expect(body).not.toContain('/var/task/index.mjs');
        expect(body).not.toContain('"errorType"');
      }
      expect(markdown).toContain(`cronjob: ${type}: ${message}`);
      expect(notifications.some((n) => (n.Message ?? '').includes(`${type}: ${message}`))).toBe(true);
    },
  );
});
