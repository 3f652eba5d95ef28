import { targetText as describeTarget } from '../contracts';
import { plainLine } from '../escape/plain-text';
import { slackLiteral, slackPlainText, slackText } from '../escape/slack';
import { redactObject } from '../redact';
import type { Notification } from './notifier';

/**
 * How a Notification reads, for each channel. Everything passes through redactObject first,
 * so a credential in an alert annotation or an error message never reaches a human's inbox;
 * then every line is neutralised for its channel (lambdas/shared/escape/): alert text and
 * cluster messages cannot forge lines, mentions, links or escape sequences.
 */

const SUBJECT_MAX = 100;

export function safeNotification(notification: Notification): Notification {
  return redactObject(notification);
}

function targetText(n: Notification): string {
  return describeTarget(n.target);
}

/**
 * SNS subjects must be ASCII without line breaks and under 100 characters (email uses them
 * as the subject line).
 */
export function subjectLine(n: Notification): string {
  const text = `[${n.severity.toUpperCase()}] ${n.stage}: ${targetText(n)} (${n.outcome}) ${n.incidentId}`;
  const ascii = plainLine(text).replace(/[^\x20-\x7e]/g, '?');
  return ascii.length <= SUBJECT_MAX ? ascii : `${ascii.slice(0, SUBJECT_MAX - 3)}...`;
}

/** Plain text for email, SMS and anyone reading the raw message. */
export function plainText(n: Notification): string {
  // Each field is one line: a line break inside alert text cannot start a line of its own.
  return [
    plainLine(n.title),
    '',
    `Incident: ${plainLine(n.incidentId)}`,
    `Target:   ${plainLine(targetText(n))}`,
    `Stage:    ${n.stage}`,
    `Outcome:  ${n.outcome}`,
    `Severity: ${n.severity}`,
    ...(n.details.length ? ['', ...n.details.map(plainLine)] : []),
    '',
    'Evidence:',
    ...n.evidence.map((e) => `- ${plainLine(e.label)}: ${e.consoleUrl}\n  ${plainLine(e.s3Uri)}`),
  ].join('\n');
}

/** The machine-readable form (SQS, Lambda and HTTPS subscribers). */
export function structured(n: Notification): Record<string, unknown> {
  return {
    version: 1,
    incidentId: n.incidentId,
    stage: n.stage,
    outcome: n.outcome,
    severity: n.severity,
    target: n.target,
    title: n.title,
    details: n.details,
    evidence: n.evidence,
    ...(n.approval ? { approval: n.approval } : {}),
  };
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

const STAGE_ICON: Record<Notification['stage'], string> = {
  opened: '🚨',
  recovered: '✅',
  'no-action': 'ℹ️',
  escalated: '⚠️',
  storm: '🌩️',
  approval: '✋',
};

/** A Slack incoming-webhook payload (Block Kit), within Slack's per-block limits. */
export function slackPayload(n: Notification): Record<string, unknown> {
  const field = (label: string, value: string) => ({
    type: 'mrkdwn',
    text: clip(`*${label}*\n${slackText(value)}`, 2000),
  });
  const evidence = n.evidence.map(
    (e) => `• <${e.consoleUrl}|${slackText(e.label)}>  \`${slackLiteral(e.s3Uri)}\``,
  );
  const blocks: Array<Record<string, unknown>> = [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        text: clip(`${STAGE_ICON[n.stage]} ${slackPlainText(n.title)}`, 150),
        emoji: true,
      },
    },
    {
      type: 'section',
      fields: [
        field('Incident', n.incidentId),
        field('Target', targetText(n)),
        field('Stage', n.stage),
        field('Outcome', n.outcome),
        field('Severity', n.severity),
      ],
    },
  ];
  if (n.details.length) {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: clip(n.details.map(slackText).join('\n'), 3000) },
    });
  }
  blocks.push({
    type: 'section',
    text: { type: 'mrkdwn', text: clip(`*Evidence*\n${evidence.join('\n')}`, 3000) },
  });
  if (n.approval) {
    // Answered through the Slack app's interactivity URL, which verifies Slack's signature.
    const button = (text: string, action: 'approve' | 'reject', style: 'primary' | 'danger') => ({
      type: 'button',
      text: { type: 'plain_text', text },
      style,
      action_id: action,
      value: n.approval!.value,
    });
    blocks.push({
      type: 'actions',
      block_id: 'eks-incident-approval',
      elements: [button('Approve', 'approve', 'primary'), button('Reject', 'reject', 'danger')],
    });
  }
  return { text: `${STAGE_ICON[n.stage]} ${slackText(n.title)} (${slackText(n.incidentId)})`, blocks };
}
