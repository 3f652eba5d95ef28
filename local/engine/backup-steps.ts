import { backupCheckCronJobs } from '../../lambdas/backup-check-cronjobs/backup-check-cronjobs';
import { backupCheckS3 } from '../../lambdas/backup-check-s3/backup-check-s3';
import type { BackupObjects } from '../../lambdas/backup-check-s3/backup-objects';
import { backupReport, type BackupReportDeps } from '../../lambdas/backup-report/backup-report';
import { backupRestoreTest } from '../../lambdas/backup-restore-test/backup-restore-test';
import type { BackupConfig } from '../../lambdas/shared/backup-config';
import type { StepEvent } from '../../lambdas/shared/contracts';
import { S3EvidenceStore } from '../../lambdas/shared/evidence/s3-evidence-store';
import type { KubernetesPort } from '../../lambdas/shared/kubernetes/kubernetes-port';
import { SnsBackupNotifier } from '../../lambdas/shared/notify/backup-notifier';
import type { BackupStep } from '../../lib/constructs/backup-verification';
import type { LocalAws } from '../aws/local-aws';

/** What the backup steps run against locally: the deployed logic, local adapters. */
export interface LocalBackupEnvironment {
  kube: KubernetesPort;
  /** The evidence bucket and notification topic: the embedded emulator's, or real ones. */
  aws: Pick<LocalAws, 's3' | 'sns' | 'region' | 'bucket' | 'topicArn'>;
  /** Where the backups are: the local S3 in the demo and tests, or the user's own. */
  backups: BackupObjects;
  config: BackupConfig;
  /** Notify a passing run too. */
  successDigest: boolean;
  /** The clock the cluster runs on (the sandbox's, when time is scaled). */
  now: () => Date;
}

type BackupEvent = StepEvent<never, never>;

/**
 * One handler per backup step, built as each handler.ts builds its dependencies from the
 * function environment (which carries the same configuration), but from local adapters.
 */
export function localBackupHandlers(
  env: LocalBackupEnvironment,
): Record<BackupStep, (event: BackupEvent) => Promise<unknown>> {
  const { kube, aws, config, now } = env;
  const reportDeps: BackupReportDeps = {
    evidence: new S3EvidenceStore(aws.s3, aws.bucket, { now }),
    notifier: new SnsBackupNotifier(aws.sns, aws.topicArn),
    bucket: aws.bucket,
    region: aws.region,
    successDigest: env.successDigest,
    now,
  };
  return {
    'backup-check-s3': (event) => backupCheckS3(event, { objects: env.backups, sources: config.s3, now }),
    'backup-check-cronjobs': (event) => backupCheckCronJobs(event, { kube, cronJobs: config.cronJobs, now }),
    'backup-restore-test': (event) =>
      backupRestoreTest(event, {
        kube,
        tests: config.restoreTests,
        pollSeconds: config.restorePollSeconds,
        now,
      }),
    'backup-report': (event) => backupReport(event, async () => reportDeps),
  };
}
