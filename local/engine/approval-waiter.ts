import type { ApprovalStore } from '../../lambdas/shared/approval/approval-store';
import type { PolicyAction } from '../../lambdas/shared/approval/policy';
import type { StepEvent } from '../../lambdas/shared/contracts';
import { approvalOutcome } from '../../lambdas/approval/approval-routes';
import type { ExecuteDefinitionOptions } from './execute-definition';

/**
 * A stand-in for a human: the demo approves every request after a pause anyone watching can see;
 * `eks-incident run`, which nothing else can answer, approves (`--approve`) or refuses at once.
 */
export interface AutoApprove {
  afterMs: number;
  by: string;
  /** @default 'approved' */
  decision?: 'approved' | 'rejected';
  /** The answer's clock (the cluster's, so the report's times agree with the rest). */
  now: () => Date;
}

function answerLater(
  store: ApprovalStore,
  incidentId: string,
  action: PolicyAction,
  auto: AutoApprove,
): void {
  setTimeout(() => {
    const answer = {
      decision: 'approved' as const,
      by: auto.by,
      via: 'cli' as const,
      at: auto.now().toISOString(),
    };
    // An answer given meanwhile (serve's routes, the CLI) stands; this one is then refused.
    store.answer({ incidentId, action }, answer, async () => undefined, auto.now()).catch(() => undefined);
  }, auto.afterMs);
}

/** What Step Functions raises when a Task's TimeoutSeconds passes without a callback. */
export class StatesTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'States.Timeout';
  }
}

/**
 * The local engine's `.waitForTaskToken`: runs Request Approval's function (it stores the request
 * and notifies), then reads the approval store until the request has its answer — given by the
 * routes of `serve`, `eks-incident approve` (from any process: the store is S3, fauxqs or the
 * file-backed local store) — and resolves with what SendTaskSuccess would carry. No answer
 * within the Task's (scaled) TimeoutSeconds: States.Timeout, as Step Functions raises it.
 */
export function localApprovalWaiter(
  store: ApprovalStore,
  options: { pollMs?: number; autoApprove?: AutoApprove } = {},
): NonNullable<ExecuteDefinitionOptions['waitForTaskToken']> {
  const pollMs = options.pollMs ?? 50;
  return async ({ fn, payload, timeoutMs }) => {
    await fn(payload as never);
    const { state } = payload as StepEvent;
    const action = state.health?.before === 'rollback' ? 'rollback' : 'restart';
    if (options.autoApprove) answerLater(store, state.incident.id, action, options.autoApprove);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const record = await store.get(state.incident.id, action);
      if (record?.answer) return approvalOutcome(record, record.answer);
      if (Date.now() >= deadline) {
        throw new StatesTimeoutError(`no answer to the ${action} approval of ${state.incident.id}`);
      }
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(pollMs, Math.max(1, deadline - Date.now()))),
      );
    }
  };
}
