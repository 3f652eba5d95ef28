/**
 * Every Kubernetes API request the adapter (kubernetes-port.ts) can make, as RBAC sees it:
 * API group, resource (with subresource), verb. The cluster-access RBAC (lambdas/shared/rbac.ts)
 * must grant each of them; a test checks it and another checks that the adapter makes no
 * request outside this list. Kept free of imports so the CDK app can read it without loading
 * the Kubernetes client.
 */
export interface KubernetesApiUse {
  /** '' for the core group. */
  apiGroup: string;
  resource: string;
  verb: 'get' | 'list' | 'create' | 'update' | 'patch' | 'delete';
  /** Which operations of the port need it. */
  usedBy: string;
}

/** The resources the cluster dump lists (KubernetesPort.listPage). */
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

export const KUBERNETES_API_USAGE: readonly KubernetesApiUse[] = [
  ...(['deployments', 'statefulsets', 'daemonsets'] as const).flatMap((resource) => [
    {
      apiGroup: 'apps',
      resource,
      verb: 'get' as const,
      usedBy: 'getWorkload, revisions, rolloutRestart, rolloutUndo, rolloutStatus, eventSubjects',
    },
    { apiGroup: 'apps', resource, verb: 'patch' as const, usedBy: 'rolloutRestart, rolloutUndo' },
  ]),
  {
    apiGroup: 'apps',
    resource: 'replicasets',
    verb: 'list',
    usedBy: 'revisions, rolloutRestart, rolloutUndo, rolloutStatus, eventSubjects (Deployment history)',
  },
  {
    apiGroup: 'apps',
    resource: 'controllerrevisions',
    verb: 'list',
    usedBy:
      'revisions, rolloutRestart, rolloutUndo, rolloutStatus, eventSubjects (StatefulSet/DaemonSet history)',
  },
  {
    apiGroup: '',
    resource: 'pods',
    verb: 'list',
    usedBy: 'listPods, rolloutStatus, eventSubjects, readJobLogs, serviceEndpoints',
  },
  { apiGroup: '', resource: 'pods/log', verb: 'get', usedBy: 'readLog, readJobLogs' },
  { apiGroup: '', resource: 'nodes', verb: 'get', usedBy: 'getNodes' },
  { apiGroup: '', resource: 'events', verb: 'list', usedBy: 'listEvents' },
  { apiGroup: 'events.k8s.io', resource: 'events', verb: 'list', usedBy: 'listEvents' },
  {
    apiGroup: 'coordination.k8s.io',
    resource: 'leases',
    verb: 'get',
    usedBy: 'getLease, acquireLease, releaseLease, updateLeaseAnnotation',
  },
  {
    apiGroup: 'coordination.k8s.io',
    resource: 'leases',
    verb: 'create',
    usedBy: 'acquireLease, updateLeaseAnnotation',
  },
  {
    apiGroup: 'coordination.k8s.io',
    resource: 'leases',
    verb: 'update',
    usedBy: 'acquireLease, releaseLease, updateLeaseAnnotation',
  },
  { apiGroup: 'batch', resource: 'cronjobs', verb: 'get', usedBy: 'getCronJob' },
  { apiGroup: '', resource: 'services', verb: 'list', usedBy: 'listServices' },
  { apiGroup: 'discovery.k8s.io', resource: 'endpointslices', verb: 'list', usedBy: 'serviceEndpoints' },
  { apiGroup: '', resource: 'configmaps', verb: 'get', usedBy: 'referenceKeys (key names only)' },
  { apiGroup: '', resource: 'secrets', verb: 'list', usedBy: 'referenceKeys (metadata only: exists or not)' },
  { apiGroup: '', resource: 'persistentvolumeclaims', verb: 'get', usedBy: 'claimPhase' },
  { apiGroup: 'batch', resource: 'jobs', verb: 'list', usedBy: 'listJobs' },
  { apiGroup: 'batch', resource: 'jobs', verb: 'get', usedBy: 'getJob' },
  { apiGroup: 'batch', resource: 'jobs', verb: 'create', usedBy: 'createJob (restore tests)' },
  { apiGroup: 'batch', resource: 'jobs', verb: 'delete', usedBy: 'deleteJob (restore tests)' },
  ...DUMP_RESOURCES.map((r) => ({
    apiGroup: r.apiGroup,
    resource: r.resource,
    verb: 'list' as const,
    usedBy: 'listPage',
  })),
];
