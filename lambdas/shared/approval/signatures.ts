import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The two ways an approval reaches the workflow from outside, and how each proves itself:
 *
 * - a link in the SNS message, for teams without Slack: HMAC-SHA256 (the stack's approval-link
 *   secret) over the request it answers (incident, action, the request's nonce), the decision
 *   and the expiry; single use is the approval store's (a decided request refuses another);
 * - a Slack button: Slack signs every interactivity request with the app's signing secret,
 *   `v0=` + hex HMAC-SHA256 of `v0:<X-Slack-Request-Timestamp>:<raw body>`, and a timestamp
 *   more than five minutes from now is refused, as Slack's documentation says, against replays.
 */

export type ApprovalDecisionKind = 'approve' | 'reject';

/** A link or a Slack request that does not prove itself: the answer is 401 and nothing happens. */
export class ApprovalSignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApprovalSignatureError';
  }
}

/** A well-signed link whose time is over: refused (410). */
export class ApprovalExpiredError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApprovalExpiredError';
  }
}

export interface ApprovalLinkFields {
  incidentId: string;
  action: 'restart' | 'rollback';
  nonce: string;
  decision: ApprovalDecisionKind;
  /** Seconds since the epoch. */
  expires: number;
}

function hmac(secret: string, text: string): string {
  return createHmac('sha256', secret).update(text).digest('hex');
}

function sameHex(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

function linkText(f: ApprovalLinkFields): string {
  return ['eks-incident-approval-v1', f.incidentId, f.action, f.nonce, f.decision, String(f.expires)].join(
    '\n',
  );
}

/** `<base>/approvals/<incident>/<action>?decision=..&nonce=..&expires=..&sig=..` */
export function approvalLink(baseUrl: string, fields: ApprovalLinkFields, secret: string): string {
  const url = new URL(
    `approvals/${encodeURIComponent(fields.incidentId)}/${fields.action}`,
    baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`,
  );
  url.searchParams.set('decision', fields.decision);
  url.searchParams.set('nonce', fields.nonce);
  url.searchParams.set('expires', String(fields.expires));
  url.searchParams.set('sig', hmac(secret, linkText(fields)));
  return url.toString();
}

/** The fields of an approval link's path and query, checked: forged → ApprovalSignatureError, late → ApprovalExpiredError. */
export function verifyApprovalLink(
  path: { incidentId: string; action: string },
  query: URLSearchParams,
  secret: string,
  now: Date,
): ApprovalLinkFields {
  const decision = query.get('decision');
  const nonce = query.get('nonce') ?? '';
  const expires = Number(query.get('expires'));
  const sig = query.get('sig') ?? '';
  if (
    (decision !== 'approve' && decision !== 'reject') ||
    (path.action !== 'restart' && path.action !== 'rollback')
  ) {
    throw new ApprovalSignatureError('not an approval link');
  }
  if (!Number.isInteger(expires) || !nonce) throw new ApprovalSignatureError('not an approval link');
  const fields: ApprovalLinkFields = {
    incidentId: path.incidentId,
    action: path.action,
    nonce,
    decision,
    expires,
  };
  if (!sameHex(sig, hmac(secret, linkText(fields)))) {
    throw new ApprovalSignatureError('the link signature does not match');
  }
  if (now.getTime() >= expires * 1000) {
    throw new ApprovalExpiredError(`the link expired at ${new Date(expires * 1000).toISOString()}`);
  }
  return fields;
}

/** Slack's replay window: five minutes either way. */
export const SLACK_MAX_SKEW_SECONDS = 300;

/** Checks a Slack request's `X-Slack-Signature` over its raw body; throws ApprovalSignatureError. */
export function verifySlackSignature(
  headers: { timestamp?: string; signature?: string },
  rawBody: string,
  signingSecret: string,
  now: Date,
): void {
  const timestamp = Number(headers.timestamp);
  if (!headers.timestamp || !Number.isInteger(timestamp)) {
    throw new ApprovalSignatureError('no X-Slack-Request-Timestamp');
  }
  if (Math.abs(now.getTime() / 1000 - timestamp) > SLACK_MAX_SKEW_SECONDS) {
    throw new ApprovalSignatureError('the Slack request timestamp is more than five minutes away');
  }
  const expected = `v0=${hmac(signingSecret, `v0:${headers.timestamp}:${rawBody}`)}`;
  if (!headers.signature || !sameHex(headers.signature, expected)) {
    throw new ApprovalSignatureError('the Slack signature does not match');
  }
}

/** What a Slack client signs (for tests and the demo, which play Slack's part). */
export function slackSignature(signingSecret: string, timestamp: string, rawBody: string): string {
  return `v0=${hmac(signingSecret, `v0:${timestamp}:${rawBody}`)}`;
}
