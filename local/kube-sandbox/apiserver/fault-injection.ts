import { ApiError, errors } from '../errors';
import {
  CONTINUE_EXPIRED,
  MAX_BODY_BYTES,
  type ApiServerDeps,
  type RequestContext,
  type ResourceRoute,
} from './context';

/**
 * Waits `ms` of wall-clock time before the request is handled, unless the connection closes
 * first (the client gave up, or the sandbox stopped): false then, and nothing is left pending.
 */
export function answerLate(ctx: RequestContext, ms: number): Promise<boolean> {
  const { res } = ctx;
  if (res.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    const closed = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      res.off('close', closed);
      resolve(true);
    }, ms);
    timer.unref();
    res.once('close', closed);
  });
}

/** Who RBAC would name in a refusal: the token's user, or the anonymous one when none is needed. */
function requestUser(deps: ApiServerDeps): string {
  return deps.token === undefined ? 'system:anonymous' : 'kubernetes-admin';
}

/**
 * An injected fault's status code, answered with the reason and message the API server gives
 * that code for this request.
 */
export function injectedError(
  ctx: RequestContext,
  route: ResourceRoute,
  verb: string,
  status: number,
): ApiError {
  const { t, namespace, name, subresource } = route;
  const params = ctx.url.searchParams;
  switch (status) {
    case 400:
      return errors.badRequest('the server rejected our request for an unknown reason');
    case 401:
      return errors.unauthorized();
    case 403:
      return errors.forbidden(requestUser(ctx.deps), verb, {
        plural: t.plural,
        group: t.group,
        subresource,
        namespace,
        name,
      });
    case 404:
      return name ? errors.notFound(t.plural, t.group, name) : errors.notFoundPath();
    case 405:
      return errors.methodNotAllowed(ctx.req.method ?? '');
    case 409:
      return errors.conflict(
        t.plural,
        t.group,
        name ?? '',
        'the object has been modified; please apply your changes to the latest version and try again',
      );
    case 410:
      return params.get('continue')
        ? errors.gone(CONTINUE_EXPIRED)
        : errors.gone(
            `too old resource version: ${params.get('resourceVersion') || 0} (${ctx.deps.store.oldestWatchableVersion})`,
          );
    case 413:
      return errors.requestEntityTooLarge(MAX_BODY_BYTES);
    case 415:
      return errors.unsupportedMediaType(ctx.req.headers['content-type'] ?? 'application/json');
    case 422:
      return errors.invalid(t.kind, t.group, name ?? '', [
        { field: 'metadata', message: 'Invalid value: "injected": rejected by an injected fault' },
      ]);
    case 429:
      return errors.tooManyRequests(1);
    case 500:
      return errors.internal('injected fault');
    case 502:
    case 503:
      return errors.serviceUnavailable(status);
    case 504:
      return errors.timeout();
    default:
      return new ApiError(
        status,
        'Unknown',
        `the server responded with the status code ${status} but did not return more information`,
      );
  }
}
