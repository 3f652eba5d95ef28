import { randomBytes } from 'node:crypto';
import { targetText, workloadTarget, type ApprovalRequested, type StepEvent } from '../shared/contracts';
import type { ApprovalStore } from '../shared/approval/approval-store';
import type { PolicyAction } from '../shared/approval/policy';
import { approvalLink } from '../shared/approval/signatures';
import { diagnosisLines } from '../shared/decision-text';
import { ConfigurationError } from '../shared/errors';
import { incidentEvidenceLinks } from '../shared/evidence/links';
import type { Notifier } from '../shared/notify/notifier';

export interface ApprovalRequestDeps {
  notifier: Notifier;
  store: ApprovalStore;
  bucket: string;
  region: string;
  now: () => Date;
  /**
   * Where the signed approval links point (the HTTP API, or `serve`), and the secret that signs
   * them. Unset: the message offers Slack's buttons and the CLI only.
   */
  links?: { baseUrl: string; secret: string };
}

/**
 * Request Approval (notify λ, stage "approval", run by a `.waitForTaskToken` Task): stores the
 * request with its task token, then tells humans what is about to happen and how to answer —
 * Approve / Reject buttons in Slack, signed single-use links in the SNS message, the CLI
 * command — and returns. The execution waits until an answer calls SendTaskSuccess with it, or
 * the Task's TimeoutSeconds ends the wait (States.Timeout: the flow escalates).
 */
export async function requestApproval(
  event: StepEvent,
  deps: ApprovalRequestDeps,
): Promise<ApprovalRequested> {
  const { state, params } = event;
  const taskToken = params?.taskToken;
  const timeoutSeconds = Number(params?.timeoutSeconds);
  if (!taskToken || !(timeoutSeconds > 0)) {
    throw new ConfigurationError(
      'notify (approval): the Task must pass params.taskToken and params.timeoutSeconds',
    );
  }
  const { incident } = state;
  const target = workloadTarget(incident.target);
  const action: PolicyAction = state.health?.before === 'rollback' ? 'rollback' : 'restart';
  const now = deps.now();
  const expiresAt = new Date(now.getTime() + timeoutSeconds * 1000);
  const nonce = randomBytes(16).toString('hex');
  await deps.store.put({
    incidentId: incident.id,
    action,
    target: targetText(target),
    taskToken,
    nonce,
    requestedAt: now.toISOString(),
    expiresAt: expiresAt.toISOString(),
  });
  const expires = Math.floor(expiresAt.getTime() / 1000);
  const link = (decision: 'approve' | 'reject') =>
    deps.links
      ? approvalLink(
          deps.links.baseUrl,
          { incidentId: incident.id, action, nonce, decision, expires },
          deps.links.secret,
        )
      : undefined;
  const approveUrl = link('approve');
  const rejectUrl = link('reject');
  const what =
    action === 'rollback'
      ? `roll back ${targetText(target)}${state.diagnostics?.workload.previousRevision ? ` to revision ${state.diagnostics.workload.previousRevision}` : ''}`
      : `restart ${targetText(target)} (kubectl rollout restart)`;
  const notified = await deps.notifier.notify({
    stage: 'approval',
    incidentId: incident.id,
    target,
    severity: incident.alert.severity,
    outcome: 'investigating',
    title: `Approval needed to ${what}`,
    details: [
      `The remediation policy asks a human before this ${action}. It waits until ${expiresAt.toISOString()}; unanswered, the incident is escalated.`,
      ...(approveUrl && rejectUrl ? [`Approve: ${approveUrl}`, `Reject: ${rejectUrl}`] : []),
      `From a terminal: eks-incident approve ${incident.id} [--reject]`,
      ...diagnosisLines(state.diagnostics),
    ],
    evidence: incidentEvidenceLinks(deps.bucket, deps.region, state),
    approval: { value: `${incident.id}/${action}/${nonce}`, approveUrl, rejectUrl },
  });
  return { requestedAt: now.toISOString(), expiresAt: expiresAt.toISOString(), action, notified };
}
