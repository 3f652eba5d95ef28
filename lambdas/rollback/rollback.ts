import { workloadTarget, type RollbackResult, type StepEvent } from '../shared/contracts';
import { ActionNotAllowedError, RolloutRefusedError } from '../shared/errors';
import { assertRemediationAllowed, rollbackTarget, type RemediateDeps } from '../shared/remediation';

/** Rollback: `kubectl rollout undo --to-revision=<rollbackTarget>`. */
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
  const undo = await deps.kube.rolloutUndo(workloadTarget(state.incident.target), toRevision);
  return {
    fromRevision: undo.fromRevision,
    toRevision: undo.toRevision,
    skipped: undo.skipped,
    rolledBackAt: deps.now().toISOString(),
  };
}
