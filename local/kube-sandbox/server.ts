import { isDeepStrictEqual } from 'node:util';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { admit } from './admission';
import { nonResourceVerb, type AccessControl } from './authorization/access-control';
import { decodeReview } from './authorization/review-protobuf';
import type { Attributes, UserInfo } from './authorization/rbac-authorizer';
import { fieldValidationOf, validateFields, warningHeader } from './admission/field-validation';
import type { SandboxClock } from './clock';
import { ApiError, errors } from './errors';
import { fromEventsV1, toEventsV1 } from './event-versions';
import { evictPod, type Eviction } from './eviction';
import type { FaultInjector } from './faults';
import { serveNonResource } from './openapi/handler';
import { applyPatchByType } from './patch';
import type { RecordedRequest, RequestLog } from './request-log';
import { apiGroups, apiResourceList, apiVersionOf, findResourceType, type ResourceType } from './resources';
import type { LogStore } from './runtime';
import { parseFieldSelector, parseLabelSelector, type Predicate } from './selectors';
import {
  resolveGeneratedName,
  type DeleteOptions,
  type KubeObject,
  type ObjectStore,
  type StoreEvent,
} from './store';
import { toTable, type IncludeObject } from './tables';

export interface ApiServerDeps {
  store: ObjectStore;
  clock: SandboxClock;
  logs: LogStore;
  faults: FaultInjector;
  requests: RequestLog;
  token?: string;
  /** Authentication (tokens, impersonation) and authorization (RBAC or allow-all). */
  access: AccessControl;
}

/** The largest request body the API server accepts (its default is 3 MiB). */
const MAX_BODY_BYTES = 3 * 1024 * 1024;
const DEFAULT_WATCH_TIMEOUT_SECONDS = 1800;
const CONTINUE_EXPIRED =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.';

interface ResourceRoute {
  t: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
}

type Route = { kind: 'discovery'; body: () => unknown } | ({ kind: 'resource' } & ResourceRoute);

interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  deps: ApiServerDeps;
  entry: RecordedRequest;
  /** `Warning` headers for the response (dropped unknown fields). */
  warnings: string[];
  /** A `dropAnswer` fault: handle the request, then cut the connection instead of answering. */
  dropAnswer?: boolean;
}

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
    case 'patch':
      return write(ctx, route, verb);
    case 'delete':
      return deleteOne(ctx, route);
    case 'deletecollection':
      return deleteCollection(ctx, route);
  }
  throw errors.methodNotAllowed(req.method ?? '');
}

/** What the authorizer is asked (RequestInfo): a Namespace is its own namespace. */
function resourceAttributes(route: ResourceRoute, verb: string): Attributes {
  const { t, name, subresource } = route;
  const namespace = t.plural === 'namespaces' && t.group === '' ? name : route.namespace;
  return { resourceRequest: true, verb, apiGroup: t.group, resource: t.plural, subresource, namespace, name };
}

/**
 * Waits `ms` of wall-clock time before the request is handled, unless the connection closes
 * first (the client gave up, or the sandbox stopped): false then, and nothing is left pending.
 */
function answerLate(ctx: RequestContext, ms: number): Promise<boolean> {
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
function injectedError(ctx: RequestContext, route: ResourceRoute, verb: string, status: number): ApiError {
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

// ---------------------------------------------------------------------------------------
// Routing

function parseRoute(pathname: string): Route {
  const segments = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (segments.length === 1 && segments[0] === 'version') return { kind: 'discovery', body: versionInfo };
  if (segments[0] === 'api') {
    if (segments.length === 1) {
      return {
        kind: 'discovery',
        body: () => ({
          kind: 'APIVersions',
          versions: ['v1'],
          serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }],
        }),
      };
    }
    return resourceRoute('', segments[1], segments.slice(2));
  }
  if (segments[0] === 'apis') {
    if (segments.length === 1) {
      return {
        kind: 'discovery',
        body: () => ({ kind: 'APIGroupList', apiVersion: 'v1', groups: apiGroups().map(apiGroup) }),
      };
    }
    const group = apiGroups().find((g) => g.name === segments[1]);
    if (!group) throw errors.notFoundPath();
    if (segments.length === 2)
      return { kind: 'discovery', body: () => ({ kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(group) }) };
    return resourceRoute(segments[1], segments[2], segments.slice(3));
  }
  throw errors.notFoundPath();
}

function apiGroup(g: { name: string; versions: string[] }): Record<string, unknown> {
  const versions = g.versions.map((v) => ({ groupVersion: `${g.name}/${v}`, version: v }));
  return { name: g.name, versions, preferredVersion: versions[0] };
}

function versionInfo(): Record<string, string> {
  return {
    major: '1',
    minor: '32',
    gitVersion: 'v1.32.3-eks-sandbox',
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2026-01-01T00:00:00Z',
    goVersion: 'go1.23.6',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

function resourceRoute(group: string, version: string, rest: string[]): Route {
  if (rest.length === 0) {
    const list = apiResourceList(group, version);
    if (!list) throw errors.notFoundPath();
    return { kind: 'discovery', body: () => list };
  }
  let namespace: string | undefined;
  let parts = rest;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    parts = rest.slice(2);
  }
  const [plural, name, subresource, ...extra] = parts;
  const t = findResourceType(group, version, plural);
  if (!t || extra.length > 0) throw errors.notFoundPath();
  if (namespace !== undefined && !t.namespaced) throw errors.notFoundPath();
  if (name !== undefined && t.namespaced && namespace === undefined) throw errors.notFoundPath();
  if (subresource !== undefined && !(t.subresources ?? []).includes(subresource as 'status')) {
    throw errors.notFoundPath();
  }
  return { kind: 'resource', t, namespace, name, subresource };
}

function verbOf(method: string, route: ResourceRoute, url: URL): string {
  const watchParam = url.searchParams.get('watch');
  const isWatch = watchParam === 'true' || watchParam === '1';
  switch (method) {
    case 'GET':
      if (isWatch) return 'watch';
      return route.name ? 'get' : 'list';
    case 'POST':
      if (route.name && route.subresource !== 'eviction') throw errors.methodNotAllowed(method);
      return 'create';
    case 'PUT':
      if (!route.name) throw errors.methodNotAllowed(method);
      return 'update';
    case 'PATCH':
      if (!route.name) throw errors.methodNotAllowed(method);
      return 'patch';
    case 'DELETE':
      return route.name ? 'delete' : 'deletecollection';
    default:
      throw errors.methodNotAllowed(method);
  }
}

// ---------------------------------------------------------------------------------------
// Responses

function sendJson(
  ctx: RequestContext,
  code: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  sendJsonText(ctx, code, JSON.stringify(body), headers);
}

function sendJsonText(
  ctx: RequestContext,
  code: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  ctx.entry.status = code;
  if (ctx.dropAnswer) {
    ctx.req.socket.destroy();
    return;
  }
  ctx.res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, private',
    ...(ctx.warnings.length ? { Warning: ctx.warnings.map(warningHeader) } : {}),
    ...headers,
  });
  ctx.res.end(text);
}

/** Events are stored as core/v1 and converted for events.k8s.io/v1 requests. */
function isEventsV1(t: ResourceType): boolean {
  return t.storageKey === 'events' && t.group === 'events.k8s.io';
}

/** An object as clients of this resource type see it (events.k8s.io/v1 Events are converted). */
function view(t: ResourceType, obj: KubeObject): KubeObject {
  if (isEventsV1(t)) return toEventsV1(obj);
  return { ...obj, apiVersion: apiVersionOf(t), kind: t.kind };
}

/** A list item: the object without apiVersion and kind, which the list carries once. */
function listItem(t: ResourceType, obj: KubeObject): Omit<KubeObject, 'apiVersion' | 'kind'> {
  const { apiVersion: _a, kind: _k, ...rest } = isEventsV1(t) ? toEventsV1(obj) : obj;
  return rest;
}

/**
 * The JSON of stored objects as list items, one text per object version. The store freezes what
 * it stores and replaces an object on every write (store.ts), so the object is the cache key and
 * a text can never be stale; a large list then costs a join instead of a serialization.
 */
const listItemTexts = new WeakMap<KubeObject, string>();
const eventsV1ItemTexts = new WeakMap<KubeObject, string>();

function listItemText(t: ResourceType, obj: KubeObject): string {
  const cache = isEventsV1(t) ? eventsV1ItemTexts : listItemTexts;
  let text = cache.get(obj);
  if (text === undefined) {
    text = JSON.stringify(listItem(t, obj));
    cache.set(obj, text);
  }
  return text;
}

type Conversion = 'Table' | 'PartialObjectMetadata' | 'PartialObjectMetadataList';

/**
 * What a response carries, as the API server negotiates it from Accept: the objects, a Table
 * (kubectl get), or their metadata only (`as=PartialObjectMetadata[List]`: client-go's metadata
 * client, the garbage collector). `version` is the meta.k8s.io version asked for.
 */
type Shape = { as: 'Object' } | { as: Conversion; version: string };

const CONVERSIONS = new Set<string>(['Table', 'PartialObjectMetadata', 'PartialObjectMetadataList']);

/**
 * The first media type in Accept the sandbox can answer with (it speaks JSON only, so protobuf
 * and YAML are passed over); the plain object when none is, as before content negotiation.
 */
function responseShape(ctx: RequestContext): Shape {
  for (const clause of (ctx.req.headers.accept ?? '').split(',')) {
    const [mediaType, ...rest] = clause.split(';').map((part) => part.trim());
    if (mediaType !== 'application/json' && mediaType !== 'application/*' && mediaType !== '*/*') continue;
    const params = new Map(
      rest.map((p) => {
        const eq = p.indexOf('=');
        return [p.slice(0, eq).trim(), p.slice(eq + 1).trim()] as const;
      }),
    );
    if (params.get('q') === '0') continue;
    const as = params.get('as');
    if (!as) return { as: 'Object' };
    const version = params.get('v') ?? '';
    if (
      CONVERSIONS.has(as) &&
      params.get('g') === 'meta.k8s.io' &&
      (version === 'v1' || version === 'v1beta1')
    ) {
      return { as: as as Conversion, version };
    }
  }
  return { as: 'Object' };
}

/** Go's name for the stored (internal) type, as the API server's 406 messages print it. */
function internalTypeName(t: ResourceType, list: boolean): string {
  const pkg = t.group && t.storageKey !== 'events' ? t.group.split('.')[0] : 'core';
  return `*${pkg}.${t.kind}${list ? 'List' : ''}`;
}

/** The 406 the API server answers when the metadata form asked for does not fit the endpoint. */
function metadataMismatch(t: ResourceType, asked: string, list: boolean): ApiError {
  return errors.notAcceptable(
    list
      ? `you requested ${asked}, but the requested object is a list (${internalTypeName(t, true)})`
      : `you requested ${asked}, but the requested object is not a list (${internalTypeName(t, false)})`,
  );
}

function partialObjectMetadata(obj: KubeObject, version: string): Record<string, unknown> {
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: obj.metadata };
}

function includeObject(ctx: RequestContext): IncludeObject {
  const value = ctx.url.searchParams.get('includeObject');
  if (value === 'None' || value === 'Object') return value;
  return 'Metadata';
}

function tableOf(
  ctx: RequestContext,
  t: ResourceType,
  items: KubeObject[],
  meta: Record<string, unknown>,
): unknown {
  const table = toTable(t, items, ctx.deps.clock.now());
  const include = includeObject(ctx);
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: meta,
    columnDefinitions: table.columnDefinitions,
    rows: table.rows.map((row) => ({
      cells: row.cells,
      object:
        include === 'None'
          ? undefined
          : include === 'Object'
            ? view(t, row.object)
            : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: row.object.metadata },
    })),
  };
}

// ---------------------------------------------------------------------------------------
// Reads

function getOne(ctx: RequestContext, route: ResourceRoute): void {
  const { t } = route;
  const obj = ctx.deps.store.mustGet(t, route.namespace, route.name!);
  if (route.subresource === 'scale') {
    sendJson(ctx, 200, scaleOf(t, obj));
    return;
  }
  const shape = responseShape(ctx);
  if (shape.as === 'Table') {
    sendJson(ctx, 200, tableOf(ctx, t, [obj], { resourceVersion: obj.metadata.resourceVersion }));
    return;
  }
  if (shape.as === 'PartialObjectMetadataList') throw metadataMismatch(t, shape.as, false);
  sendJson(
    ctx,
    200,
    shape.as === 'PartialObjectMetadata' ? partialObjectMetadata(obj, shape.version) : view(t, obj),
  );
}

function selectorsOf(ctx: RequestContext, t: ResourceType): Predicate {
  const labelSelector = ctx.url.searchParams.get('labelSelector') ?? undefined;
  const fieldSelector = ctx.url.searchParams.get('fieldSelector') ?? undefined;
  const labels = parseLabelSelector(labelSelector);
  const fields = parseFieldSelector(t, fieldSelector);
  if (!fieldSelector?.trim()) return labels;
  // Field selectors name the fields of the version asked for (regarding.* for events.k8s.io):
  // only those requests pay for converting each stored core/v1 Event.
  const selectable = isEventsV1(t) ? (obj: KubeObject): boolean => fields(toEventsV1(obj)) : fields;
  return labelSelector?.trim() ? (obj) => labels(obj) && selectable(obj) : selectable;
}

interface ContinueToken {
  rv: number;
  start: string;
}

function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: token.rv, start: token.start })).toString(
    'base64url',
  );
}

function decodeContinue(raw: string, oldest: number): ContinueToken {
  let parsed: { v?: string; rv?: number; start?: string };
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw errors.badRequest('continue key is not valid: illegal base64 data at input byte 0');
  }
  if (parsed.v !== 'meta.k8s.io/v1' || typeof parsed.rv !== 'number' || typeof parsed.start !== 'string') {
    throw errors.badRequest(
      'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
    );
  }
  if (parsed.rv < oldest) {
    throw errors.gone(CONTINUE_EXPIRED);
  }
  return { rv: parsed.rv, start: parsed.start };
}

function list(ctx: RequestContext, route: ResourceRoute): void {
  const { t } = route;
  const { store } = ctx.deps;
  const params = ctx.url.searchParams;
  const shape = responseShape(ctx);
  if (shape.as === 'PartialObjectMetadata') throw metadataMismatch(t, shape.as, true);
  const matches = selectorsOf(ctx, t);
  const limitParam = params.get('limit');
  const limit = limitParam ? Number(limitParam) : 0;
  if (limitParam && (!Number.isInteger(limit) || limit < 0)) {
    throw errors.badRequest(`invalid limit: ${limitParam}`);
  }
  const continueParam = params.get('continue');
  const token = continueParam ? decodeContinue(continueParam, store.oldestWatchableVersion) : undefined;
  const listVersion = token?.rv ?? store.resourceVersion;
  const unfiltered = !params.get('labelSelector') && !params.get('fieldSelector');
  const items: KubeObject[] = [];
  let next: string | undefined;
  let remaining: number | undefined;
  for (const [key, obj] of store.scan(t, route.namespace, token?.start)) {
    if (!matches(obj)) continue;
    if (limit > 0 && items.length === limit) {
      next = encodeContinue({ rv: listVersion, start: key });
      if (unfiltered) remaining = store.countFrom(t, route.namespace, key);
      break;
    }
    items.push(obj);
  }
  const meta: Record<string, unknown> = { resourceVersion: String(listVersion) };
  if (next) {
    meta.continue = next;
    if (remaining !== undefined) meta.remainingItemCount = remaining;
  }
  if (shape.as === 'Table') {
    sendJson(ctx, 200, tableOf(ctx, t, items, meta));
    return;
  }
  if (shape.as === 'PartialObjectMetadataList') {
    sendJson(ctx, 200, {
      kind: 'PartialObjectMetadataList',
      apiVersion: `meta.k8s.io/${shape.version}`,
      metadata: meta,
      items: items.map((obj) => partialObjectMetadata(obj, shape.version)),
    });
    return;
  }
  const head = JSON.stringify({ kind: `${t.kind}List`, apiVersion: apiVersionOf(t), metadata: meta });
  const itemTexts = items.map((obj) => listItemText(t, obj)).join(',');
  sendJsonText(ctx, 200, `${head.slice(0, -1)},"items":[${itemTexts}]}`);
}

function watch(ctx: RequestContext, route: ResourceRoute): Promise<void> {
  const { t } = route;
  const { store } = ctx.deps;
  const { req, res, url } = ctx;
  const matches = selectorsOf(ctx, t);
  const inScope = (obj: KubeObject): boolean =>
    (!route.namespace || obj.metadata.namespace === route.namespace) &&
    (!route.name || obj.metadata.name === route.name) &&
    matches(obj);
  const rvParam = url.searchParams.get('resourceVersion');
  const timeoutSeconds = Number(url.searchParams.get('timeoutSeconds') ?? DEFAULT_WATCH_TIMEOUT_SECONDS);
  const shape = responseShape(ctx);
  // Each event carries one object, so a watch takes the single form (as the metadata client asks).
  if (shape.as === 'PartialObjectMetadataList') throw metadataMismatch(t, shape.as, false);

  ctx.entry.status = 200;
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  // Headers go out now, as the API server's do: client-go blocks on them, and a reflector
  // being stopped (kubectl rollout status, once done) waits for its watch request to return.
  res.flushHeaders();
  const send = (type: string, obj: unknown): void => {
    res.write(`${JSON.stringify({ type, object: obj })}\n`);
  };
  const sendObject = (type: string, obj: KubeObject): void => {
    if (shape.as === 'Table')
      send(type, tableOf(ctx, t, [obj], { resourceVersion: obj.metadata.resourceVersion }));
    else if (shape.as === 'PartialObjectMetadata') send(type, partialObjectMetadata(obj, shape.version));
    else send(type, view(t, obj));
  };

  const pending: StoreEvent[] = [];
  let replaying = true;
  const unsubscribe = store.subscribe((event) => {
    if (event.storageKey !== t.storageKey) return;
    if (replaying) pending.push(event);
    else if (inScope(event.object)) sendObject(event.type, event.object);
  });

  if (!rvParam || rvParam === '0') {
    for (const obj of store.list(t, route.namespace)) if (inScope(obj)) sendObject('ADDED', obj);
  } else {
    const since = store.changesSince(Number(rvParam));
    if (since === undefined || Number.isNaN(Number(rvParam))) {
      const gone = errors.gone(`too old resource version: ${rvParam} (${store.oldestWatchableVersion})`);
      send('ERROR', gone.toStatus());
      unsubscribe();
      res.end();
      return Promise.resolve();
    }
    for (const event of since)
      if (event.storageKey === t.storageKey && inScope(event.object)) sendObject(event.type, event.object);
  }
  replaying = false;
  for (const event of pending.splice(0)) if (inScope(event.object)) sendObject(event.type, event.object);

  return new Promise<void>((resolve) => {
    const finish = (): void => {
      clearTimeout(timer);
      unsubscribe();
      if (!res.writableEnded) res.end();
      resolve();
    };
    const timer = setTimeout(finish, timeoutSeconds * 1000);
    timer.unref();
    req.on('close', finish);
  });
}

function getLog(ctx: RequestContext, route: ResourceRoute): void {
  const { store, logs } = ctx.deps;
  const params = ctx.url.searchParams;
  const pod = store.mustGet(route.t, route.namespace, route.name!);
  const spec = pod.spec as { containers: Array<{ name: string }>; initContainers?: Array<{ name: string }> };
  const containers = spec.containers.map((c) => c.name);
  const initContainers = (spec.initContainers ?? []).map((c) => c.name);
  let container = params.get('container') ?? undefined;
  if (!container) {
    if (containers.length !== 1) {
      const init = initContainers.length
        ? ` or one of the init containers: [${initContainers.join(' ')}]`
        : '';
      throw errors.badRequest(
        `a container name must be specified for pod ${route.name}, choose one of: [${containers.join(' ')}]${init}`,
      );
    }
    container = containers[0];
  }
  if (!containers.includes(container) && !initContainers.includes(container)) {
    throw errors.badRequest(`container ${container} is not valid for pod ${route.name}`);
  }
  const status = pod.status as
    | {
        containerStatuses?: ContainerStatusView[];
        initContainerStatuses?: ContainerStatusView[];
      }
    | undefined;
  const cs = [...(status?.containerStatuses ?? []), ...(status?.initContainerStatuses ?? [])].find(
    (s) => s.name === container,
  );
  const previous = params.get('previous') === 'true';
  const instance = logInstance(cs, previous, container, route.name!);
  let lines = logs.read(pod.metadata.uid!, container, instance) ?? [];
  const sinceSeconds = params.get('sinceSeconds');
  const sinceTime = params.get('sinceTime');
  if (sinceSeconds) {
    const from = ctx.deps.clock.now() - Number(sinceSeconds) * 1000;
    lines = lines.filter((l) => l.at >= from);
  } else if (sinceTime) {
    const from = Date.parse(sinceTime);
    lines = lines.filter((l) => l.at >= from);
  }
  const tail = params.get('tailLines');
  if (tail !== null) {
    const n = Number(tail);
    if (!Number.isInteger(n) || n < 0) throw errors.badRequest(`invalid tailLines: ${tail}`);
    lines = n === 0 ? [] : lines.slice(-n);
  }
  const timestamps = params.get('timestamps') === 'true';
  let text = lines
    .map((l) => `${timestamps ? `${ctx.deps.clock.rfc3339Nano(l.at)} ` : ''}${l.text}\n`)
    .join('');
  const limitBytes = params.get('limitBytes');
  if (limitBytes !== null) {
    const n = Number(limitBytes);
    if (!Number.isInteger(n) || n < 1) throw errors.badRequest(`invalid limitBytes: ${limitBytes}`);
    text = Buffer.from(text).subarray(0, n).toString('utf8');
  }
  ctx.entry.status = 200;
  ctx.res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(text) });
  ctx.res.end(text);
}

interface ContainerStatusView {
  name: string;
  restartCount: number;
  state?: { waiting?: { reason?: string }; running?: unknown; terminated?: unknown };
  lastState?: { terminated?: unknown };
}

/**
 * Which container instance a log request reads, following the kubelet's
 * validateContainerLogStatus: `previous` is the one in lastState.terminated; otherwise the
 * running or just-terminated one, else the last terminated one, else a "waiting to start" error.
 * Instances are numbered by the restartCount they ran under; a container waiting in
 * CrashLoopBackOff has not yet counted the restart, so its last run is `restartCount`.
 */
function logInstance(
  cs: ContainerStatusView | undefined,
  previous: boolean,
  container: string,
  pod: string,
): number {
  if (!cs)
    throw errors.badRequest(
      `container "${container}" in pod "${pod}" is waiting to start: ContainerCreating`,
    );
  if (previous) {
    if (!cs.lastState?.terminated) {
      throw errors.badRequest(`previous terminated container "${container}" in pod "${pod}" not found`);
    }
    return cs.state?.waiting ? cs.restartCount : cs.restartCount - 1;
  }
  if (cs.state?.running || cs.state?.terminated || cs.lastState?.terminated) return cs.restartCount;
  const reason = cs.state?.waiting?.reason ?? 'ContainerCreating';
  const why =
    reason === 'ErrImagePull'
      ? "image can't be pulled"
      : reason === 'ImagePullBackOff'
        ? 'trying and failing to pull image'
        : reason;
  throw errors.badRequest(`container "${container}" in pod "${pod}" is waiting to start: ${why}`);
}

function scaleOf(t: ResourceType, obj: KubeObject): Record<string, unknown> {
  const spec = obj.spec as { replicas?: number; selector?: { matchLabels?: Record<string, string> } };
  const status = obj.status as { replicas?: number } | undefined;
  const selector = Object.entries(spec.selector?.matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
      creationTimestamp: obj.metadata.creationTimestamp,
    },
    spec: { replicas: spec.replicas ?? 0 },
    status: { replicas: status?.replicas ?? 0, selector },
  };
  void t;
}

// ---------------------------------------------------------------------------------------
// Writes

async function readBody(ctx: RequestContext): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      throw errors.requestEntityTooLarge(MAX_BODY_BYTES);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function readObject(ctx: RequestContext): Promise<KubeObject> {
  const contentType = (ctx.req.headers['content-type'] ?? 'application/json').split(';')[0].trim();
  if (contentType !== 'application/json' && contentType !== '*/*') {
    // A real API server also decodes protobuf, which kubectl's generator commands
    // (`kubectl create namespace|configmap|...`) send; the sandbox speaks JSON only.
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      `the sandbox accepts JSON request bodies only (received ${contentType}); send application/json, e.g. \`kubectl create -f FILE\` or \`kubectl apply -f FILE\` instead of \`kubectl create <kind> ...\``,
    );
  }
  const body = await readBody(ctx);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    throw errors.badRequest(`the body of the request could not be decoded: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw errors.badRequest('the body of the request must be a JSON object');
  }
  const obj = parsed as KubeObject;
  obj.metadata = obj.metadata ?? {};
  return obj;
}

/** Checks the body's apiVersion/kind against the URL, as the API server's decoder does. */
function checkTypeMeta(
  t: ResourceType,
  obj: KubeObject,
  expectKind = t.kind,
  expectVersion = apiVersionOf(t),
): void {
  if (obj.apiVersion !== undefined && obj.apiVersion !== expectVersion) {
    throw errors.badRequest(
      `the API version in the data (${obj.apiVersion}) does not match the expected API version (${expectVersion})`,
    );
  }
  if (obj.kind !== undefined && obj.kind !== expectKind) {
    throw errors.badRequest(
      `the kind in the data (${obj.kind}) does not match the expected kind (${expectKind})`,
    );
  }
}

/** Back to the stored (core/v1) shape when the request came in as events.k8s.io/v1. */
function toStorage(t: ResourceType, obj: KubeObject): KubeObject {
  if (t.storageKey === 'events' && t.group === 'events.k8s.io') return fromEventsV1(obj);
  return { ...obj, apiVersion: apiVersionOf(t), kind: t.kind };
}

async function create(ctx: RequestContext, route: ResourceRoute): Promise<void> {
  const { t } = route;
  const input = await readObject(ctx);
  checkTypeMeta(t, input);
  const directive = fieldValidationOf(ctx.url.searchParams.get('fieldValidation'), 'CreateOptions');
  ctx.warnings.push(...validateFields(t, input, directive));
  if (t.namespaced) {
    if (input.metadata.namespace && input.metadata.namespace !== route.namespace) {
      throw errors.badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    if (!route.namespace) throw errors.notFoundPath();
    input.metadata.namespace = route.namespace;
  }
  if (!input.metadata.name && !input.metadata.generateName) {
    throw errors.invalid(t.kind, t.group, '', [
      {
        field: 'metadata.name',
        message: 'Required value: name or generateName is required',
        reason: 'FieldValueRequired',
      },
    ]);
  }
  const obj = toStorage(t, input);
  // The API server owns identity and history: what a client sends for them is dropped.
  delete obj.metadata.uid;
  delete obj.metadata.creationTimestamp;
  delete obj.metadata.deletionTimestamp;
  delete obj.metadata.generation;
  resolveGeneratedName(obj);
  admit(t, obj);
  ctx.entry.name = obj.metadata.name ?? obj.metadata.generateName;
  if (ctx.entry.dryRun) {
    sendJson(ctx, 201, view(t, { ...obj, metadata: { ...obj.metadata, uid: 'dry-run' } }));
    return;
  }
  const created = ctx.deps.store.create(t, obj);
  sendJson(ctx, 201, view(t, created));
}

/** POST pods/NAME/eviction: a policy/v1 Eviction, answered with a Success Status (201). */
async function evict(ctx: RequestContext, route: ResourceRoute): Promise<void> {
  const eviction = (await readObject(ctx)) as Eviction;
  const apiVersion = eviction.apiVersion === 'policy/v1beta1' ? 'policy/v1beta1' : 'policy/v1';
  checkTypeMeta(route.t, eviction as KubeObject, 'Eviction', apiVersion);
  const dryRun = ctx.entry.dryRun || (eviction.deleteOptions?.dryRun ?? []).includes('All');
  evictPod(ctx.deps.store, ctx.deps.clock, route.namespace!, route.name!, eviction, dryRun);
  sendJson(ctx, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
}

/** SelfSubjectAccessReview and SelfSubjectRulesReview: computed for the caller, never stored. */
async function review(ctx: RequestContext, route: ResourceRoute, user: UserInfo): Promise<void> {
  const protobuf = (ctx.req.headers['content-type'] ?? '').startsWith('application/vnd.kubernetes.protobuf');
  let decoded: Record<string, unknown> | undefined;
  if (protobuf) {
    const chunks: Buffer[] = [];
    for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
    decoded = decodeReview(Buffer.concat(chunks));
    if (!decoded) throw errors.unsupportedMediaType(ctx.req.headers['content-type'] ?? '');
  }
  const body = decoded ? (decoded as KubeObject) : await readObject(ctx);
  checkTypeMeta(route.t, body);
  const { access } = ctx.deps;
  sendJson(
    ctx,
    201,
    route.t.kind === 'SelfSubjectAccessReview'
      ? access.accessReview(user, body)
      : access.rulesReview(user, body),
  );
}

/** update and patch: build the next object, keep what this endpoint may not change, store. */
async function write(ctx: RequestContext, route: ResourceRoute, verb: 'update' | 'patch'): Promise<void> {
  const { t } = route;
  const { store } = ctx.deps;
  const current = store.mustGet(t, route.namespace, route.name!);
  let next: KubeObject;
  if (route.subresource === 'scale') {
    const scale =
      verb === 'update' ? await readObject(ctx) : patched(ctx, scaleOf(t, current), await readBody(ctx));
    checkTypeMeta(t, scale as KubeObject, 'Scale', 'autoscaling/v1');
    const replicas = (scale as { spec?: { replicas?: number } }).spec?.replicas;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw errors.invalid('Scale', 'autoscaling', route.name!, [
        {
          field: 'spec.replicas',
          message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
        },
      ]);
    }
    next = structuredClone(current);
    (next.spec as { replicas: number }).replicas = replicas;
  } else {
    const proposed =
      verb === 'update'
        ? await readObject(ctx)
        : (patched(ctx, view(t, current), await readBody(ctx)) as KubeObject);
    checkTypeMeta(t, proposed);
    const directive = fieldValidationOf(
      ctx.url.searchParams.get('fieldValidation'),
      verb === 'update' ? 'UpdateOptions' : 'PatchOptions',
    );
    ctx.warnings.push(...validateFields(t, proposed, directive, verb === 'patch'));
    if (proposed.metadata?.name !== undefined && proposed.metadata.name !== route.name) {
      throw errors.badRequest(
        `the name of the object (${proposed.metadata.name}) does not match the name on the URL (${route.name})`,
      );
    }
    if (t.namespaced && proposed.metadata?.namespace && proposed.metadata.namespace !== route.namespace) {
      throw errors.badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    const incoming = toStorage(t, proposed);
    if (route.subresource === 'status') {
      next = { ...structuredClone(current), status: incoming.status };
      next.metadata.resourceVersion = incoming.metadata.resourceVersion;
    } else {
      next = incoming;
      next.metadata.name = route.name;
      if (t.namespaced) next.metadata.namespace = route.namespace;
      if ((t.subresources ?? []).includes('status')) next.status = structuredClone(current.status);
    }
  }
  const expected = next.metadata.resourceVersion || undefined;
  if (expected !== undefined && expected !== current.metadata.resourceVersion) {
    throw errors.conflict(
      t.plural,
      t.group,
      route.name!,
      'the object has been modified; please apply your changes to the latest version and try again',
    );
  }
  admit(t, next, current);
  if (ctx.entry.dryRun) {
    sendJson(ctx, 200, view(t, next));
    return;
  }
  // A write that changes nothing is not stored: same resourceVersion, no watch event.
  if (sameContent(next, current)) {
    sendJson(ctx, 200, route.subresource === 'scale' ? scaleOf(t, current) : view(t, current));
    return;
  }
  const stored = store.update(t, next, expected);
  sendJson(ctx, 200, route.subresource === 'scale' ? scaleOf(t, stored) : view(t, stored));
}

/**
 * Equal as JSON (absent and undefined alike, key order aside), apart from what a write cannot
 * change: resourceVersion and the identity the store keeps (uid, timestamps, generation).
 */
function sameContent(a: KubeObject, b: KubeObject): boolean {
  const canonical = (obj: KubeObject): unknown => {
    const {
      resourceVersion: _r,
      uid: _u,
      creationTimestamp: _c,
      deletionTimestamp: _d,
      generation: _g,
      ...meta
    } = obj.metadata;
    return JSON.parse(JSON.stringify({ ...obj, metadata: meta }));
  };
  return isDeepStrictEqual(canonical(a), canonical(b));
}

function patched(ctx: RequestContext, original: object, body: string): object {
  return applyPatchByType(ctx.req.headers['content-type'] ?? '', original, body);
}

async function deleteOptions(ctx: RequestContext): Promise<DeleteOptions> {
  const params = ctx.url.searchParams;
  const body = await readBody(ctx);
  let options: DeleteOptions = {};
  if (body.trim()) {
    try {
      options = JSON.parse(body) as DeleteOptions;
    } catch (error) {
      throw errors.badRequest(`the body of the request could not be decoded: ${(error as Error).message}`);
    }
    if (((options as { dryRun?: string[] }).dryRun ?? []).includes('All')) ctx.entry.dryRun = true;
  }
  const policy = params.get('propagationPolicy');
  if (policy) options.propagationPolicy = policy as DeleteOptions['propagationPolicy'];
  const grace = params.get('gracePeriodSeconds');
  if (grace !== null) options.gracePeriodSeconds = Number(grace);
  if (
    options.propagationPolicy &&
    !['Orphan', 'Background', 'Foreground'].includes(options.propagationPolicy)
  ) {
    throw errors.badRequest(
      `propagationPolicy: Unsupported value: "${options.propagationPolicy}": supported values: "Foreground", "Background", "Orphan"`,
    );
  }
  return options;
}

async function deleteOne(ctx: RequestContext, route: ResourceRoute): Promise<void> {
  const { t } = route;
  const options = await deleteOptions(ctx);
  const { store } = ctx.deps;
  if (ctx.entry.dryRun) {
    sendJson(ctx, 200, view(t, store.mustGet(t, route.namespace, route.name!)));
    return;
  }
  const { object, removed } = store.delete(t, route.namespace, route.name!, options);
  if (!removed || t.storageKey === 'pods') {
    sendJson(ctx, 200, view(t, object));
    return;
  }
  sendJson(ctx, 200, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: {
      name: object.metadata.name,
      group: t.group || undefined,
      kind: t.plural,
      uid: object.metadata.uid,
    },
  });
}

async function deleteCollection(ctx: RequestContext, route: ResourceRoute): Promise<void> {
  const { t } = route;
  const options = await deleteOptions(ctx);
  const { store } = ctx.deps;
  const matches = selectorsOf(ctx, t);
  const victims = store.list(t, route.namespace).filter(matches);
  const deleted = ctx.entry.dryRun
    ? victims
    : victims.map((obj) => store.delete(t, obj.metadata.namespace, obj.metadata.name!, options).object);
  sendJson(ctx, 200, {
    kind: `${t.kind}List`,
    apiVersion: apiVersionOf(t),
    metadata: { resourceVersion: String(store.resourceVersion) },
    items: deleted.map((obj) => view(t, obj)),
  });
}
