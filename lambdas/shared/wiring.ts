import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import type { z } from 'zod';
import type { evidenceEnv, notifyEnv } from './env';
import type { EvidenceStore } from './evidence/evidence-store';
import { S3EvidenceStore } from './evidence/s3-evidence-store';
import type { Logger } from './logger';
import { FanOutNotifier, type Notifier } from './notify/notifier';
import { SlackNotifier, secretsManagerWebhookUrl } from './notify/slack-notifier';
import { SnsNotifier } from './notify/sns-notifier';

/**
 * What the handlers build their adapters from. AWS clients take region, credentials and
 * endpoints (`AWS_ENDPOINT_URL_S3`... when run locally) from the standard environment.
 */

/**
 * Makes a value once per Lambda container (clients, the kubeconfig, parsed env), so warm
 * invocations reuse connections. A failure is not kept: the next invocation tries again.
 */
export function perContainer<T>(make: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => {
    if (!value) {
      value = make();
      value.catch(() => (value = undefined));
    }
    return value;
  };
}

export interface EvidenceWiring {
  store: EvidenceStore;
  bucket: string;
  /** For S3 console links. */
  region: string;
}

export async function evidenceFromEnv(env: z.output<typeof evidenceEnv>): Promise<EvidenceWiring> {
  const s3 = new S3Client({});
  return {
    store: new S3EvidenceStore(s3, env.EVIDENCE_BUCKET),
    bucket: env.EVIDENCE_BUCKET,
    region: await s3.config.region(),
  };
}

/** SNS always; Slack too when a webhook secret is configured. */
export function notifierFromEnv(env: z.output<typeof notifyEnv>, log: Logger): Notifier {
  const channels: Notifier[] = [new SnsNotifier(new SNSClient({}), env.TOPIC_ARN)];
  if (env.SLACK_SECRET_ARN) {
    channels.push(
      new SlackNotifier(secretsManagerWebhookUrl(new SecretsManagerClient({}), env.SLACK_SECRET_ARN)),
    );
  }
  return new FanOutNotifier(channels, (error) => log.error('a notification channel failed', { error }));
}
