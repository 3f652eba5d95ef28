import type { KubernetesPort } from './kubernetes-port';

/**
 * Every Kubernetes API request the ports (kubernetes-port.ts, ports/) can make, as RBAC sees it:
 * API group, resource (with subresource), verb, and the port operations that make it. The
 * cluster-access RBAC (lambdas/shared/rbac.ts) grants each step exactly the requests of the
 * operations it uses (step-access.ts); a test checks that every operation makes only the requests
 * declared for it. Only types are imported, so the CDK app reads this without loading the
 * Kubernetes client.
 */

/**
 * An operation of one of the Kubernetes ports (a method of one of KubernetesPort's ports; the
 * names are unique across ports), or of the intake's owner lookup.
 */
export type KubernetesOperation =
  | { [P in keyof KubernetesPort]: Extract<keyof KubernetesPort[P], string> }[keyof KubernetesPort]
  | 'controllerOf';

export interface KubernetesApiUse {
  /** '' for the core group. */
  apiGroup: string;
  resource: string;
  verb: 'get' | 'list' | 'create' | 'update' | 'patch' | 'delete';
  /** The operations that make this request. */
  operations: readonly KubernetesOperation[];
  /** Why, where it is not plain from the operation's name. */
  note?: string;
}

/** The resources the cluster dump lists (DumpLister.listPage). */
export const DUMP_RESOURCES = [
  { apiGroup: '', resource: 'namespaces', namespaced: false },
  { apiGroup: '', resource: 'nodes', namespaced: false },
  { apiGroup: '', resource: 'pods', namespaced: true },
  { apiGroup: '', resource: 'events', namespaced: true },
  { apiGroup: '', resource: 'services', namespaced: true },
  { apiGroup: '', resource: 'configmaps', namespaced: true },
  { apiGroup: '', resource: 'secrets', namespaced: true },
  { apiGroup: 'apps', resource: 'deployments', namespaced: true },
  { apiGroup: 'apps', resource: 'replicasets', namespaced: true },
  { apiGroup: 'apps', resource: 'statefulsets', namespaced: true },
  { apiGroup: 'apps', resource: 'daemonsets', namespaced: true },
  { apiGroup: 'batch', resource: 'jobs', namespaced: true },
  { apiGroup: 'batch', resource: 'cronjobs', namespaced: true },
] as const;

export type DumpResource = (typeof DUMP_RESOURCES)[number]['resource'];

const WORKLOAD_HISTORY: readonly KubernetesOperation[] = [
  'revisions',
  'rolloutRestart',
  'rolloutUndo',
  'rolloutStatus',
  'eventSubjects',
];

export const KUBERNETES_API_USAGE: readonly KubernetesApiUse[] = [
  ...(['deployments', 'statefulsets', 'daemonsets'] as const).flatMap((resource) => [
    {
      apiGroup: 'apps',
      resource,
      verb: 'get' as const,
      operations: ['getWorkload', ...WORKLOAD_HISTORY] as const,
    },
    {
      apiGroup: 'apps',
      resource,
      verb: 'patch' as const,
      operations: ['rolloutRestart', 'rolloutUndo'] as const,
    },
  ]),
  {
    apiGroup: 'apps',
    resource: 'replicasets',
    verb: 'list',
    // A Deployment's restart reads its revision from its own annotation.
    operations: WORKLOAD_HISTORY.filter((operation) => operation !== 'rolloutRestart'),
    note: 'Deployment history',
  },
  {
    apiGroup: 'apps',
    resource: 'controllerrevisions',
    verb: 'list',
    operations: WORKLOAD_HISTORY,
    note: 'StatefulSet/DaemonSet history',
  },
  {
    apiGroup: '',
    resource: 'pods',
    verb: 'list',
    operations: ['listPods', 'rolloutStatus', 'eventSubjects', 'readJobLogs', 'serviceEndpoints'],
  },
  { apiGroup: '', resource: 'pods/log', verb: 'get', operations: ['readLog', 'readJobLogs'] },
  { apiGroup: '', resource: 'nodes', verb: 'get', operations: ['getNodes', 'getServedNodes'] },
  { apiGroup: '', resource: 'events', verb: 'list', operations: ['listEvents', 'listServedEvents'] },
  {
    apiGroup: 'events.k8s.io',
    resource: 'events',
    verb: 'list',
    operations: ['listEvents', 'listServedEvents'],
  },
  {
    apiGroup: 'coordination.k8s.io',
    resource: 'leases',
    verb: 'get',
    operations: ['getLease', 'acquireLease', 'releaseLease', 'recordRemediation', 'updateLeaseAnnotation'],
  },
  {
    apiGroup: 'coordination.k8s.io',
    resource: 'leases',
    verb: 'create',
    operations: ['acquireLease', 'updateLeaseAnnotation'],
  },
  {
    apiGroup: 'coordination.k8s.io',
    resource: 'leases',
    verb: 'update',
    operations: ['acquireLease', 'releaseLease', 'recordRemediation', 'updateLeaseAnnotation'],
  },
  {
    apiGroup: 'batch',
    resource: 'cronjobs',
    verb: 'get',
    operations: ['getCronJob', 'eventSubjects'],
  },
  { apiGroup: '', resource: 'services', verb: 'list', operations: ['listServices'] },
  {
    apiGroup: 'discovery.k8s.io',
    resource: 'endpointslices',
    verb: 'list',
    operations: ['serviceEndpoints'],
  },
  {
    apiGroup: '',
    resource: 'configmaps',
    verb: 'get',
    operations: ['configMapKeys'],
    note: 'key names only',
  },
  {
    apiGroup: '',
    resource: 'secrets',
    verb: 'list',
    operations: ['listSecretKeysPage', 'listPage'],
    note: 'metadata and key names only',
  },
  { apiGroup: '', resource: 'persistentvolumeclaims', verb: 'get', operations: ['claimPhase'] },
  {
    apiGroup: 'batch',
    resource: 'jobs',
    verb: 'list',
    operations: ['listJobs', 'eventSubjects'],
  },
  {
    apiGroup: 'batch',
    resource: 'jobs',
    verb: 'get',
    operations: ['getJob', 'eventSubjects'],
  },
  { apiGroup: 'batch', resource: 'jobs', verb: 'create', operations: ['createJob'], note: 'restore tests' },
  { apiGroup: 'batch', resource: 'jobs', verb: 'delete', operations: ['deleteJob'], note: 'restore tests' },
  ...DUMP_RESOURCES.filter((r) => r.resource !== 'secrets').map((r) => ({
    apiGroup: r.apiGroup,
    resource: r.resource,
    verb: 'list' as const,
    operations: ['listPage'] as const,
  })),
];

/** The requests the intake's owner lookup (lambdas/intake/owner-lookup.ts) makes. */
export const OWNER_LOOKUP_API_USAGE: readonly KubernetesApiUse[] = [
  { apiGroup: '', resource: 'pods', verb: 'get', operations: ['controllerOf'], note: 'alert pod label' },
  {
    apiGroup: 'apps',
    resource: 'replicasets',
    verb: 'get',
    operations: ['controllerOf'],
    note: 'owner chain',
  },
  {
    apiGroup: 'apps',
    resource: 'statefulsets',
    verb: 'get',
    operations: ['controllerOf'],
    note: 'pod name guess',
  },
  {
    apiGroup: 'apps',
    resource: 'daemonsets',
    verb: 'get',
    operations: ['controllerOf'],
    note: 'pod name guess',
  },
];
