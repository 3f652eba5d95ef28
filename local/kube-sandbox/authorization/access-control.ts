import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { ApiError, errors, qualifiedResource } from '../errors';
import type { ObjectStore } from '../store';
import type { PolicyRule } from './bootstrap-policy';
import { RbacAuthorizer, type Attributes, type Decision, type UserInfo } from './rbac-authorizer';

/** Who a bearer token stands for. */
export interface TokenIdentity {
  user: string;
  groups?: string[];
}

export interface AccessOptions {
  /** The single admin token of `--token`: every request must carry it (401 otherwise). */
  token?: string;
  /** More bearer tokens and whom they authenticate, for RBAC tests. */
  tokens?: Record<string, TokenIdentity>;
  /** `rbac` authorizes from the stored RBAC objects; otherwise everything is allowed. */
  authorization?: 'rbac' | 'AlwaysAllow';
}

const ANONYMOUS: UserInfo = { name: 'system:anonymous', groups: ['system:unauthenticated'] };
/** Whom `--token` authenticates: the cluster creator, as EKS maps it. */
const ADMIN = 'kubernetes-admin';

function sameToken(presented: string, expected: string): boolean {
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function headerValues(headers: IncomingHttpHeaders, name: string): string[] {
  const value = headers[name];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value])
    .flatMap((v) => v.split(',').map((s) => s.trim()))
    .filter(Boolean);
}

/** The Forbidden Status the API server answers an unauthorized request with (responsewriters.Forbidden). */
export function forbidden(user: UserInfo, attrs: Attributes, reason = ''): ApiError {
  let why: string;
  let prefix: string;
  let details: { name?: string; group?: string; kind?: string };
  if (!attrs.resourceRequest) {
    why = `User ${JSON.stringify(user.name)} cannot ${attrs.verb} path ${JSON.stringify(attrs.path)}`;
    prefix = 'forbidden';
    details = {};
  } else {
    const resource = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
    const scope = attrs.namespace
      ? `in the namespace ${JSON.stringify(attrs.namespace)}`
      : 'at the cluster scope';
    why = `User ${JSON.stringify(user.name)} cannot ${attrs.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(attrs.apiGroup)} ${scope}`;
    const qualified = qualifiedResource(attrs.resource, attrs.apiGroup);
    prefix = attrs.name
      ? `${qualified} ${JSON.stringify(attrs.name)} is forbidden`
      : `${qualified} is forbidden`;
    details = { name: attrs.name || undefined, group: attrs.apiGroup || undefined, kind: attrs.resource };
  }
  return new ApiError(403, 'Forbidden', `${prefix}: ${why}${reason ? `: ${reason}` : ''}`, details);
}

/**
 * Authentication and authorization in front of the API: bearer tokens (the `--token` admin, or
 * the tokens the sandbox is told about) or anonymous; impersonation headers (`kubectl --as`,
 * `--as-group`), themselves authorized with the `impersonate` verb; then every request is
 * authorized — by RBAC in `rbac` mode, else always allowed — and refused with a 403 Status
 * worded as kube-apiserver's.
 */
export class AccessControl {
  private readonly rbac?: RbacAuthorizer;

  constructor(
    store: ObjectStore,
    private readonly options: AccessOptions = {},
  ) {
    if (options.authorization === 'rbac') this.rbac = new RbacAuthorizer(store);
  }

  get mode(): 'rbac' | 'AlwaysAllow' {
    return this.rbac ? 'rbac' : 'AlwaysAllow';
  }

  /** The user a request acts as; 401 for a token nobody issued, 403 for impersonation not allowed. */
  authenticate(headers: IncomingHttpHeaders): UserInfo {
    const header = headers.authorization;
    const presented = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    let user: UserInfo | undefined;
    if (presented !== undefined) {
      if (this.options.token !== undefined && sameToken(presented, this.options.token)) {
        user = { name: ADMIN, groups: ['system:masters', 'system:authenticated'] };
      } else {
        const match = Object.entries(this.options.tokens ?? {}).find(([token]) =>
          sameToken(presented, token),
        );
        if (match)
          user = { name: match[1].user, groups: [...(match[1].groups ?? []), 'system:authenticated'] };
      }
      if (!user) throw errors.unauthorized();
    } else {
      if (this.options.token !== undefined) throw errors.unauthorized();
      user = ANONYMOUS;
    }
    return this.impersonate(user, headers);
  }

  private impersonate(user: UserInfo, headers: IncomingHttpHeaders): UserInfo {
    const asUser = headers['impersonate-user'];
    const asGroups = headerValues(headers, 'impersonate-group');
    if (asUser === undefined) {
      if (asGroups.length > 0) {
        throw errors.internal(
          `requested [${asGroups.map((g) => `{Group ${g}}`).join(' ')}] without impersonating a user`,
        );
      }
      return user;
    }
    const name = Array.isArray(asUser) ? asUser[0] : asUser;
    const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(name);
    const checks: Attributes[] = [
      sa
        ? {
            resourceRequest: true,
            verb: 'impersonate',
            apiGroup: '',
            resource: 'serviceaccounts',
            namespace: sa[1],
            name: sa[2],
          }
        : { resourceRequest: true, verb: 'impersonate', apiGroup: '', resource: 'users', name },
      ...asGroups.map((g): Attributes => ({
        resourceRequest: true,
        verb: 'impersonate',
        apiGroup: '',
        resource: 'groups',
        name: g,
      })),
    ];
    for (const attrs of checks) this.enforce(user, attrs);
    const groups = [...asGroups];
    if (sa && asGroups.length === 0) groups.push('system:serviceaccounts', `system:serviceaccounts:${sa[1]}`);
    if (name === ANONYMOUS.name) {
      if (!groups.includes('system:unauthenticated')) groups.push('system:unauthenticated');
    } else if (!groups.includes('system:authenticated') && !groups.includes('system:unauthenticated')) {
      groups.push('system:authenticated');
    }
    return { name, groups };
  }

  authorize(user: UserInfo, attrs: Attributes): Decision {
    return this.rbac ? this.rbac.authorize(user, attrs) : { allowed: true, reason: '' };
  }

  /** Throws the API server's 403 when the user may not do what `attrs` says. */
  enforce(user: UserInfo, attrs: Attributes): void {
    const decision = this.authorize(user, attrs);
    if (!decision.allowed) throw forbidden(user, attrs, decision.reason);
  }

  /** SelfSubjectAccessReview: may the requesting user do what the spec says? */
  accessReview(user: UserInfo, review: Record<string, unknown>): Record<string, unknown> {
    const spec = (review.spec ?? {}) as {
      resourceAttributes?: Record<string, string | undefined>;
      nonResourceAttributes?: { path?: string; verb?: string };
    };
    const r = spec.resourceAttributes;
    const n = spec.nonResourceAttributes;
    if (!r && !n) {
      throw errors.invalid('SelfSubjectAccessReview', 'authorization.k8s.io', '', [
        {
          field: 'spec.resourceAuthorizationAttributes',
          message:
            'Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified',
          reason: 'FieldValueRequired',
        },
      ]);
    }
    const attrs: Attributes = r
      ? {
          resourceRequest: true,
          verb: r.verb ?? '',
          apiGroup: r.group ?? '',
          resource: r.resource ?? '',
          subresource: r.subresource || undefined,
          namespace: r.namespace || undefined,
          name: r.name || undefined,
        }
      : { resourceRequest: false, verb: n!.verb ?? '', path: n!.path ?? '' };
    const decision = this.authorize(user, attrs);
    return {
      kind: 'SelfSubjectAccessReview',
      apiVersion: 'authorization.k8s.io/v1',
      metadata: { creationTimestamp: null },
      spec: review.spec,
      status: { allowed: decision.allowed, ...(decision.reason ? { reason: decision.reason } : {}) },
    };
  }

  /** SelfSubjectRulesReview: every rule that applies to the requesting user in a namespace. */
  rulesReview(user: UserInfo, review: Record<string, unknown>): Record<string, unknown> {
    const namespace = ((review.spec ?? {}) as { namespace?: string }).namespace ?? '';
    let rules: PolicyRule[];
    let evaluationErrors: string[] = [];
    if (this.rbac) ({ rules, errors: evaluationErrors } = this.rbac.rulesFor(user, namespace));
    else
      rules = [
        { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
        { verbs: ['*'], nonResourceURLs: ['*'] },
      ];
    const resourceRules = rules
      .filter((r) => r.resources)
      .map((r) => ({
        verbs: r.verbs,
        apiGroups: r.apiGroups ?? [],
        resources: r.resources,
        ...(r.resourceNames?.length ? { resourceNames: r.resourceNames } : {}),
      }));
    const nonResourceRules = rules
      .filter((r) => r.nonResourceURLs)
      .map((r) => ({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs }));
    return {
      kind: 'SelfSubjectRulesReview',
      apiVersion: 'authorization.k8s.io/v1',
      metadata: { creationTimestamp: null },
      spec: review.spec ?? {},
      status: {
        resourceRules,
        nonResourceRules,
        incomplete: evaluationErrors.length > 0,
        ...(evaluationErrors.length ? { evaluationError: evaluationErrors.join(', ') } : {}),
      },
    };
  }
}

/** The verb a non-resource request is authorized with: its HTTP method, lower-cased. */
export function nonResourceVerb(method: string): string {
  return method.toLowerCase();
}
