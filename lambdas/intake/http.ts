import { InvalidPayloadError } from '../shared/alertmanager';
import { isTransient, PayloadTooLargeError, UnauthorizedError } from './errors';
import { intake, type Delivery, type IntakeDeps } from './intake';

/** An HTTP answer, as API Gateway's payload format 2.0 and node:http both take it. */
export interface HttpAnswer {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpAnswer {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

/**
 * The HTTP face of the intake, shared by the Lambda handler and `eks-incident serve`. Alertmanager
 * retries every 5xx and nothing else, so a request that is itself wrong gets a 4xx, and 503 is
 * kept for failures a retry can get past. An unexpected error is a 500: it is logged, and the
 * retry it causes is harmless because every write the intake makes is idempotent.
 */
export async function respond(delivery: Delivery, deps: IntakeDeps): Promise<HttpAnswer> {
  try {
    return json(200, await intake(delivery, deps));
  } catch (error) {
    if (error instanceof UnauthorizedError) {
      deps.log.warn('webhook request refused', { reason: error.message });
      return json(
        401,
        { error: 'unauthorized' },
        { 'www-authenticate': 'Bearer realm="eks-incident-response"' },
      );
    }
    if (error instanceof PayloadTooLargeError) {
      return json(413, { error: 'payload too large', limitBytes: error.limitBytes });
    }
    if (error instanceof InvalidPayloadError) {
      deps.log.warn('webhook payload refused', { field: error.field, reason: error.message });
      return json(400, { error: 'invalid payload', field: error.field, message: error.message });
    }
    if (isTransient(error)) {
      deps.log.warn('webhook delivery failed; Alertmanager will retry', { error });
      return json(503, { error: 'unavailable', message: 'a dependency failed; retry' });
    }
    deps.log.error('webhook delivery failed', { error });
    return json(500, { error: 'internal error' });
  }
}
