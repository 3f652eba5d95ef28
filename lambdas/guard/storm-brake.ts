import { targetText, workloadTarget, type StepEvent, type StormRoster } from '../shared/contracts';
import type { StepKubernetes } from '../shared/kubernetes/step-access';
import {
  parseLedger,
  reserve,
  takeStormBatch,
  type BudgetDecision,
  type BudgetLedger,
  type RemediationBudget,
} from '../shared/remediation-budget';

/**
 * Where the remediation budget is kept: one annotation on one Lease that nobody holds, in a
 * namespace the workflow may already write Leases in. The Kubernetes API server's optimistic
 * concurrency (a replace carries the resourceVersion it read; a stale one is refused with 409)
 * is the conditional write, the same one the per-workload lock relies on: it is shared by every
 * execution of the cluster it brakes, and needs no store besides the cluster itself.
 */
export const BUDGET_LEASE_NAME = 'eks-incident-remediation-budget';
export const BUDGET_ANNOTATION = 'eks-incident-response.io/remediation-budget';

export interface StormBrake {
  budget: RemediationBudget;
  /** The namespace of the ledger's Lease (one of the allowed namespaces). */
  ledgerNamespace: string;
}

async function updateLedger<T>(
  kube: StepKubernetes<'guard'>,
  brake: StormBrake,
  change: (ledger: BudgetLedger) => { ledger: BudgetLedger; result: T },
): Promise<T> {
  return kube.lock.updateLeaseAnnotation(
    brake.ledgerNamespace,
    BUDGET_LEASE_NAME,
    BUDGET_ANNOTATION,
    (text) => {
      const { ledger, result } = change(parseLedger(text));
      return { value: JSON.stringify(ledger), result };
    },
  );
}

/** Takes a remediation slot for this execution, or records its incident for the storm notification. */
export async function reserveRemediation(
  event: StepEvent,
  kube: StepKubernetes<'guard'>,
  brake: StormBrake,
  now: Date,
): Promise<BudgetDecision> {
  const { incident } = event.state;
  const target = workloadTarget(incident.target);
  const request = {
    // The execution ARN, as for the lock's holder: one slot per execution, whatever its retries.
    execution: event.execution.id,
    incidentId: incident.id,
    namespace: target.namespace,
    target: targetText(target),
    evidencePrefix: incident.evidencePrefix,
    // The opener gathers for one wait period, then notifies: well past that, it is gone.
    staleAfterSeconds: incident.options.waitSeconds + 300,
  };
  return updateLedger(kube, brake, (ledger) => {
    const { ledger: next, decision } = reserve(ledger, request, now, brake.budget);
    return { ledger: next, result: decision };
  });
}

/** Storm Roster (guard λ, action "storm"): the opener takes its batch of refused incidents. */
export async function stormRoster(
  event: StepEvent,
  kube: StepKubernetes<'guard'>,
  brake: StormBrake,
  now: Date,
): Promise<StormRoster> {
  const entries = await updateLedger(kube, brake, (ledger) => {
    const taken = takeStormBatch(ledger, event.execution.id, now);
    return { ledger: taken.ledger, result: taken.entries };
  });
  return { takenAt: now.toISOString(), budget: brake.budget, entries };
}

/** How a refusal reads in the guard's detail, the report and the storm notification. */
export function stormDetail(
  decision: Extract<BudgetDecision, { granted: false }>,
  brake: StormBrake,
): string {
  const { budget } = brake;
  const window = `${budget.windowSeconds / 60} min`;
  return decision.scope === 'cluster'
    ? `Storm brake: ${decision.cluster} remediations in the cluster within ${window} (budget ${budget.cluster}): diagnosed and kept as evidence, no action taken.`
    : `Storm brake: ${decision.namespace} remediations in this namespace within ${window} (budget ${budget.namespace}): diagnosed and kept as evidence, no action taken.`;
}
