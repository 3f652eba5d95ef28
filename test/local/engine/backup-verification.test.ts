import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { S3BackupObjects } from '../../../lambdas/backup-check-s3/backup-objects';
import type { BackupReportDocument } from '../../../lambdas/backup-report/backup-report';
import {
  parseBackupConfig,
  type BackupConfig,
  type BackupConfigInput,
} from '../../../lambdas/shared/backup-config';
import type { BackupReportResult } from '../../../lambdas/shared/backup-contracts';
import { localKubeConfig } from '../../../lambdas/shared/kubernetes/client';
import { ClientNodeKubernetes } from '../../../lambdas/shared/kubernetes/kubernetes-port';
import { cachedDefinitions } from '../../../lib/definitions-cache';
import type { SynthesizedDefinitions } from '../../../lib/synth';
import { demoBackupObjects } from '../../../local/aws/demo-backups';
import { receiveNotifications, startLocalAws, type LocalAws } from '../../../local/aws/local-aws';
import type { StoredS3Object } from '../../../local/aws/stored-objects';
import type { LocalBackupEnvironment } from '../../../local/engine/backup-steps';
import {
  runBackupVerification,
  type BackupVerificationRun,
} from '../../../local/engine/run-backup-verification';
import { BEHAVIOR_ANNOTATION } from '../../../local/kube-sandbox/behavior';
import { types } from '../../../local/kube-sandbox/runtime';
import { startSandbox, type Sandbox } from '../../../local/kube-sandbox/sandbox';
import { gzip, sha256sum, sqlDump } from '../../lambdas/backup-fixtures';

/*
 * The synthesized BackupVerification state machine, run by aws-local-stepfunctions against the
 * sandbox's demo scenario (backup CronJobs in one-data-infra, milvus-backup failing for three
 * nights) over HTTP, with the backups and the report in S3 on fauxqs over HTTP.
 */

const TIME_SCALE = 100;
const SCRATCH = 'backup-restore-test';
const EXAMPLE = JSON.parse(
  readFileSync(path.resolve(__dirname, '../../../examples/backup-sources.json'), 'utf8'),
) as BackupConfigInput;

let synthesized: SynthesizedDefinitions;
let sandbox: Sandbox;
let aws: LocalAws;

beforeAll(() => {
  synthesized = cachedDefinitions({
    clusterName: 'sandbox',
    allowedNamespaces: 'one-data-alldata',
    backupSources: EXAMPLE,
  });
});

afterEach(async () => {
  await sandbox?.stop();
  await aws?.stop();
});

/** The sandbox's demo scenario, and S3 holding the demo's backups plus `extra` (dated `hoursAgo` before the scenario's now). */
async function start(extra: (now: number) => StoredS3Object[] = () => []): Promise<void> {
  sandbox = await startSandbox({ scenario: 'demo', clock: { timeScale: TIME_SCALE } });
  const now = sandbox.clock.now();
  aws = await startLocalAws({ s3Objects: [...demoBackupObjects(now), ...extra(now)] });
}

function environment(
  config: BackupConfig,
  overrides: Partial<LocalBackupEnvironment> = {},
): LocalBackupEnvironment {
  return {
    kube: new ClientNodeKubernetes(localKubeConfig({ yaml: sandbox.kubeconfig() }), {
      requestTimeoutMs: 2000,
    }),
    aws,
    backups: new S3BackupObjects(aws.s3),
    config,
    successDigest: false,
    now: () => new Date(sandbox.clock.now()),
    ...overrides,
  };
}

function entered(run: BackupVerificationRun): string[] {
  return run.events.flatMap((e) => (e.type === 'StateEntered' ? [e.state.name] : []));
}

function stateOutput(run: BackupVerificationRun, name: string): unknown {
  const exited = run.events.find((e) => e.type === 'StateExited' && e.state.name === name) as
    { state: { output: unknown } } | undefined;
  return exited?.state.output;
}

async function reportOf(
  run: BackupVerificationRun,
): Promise<{ result: BackupReportResult; document: BackupReportDocument }> {
  const result = (stateOutput(run, 'Report') as { report: BackupReportResult }).report;
  const object = await aws.s3.send(new GetObjectCommand({ Bucket: aws.bucket, Key: result.json }));
  return { result, document: JSON.parse(await object.Body!.transformToString()) as BackupReportDocument };
}

const hours = (now: number, h: number) => new Date(now - h * 3_600_000);

/** Backups gone wrong in the ways the S3 check must name, next to the demo's. */
function brokenBackups(now: number): StoredS3Object[] {
  const whole = gzip(sqlDump(300));
  const good = gzip(sqlDump(300));
  const object = (key: string, body: Buffer, h: number): StoredS3Object => ({
    bucket: 'one-data-backups',
    key,
    body,
    lastModified: hours(now, h),
  });
  return [
    object('redis/dump-1.rdb.gz', whole, 27),
    object('redis/dump-2.rdb.gz', whole.subarray(0, whole.length - 100), 3),
    object('etcd/snapshot-2.db.gz', Buffer.concat([whole.subarray(0, 10), Buffer.alloc(400, 7)]), 3),
    object('minio/datasets-2.tar.gz', good, 3),
    object('minio/datasets-2.tar.gz.sha256', sha256sum(gzip(sqlDump(301)), 'datasets-2.tar.gz'), 3),
  ];
}

/** The example configuration plus the broken sources and a restore test whose Job fails. */
function failingConfig(): BackupConfig {
  const source = (name: string, prefix: string) => ({
    name,
    bucket: 'one-data-backups',
    prefix,
    maxAgeHours: 26,
    format: 'gzip' as const,
  });
  return parseBackupConfig({
    ...EXAMPLE,
    s3: [
      ...(EXAMPLE.s3 ?? []),
      source('postgres', 'postgres/'),
      source('redis', 'redis/'),
      source('etcd', 'etcd/'),
      source('minio', 'minio/'),
    ],
    restoreTests: [
      ...(EXAMPLE.restoreTests ?? []),
      {
        name: 'milvus-restore',
        namespace: SCRATCH,
        timeoutSeconds: 600,
        jobTemplate: {
          template: {
            metadata: {
              annotations: {
                [BEHAVIOR_ANNOTATION]: JSON.stringify({
                  restore: {
                    mode: 'crash',
                    exitCode: 1,
                    runSeconds: 20,
                    logs: [
                      'milvus-backup restore -n backup_nightly',
                      'Error: restore failed: collection knowledge_chunks: segment 4521 not found',
                    ],
                  },
                }),
              },
            },
            spec: { containers: [{ name: 'restore', image: 'milvusdb/milvus-backup:v0.4.12' }] },
          },
        },
      },
    ],
  });
}

describe('the synthesized BackupVerification state machine, locally', () => {
  test('names every failure in the report and the notification, cleans up its Jobs, and fails the execution', async () => {
    // Prepare
    await start(brokenBackups);

    // Act
    const run = await runBackupVerification({
      synthesized,
      input: { source: 'schedule' },
      environment: environment(failingConfig()),
      timeScale: TIME_SCALE,
    });

    // Assess: the path through the state machine.
    const states = entered(run);
    expect(run.status).toBe('FAILED');
    expect(run.error?.Error).toBe('BackupVerificationFailed');
    expect(states.slice(0, 2)).toEqual(['Open Run', 'Verify Backups']);
    expect(states).toEqual(
      expect.arrayContaining([
        'Check S3 Backups',
        'Check CronJobs',
        'Start Restore Tests',
        'Restore Tests Running?',
        'Wait for Restore Tests',
        'Check Restore Tests',
        'Finish Restore Tests',
      ]),
    );
    expect(states.slice(-3)).toEqual(['Report', 'Outcome?', 'Backups Not Verified']);
    expect(states).not.toContain('S3 Check Failed');
    expect(states).not.toContain('CronJob Check Failed');
    expect(states).not.toContain('Restore Test Failed');
    // Assess: every failure, named in the report.
    const { result, document } = await reportOf(run);
    expect(result.prefix).toMatch(/^backup-verification\/\d{4}\/\d{2}\/\d{2}\/\d{8}-\d{6}-[0-9a-f]{6}\/$/);
    expect(document.failures.map((f) => `${f.check} ${f.code}`)).toEqual([
      's3:milvus stale',
      's3:postgres missing',
      's3:redis truncated',
      's3:etcd corrupt',
      's3:minio checksum-mismatch',
      'cronjob:one-data-infra/milvus-backup stale',
      'cronjob:one-data-infra/milvus-backup last-job-failed',
      'restore-test:milvus-restore job-failed',
    ]);
    expect(document.s3.find((s) => s.name === 'mysql')).toMatchObject({
      status: 'passed',
      newest: { sidecar: 'matched' },
    });
    expect(document.cronJobs.filter((c) => c.status === 'passed').map((c) => c.name)).toEqual([
      'mysql-backup',
      'minio-mirror',
    ]);
    expect(document.restoreTests.map((r) => [r.name, r.status, r.deleted])).toEqual([
      ['mysql-restore', 'passed', true],
      ['milvus-restore', 'failed', true],
    ]);
    // Assess: the notification, and nothing left in the scratch namespace.
    const notifications = await receiveNotifications(aws);
    expect(notifications.map((n) => n.Subject)).toEqual([
      expect.stringMatching(/^\[BACKUP\] Backup verification failed: 7 of 11 checks \(/),
    ]);
    expect(sandbox.store.list(types['jobs.batch'], SCRATCH)).toEqual([]);
    const writes = sandbox.requests.writes().map((w) => `${w.verb} ${w.resource} ${w.namespace}`);
    expect(new Set(writes)).toEqual(new Set([`create jobs ${SCRATCH}`, `delete jobs ${SCRATCH}`]));
  });

  test('a run where every check passes succeeds, and sends the digest when it is on', async () => {
    // Prepare
    await start();
    const config = parseBackupConfig({
      s3: [EXAMPLE.s3![0]],
      cronJobs: [EXAMPLE.cronJobs![0]],
      restoreTests: EXAMPLE.restoreTests,
    });

    // Act
    const run = await runBackupVerification({
      synthesized,
      environment: environment(config, { successDigest: true }),
      timeScale: TIME_SCALE,
    });

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(entered(run).slice(-2)).toEqual(['Outcome?', 'Done']);
    const { document } = await reportOf(run);
    expect(document).toMatchObject({
      outcome: 'passed',
      source: 'manual',
      summary: { checks: 3, failed: 0 },
    });
    const notifications = await receiveNotifications(aws);
    expect(notifications.map((n) => n.Subject)).toEqual([
      expect.stringMatching(/^\[BACKUP\] Backups verified: all 3 checks passed/),
    ]);
  });

  test('a check that cannot run ends its branch with the error; the others report, and the run fails', async () => {
    // Prepare: the backups' S3 cannot be reached.
    await start();
    const unreachable = new S3Client({
      endpoint: 'http://127.0.0.1:9',
      region: 'eu-west-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    const config = parseBackupConfig({ s3: [EXAMPLE.s3![0]], cronJobs: [EXAMPLE.cronJobs![0]] });

    // Act
    const run = await runBackupVerification({
      synthesized,
      environment: environment(config, { backups: new S3BackupObjects(unreachable) }),
      timeScale: TIME_SCALE,
    });
    unreachable.destroy();

    // Assess
    expect(run.status).toBe('FAILED');
    expect(entered(run)).toContain('S3 Check Failed');
    const { document } = await reportOf(run);
    expect(document.failures.map((f) => `${f.check} ${f.code}`)).toEqual(['s3 check-error']);
    expect(document.cronJobs.map((c) => c.status)).toEqual(['passed']);
  });

  test('bad input fails at Open Run, naming the field, before any request reaches the cluster', async () => {
    // Prepare
    await start();

    // Act
    const run = await runBackupVerification({
      synthesized,
      input: { source: 'cron' },
      environment: environment(parseBackupConfig(EXAMPLE)),
      timeScale: TIME_SCALE,
    });

    // Assess
    expect(run.status).toBe('FAILED');
    expect(run.error).toEqual({
      Error: 'InvalidInputError',
      Cause: expect.stringContaining('invalid execution input: source:'),
    });
    expect(entered(run)).toEqual(['Open Run', 'Invalid Input']);
    expect(sandbox.requests.all()).toEqual([]);
  });
});
