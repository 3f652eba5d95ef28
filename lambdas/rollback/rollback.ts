import { workloadTarget, type RollbackResult, type StepEvent } from '../shared/contracts';
import { ActionNotAllowedError, RolloutRefusedError } from '../shared/errors';
import type { RemediationEntry } from '../shared/kubernetes/remediation-record';
import { phaseLeaseSeconds } from '../shared/lock-window';
import {
  assertRemediationAllowed,
  earlierAttempt,
  heldLock,
  rollbackTarget,
  type RemediateDeps,
} from '../shared/remediation';
import type { StepKubernetes } from '../shared/kubernetes/step-access';

/**
 * Rollback: `kubectl rollout undo --to-revision=<rollbackTarget>`, sent at most once per
 * execution. The Lease is renewed for the rollback's own wait and verification, and the undo is
 * written to its remediation record before the PATCH. `rollout undo` already sends nothing when
 * the template matches the target revision, but a retry cannot ask for it again by number: once
 * applied, the controller renumbers the revision gone back to as the newest. The entry names the
 * object holding it, so a retry that finds that object current knows its first attempt applied
 * (its answer lost) and reports it as done, not skipped, without sending anything.
 */
export async function rollback(
  event: StepEvent,
  deps: RemediateDeps<StepKubernetes<'rollback'>>,
): Promise<RollbackResult> {
  const { state } = event;
  assertRemediationAllowed(state, deps.allowedNamespaces, 'rollout undo');
  if (!state.incident.options.allowRollback) {
    throw new ActionNotAllowedError('rollout undo refused: the incident does not allow rollback');
  }
  const toRevision = rollbackTarget(state);
  if (toRevision === undefined) {
    throw new RolloutRefusedError(
      `no revision before ${state.diagnostics?.workload.revision ?? 'the current one'} to roll back to`,
    );
  }
  const target = workloadTarget(state.incident.target);
  const lock = heldLock(state, 'rollout undo');
  const execution = event.execution.id;
  const now = deps.now();
  const earlier = await earlierAttempt(event, deps.kube, lock, 'undo');
  await deps.kube.lock.acquireLease(
    lock.namespace,
    lock.name,
    execution,
    phaseLeaseSeconds(state.incident.options),
    now,
  );
  const revisions = await deps.kube.workloads.revisions(target);
  if (earlier?.toObject && revisions.find((r) => r.name === earlier.toObject)?.current) {
    // The first attempt's PATCH applied: the workload already runs the revision it went back to.
    await deps.kube.lock.recordRemediation(lock.namespace, lock.name, execution, {
      ...earlier,
      status: 'applied',
    });
    return {
      fromRevision: earlier.fromRevision ?? 0,
      toRevision,
      skipped: false,
      rolledBackAt: earlier.at,
      alreadyApplied: true,
    };
  }
  const entry: RemediationEntry = {
    action: 'undo',
    at: now.toISOString(),
    execution,
    incident: state.incident.id,
    fromRevision: revisions.find((r) => r.current)?.revision,
    toRevision,
    toObject: revisions.find((r) => r.revision === toRevision)?.name,
    status: 'sent',
  };
  // Before the PATCH: the cooldown counts an undo whose answer is lost, and a retry finds it.
  await deps.kube.lock.recordRemediation(lock.namespace, lock.name, execution, entry);
  const undo = await deps.kube.rollouts.rolloutUndo(target, toRevision);
  const fromRevision = undo.fromRevision;
  await deps.kube.lock.recordRemediation(lock.namespace, lock.name, execution, {
    ...entry,
    fromRevision,
    status: 'applied',
  });
  return {
    fromRevision,
    toRevision: undo.toRevision,
    skipped: undo.skipped,
    rolledBackAt: entry.at,
  };
}
