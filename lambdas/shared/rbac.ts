import { stringify } from 'yaml';

/**
 * The Kubernetes permissions the workflow's functions use, as one list. The EKS access entry
 * maps the functions' IAM roles to a Kubernetes group; `rbacManifest` renders the RBAC that
 * grants that group exactly these rules, and the Kubernetes adapter's tests check every request
 * they make against `rbacAllows`, so the list cannot drift from what the code does.
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

/** The Kubernetes group the access entry puts the functions' roles in, unless configured otherwise. */
export const DEFAULT_RBAC_GROUP = 'eks-incident-response';

export interface RbacRequest {
  apiGroup: string;
  resource: string;
  verb: RbacVerb;
  /** Unset for cluster-scoped resources and for list/watch across all namespaces. */
  namespace?: string;
}

/** Whether the RBAC that `rbacManifest` renders lets the workflow make this request. */
export function rbacAllows(
  request: RbacRequest,
  allowedNamespaces: readonly string[],
  scratchNamespaces: readonly string[] = [],
): boolean {
  const namespacesOf = { 'allowed-namespaces': allowedNamespaces, 'scratch-namespaces': scratchNamespaces };
  return RBAC_RULES.some(
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
 * The RBAC objects for `groupName`, as a multi-document YAML for `kubectl apply -f -`:
 * a ClusterRole with the read rules bound cluster-wide, and a ClusterRole with the write rules
 * bound by a RoleBinding in each allowed namespace (a RoleBinding to a ClusterRole grants its
 * rules in that namespace only, so the write rules are defined once). With backup restore tests,
 * their scratch namespaces too, each with a RoleBinding to the restore-test ClusterRole.
 */
export function rbacManifest(
  groupName: string,
  namespaces: readonly string[],
  scratchNamespaces: readonly string[] = [],
): string {
  if (!RBAC_NAME.test(groupName) || RESERVED_GROUP_PREFIXES.some((prefix) => groupName.startsWith(prefix))) {
    throw new Error(`invalid Kubernetes group name for the RBAC manifest: "${groupName}"`);
  }
  if (namespaces.length === 0) throw new Error('the RBAC manifest needs at least one allowed namespace');
  const labels = { 'app.kubernetes.io/managed-by': 'eks-incident-response' };
  const subjects = [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: groupName }];
  const readName = `${groupName}-read`;
  const remediateName = `${groupName}-remediate`;
  const documents: object[] = [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: readName, labels },
      rules: policyRules(RBAC_RULES.filter((rule) => rule.scope === 'cluster')),
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: readName, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: readName },
      subjects,
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: remediateName, labels },
      rules: policyRules(RBAC_RULES.filter((rule) => rule.scope === 'allowed-namespaces')),
    },
    ...namespaces.map((namespace) => ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: remediateName, namespace, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: remediateName },
      subjects,
    })),
  ];
  if (scratchNamespaces.length) {
    const restoreName = `${groupName}-restore-test`;
    documents.push(
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: restoreName, labels },
        rules: policyRules(RBAC_RULES.filter((rule) => rule.scope === 'scratch-namespaces')),
      },
      // The scratch namespaces exist for the restore tests alone, so they come with their RBAC.
      ...scratchNamespaces.flatMap((namespace) => [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels } },
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: restoreName, namespace, labels },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: restoreName },
          subjects,
        },
      ]),
    );
  }
  const header = RBAC_RULES.map(
    (rule) =>
      `# ${rule.apiGroup || 'core'}/${rule.resource} [${rule.verbs.join(', ')}] ${rule.scope}: ${rule.why}`,
  ).join('\n');
  return `${header}\n${documents.map((document) => `---\n${stringify(document)}`).join('')}`;
}
