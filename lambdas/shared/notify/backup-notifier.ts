import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { EvidenceLink } from '../evidence/links';
import { plainLine } from '../escape/plain-text';
import { slackLiteral, slackPlainText, slackText } from '../escape/slack';
import { redactObject } from '../redact';
import type { Notifier } from './notifier';
import { postToSlack, type WebhookUrlSource } from './slack-notifier';

/**
 * What a backup-verification run tells people: always when something failed, and as a digest
 * when everything passed and the digest is switched on. It goes to the same topic (and Slack)
 * as the incidents, with `stage` = `backup-verification` so subscriptions can filter on it.
 */
export interface BackupNotice {
  runId: string;
  outcome: 'passed' | 'failed';
  /** One line: what happened. */
  title: string;
  /** One line per failed check: `<check>: [<code>] <message>`. */
  failures: string[];
  /** The checks that passed, by name. */
  passed: string[];
  evidence: EvidenceLink[];
}

export type BackupNotifier = Notifier<BackupNotice>;

const SUBJECT_MAX = 100;
export const BACKUP_STAGE = 'backup-verification';

/** An SNS subject: ASCII, one line, under 100 characters. */
export function backupSubject(n: BackupNotice): string {
  const ascii = plainLine(`[BACKUP] ${n.title} (${n.runId})`).replace(/[^\x20-\x7e]/g, '?');
  return ascii.length <= SUBJECT_MAX ? ascii : `${ascii.slice(0, SUBJECT_MAX - 3)}...`;
}

export function backupPlainText(n: BackupNotice): string {
  return [
    plainLine(n.title),
    '',
    `Run:     ${plainLine(n.runId)}`,
    `Outcome: ${n.outcome}`,
    ...(n.failures.length ? ['', 'Failed:', ...n.failures.map((f) => `- ${plainLine(f)}`)] : []),
    ...(n.passed.length ? ['', `Passed: ${plainLine(n.passed.join(', '))}`] : []),
    '',
    'Report:',
    ...n.evidence.map((e) => `- ${plainLine(e.label)}: ${e.consoleUrl}\n  ${plainLine(e.s3Uri)}`),
  ].join('\n');
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function backupSlackPayload(n: BackupNotice): Record<string, unknown> {
  const icon = n.outcome === 'failed' ? '⚠️' : '✅';
  const blocks: Array<Record<string, unknown>> = [
    {
      type: 'header',
      text: { type: 'plain_text', text: clip(`${icon} ${slackPlainText(n.title)}`, 150), emoji: true },
    },
  ];
  if (n.failures.length) {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: clip(n.failures.map((f) => `• ${slackText(f)}`).join('\n'), 3000) },
    });
  }
  if (n.passed.length) {
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: clip(`Passed: ${slackText(n.passed.join(', '))}`, 3000) }],
    });
  }
  blocks.push({
    type: 'section',
    text: {
      type: 'mrkdwn',
      text: clip(
        `*Report*\n${n.evidence.map((e) => `• <${e.consoleUrl}|${slackText(e.label)}>  \`${slackLiteral(e.s3Uri)}\``).join('\n')}`,
        3000,
      ),
    },
  });
  return { text: `${icon} ${slackText(n.title)} (${slackText(n.runId)})`, blocks };
}

/** Publishes to the notification topic: text for people, the notice as JSON for machines. */
export class SnsBackupNotifier implements BackupNotifier {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async notify(notice: BackupNotice): Promise<string[]> {
    const n = redactObject(notice);
    const text = backupPlainText(n);
    const document = JSON.stringify({ version: 1, stage: BACKUP_STAGE, ...n });
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: backupSubject(n),
        MessageStructure: 'json',
        Message: JSON.stringify({
          default: text,
          email: text,
          sqs: document,
          lambda: document,
          https: document,
        }),
        MessageAttributes: {
          stage: { DataType: 'String', StringValue: BACKUP_STAGE },
          outcome: { DataType: 'String', StringValue: n.outcome },
          severity: { DataType: 'String', StringValue: n.outcome === 'failed' ? 'warning' : 'info' },
          runId: { DataType: 'String', StringValue: n.runId },
        },
      }),
    );
    return ['sns'];
  }
}

export class SlackBackupNotifier implements BackupNotifier {
  constructor(
    private readonly webhookUrl: WebhookUrlSource,
    private readonly timeoutMs = 5000,
  ) {}

  notify(notice: BackupNotice): Promise<string[]> {
    return postToSlack(this.webhookUrl, backupSlackPayload(redactObject(notice)), this.timeoutMs);
  }
}
