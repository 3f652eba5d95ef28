import { types } from '../runtime';
import type { KubeObject, ObjectStore } from '../store';
import type { PolicyRule } from './bootstrap-policy';

export interface UserInfo {
  name: string;
  groups: string[];
}

/** What a request asks to do, as the API server's RequestInfo describes it to authorizers. */
export type Attributes =
  | {
      resourceRequest: true;
      verb: string;
      apiGroup: string;
      resource: string;
      subresource?: string;
      namespace?: string;
      name?: string;
    }
  | { resourceRequest: false; verb: string; path: string };

export interface Decision {
  allowed: boolean;
  /** Why: `RBAC: allowed by ...`, or the errors met on the way when denied (`RBAC: ...not found`). */
  reason: string;
}

interface Subject {
  kind: string;
  name: string;
  namespace?: string;
}

interface Binding extends KubeObject {
  roleRef: { kind: string; name: string };
  subjects?: Subject[];
}

function has(list: string[] | undefined, value: string): boolean {
  return (list ?? []).includes('*') || (list ?? []).includes(value);
}

/** RuleAllows (pkg/apis/rbac/v1/evaluation_helpers.go). */
export function ruleAllows(attrs: Attributes, rule: PolicyRule): boolean {
  if (!has(rule.verbs, attrs.verb)) return false;
  if (!attrs.resourceRequest) {
    return (rule.nonResourceURLs ?? []).some(
      (url) =>
        url === '*' || url === attrs.path || (url.endsWith('*') && attrs.path.startsWith(url.slice(0, -1))),
    );
  }
  if (!has(rule.apiGroups, attrs.apiGroup)) return false;
  const combined = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
  const resourceMatches = (rule.resources ?? []).some(
    (r) => r === '*' || r === combined || (attrs.subresource !== undefined && r === `*/${attrs.subresource}`),
  );
  if (!resourceMatches) return false;
  const names = rule.resourceNames ?? [];
  return names.length === 0 || names.includes(attrs.name ?? '');
}

function appliesTo(user: UserInfo, subject: Subject, bindingNamespace: string): boolean {
  switch (subject.kind) {
    case 'User':
      return user.name === subject.name;
    case 'Group':
      return user.groups.includes(subject.name);
    case 'ServiceAccount':
      return user.name === `system:serviceaccount:${subject.namespace || bindingNamespace}:${subject.name}`;
    default:
      return false;
  }
}

function describeSubject(subject: Subject, bindingNamespace: string): string {
  if (subject.kind === 'ServiceAccount') {
    return `${subject.kind} ${JSON.stringify(`${subject.name}/${subject.namespace || bindingNamespace}`)}`;
  }
  return `${subject.kind} ${JSON.stringify(subject.name)}`;
}

/**
 * The RBAC authorizer (plugin/pkg/auth/authorizer/rbac) over the stored Roles, ClusterRoles and
 * their bindings: a request is allowed when a rule of a role bound to the user, or to one of
 * their groups, allows it — ClusterRoleBindings everywhere, RoleBindings in their namespace.
 * There is no deny; `system:masters` is allowed everything before RBAC is asked, as the API
 * server's privileged-group authorizer does.
 */
export class RbacAuthorizer {
  constructor(private readonly store: ObjectStore) {}

  authorize(user: UserInfo, attrs: Attributes): Decision {
    if (user.groups.includes('system:masters')) return { allowed: true, reason: '' };
    const errors: string[] = [];
    let reason: string | undefined;
    this.visit(user, attrs.resourceRequest ? attrs.namespace : undefined, errors, (source, rule) => {
      if (ruleAllows(attrs, rule)) {
        reason = `RBAC: allowed by ${source}`;
        return true;
      }
      return false;
    });
    if (reason) return { allowed: true, reason };
    return {
      allowed: false,
      reason: errors.length ? `RBAC: ${errors.length > 1 ? `[${errors.join(', ')}]` : errors[0]}` : '',
    };
  }

  /** The rules that apply to the user in a namespace (what SelfSubjectRulesReview lists). */
  rulesFor(user: UserInfo, namespace: string): { rules: PolicyRule[]; errors: string[] } {
    const rules: PolicyRule[] = [];
    const errors: string[] = [];
    if (user.groups.includes('system:masters')) {
      rules.push(
        { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
        { verbs: ['*'], nonResourceURLs: ['*'] },
      );
    }
    this.visit(user, namespace, errors, (_source, rule) => {
      rules.push(rule);
      return false;
    });
    return { rules, errors };
  }

  /** Walks the rules bound to the user until `visitor` returns true. */
  private visit(
    user: UserInfo,
    namespace: string | undefined,
    errors: string[],
    visitor: (source: string, rule: PolicyRule) => boolean,
  ): void {
    const rbac = (plural: string): (typeof types)[string] => types[`${plural}.rbac.authorization.k8s.io`];
    for (const binding of this.store.list(rbac('clusterrolebindings')) as Binding[]) {
      const subject = (binding.subjects ?? []).find((s) => appliesTo(user, s, ''));
      if (!subject) continue;
      const role = this.store.get(rbac('clusterroles'), undefined, binding.roleRef.name);
      if (!role) {
        errors.push(`clusterrole.rbac.authorization.k8s.io "${binding.roleRef.name}" not found`);
        continue;
      }
      const source = `ClusterRoleBinding ${JSON.stringify(binding.metadata.name)} of ClusterRole ${JSON.stringify(binding.roleRef.name)} to ${describeSubject(subject, '')}`;
      for (const rule of (role.rules ?? []) as PolicyRule[]) if (visitor(source, rule)) return;
    }
    if (!namespace) return;
    for (const binding of this.store.list(rbac('rolebindings'), namespace) as Binding[]) {
      const subject = (binding.subjects ?? []).find((s) => appliesTo(user, s, namespace));
      if (!subject) continue;
      const cluster = binding.roleRef.kind === 'ClusterRole';
      const role = cluster
        ? this.store.get(rbac('clusterroles'), undefined, binding.roleRef.name)
        : this.store.get(rbac('roles'), namespace, binding.roleRef.name);
      if (!role) {
        errors.push(
          `${cluster ? 'clusterrole' : 'role'}.rbac.authorization.k8s.io "${binding.roleRef.name}" not found`,
        );
        continue;
      }
      const source = `RoleBinding ${JSON.stringify(`${binding.metadata.name}/${namespace}`)} of ${binding.roleRef.kind} ${JSON.stringify(binding.roleRef.name)} to ${describeSubject(subject, namespace)}`;
      for (const rule of (role.rules ?? []) as PolicyRule[]) {
        // A ClusterRole bound in a namespace grants nothing outside it, non-resource URLs included.
        if (rule.nonResourceURLs && !rule.resources) continue;
        if (visitor(source, rule)) return;
      }
    }
  }
}
