import type { ExecutionInput } from './contracts';

/**
 * How long the per-workload Lease is taken for: the remaining deadline of the remediation that
 * holds it, not a fixed hour. A holder that dies then blocks the workload only until the
 * moment its own flow would have finished verifying, and the steps that run long renew it
 * (Verify on every pass of the wait/verify loop, Rollback for its phase).
 */

/**
 * The longest one remediation or verification Task takes, retries included: the functions'
 * 60 s timeout plus the Task margin (30 s), and the back-offs of four attempts (2 + 4 + 8 s).
 */
export const STEP_BUDGET_SECONDS = 120;

type Options = ExecutionInput['options'];

/**
 * A remediation phase from its start: the action, the wait, verification until its deadline,
 * one more wait and the last verification.
 */
export function phaseLeaseSeconds(options: Options): number {
  return STEP_BUDGET_SECONDS + 2 * options.waitSeconds + options.verifyTimeoutSeconds + STEP_BUDGET_SECONDS;
}

/**
 * From a pass of the verify loop: what is left until the phase's verification deadline, then
 * one more wait, the next verification and a rollback's start (which renews for its own phase).
 */
export function remainingLeaseSeconds(options: Options, deadline: Date, now: Date): number {
  const left = Math.max(0, Math.ceil((deadline.getTime() - now.getTime()) / 1000));
  return left + options.waitSeconds + 2 * STEP_BUDGET_SECONDS;
}
