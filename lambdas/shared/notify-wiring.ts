import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import type { z } from 'zod';
import type { notifyEnv } from './env';
import type { AwsClientSettings } from './handler-environment';
import type { Logger } from './observability/logger';
import { FanOutNotifier, type Notifier } from './notify/notifier';
import { SlackNotifier, secretsManagerWebhookUrl } from './notify/slack-notifier';
import { SnsNotifier } from './notify/sns-notifier';

export interface NotifyWiring {
  notifier: Notifier;
  /**
   * The function's region, for the S3 console links of the evidence: read from the SNS client
   * (the same standard environment an S3 client would read), so that a step that only links to
   * the evidence does not load the S3 client.
   */
  region: string;
}

/**
 * SNS always; Slack too when a webhook secret is configured. `aws` holds the clients' settings
 * from an explicit environment (handler-environment.ts); unset, the SDK reads `process.env`.
 */
export async function notifierFromEnv(
  env: z.output<typeof notifyEnv>,
  log: Logger,
  aws: { sns?: AwsClientSettings; secretsManager?: AwsClientSettings } = {},
): Promise<NotifyWiring> {
  const sns = new SNSClient({ ...aws.sns });
  const channels: Notifier[] = [new SnsNotifier(sns, env.TOPIC_ARN)];
  if (env.SLACK_SECRET_ARN) {
    channels.push(
      new SlackNotifier(
        secretsManagerWebhookUrl(new SecretsManagerClient({ ...aws.secretsManager }), env.SLACK_SECRET_ARN),
      ),
    );
  }
  return {
    notifier: new FanOutNotifier(channels, (error) => log.error('a notification channel failed', { error })),
    region: await sns.config.region(),
  };
}
