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

/**
 * Rollback: `kubectl rollout undo --to-revision=<rollbackTarget>`, sent at most once per
 * execution. The Lease is renewed for the rollback's own wait and verification, and the undo is
 * written to its remediation record before the PATCH. `rollout undo` already sends nothing when
 * the template matches the target revision; a retry that finds its own earlier entry there
 * knows the first attempt applied it (its answer lost) and reports it as done, not skipped.
 */
export async function rollback(event: StepEvent, deps: RemediateDeps): Promise<RollbackResult> {
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
  await deps.kube.acquireLease(
    lock.namespace,
    lock.name,
    execution,
    phaseLeaseSeconds(state.incident.options),
    now,
  );
  const entry: RemediationEntry = earlier ?? {
    action: 'undo',
    at: now.toISOString(),
    execution,
    incident: state.incident.id,
    fromRevision: (await deps.kube.revisions(target)).find((r) => r.current)?.revision,
    toRevision,
    status: 'sent',
  };
  if (!earlier) await deps.kube.recordRemediation(lock.namespace, lock.name, execution, entry);
  const undo = await deps.kube.rolloutUndo(target, toRevision);
  const alreadyApplied = undo.skipped && earlier !== undefined;
  const fromRevision = alreadyApplied ? (earlier.fromRevision ?? undo.fromRevision) : undo.fromRevision;
  await deps.kube.recordRemediation(lock.namespace, lock.name, execution, {
    ...entry,
    fromRevision,
    status: 'applied',
  });
  return {
    fromRevision,
    toRevision: undo.toRevision,
    skipped: undo.skipped && !alreadyApplied,
    rolledBackAt: alreadyApplied ? entry.at : now.toISOString(),
    ...(alreadyApplied ? { alreadyApplied: true } : {}),
  };
}
