import { workloadTarget, type StepEvent, type Verification, type VerifyOutcome } from '../shared/contracts';
import type { RolloutStatus } from '../shared/kubernetes/ports/rollouts';
import type { StepKubernetes } from '../shared/kubernetes/step-access';
import { remainingLeaseSeconds } from '../shared/lock-window';
import { renewLock, rollbackTarget } from '../shared/remediation';

export interface VerifyDeps {
  kube: StepKubernetes<'verify'>;
  now: () => Date;
}

function readinessText(status: RolloutStatus): string {
  const { pods } = status;
  const notReady = pods.notReady.map((p) => `${p.name}: ${p.reason}`).join(', ');
  return `${pods.ready}/${pods.total} pods of revision ${status.revision} ready${notReady ? ` (${notReady})` : ''}`;
}

/**
 * Verify: one `kubectl rollout status` check plus the readiness of the current revision's
 * pods. Healthy needs both; kubectl's own failure (ProgressDeadlineExceeded...) fails at
 * once; anything else is progressing until the deadline (remediation time plus
 * verifyTimeoutSeconds), then failed. Wait loops back here while it is progressing.
 */
export async function verify(event: StepEvent, deps: VerifyDeps): Promise<Verification> {
  const { state } = event;
  const { incident, rollback, restart } = state;
  const phase: Verification['phase'] = rollback ? 'rollback' : 'restart';
  const remediatedAt = rollback?.rolledBackAt ?? restart?.restartedAt ?? incident.openedAt;
  const deadline = new Date(Date.parse(remediatedAt) + incident.options.verifyTimeoutSeconds * 1000);
  const status = await deps.kube.rollouts.rolloutStatus(workloadTarget(incident.target));
  const now = deps.now();
  const podsReady = status.pods.ready === status.pods.total;
  let outcome: VerifyOutcome;
  let message = `${status.message}; ${readinessText(status)}`;
  if (status.failed) outcome = 'failed';
  else if (status.done && podsReady) outcome = 'healthy';
  else if (now.getTime() >= deadline.getTime()) {
    outcome = 'failed';
    message = `not healthy ${incident.options.verifyTimeoutSeconds} s after the ${phase}: ${message}`;
  } else outcome = 'progressing';
  // The wait/verify loop is the long part of a remediation: each pass keeps the lock for what is left.
  await renewLock(event, deps.kube, remainingLeaseSeconds(incident.options, deadline, now), now);
  const checkedAt = now.toISOString();
  const history = [...(state.verification?.history ?? []), { phase, outcome, message, checkedAt }];
  return {
    outcome,
    phase,
    message,
    deadline: deadline.toISOString(),
    checkedAt,
    history,
    rollbackPossible: outcome === 'failed' && phase === 'restart' && (await canRollBack(event, deps)),
  };
}

/** Rollback is allowed by the input and its target revision still exists. */
async function canRollBack(event: StepEvent, deps: VerifyDeps): Promise<boolean> {
  const { state } = event;
  const target = rollbackTarget(state);
  if (!state.incident.options.allowRollback || target === undefined) return false;
  const revisions = await deps.kube.workloads.revisions(workloadTarget(state.incident.target));
  return revisions.some((r) => r.revision === target);
}
