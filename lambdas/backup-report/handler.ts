import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import type { BackupReportResult, BackupRun } from '../shared/backup-contracts';
import type { StepEvent } from '../shared/contracts';
import { backupReportEnv, parseEnv } from '../shared/env';
import {
  awsClientConfig,
  handlerObservability,
  type FunctionEnvironment,
  type HandlerSeams,
} from '../shared/handler-environment';
import { SlackBackupNotifier, SnsBackupNotifier, type BackupNotice } from '../shared/notify/backup-notifier';
import { FanOutNotifier, type Notifier } from '../shared/notify/notifier';
import { secretsManagerWebhookUrl } from '../shared/notify/slack-notifier';
import { perContainer } from '../shared/per-container';
import { evidenceFromEnv } from '../shared/wiring';
import { backupReport, type BackupReportAction, type BackupReportDeps } from './backup-report';
import { functionLogger, observedHandler } from '../shared/observability/observed-handler';

export function createHandler(environment: FunctionEnvironment, seams: HandlerSeams = {}) {
  const observability = handlerObservability(environment, seams);
  const dependencies = perContainer<BackupReportDeps>(async () => {
    const env = parseEnv(backupReportEnv, environment);
    const now = seams.now ?? (() => new Date());
    const { store, bucket, region } = await evidenceFromEnv(env, {
      aws: awsClientConfig(environment, 'S3'),
      now,
    });
    const log = observability.log ?? functionLogger();
    const channels: Notifier<BackupNotice>[] = [
      new SnsBackupNotifier(new SNSClient(awsClientConfig(environment, 'SNS')), env.TOPIC_ARN),
    ];
    if (env.SLACK_SECRET_ARN) {
      channels.push(
        new SlackBackupNotifier(
          secretsManagerWebhookUrl(
            new SecretsManagerClient(awsClientConfig(environment, 'SECRETS_MANAGER')),
            env.SLACK_SECRET_ARN,
          ),
        ),
      );
    }
    return {
      evidence: store,
      notifier: new FanOutNotifier(channels, (error) =>
        log.error('a notification channel failed', { error }),
      ),
      bucket,
      region,
      successDigest: env.BACKUP_SUCCESS_DIGEST,
      now,
    };
  });
  return observedHandler(
    'backup-report',
    (event: StepEvent<unknown, { action: BackupReportAction }>): Promise<BackupRun | BackupReportResult> =>
      backupReport(event, dependencies),
    observability.log,
  );
}

export const handler = createHandler(process.env);
