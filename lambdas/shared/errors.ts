/**
 * Named errors. Step Functions matches Retry/Catch on the error's `name` (Lambda reports it
 * as `errorType`), so these names are part of the state machine's contract: the transient
 * ones are retried, the rest go straight to Escalate.
 */

/** The execution input is malformed; `field` names the first bad field (e.g. `target.namespace`). */
export class InvalidInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`invalid execution input: ${field}: ${message}`);
    this.name = 'InvalidInputError';
  }
}

/** A configuration value (environment, CDK context) is missing or malformed. */
export class ConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigurationError';
  }
}

/** Kubernetes answered 429: retry after a back-off. */
export class KubernetesThrottledError extends Error {
  constructor(
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'KubernetesThrottledError';
  }
}

/** Kubernetes answered 5xx: retry. */
export class KubernetesServerError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'KubernetesServerError';
  }
}

/** The Kubernetes API did not answer in time, or the connection dropped: retry. */
export class KubernetesTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KubernetesTimeoutError';
  }
}

/** Kubernetes refused the request for a reason a retry will not fix (403, 404, 409, 422...). */
export class KubernetesRequestError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly reason?: string,
  ) {
    super(message);
    this.name = 'KubernetesRequestError';
  }
}

/** The target workload does not exist, or is of a kind this workflow cannot act on. */
export class WorkloadNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkloadNotFoundError';
  }
}

/** A remediation was asked for something the guard did not allow (defence in depth). */
export class ActionNotAllowedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ActionNotAllowedError';
  }
}

/**
 * A rollout operation kubectl itself would refuse, with kubectl's message: restart or undo of
 * a paused Deployment, an unknown `--to-revision`, no earlier revision to go back to.
 */
export class RolloutRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RolloutRefusedError';
  }
}

/**
 * The per-workload lock is no longer this execution's (it lapsed and another execution took it):
 * a write now could run alongside that execution's, so none is sent.
 */
export class LockLostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LockLostError';
  }
}

/**
 * A shared ledger (the remediation budget) could not be written: every attempt lost to another
 * writer. Guard fails, so the flow escalates without acting: a brake that cannot count brakes.
 */
export class LedgerContentionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LedgerContentionError';
  }
}

/** The errors the state machine retries with back-off before giving up. */
export const TRANSIENT_ERRORS = [
  'KubernetesThrottledError',
  'KubernetesServerError',
  'KubernetesTimeoutError',
];
