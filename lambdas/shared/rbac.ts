import { stringify } from 'yaml';
import { KUBERNETES_STEPS, stepApiUsage, stepGroup, type KubernetesStep } from './kubernetes/step-access';

/**
 * The Kubernetes permissions the workflow's functions may be given, as one catalog with the
 * scope of each. Every function gets a Kubernetes group of its own (its EKS access entry maps
 * its IAM role to `<group>:<step>`), and `rbacManifest` grants each group only the catalog's
 * verbs that the requests of its own operations need (`stepRbacRules`, from step-access.ts).
 * The Kubernetes adapter's tests check every request against `rbacAllows`, so neither list can
 * drift from what the code does.
 */

export type RbacVerb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';

export interface RbacRule {
  /** `''` is the core group. */
  readonly apiGroup: string;
  /** A resource or a subresource (`pods/log`). */
  readonly resource: string;
  readonly verbs: readonly RbacVerb[];
  /**
   * `cluster`: everywhere (only read verbs are ever granted this way);
   * `allowed-namespaces`: only in the namespaces the workflow may act in;
   * `scratch-namespaces`: only in the namespaces backup restore tests run in.
   */
  readonly scope: 'cluster' | 'allowed-namespaces' | 'scratch-namespaces';
  /** Which steps need it and why: it ends up in the rendered manifest as a comment for reviewers. */
  readonly why: string;
}

const READ: readonly RbacVerb[] = ['get', 'list', 'watch'];

export const RBAC_RULES: readonly RbacRule[] = [
  { apiGroup: '', resource: 'pods', verbs: READ, scope: 'cluster', why: 'diagnostics, verify, cluster dump' },
  {
    apiGroup: '',
    resource: 'pods/log',
    verbs: ['get'],
    scope: 'cluster',
    why: 'log tails (current and previous)',
  },
  { apiGroup: '', resource: 'events', verbs: READ, scope: 'cluster', why: 'collect events (core/v1)' },
  {
    apiGroup: 'events.k8s.io',
    resource: 'events',
    verbs: READ,
    scope: 'cluster',
    why: 'collect events (events.k8s.io/v1)',
  },
  { apiGroup: '', resource: 'nodes', verbs: READ, scope: 'cluster', why: 'node conditions of affected pods' },
  { apiGroup: '', resource: 'namespaces', verbs: READ, scope: 'cluster', why: 'cluster dump' },
  {
    apiGroup: '',
    resource: 'services',
    verbs: READ,
    scope: 'cluster',
    why: 'diagnosis resolves the dependencies a log names; cluster dump',
  },
  {
    apiGroup: 'discovery.k8s.io',
    resource: 'endpointslices',
    verbs: READ,
    scope: 'cluster',
    why: "diagnosis: a dependency's ready endpoints",
  },
  {
    apiGroup: '',
    resource: 'persistentvolumeclaims',
    verbs: READ,
    scope: 'cluster',
    why: "diagnosis: the phase of the pods' claims",
  },
  {
    apiGroup: '',
    resource: 'configmaps',
    verbs: READ,
    scope: 'cluster',
    why: 'diagnosis checks referenced keys exist (names only); cluster dump',
  },
  {
    apiGroup: '',
    resource: 'secrets',
    // Only list: the dump asks for metadata only (PartialObjectMetadataList) and redacts before
    // writing, but RBAC cannot grant "names only", so this still lets the role read secret data.
    verbs: ['list'],
    scope: 'cluster',
    why: 'cluster dump and diagnosis list secret names (metadata only); RBAC cannot restrict this to names',
  },
  {
    apiGroup: 'apps',
    resource: 'deployments',
    verbs: READ,
    scope: 'cluster',
    why: 'diagnostics, verify, dump',
  },
  {
    apiGroup: 'apps',
    resource: 'replicasets',
    verbs: READ,
    scope: 'cluster',
    why: 'revisions, rollback, dump',
  },
  {
    apiGroup: 'apps',
    resource: 'statefulsets',
    verbs: READ,
    scope: 'cluster',
    why: 'diagnostics, verify, dump',
  },
  {
    apiGroup: 'apps',
    resource: 'daemonsets',
    verbs: READ,
    scope: 'cluster',
    why: 'diagnostics, verify, dump',
  },
  {
    apiGroup: 'apps',
    resource: 'controllerrevisions',
    verbs: READ,
    scope: 'cluster',
    why: 'StatefulSet/DaemonSet revisions and rollback',
  },
  { apiGroup: 'batch', resource: 'jobs', verbs: READ, scope: 'cluster', why: 'cluster dump' },
  { apiGroup: 'batch', resource: 'cronjobs', verbs: READ, scope: 'cluster', why: 'cluster dump' },
  {
    apiGroup: 'apps',
    resource: 'deployments',
    verbs: ['patch'],
    scope: 'allowed-namespaces',
    why: 'rollout restart and rollout undo',
  },
  {
    apiGroup: 'apps',
    resource: 'statefulsets',
    verbs: ['patch'],
    scope: 'allowed-namespaces',
    why: 'rollout restart and rollout undo',
  },
  {
    apiGroup: 'apps',
    resource: 'daemonsets',
    verbs: ['patch'],
    scope: 'allowed-namespaces',
    why: 'rollout restart and rollout undo',
  },
  {
    apiGroup: 'coordination.k8s.io',
    resource: 'leases',
    // No delete: releasing the lock updates the Lease (clears its holder).
    verbs: ['get', 'create', 'update'],
    scope: 'allowed-namespaces',
    why: 'the per-workload remediation lock',
  },
  {
    apiGroup: 'batch',
    resource: 'jobs',
    // Reading them (and their pods and logs) is granted cluster-wide above.
    verbs: ['create', 'delete'],
    scope: 'scratch-namespaces',
    why: 'backup restore tests: run a Job from its template, delete it when done',
  },
];

/** The prefix of the functions' Kubernetes groups (`<prefix>:<step>`), unless configured otherwise. */
export const DEFAULT_RBAC_GROUP = 'eks-incident-response';

export interface RbacRequest {
  apiGroup: string;
  resource: string;
  verb: RbacVerb;
  /** Unset for cluster-scoped resources and for list/watch across all namespaces. */
  namespace?: string;
}

/**
 * The rules of one step's group: the catalog's rules for the resources its operations request,
 * narrowed to the verbs they use. Throws when a request of the step has no rule in the catalog.
 */
export function stepRbacRules(step: KubernetesStep): RbacRule[] {
  const uses = stepApiUsage(step);
  const rules = RBAC_RULES.flatMap((rule) => {
    const verbs = rule.verbs.filter((verb) =>
      uses.some((u) => u.apiGroup === rule.apiGroup && u.resource === rule.resource && u.verb === verb),
    );
    return verbs.length ? [{ ...rule, verbs }] : [];
  });
  const ungranted = uses.filter(
    (u) =>
      !rules.some((r) => r.apiGroup === u.apiGroup && r.resource === u.resource && r.verbs.includes(u.verb)),
  );
  if (ungranted.length) {
    throw new Error(
      `RBAC_RULES has no rule for ${step}'s ${ungranted.map((u) => `${u.verb} ${u.apiGroup || 'core'}/${u.resource}`).join(', ')}`,
    );
  }
  return rules;
}

/**
 * Whether the RBAC that `rbacManifest` renders lets this request through: the group of `step`
 * when given, else any of the workflow's groups.
 */
export function rbacAllows(
  request: RbacRequest,
  allowedNamespaces: readonly string[],
  scratchNamespaces: readonly string[] = [],
  step?: KubernetesStep,
): boolean {
  const namespacesOf = { 'allowed-namespaces': allowedNamespaces, 'scratch-namespaces': scratchNamespaces };
  return (step ? stepRbacRules(step) : RBAC_RULES).some(
    (rule) =>
      rule.apiGroup === request.apiGroup &&
      rule.resource === request.resource &&
      rule.verbs.includes(request.verb) &&
      (rule.scope === 'cluster' ||
        (request.namespace !== undefined && namespacesOf[rule.scope].includes(request.namespace))),
  );
}

interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: RbacVerb[];
}

/** One PolicyRule per (apiGroup, verbs), in the order the rules are listed, so the manifest stays short. */
function policyRules(rules: readonly RbacRule[]): PolicyRule[] {
  const byKey = new Map<string, PolicyRule>();
  for (const rule of rules) {
    const key = `${rule.apiGroup}|${rule.verbs.join(',')}`;
    const existing = byKey.get(key);
    if (existing) existing.resources.push(rule.resource);
    else byKey.set(key, { apiGroups: [rule.apiGroup], resources: [rule.resource], verbs: [...rule.verbs] });
  }
  return [...byKey.values()];
}

const RBAC_NAME = /^[a-z0-9]([-a-z0-9.:]*[a-z0-9])?$/;
/** EKS refuses access entries whose Kubernetes groups start with these. */
const RESERVED_GROUP_PREFIXES = ['system:', 'eks:', 'aws:', 'amazon:', 'iam:'];

/**
 * The RBAC objects for every function's group (`<groupPrefix>:<step>`), as a multi-document YAML
 * for `kubectl apply -f -`. Per step: a ClusterRole with its read rules bound cluster-wide; when
 * it writes, a ClusterRole with its write rules bound by a RoleBinding in each allowed namespace
 * (a RoleBinding to a ClusterRole grants its rules in that namespace only); with backup restore
 * tests, the scratch namespaces, each with a RoleBinding to the restore-test step's Job rules.
 */
export function rbacManifest(
  groupPrefix: string,
  namespaces: readonly string[],
  scratchNamespaces: readonly string[] = [],
): string {
  if (
    !RBAC_NAME.test(groupPrefix) ||
    RESERVED_GROUP_PREFIXES.some((prefix) => groupPrefix.startsWith(prefix))
  ) {
    throw new Error(`invalid Kubernetes group name for the RBAC manifest: "${groupPrefix}"`);
  }
  if (namespaces.length === 0) throw new Error('the RBAC manifest needs at least one allowed namespace');
  const labels = { 'app.kubernetes.io/managed-by': 'eks-incident-response' };
  const roleRef = (name: string) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name });
  const documents: object[] = [];
  const header: string[] = [];
  // The scratch namespaces exist for the restore tests alone, so they come with their RBAC.
  for (const namespace of scratchNamespaces) {
    documents.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels } });
  }
  for (const step of KUBERNETES_STEPS) {
    const group = stepGroup(groupPrefix, step);
    const rules = stepRbacRules(step);
    const subjects = [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: group }];
    header.push(
      `# ${group}`,
      ...rules.map(
        (rule) =>
          `#   ${rule.apiGroup || 'core'}/${rule.resource} [${rule.verbs.join(', ')}] ${rule.scope}: ${rule.why}`,
      ),
    );
    const scoped = [
      { scope: 'cluster', suffix: 'read', namespaces: undefined },
      { scope: 'allowed-namespaces', suffix: 'remediate', namespaces },
      { scope: 'scratch-namespaces', suffix: 'restore-test', namespaces: scratchNamespaces },
    ] as const;
    for (const { scope, suffix, namespaces: bound } of scoped) {
      const own = rules.filter((rule) => rule.scope === scope);
      if (!own.length || (bound && !bound.length)) continue;
      const name = `${groupPrefix}-${step}-${suffix}`;
      documents.push({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name, labels },
        rules: policyRules(own),
      });
      if (!bound) {
        documents.push({
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRoleBinding',
          metadata: { name, labels },
          roleRef: roleRef(name),
          subjects,
        });
      } else {
        for (const namespace of bound) {
          documents.push({
            apiVersion: 'rbac.authorization.k8s.io/v1',
            kind: 'RoleBinding',
            metadata: { name, namespace, labels },
            roleRef: roleRef(name),
            subjects,
          });
        }
      }
    }
  }
  return `${header.join('\n')}\n${documents.map((document) => `---\n${stringify(document)}`).join('')}`;
}
