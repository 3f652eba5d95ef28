import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SlackNotifier, secretsManagerWebhookUrl } from '../../../../lambdas/shared/notify/slack-notifier';
import type { Notification } from '../../../../lambdas/shared/notify/notifier';
import { evidenceLink } from '../../../../lambdas/shared/evidence/links';

/** A stand-in for hooks.slack.com: records each POST and answers as Slack does. */
interface FakeSlack {
  url: string;
  requests: Array<{ path: string; contentType?: string; body: Record<string, unknown> }>;
  answer: (res: ServerResponse) => void;
  server: Server;
}

let slack: FakeSlack;

beforeEach(async () => {
  const requests: FakeSlack['requests'] = [];
  const state: Partial<FakeSlack> = { requests, answer: (res) => res.writeHead(200).end('ok') };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let data = '';
    req.on('data', (chunk: Buffer) => (data += chunk.toString()));
    req.on('end', () => {
      requests.push({ path: req.url!, contentType: req.headers['content-type'], body: JSON.parse(data) });
      state.answer!(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  slack = Object.assign(state, {
    server,
    url: `http://127.0.0.1:${port}/services/T0001/B0001/XXXXXXXXXXXXXXXX`,
  }) as FakeSlack;
});

afterEach(async () => {
  slack.server.closeAllConnections();
  await new Promise((resolve) => slack.server.close(resolve));
});

const notification: Notification = {
  stage: 'opened',
  incidentId: '20260101-000000-shop-api-3f9a1c',
  target: { namespace: 'shop', kind: 'Deployment', name: 'api' },
  severity: 'critical',
  outcome: 'investigating',
  title: 'Incident opened: ServiceDown on Deployment shop/api',
  details: ['Alert: ServiceDown <api> & friends', 'Summary: 服务 api 不可用'],
  evidence: [
    evidenceLink(
      'evidence',
      'eu-west-1',
      'incidents/2026/01/01/20260101-000000-shop-api-3f9a1c/',
      'evidence folder',
    ),
  ],
};

describe('SlackNotifier', () => {
  it('posts Block Kit with the incident, target, stage, outcome and evidence links', async () => {
    // Prepare
    const notifier = new SlackNotifier(async () => slack.url);

    // Act
    const delivered = await notifier.notify(notification);

    // Assess
    expect(delivered).toEqual(['slack']);
    expect(slack.requests).toHaveLength(1);
    const [request] = slack.requests;
    expect(request.path).toBe('/services/T0001/B0001/XXXXXXXXXXXXXXXX');
    expect(request.contentType).toBe('application/json');
    const blocks = request.body.blocks as Array<{
      type: string;
      text?: { text: string };
      fields?: Array<{ text: string }>;
    }>;
    expect(blocks[0]).toEqual({
      type: 'header',
      text: {
        type: 'plain_text',
        text: '🚨 Incident opened: ServiceDown on Deployment shop/api',
        emoji: true,
      },
    });
    expect(blocks[1].fields!.map((f) => f.text)).toEqual([
      '*Incident*\n20260101-000000-shop-api-3f9a1c',
      '*Target*\nDeployment shop/api',
      '*Stage*\nopened',
      '*Outcome*\ninvestigating',
      '*Severity*\ncritical',
    ]);
    expect(blocks[2].text!.text).toBe(
      'Alert: ServiceDown &lt;api&gt; &amp; friends\nSummary: 服务 api 不可用',
    );
    expect(blocks[3].text!.text).toBe(
      '*Evidence*\n• <https://eu-west-1.console.aws.amazon.com/s3/buckets/evidence?region=eu-west-1&prefix=incidents%2F2026%2F01%2F01%2F20260101-000000-shop-api-3f9a1c%2F&showversions=false|evidence folder>  `s3://evidence/incidents/2026/01/01/20260101-000000-shop-api-3f9a1c/`',
    );
    expect(request.body.text).toBe(
      '🚨 Incident opened: ServiceDown on Deployment shop/api (20260101-000000-shop-api-3f9a1c)',
    );
  });

  it('fails with the status and Slack answer, never the webhook URL', async () => {
    // Prepare
    slack.answer = (res) => res.writeHead(404).end('no_service');
    const notifier = new SlackNotifier(async () => slack.url);

    // Act
    const failure = notifier.notify(notification);

    // Assess
    await expect(failure).rejects.toThrow('Slack webhook answered 404: no_service');
    await expect(failure).rejects.toMatchObject({ name: 'NotificationError' });
    await failure.catch((error: Error) => expect(error.message).not.toContain('XXXXXXXXXXXXXXXX'));
  });

  it('gives up after its timeout when Slack does not answer', async () => {
    // Prepare
    slack.answer = () => undefined;
    const notifier = new SlackNotifier(async () => slack.url, { timeoutMs: 200 });

    // Act
    const failure = notifier.notify(notification);

    // Assess
    await expect(failure).rejects.toThrow('Slack webhook request failed (TimeoutError)');
  });
});

describe('secretsManagerWebhookUrl', () => {
  // No Secrets Manager emulator runs here; the fake answers as GetSecretValue does.
  function secrets(secretString: string) {
    const calls: unknown[] = [];
    const client = {
      send: async (command: GetSecretValueCommand) => {
        calls.push(command.input);
        return { SecretString: secretString };
      },
    } as unknown as SecretsManagerClient;
    return { client, calls };
  }

  it('reads the URL once per container, as plain text or JSON', async () => {
    // Prepare
    const plain = secrets('https://hooks.slack.com/services/T0001/B0001/abc\n');
    const json = secrets('{"webhookUrl":"https://hooks.slack.com/services/T0001/B0001/def"}');
    const fromPlain = secretsManagerWebhookUrl(
      plain.client,
      'arn:aws:secretsmanager:eu-west-1:1:secret:slack',
    );
    const fromJson = secretsManagerWebhookUrl(json.client, 'arn:aws:secretsmanager:eu-west-1:1:secret:slack');

    // Act
    const urls = [await fromPlain(), await fromPlain(), await fromJson()];

    // Assess
    expect(urls).toEqual([
      'https://hooks.slack.com/services/T0001/B0001/abc',
      'https://hooks.slack.com/services/T0001/B0001/abc',
      'https://hooks.slack.com/services/T0001/B0001/def',
    ]);
    expect(plain.calls).toEqual([{ SecretId: 'arn:aws:secretsmanager:eu-west-1:1:secret:slack' }]);
  });

  it('refuses a secret that is not a URL without echoing it', async () => {
    // Prepare
    const { client } = secrets('xoxb-not-a-webhook');

    // Act
    const failure = secretsManagerWebhookUrl(client, 'arn:aws:secretsmanager:eu-west-1:1:secret:slack')();

    // Assess
    await expect(failure).rejects.toThrow(
      'secret arn:aws:secretsmanager:eu-west-1:1:secret:slack does not hold a Slack webhook URL',
    );
  });
});
