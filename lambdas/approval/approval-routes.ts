import { timingSafeEqual } from 'node:crypto';
import type { ApprovalOutcome } from '../shared/contracts';
import {
  ApprovalAlreadyAnsweredError,
  ApprovalNotFoundError,
  decisionOf,
  type ApprovalAnswer,
  type ApprovalRecord,
  type ApprovalStore,
} from '../shared/approval/approval-store';
import type { PolicyAction } from '../shared/approval/policy';
import {
  ApprovalExpiredError,
  ApprovalSignatureError,
  verifyApprovalLink,
  verifySlackSignature,
  type ApprovalDecisionKind,
} from '../shared/approval/signatures';
import { htmlText } from '../shared/escape/html';
import type { Logger } from '../shared/observability/logger';
import type { HttpAnswer } from '../intake/http';

/**
 * The approval routes of the HTTP API (and of `eks-incident serve`):
 *
 * - `GET /approvals/<incident>/<action>?decision&nonce&expires&sig`: the signed link from the SNS
 *   message. It only shows what the answer would do, with a button: mail scanners and link
 *   previews fetch links, and a GET must not approve a rollback;
 * - `POST` of the same URL: the answer, once (a second one is 409, a late one 410);
 * - `POST /slack/interactions`: Slack's interactivity request for the Approve / Reject buttons,
 *   refused with 401 unless Slack's signature over the raw body verifies.
 */

export const APPROVAL_PATH = /^\/approvals\/([^/]+)\/(restart|rollback)$/;
/** `POST /approvals/<incident>` with the operator's bearer token: `eks-incident approve`. */
export const OPERATOR_APPROVAL_PATH = /^\/approvals\/([^/]+)$/;
export const SLACK_INTERACTIONS_PATH = '/slack/interactions';

export interface ApprovalRouteDeps {
  store: ApprovalStore;
  /** Signs and checks the approval links. */
  linkSecret: string;
  /** The Slack app's signing secret; unset: the Slack route answers 404. */
  slackSigningSecret?: string;
  now: () => Date;
  /**
   * Gives the answer to the waiting execution: SendTaskSuccess with the task token on AWS. The
   * local engine reads the answer from the store, so locally there is nothing more to do.
   */
  deliver: (record: ApprovalRecord, outcome: ApprovalOutcome) => Promise<void>;
  log: Pick<Logger, 'warn'>;
  /**
   * The bearer token `eks-incident approve` sends to `serve` (the webhook's token). Unset: the
   * operator route answers 404 (the deployed HTTP API has none: the CLI is for `serve`).
   */
  operatorToken?: string;
}

export interface ApprovalRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | undefined>;
  body: string;
}

/** What SendTaskSuccess carries to the execution: `$.approval`. */
export function approvalOutcome(record: ApprovalRecord, answer: ApprovalAnswer): ApprovalOutcome {
  return {
    action: record.action,
    decision: answer.decision,
    by: answer.by,
    via: answer.via,
    at: answer.at,
    requestedAt: record.requestedAt,
    expiresAt: record.expiresAt,
  };
}

/** Answers a request: the store records it once, after `deliver` gave it to the execution. */
export function answerApproval(
  deps: Pick<ApprovalRouteDeps, 'store' | 'deliver' | 'now'>,
  request: { incidentId: string; action: PolicyAction; nonce?: string },
  decision: ApprovalDecisionKind,
  who: { by: string; via: ApprovalAnswer['via'] },
): Promise<ApprovalRecord> {
  const now = deps.now();
  const answer: ApprovalAnswer = { decision: decisionOf(decision), ...who, at: now.toISOString() };
  return deps.store.answer(
    request,
    answer,
    (record) => deps.deliver(record, approvalOutcome(record, answer)),
    now,
  );
}

function text(statusCode: number, body: string): HttpAnswer {
  return { statusCode, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: `${body}\n` };
}

function page(statusCode: number, title: string, body: string): HttpAnswer {
  return {
    statusCode,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    },
    body: `<!doctype html><html><head><meta charset="utf-8"><title>${htmlText(title)}</title></head><body><h1>${htmlText(title)}</h1>${body}</body></html>\n`,
  };
}

/** Why a request was refused, as the status a client (or Slack) sees. */
function refusal(error: unknown): { status: number; message: string } | undefined {
  if (error instanceof ApprovalSignatureError) return { status: 401, message: 'not a valid approval' };
  if (error instanceof ApprovalExpiredError) return { status: 410, message: error.message };
  if (error instanceof ApprovalAlreadyAnsweredError) return { status: 409, message: error.message };
  if (error instanceof ApprovalNotFoundError) return { status: 404, message: error.message };
  return undefined;
}

/** The routes; undefined for a path that is not theirs. */
export async function approvalRoutes(
  request: ApprovalRequest,
  deps: ApprovalRouteDeps,
): Promise<HttpAnswer | undefined> {
  if (request.path === SLACK_INTERACTIONS_PATH) return slackInteraction(request, deps);
  const operator = OPERATOR_APPROVAL_PATH.exec(request.path);
  if (operator) return operatorAnswer(decodeURIComponent(operator[1]), request, deps);
  const match = APPROVAL_PATH.exec(request.path);
  if (!match) return undefined;
  const path = { incidentId: decodeURIComponent(match[1]), action: match[2] };
  try {
    const fields = verifyApprovalLink(path, request.query, deps.linkSecret, deps.now());
    const verb = fields.decision === 'approve' ? 'Approve' : 'Reject';
    const what = `${verb} the ${fields.action} of incident ${fields.incidentId}`;
    if (request.method === 'GET') {
      return page(200, `${what}?`, `<form method="post"><button type="submit">${verb}</button></form>`);
    }
    if (request.method !== 'POST') return text(405, 'method not allowed');
    const record = await answerApproval(deps, fields, fields.decision, { by: 'approval link', via: 'link' });
    return page(
      200,
      `${record.answer!.decision === 'approved' ? 'Approved' : 'Rejected'}: ${record.target}`,
      '',
    );
  } catch (error) {
    const refused = refusal(error);
    if (!refused) throw error;
    deps.log.warn('approval link refused', { status: refused.status, reason: (error as Error).message });
    return text(refused.status, refused.message);
  }
}

interface SlackBlockActions {
  type?: string;
  user?: { id?: string; username?: string; name?: string };
  actions?: Array<{ action_id?: string; value?: string }>;
}

async function slackInteraction(request: ApprovalRequest, deps: ApprovalRouteDeps): Promise<HttpAnswer> {
  if (!deps.slackSigningSecret) return text(404, 'Slack interactivity is not configured');
  if (request.method !== 'POST') return text(405, 'method not allowed');
  try {
    verifySlackSignature(
      {
        timestamp: request.headers['x-slack-request-timestamp'],
        signature: request.headers['x-slack-signature'],
      },
      request.body,
      deps.slackSigningSecret,
      deps.now(),
    );
  } catch (error) {
    if (!(error instanceof ApprovalSignatureError)) throw error;
    deps.log.warn('Slack request refused', { reason: error.message });
    return text(401, 'invalid signature');
  }
  let payload: SlackBlockActions;
  try {
    payload = JSON.parse(new URLSearchParams(request.body).get('payload') ?? '') as SlackBlockActions;
  } catch {
    return text(400, 'no interaction payload');
  }
  const action = payload.actions?.[0];
  const [incidentId, policyAction, nonce] = (action?.value ?? '').split('/');
  if (
    payload.type !== 'block_actions' ||
    (action?.action_id !== 'approve' && action?.action_id !== 'reject') ||
    (policyAction !== 'restart' && policyAction !== 'rollback') ||
    !incidentId ||
    !nonce
  ) {
    return text(400, 'not an approval button');
  }
  const user = payload.user ?? {};
  const by = `${user.username ?? user.name ?? 'unknown'} (Slack ${user.id ?? '?'})`;
  try {
    const record = await answerApproval(deps, { incidentId, action: policyAction, nonce }, action.action_id, {
      by,
      via: 'slack',
    });
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        text: `${record.answer!.decision} by ${by}: ${record.action} of ${record.target}`,
      }),
    };
  } catch (error) {
    const refused = refusal(error);
    if (!refused) throw error;
    // Slack shows a non-200 as a failed action; the message says why.
    return text(refused.status, refused.message);
  }
}

/**
 * `eks-incident approve INCIDENT [--reject]`: the operator's answer to the incident's pending
 * request, authenticated by the bearer token serve was started with.
 */
async function operatorAnswer(
  incidentId: string,
  request: ApprovalRequest,
  deps: ApprovalRouteDeps,
): Promise<HttpAnswer> {
  const json = (statusCode: number, body: unknown): HttpAnswer => ({
    statusCode,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!deps.operatorToken) return json(404, { error: 'not found' });
  if (request.method !== 'POST') return json(405, { error: 'method not allowed' });
  const expected = `Bearer ${deps.operatorToken}`;
  const given = request.headers.authorization ?? '';
  if (given.length !== expected.length || !timingSafeEqual(Buffer.from(given), Buffer.from(expected))) {
    return json(401, { error: 'unauthorized' });
  }
  let body: { decision?: string; by?: string };
  try {
    body = JSON.parse(request.body) as typeof body;
  } catch {
    return json(400, { error: 'the body must be JSON: {"decision": "approve"|"reject", "by": "..."}' });
  }
  if (body.decision !== 'approve' && body.decision !== 'reject') {
    return json(400, { error: 'decision must be "approve" or "reject"' });
  }
  const [pending] = await deps.store.pending(incidentId);
  if (!pending) return json(404, { error: `incident ${incidentId} has no approval request waiting` });
  try {
    const record = await answerApproval(deps, pending, body.decision, {
      by: (body.by ?? 'operator').slice(0, 100),
      via: 'cli',
    });
    return json(200, { incidentId, action: record.action, target: record.target, ...record.answer });
  } catch (error) {
    const refused = refusal(error);
    if (!refused) throw error;
    return json(refused.status, { error: refused.message });
  }
}
