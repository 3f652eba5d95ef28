import type { IncomingMessage, ServerResponse } from 'node:http';
import { create } from './apiserver/create';
import type { ApiServerDeps, RequestContext } from './apiserver/context';
import { deleteCollection, deleteOne } from './apiserver/delete';
import { evict } from './apiserver/eviction';
import { answerLate, injectedError } from './apiserver/fault-injection';
import { getOne } from './apiserver/get';
import { list } from './apiserver/list';
import { getLog } from './apiserver/log';
import { patch } from './apiserver/patch';
import { parseRoute, resourceAttributes, verbOf } from './apiserver/request-info';
import { review } from './apiserver/reviews';
import { update } from './apiserver/update';
import { watch } from './apiserver/watch';
import { sendJson } from './apiserver/writers';
import { nonResourceVerb } from './authorization/access-control';
import { ApiError, errors } from './errors';
import { serveNonResource } from './openapi/handler';
import type { RecordedRequest } from './request-log';

export type { ApiServerDeps } from './apiserver/context';

// The API server's front: authentication, routing, authorization, injected faults, then the
// handler of the request's verb (one module per verb under apiserver/, as k8s.io/apiserver's
// endpoints/handlers are: get, list, watch, create, update, patch, delete, and the subresources).

/** An HTTP handler speaking the Kubernetes REST API (JSON) over the sandbox's store. */
export function createApiHandler(deps: ApiServerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const entry: RecordedRequest = {
      at: Date.now(),
      method: req.method ?? 'GET',
      path: url.pathname,
      verb: 'discovery',
      status: 0,
      userAgent: req.headers['user-agent'],
      dryRun: url.searchParams.get('dryRun') === 'All',
    };
    const ctx: RequestContext = { req, res, url, deps, entry, warnings: [] };
    handle(ctx)
      .catch((error: unknown) => {
        const apiError =
          error instanceof ApiError
            ? error
            : errors.internal(error instanceof Error ? error.message : String(error));
        if (!res.headersSent) sendJson(ctx, apiError.code, apiError.toStatus(), apiError.headers);
        else res.end();
      })
      .finally(() => deps.requests.record(entry));
  };
}

async function handle(ctx: RequestContext): Promise<void> {
  const { req, url, deps, entry } = ctx;
  const user = deps.access.authenticate(req.headers);
  const served = serveNonResource(req, ctx.res, url);
  if (served !== undefined) {
    entry.status = served;
    return;
  }
  const route = parseRoute(url.pathname);
  if (route.kind === 'discovery') {
    deps.access.enforce(user, {
      resourceRequest: false,
      verb: nonResourceVerb(req.method ?? 'GET'),
      path: url.pathname,
    });
    if (req.method !== 'GET') throw errors.methodNotAllowed(req.method ?? '');
    sendJson(ctx, 200, route.body());
    return;
  }
  const verb = verbOf(req.method ?? 'GET', route, url);
  Object.assign(entry, {
    verb,
    resource: route.t.plural,
    subresource: route.subresource,
    namespace: route.namespace,
    name: route.name,
  });
  if (
    (route.t.verbs && !route.t.verbs.includes(verb)) ||
    (route.subresource === 'eviction' && verb !== 'create')
  ) {
    throw errors.methodNotAllowed(req.method ?? '');
  }
  deps.access.enforce(user, resourceAttributes(route, verb));
  const fault = deps.faults.match({
    verb,
    resource: route.subresource ? `${route.t.plural}/${route.subresource}` : route.t.plural,
    namespace: route.namespace,
    name: route.name,
  });
  if (fault?.latencyMs && !(await answerLate(ctx, fault.latencyMs))) return;
  if (fault?.drop) {
    req.socket.destroy();
    return;
  }
  if (fault?.status) throw injectedError(ctx, route, verb, fault.status);
  ctx.dropAnswer = fault?.dropAnswer;
  switch (verb) {
    case 'get':
      return route.subresource === 'log' ? getLog(ctx, route) : getOne(ctx, route);
    case 'list':
      return list(ctx, route);
    case 'watch':
      return watch(ctx, route);
    case 'create':
      if (route.subresource === 'eviction') return evict(ctx, route);
      if (route.t.group === 'authorization.k8s.io') return review(ctx, route, user);
      return create(ctx, route);
    case 'update':
      return update(ctx, route);
    case 'patch':
      return patch(ctx, route);
    case 'delete':
      return deleteOne(ctx, route);
    case 'deletecollection':
      return deleteCollection(ctx, route);
  }
  throw errors.methodNotAllowed(req.method ?? '');
}
