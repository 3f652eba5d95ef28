import type { Attributes } from '../authorization/rbac-authorizer';
import { errors } from '../errors';
import { apiGroups, apiResourceList, findResourceType } from '../resources';
import type { ResourceRoute } from './context';
import { apiGroup, versionInfo } from './discovery';

/** What a request path names: a discovery document, or a resource (its RequestInfo). */
export type Route = { kind: 'discovery'; body: () => unknown } | ({ kind: 'resource' } & ResourceRoute);

export function parseRoute(pathname: string): Route {
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

export function verbOf(method: string, route: ResourceRoute, url: URL): string {
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
/** What the authorizer is asked (RequestInfo): a Namespace is its own namespace. */
export function resourceAttributes(route: ResourceRoute, verb: string): Attributes {
  const { t, name, subresource } = route;
  const namespace = t.plural === 'namespaces' && t.group === '' ? name : route.namespace;
  return { resourceRequest: true, verb, apiGroup: t.group, resource: t.plural, subresource, namespace, name };
}
