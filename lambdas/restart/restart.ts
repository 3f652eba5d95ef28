import { workloadTarget, type RestartResult, type StepEvent } from '../shared/contracts';
import { rfc3339Seconds } from '../shared/kubernetes/kubectl';
import type { RemediationEntry } from '../shared/kubernetes/remediation-record';
import {
  assertRemediationAllowed,
  earlierAttempt,
  heldLock,
  type RemediateDeps,
} from '../shared/remediation';
import type { StepKubernetes } from '../shared/kubernetes/step-access';

/**
 * Restart: `kubectl rollout restart`, recording the revision that was running, sent at most
 * once per execution. Its `restartedAt` is the guard's decision time, the same in every attempt
 * of the Task: a retry whose first attempt's PATCH applied (its answer lost) finds that value
 * on the template and does not restart the workload a second time. The action is written to
 * the Lease's remediation record before the PATCH, so the cooldown counts it even if the answer
 * never comes, and a rollback cannot erase it.
 */
export async function restart(
  event: StepEvent,
  deps: RemediateDeps<StepKubernetes<'restart'>>,
): Promise<RestartResult> {
  const { state } = event;
  assertRemediationAllowed(state, deps.allowedNamespaces, 'rollout restart');
  const target = workloadTarget(state.incident.target);
  const lock = heldLock(state, 'rollout restart');
  const at = rfc3339Seconds(new Date(state.guard?.decidedAt ?? deps.now().toISOString()));
  const earlier = await earlierAttempt(event, deps.kube, lock, 'restart');
  const entry: RemediationEntry = {
    action: 'restart',
    at,
    execution: event.execution.id,
    incident: state.incident.id,
    fromRevision: earlier?.fromRevision ?? state.diagnostics?.workload.revision,
    status: 'sent',
  };
  if (!earlier) await deps.kube.lock.recordRemediation(lock.namespace, lock.name, entry.execution, entry);
  const outcome = await deps.kube.rollouts.rolloutRestart(target, new Date(at), { idempotent: true });
  // Once applied, the revision before is the one read before the PATCH, or the first attempt's.
  const revisionBefore = outcome.alreadyApplied
    ? (entry.fromRevision ?? outcome.revisionBefore)
    : outcome.revisionBefore;
  await deps.kube.lock.recordRemediation(lock.namespace, lock.name, entry.execution, {
    ...entry,
    fromRevision: revisionBefore,
    status: 'applied',
  });
  return {
    revisionBefore,
    restartedAt: outcome.restartedAt,
    generation: outcome.generation,
    ...(outcome.alreadyApplied ? { alreadyApplied: true } : {}),
  };
}
