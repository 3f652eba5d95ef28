import { ApiException } from '@kubernetes/client-node';
import {
  KubernetesRequestError,
  KubernetesServerError,
  KubernetesThrottledError,
  KubernetesTimeoutError,
} from '../errors';

/**
 * Turns what client-node rejects with into the named errors the state machine retries or
 * catches: a 429 or 5xx, a request that timed out, or a connection that failed is transient;
 * any other answer from the API server is a refusal a retry will not change.
 */

/** Network failures worth a retry (undici reports them as the `cause` of "fetch failed"). */
const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

interface StatusBody {
  message?: string;
  reason?: string;
}

function statusOf(body: unknown): StatusBody {
  if (typeof body === 'string') {
    try {
      return statusOf(JSON.parse(body));
    } catch {
      return { message: body.trim() || undefined };
    }
  }
  if (body && typeof body === 'object') {
    const { message, reason } = body as Record<string, unknown>;
    return {
      message: typeof message === 'string' ? message : undefined,
      reason: typeof reason === 'string' ? reason : undefined,
    };
  }
  return {};
}

function retryAfterSeconds(headers: Record<string, string> | undefined): number | undefined {
  const value = headers?.['retry-after'];
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

function networkCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && TRANSIENT_NETWORK_CODES.has(code)) return code;
    const message = (e as { message?: unknown }).message;
    if (typeof message === 'string' && /socket hang up|other side closed/i.test(message)) return 'ECONNRESET';
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function isAbort(error: unknown): boolean {
  const name = (error as { name?: unknown } | undefined)?.name;
  return name === 'TimeoutError' || name === 'AbortError';
}

/**
 * The named error for a failed request. `what` says which request (`get deployments.apps
 * team/web`); errors that are not about the request (bugs) are returned unchanged.
 */
export function toKubernetesError(error: unknown, what: string, timeoutMs: number): unknown {
  if (error instanceof ApiException) {
    const code = error.code as number;
    const status = statusOf(error.body);
    const message = `${what}: ${status.message ?? (code === 401 ? 'Unauthorized' : `HTTP ${code}`)}`;
    if (code === 429) return new KubernetesThrottledError(message, retryAfterSeconds(error.headers));
    if (code >= 500) return new KubernetesServerError(message, code);
    return new KubernetesRequestError(message, code, status.reason);
  }
  if (isAbort(error)) return new KubernetesTimeoutError(`${what}: no answer within ${timeoutMs} ms`);
  const code = networkCode(error);
  if (code) return new KubernetesTimeoutError(`${what}: connection failed (${code})`);
  return error;
}

/** Runs one request, rethrowing its failure as a named error. */
export async function request<T>(what: string, timeoutMs: number, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toKubernetesError(error, what, timeoutMs);
  }
}
