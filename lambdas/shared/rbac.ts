import { stringify } from 'yaml';
import {
  KUBERNETES_STEPS,
  STEP_OPERATIONS,
  stepApiUsage,
  stepGroup,
  type KubernetesStep,
} from './kubernetes/step-access';

/**
 * The Kubernetes permissions the workflow's functions may be given: a catalog of what may be
 * granted at all, with the scope of each. Every function gets a Kubernetes group of its own (its
 * EKS access entry maps its IAM role to `<prefix>:<step>`), and `rbacManifest` grants each group
 * only the catalog's verbs that the requests of its own operations make (`stepRbacRules`, from
 * step-access.ts and api-usage.ts). The adapter's tests check every request it makes against the
 * declared operations, so neither list can drift from what the code does; an operation that
 * needs more than the catalog allows fails `stepRbacRules`.
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
  /**
   * What needs it; in a step's rules (`stepRbacRules`), that step's operations: it ends up in
   * the rendered manifest as a comment for reviewers.
   */
  readonly why: string;
}

const READ: readonly RbacVerb[] = ['get', 'list', 'watch'];

export const RBAC_RULES: readonly RbacRule[] = [
  {
    apiGroup: '',
    resource: 'pods',
    verbs: READ,
    scope: 'cluster',
    why: 'target pods, their owners, Job pods',
  },
  {
    apiGroup: '',
    resource: 'pods/log',
    verbs: ['get'],
    scope: 'cluster',
    why: 'log tails (current and previous)',
  },
  { apiGroup: '', resource: 'events', verbs: READ, scope: 'cluster', why: 'events (core/v1)' },
  {
    apiGroup: 'events.k8s.io',
    resource: 'events',
    verbs: READ,
    scope: 'cluster',
    why: 'events (events.k8s.io/v1)',
  },
  { apiGroup: '', resource: 'nodes', verbs: READ, scope: 'cluster', why: 'node conditions of affected pods' },
  { apiGroup: '', resource: 'namespaces', verbs: READ, scope: 'cluster', why: 'cluster dump' },
  {
    apiGroup: '',
    resource: 'services',
    verbs: READ,
    scope: 'cluster',
    why: 'dependencies and Services of the target',
  },
  {
    apiGroup: 'discovery.k8s.io',
    resource: 'endpointslices',
    verbs: READ,
    scope: 'cluster',
    why: "a Service's ready endpoints",
  },
  {
    apiGroup: '',
    resource: 'persistentvolumeclaims',
    verbs: READ,
    scope: 'cluster',
    why: "the phase of the pods' claims",
  },
  { apiGroup: '', resource: 'configmaps', verbs: READ, scope: 'cluster', why: 'key names only' },
  {
    apiGroup: '',
    resource: 'secrets',
    // Only list: the dump asks for metadata only and drops values while parsing, but RBAC cannot
    // grant "names only", so a group with it could read secret data: one step has it.
    verbs: ['list'],
    scope: 'cluster',
    why: 'names, types and key names; RBAC cannot restrict this to names',
  },
  ...(['deployments', 'replicasets', 'statefulsets', 'daemonsets', 'controllerrevisions'] as const).map(
    (resource) => ({
      apiGroup: 'apps',
      resource,
      verbs: READ,
      scope: 'cluster' as const,
      why: 'workloads and revisions',
    }),
  ),
  { apiGroup: 'batch', resource: 'jobs', verbs: READ, scope: 'cluster', why: 'Jobs and their pods' },
  { apiGroup: 'batch', resource: 'cronjobs', verbs: READ, scope: 'cluster', why: 'CronJobs' },
  ...(['deployments', 'statefulsets', 'daemonsets'] as const).map((resource) => ({
    apiGroup: 'apps',
    resource,
    verbs: ['patch'] as const,
    scope: 'allowed-namespaces' as const,
    why: 'rollout restart and rollout undo',
  })),
  {
    apiGroup: 'coordination.k8s.io',
    resource: 'leases',
    // No delete: releasing the lock updates the Lease (clears its holder).
    verbs: ['get', 'create', 'update'],
    scope: 'allowed-namespaces',
    why: 'the per-workload lock and the storm-brake ledger',
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
 * The rules of one step's group: the catalog's rules for the requests its operations make,
 * narrowed to the verbs they use, each saying which of the step's operations need it. Throws
 * when a request of the step has no rule in the catalog.
 */
export function stepRbacRules(step: KubernetesStep): RbacRule[] {
  const uses = stepApiUsage(step);
  const own = new Set<string>(STEP_OPERATIONS[step]);
  const rules = RBAC_RULES.flatMap((rule) => {
    const matching = uses.filter(
      (u) => u.apiGroup === rule.apiGroup && u.resource === rule.resource && rule.verbs.includes(u.verb),
    );
    const verbs = rule.verbs.filter((verb) => matching.some((u) => u.verb === verb));
    if (!verbs.length) return [];
    const operations = new Set(matching.flatMap((u) => u.operations.filter((o) => own.has(o))));
    const notes = new Set(matching.flatMap((u) => (u.note ? [u.note] : [])));
    const why = [...operations].join(', ') + (notes.size ? ` (${[...notes].join('; ')})` : '');
    return [{ ...rule, verbs, why }];
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
 * Whether the RBAC that `rbacManifest` renders lets this request through: for the group of
 * `step` when given, else for any of the workflow's groups.
 */
export function rbacAllows(
  request: RbacRequest,
  allowedNamespaces: readonly string[],
  scratchNamespaces: readonly string[] = [],
  step?: KubernetesStep,
): boolean {
  const namespacesOf = { 'allowed-namespaces': allowedNamespaces, 'scratch-namespaces': scratchNamespaces };
  return (step ? [step] : KUBERNETES_STEPS).some((s) =>
    stepRbacRules(s).some(
      (rule) =>
        rule.apiGroup === request.apiGroup &&
        rule.resource === request.resource &&
        rule.verbs.includes(request.verb) &&
        (rule.scope === 'cluster' ||
          (request.namespace !== undefined && namespacesOf[rule.scope].includes(request.namespace))),
    ),
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

/** Where each scope's rules are bound, and the suffix of their ClusterRole's name. */
const SCOPES = [
  { scope: 'cluster', suffix: 'read' },
  { scope: 'allowed-namespaces', suffix: 'allowed-namespaces' },
  { scope: 'scratch-namespaces', suffix: 'scratch-namespaces' },
] as const;

/**
 * The RBAC objects for every function's group (`<groupPrefix>:<step>`), as a multi-document YAML
 * for `kubectl apply -f -`, headed by a comment that lists each group's grants and the operations
 * that need them. Per step: a ClusterRole `<prefix>-<step>-read` with its read rules, bound
 * cluster-wide; when it writes in the allowed namespaces (remediation, the lock, the storm-brake
 * ledger), a ClusterRole `<prefix>-<step>-allowed-namespaces` bound by a RoleBinding in each of
 * them (a RoleBinding to a ClusterRole grants its rules in that namespace only); the restore
 * test's Job rules likewise in each scratch namespace, which the manifest creates.
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
  const bound = { 'allowed-namespaces': namespaces, 'scratch-namespaces': scratchNamespaces };
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
    for (const { scope, suffix } of SCOPES) {
      const own = rules.filter((rule) => rule.scope === scope);
      const where = scope === 'cluster' ? undefined : bound[scope];
      if (!own.length || (where && !where.length)) continue;
      const name = `${groupPrefix}-${step}-${suffix}`;
      documents.push({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name, labels },
        rules: policyRules(own),
      });
      if (!where) {
        documents.push({
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRoleBinding',
          metadata: { name, labels },
          roleRef: roleRef(name),
          subjects,
        });
      }
      for (const namespace of where ?? []) {
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
  return `${header.join('\n')}\n${documents.map((document) => `---\n${stringify(document)}`).join('')}`;
}
