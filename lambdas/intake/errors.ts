import { KubernetesServerError, KubernetesThrottledError, KubernetesTimeoutError } from '../shared/errors';

/**
 * The intake's named errors. The HTTP adapters (handler.ts on AWS, local/webhook/serve.ts)
 * turn them into status codes with `statusFor`: 4xx when the request itself is wrong, so
 * Alertmanager does not retry it; 503 when a retry can succeed.
 */

/** No bearer token, or the wrong one: 401, and nothing is started. */
export class UnauthorizedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnauthorizedError';
  }
}

/** The body is larger than the intake accepts: 413. */
export class PayloadTooLargeError extends Error {
  constructor(readonly limitBytes: number) {
    super(`the body exceeds ${limitBytes} bytes`);
    this.name = 'PayloadTooLargeError';
  }
}

/** A dependency (Step Functions, S3, Secrets Manager, Kubernetes) failed in a way a retry can fix: 503. */
export class IntakeUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IntakeUnavailableError';
  }
}

/** AWS SDK errors that say "try again": throttling, 5xx, timeouts, dropped connections. */
const TRANSIENT_AWS_NAMES = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'Throttling',
  'RequestLimitExceeded',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalServerError',
  'InternalFailure',
  'InternalServiceError',
  'InternalServiceErrorException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'SlowDown',
]);

const TRANSIENT_NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN']);

/**
 * Whether a retry of the whole delivery can succeed where this attempt failed. Every write the
 * intake makes is keyed deterministically, so a retry completes exactly what this one began.
 */
export function isTransient(error: unknown): boolean {
  if (
    error instanceof IntakeUnavailableError ||
    error instanceof KubernetesThrottledError ||
    error instanceof KubernetesServerError ||
    error instanceof KubernetesTimeoutError
  ) {
    return true;
  }
  const e = error as {
    name?: string;
    code?: string;
    $retryable?: unknown;
    $metadata?: { httpStatusCode?: number };
  } | null;
  if (!e || typeof e !== 'object') return false;
  if (e.$retryable) return true;
  if ((e.$metadata?.httpStatusCode ?? 0) >= 500) return true;
  if (e.name && TRANSIENT_AWS_NAMES.has(e.name)) return true;
  return typeof e.code === 'string' && TRANSIENT_NETWORK_CODES.has(e.code);
}
