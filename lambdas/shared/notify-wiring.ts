import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import type { z } from 'zod';
import type { notifyEnv } from './env';
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

/** SNS always; Slack too when a webhook secret is configured. */
export async function notifierFromEnv(env: z.output<typeof notifyEnv>, log: Logger): Promise<NotifyWiring> {
  const sns = new SNSClient({});
  const channels: Notifier[] = [new SnsNotifier(sns, env.TOPIC_ARN)];
  if (env.SLACK_SECRET_ARN) {
    channels.push(
      new SlackNotifier(secretsManagerWebhookUrl(new SecretsManagerClient({}), env.SLACK_SECRET_ARN)),
    );
  }
  return {
    notifier: new FanOutNotifier(channels, (error) => log.error('a notification channel failed', { error })),
    region: await sns.config.region(),
  };
}
