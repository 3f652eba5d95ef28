import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import type { BackupReportResult, BackupRun } from '../shared/backup-contracts';
import type { StepEvent } from '../shared/contracts';
import { backupReportEnv, parseEnv } from '../shared/env';
import { SlackBackupNotifier, SnsBackupNotifier, type BackupNotice } from '../shared/notify/backup-notifier';
import { FanOutNotifier, type Notifier } from '../shared/notify/notifier';
import { secretsManagerWebhookUrl } from '../shared/notify/slack-notifier';
import { perContainer } from '../shared/per-container';
import { evidenceFromEnv } from '../shared/wiring';
import { backupReport, type BackupReportAction, type BackupReportDeps } from './backup-report';
import { functionLogger, observedHandler } from '../shared/observability/observed-handler';

const dependencies = perContainer<BackupReportDeps>(async () => {
  const env = parseEnv(backupReportEnv);
  const { store, bucket, region } = await evidenceFromEnv(env);
  const log = functionLogger();
  const channels: Notifier<BackupNotice>[] = [new SnsBackupNotifier(new SNSClient({}), env.TOPIC_ARN)];
  if (env.SLACK_SECRET_ARN) {
    channels.push(
      new SlackBackupNotifier(secretsManagerWebhookUrl(new SecretsManagerClient({}), env.SLACK_SECRET_ARN)),
    );
  }
  return {
    evidence: store,
    notifier: new FanOutNotifier(channels, (error) => log.error('a notification channel failed', { error })),
    bucket,
    region,
    successDigest: env.BACKUP_SUCCESS_DIGEST,
    now: () => new Date(),
  };
});

export const handler = observedHandler(
  'backup-report',
  (event: StepEvent<unknown, { action: BackupReportAction }>): Promise<BackupRun | BackupReportResult> =>
    backupReport(event, dependencies),
);
