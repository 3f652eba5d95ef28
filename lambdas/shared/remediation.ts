import type { StepEvent, WorkflowState } from './contracts';
import { ActionNotAllowedError, LockLostError } from './errors';
import type { KubernetesPort } from './kubernetes/kubernetes-port';
import type { LeaseLock } from './kubernetes/ports/lease-lock';
import { ownEntry, remediationsOf, type RemediationEntry } from './kubernetes/remediation-record';

/** What the steps that write to the cluster (restart, rollback) are given; each uses its own ports. */
export interface RemediateDeps<Kube = KubernetesPort> {
  kube: Kube;
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

/** The Lease the guard took for this execution; a remediation never runs without it. */
export function heldLock(state: WorkflowState, action: string): { namespace: string; name: string } {
  const lock = state.guard?.lock;
  if (!lock?.acquired) throw new ActionNotAllowedError(`${action} refused: the guard took no lock`);
  return { namespace: lock.namespace, name: lock.name };
}

/**
 * This execution's earlier entry for `action` on the Lease, if an earlier attempt of the same
 * Task wrote one (Step Functions retried it after an error or a lost answer).
 */
export async function earlierAttempt(
  event: StepEvent,
  kube: { lock: Pick<LeaseLock, 'getLease'> },
  lock: { namespace: string; name: string },
  action: RemediationEntry['action'],
): Promise<RemediationEntry | undefined> {
  const lease = await kube.lock.getLease(lock.namespace, lock.name);
  if (lease?.spec?.holderIdentity !== event.execution.id) {
    throw new LockLostError(
      `${action} refused: the lock ${lock.namespace}/${lock.name} is held by ${lease?.spec?.holderIdentity || 'nobody'}, not this execution`,
    );
  }
  return ownEntry(remediationsOf(lease), event.execution.id, action);
}

/**
 * Renews the lock this execution holds for `ttlSeconds` more (the steps that run long call it).
 * Nothing happens when it holds none; whether it still holds it is returned, never thrown: a
 * lost lock stops the next write (earlierAttempt), not a read.
 */
export async function renewLock(
  event: StepEvent,
  kube: { lock: Pick<LeaseLock, 'acquireLease'> },
  ttlSeconds: number,
  now: Date,
): Promise<boolean | undefined> {
  const lock = event.state.guard?.lock;
  if (!lock?.acquired) return undefined;
  const lease = await kube.lock.acquireLease(lock.namespace, lock.name, event.execution.id, ttlSeconds, now);
  return lease.acquired;
}
