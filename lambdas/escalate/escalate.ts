import { caughtErrorText } from '../shared/caught-error';
import { targetText, type Escalation, type StepEvent, type WorkflowState } from '../shared/contracts';
import { decisionText, diagnosisLines } from '../shared/decision-text';
import { incidentEvidenceLinks } from '../shared/evidence/links';
import type { Notifier } from '../shared/notify/notifier';
import { outcomeOf } from '../shared/outcome';
import { rollbackTarget } from '../shared/remediation';

export interface EscalateDeps {
  notifier: Notifier;
  bucket: string;
  region: string;
  now: () => Date;
}

/** Why the flow stopped for the remediation policy or a human's answer, if it did. */
function humanDecision(state: WorkflowState): string | undefined {
  const { approval, guard, verification } = state;
  const doing = (action: string) => (action === 'rollback' ? 'rollback' : 'restart');
  if (approval?.decision === 'rejected') {
    return `The ${doing(approval.action)} was rejected by ${approval.by} (${approval.via}) at ${approval.at}: nothing more was changed; a human takes over.`;
  }
  if (approval?.decision === 'timeout') {
    return `Nobody answered the approval request for the ${doing(approval.action)} before ${approval.expiresAt ?? 'its timeout'}: nothing more was changed.`;
  }
  if (
    verification?.outcome === 'failed' &&
    verification.phase === 'restart' &&
    guard?.policy?.rollback === 'never'
  ) {
    return `The rollout restart did not recover the workload, and the remediation policy says never roll it back: ${verification.message}`;
  }
  return undefined;
}

/** Why a human is needed, in one sentence a responder reads first. */
export function escalationReason(state: WorkflowState): string {
  const { guard, verification, error } = state;
  if (error) return `A step of the workflow failed: ${caughtErrorText(error)}`;
  const human = humanDecision(state);
  if (human) return human;
  if (state.incident.target.kind === 'Namespace') {
    return `The alert names no workload in namespace "${state.incident.target.namespace}" that the workflow can act on: nothing was remediated; the namespace is dumped as evidence.`;
  }
  const decision = state.diagnostics?.remediation;
  // Diagnosis Calls For? sent the incident here before any guard or write.
  if (decision && !guard && (!decision.confident || decision.action === 'none')) {
    return decision.confident
      ? `No automatic action: the diagnosis says a restart or rollback cannot help (${decisionText(decision)})`
      : `No automatic action: the diagnosis is unsure (${decisionText(decision)})`;
  }
  if (guard && !guard.allowed) return `Remediation not allowed (${guard.reason}): ${guard.detail}`;
  if (state.dependencyWait?.outcome === 'failed') {
    return `The diagnosis calls for waiting on a dependency, then restarting, but ${state.dependencyWait.message}: nothing was restarted`;
  }
  if (decision?.action === 'rollback' && !state.rollback && !state.incident.options.allowRollback) {
    return `The diagnosis calls for a rollback (${decision.reason}), but rollback is not allowed for this incident: nothing was changed`;
  }
  if (verification?.outcome === 'failed') {
    if (verification.phase === 'rollback') {
      return `The rollback to revision ${state.rollback?.toRevision} did not recover the workload: ${verification.message}`;
    }
    const why = !state.incident.options.allowRollback
      ? 'rollback is not allowed for this incident'
      : `there is no revision ${rollbackTarget(state) ?? 'before the incident'} to roll back to`;
    return `The rollout restart did not recover the workload and ${why}: ${verification.message}`;
  }
  return 'The workflow could not confirm that the workload recovered.';
}

function actionsTaken(state: WorkflowState): string[] {
  const lines: string[] = [];
  if (state.restart) {
    lines.push(
      `Restarted at ${state.restart.restartedAt} (revision ${state.restart.revisionBefore} was running).`,
    );
  }
  if (state.rollback) {
    lines.push(
      state.rollback.skipped
        ? `Rollback skipped: the template already matched revision ${state.rollback.toRevision}.`
        : `Rolled back from revision ${state.rollback.fromRevision} to ${state.rollback.toRevision} at ${state.rollback.rolledBackAt}.`,
    );
  }
  if (!lines.length) lines.push('Nothing in the cluster was changed.');
  return lines;
}

/**
 * Escalate: pages a human with why, what was done, the probable cause and links to the
 * evidence. Also reached from every Catch, so it must work with whatever the state holds.
 */
export async function escalate(event: StepEvent, deps: EscalateDeps): Promise<Escalation> {
  const { state } = event;
  const { incident } = state;
  const why = escalationReason(state);
  const outcome = outcomeOf(state);
  const target = targetText(incident.target);
  const notified = await deps.notifier.notify({
    stage: 'escalated',
    incidentId: incident.id,
    target: incident.target,
    severity: incident.alert.severity,
    outcome: outcome === 'dry-run' ? 'dry-run' : 'escalated',
    title:
      outcome === 'dry-run'
        ? `Dry run finished, human decision needed: ${target}`
        : `Needs a human: ${target}`,
    details: [
      why,
      ...actionsTaken(state),
      ...diagnosisLines(state.diagnostics),
      `Alert: ${incident.alert.name} (${incident.alert.severity})${incident.alert.summary ? `: ${incident.alert.summary}` : ''}`,
    ],
    evidence: incidentEvidenceLinks(deps.bucket, deps.region, state),
  });
  return { escalatedAt: deps.now().toISOString(), why, notified };
}
