import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigurationError } from '../errors';
import { safeNotification, slackPayload } from './format';
import { NotificationError, type Notification, type Notifier } from './notifier';

/** Gives the Slack incoming-webhook URL; the URL is the credential, so it is never logged. */
export type WebhookUrlSource = () => Promise<string>;

/**
 * The webhook URL kept in Secrets Manager, read once per container. The secret is either the
 * URL itself or JSON with a `url` / `webhookUrl` field.
 */
export function secretsManagerWebhookUrl(client: SecretsManagerClient, secretArn: string): WebhookUrlSource {
  let url: Promise<string> | undefined;
  return () => {
    url ??= (async () => {
      const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
      const raw = SecretString?.trim() ?? '';
      const value = raw.startsWith('{')
        ? (JSON.parse(raw) as { url?: string; webhookUrl?: string })
        : { url: raw };
      const candidate = value.webhookUrl ?? value.url ?? '';
      if (!/^https?:\/\/[^\s]+$/.test(candidate)) {
        throw new ConfigurationError(`secret ${secretArn} does not hold a Slack webhook URL`);
      }
      return candidate;
    })();
    // A failed read must not stick to the container: the next invocation tries again.
    url.catch(() => (url = undefined));
    return url;
  };
}

export interface SlackNotifierOptions {
  /** Milliseconds before the POST is abandoned. @default 5000 */
  timeoutMs?: number;
}

/** Posts Block Kit messages to a Slack incoming webhook. */
export class SlackNotifier implements Notifier {
  private readonly timeoutMs: number;

  constructor(
    private readonly webhookUrl: WebhookUrlSource,
    options: SlackNotifierOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  async notify(notification: Notification): Promise<string[]> {
    return postToSlack(this.webhookUrl, slackPayload(safeNotification(notification)), this.timeoutMs);
  }
}

/** POSTs one payload to the webhook; NotificationError says why not, without the URL. */
export async function postToSlack(
  webhookUrl: WebhookUrlSource,
  payload: Record<string, unknown>,
  timeoutMs: number,
): Promise<string[]> {
  const body = JSON.stringify(payload);
  const url = await webhookUrl();
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    // fetch's own errors may carry the URL (the credential) in their cause: report the kind only.
    const kind = (error as { name?: string } | undefined)?.name ?? 'Error';
    throw new NotificationError(`Slack webhook request failed (${kind})`);
  }
  if (!response.ok) {
    const answer = (await response.text()).slice(0, 200);
    throw new NotificationError(`Slack webhook answered ${response.status}: ${answer}`);
  }
  return ['slack'];
}
