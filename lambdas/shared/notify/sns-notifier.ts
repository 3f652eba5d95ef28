import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { plainText, safeNotification, structured, subjectLine } from './format';
import type { Notification, Notifier } from './notifier';

/**
 * Publishes to the incident topic. The message is SNS's JSON structure: humans (email, SMS)
 * get the plain text as `default`, machines (SQS, Lambda, HTTPS) get the structured document.
 * Message attributes let subscriptions filter on stage, severity and outcome.
 */
export class SnsNotifier implements Notifier {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async notify(notification: Notification): Promise<string[]> {
    const n = safeNotification(notification);
    const text = plainText(n);
    const document = JSON.stringify(structured(n));
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: subjectLine(n),
        MessageStructure: 'json',
        Message: JSON.stringify({
          default: text,
          email: text,
          sqs: document,
          lambda: document,
          https: document,
        }),
        MessageAttributes: {
          stage: { DataType: 'String', StringValue: n.stage },
          severity: { DataType: 'String', StringValue: n.severity },
          outcome: { DataType: 'String', StringValue: n.outcome },
          incidentId: { DataType: 'String', StringValue: n.incidentId },
        },
      }),
    );
    return ['sns'];
  }
}
