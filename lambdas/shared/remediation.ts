import type { WorkflowState } from './contracts';
import { ActionNotAllowedError } from './errors';
import type { KubernetesPort } from './kubernetes/kubernetes-port';

/** What the steps that write to the cluster (restart, rollback) are given. */
export interface RemediateDeps {
  kube: KubernetesPort;
  /** ALLOWED_NAMESPACES, checked again here: the guard's decision is not the only line of defence. */
  allowedNamespaces: string[];
  now: () => Date;
}

/**
 * What every remediation checks before writing, whatever the state document says: a state
 * machine edited by hand, or a replayed event, must not turn into a write the guard refused.
 */
export function assertRemediationAllowed(
  state: WorkflowState,
  allowedNamespaces: string[],
  action: string,
): void {
  const { target, options } = state.incident;
  if (options.dryRun) throw new ActionNotAllowedError(`${action} refused: the incident is a dry run`);
  if (!state.guard?.allowed)
    throw new ActionNotAllowedError(`${action} refused: the guard did not allow remediation`);
  if (!allowedNamespaces.includes(target.namespace)) {
    throw new ActionNotAllowedError(
      `${action} refused: namespace "${target.namespace}" is not in ALLOWED_NAMESPACES`,
    );
  }
}

/**
 * The revision a rollback goes back to. Not kubectl's default (the second-highest revision):
 * after our restart that is the template that was failing when the incident opened. It is
 * the revision before the incident's, or the one the input forces.
 */
export function rollbackTarget(state: WorkflowState): number | undefined {
  return state.incident.options.rollbackToRevision ?? state.diagnostics?.workload.previousRevision;
}
