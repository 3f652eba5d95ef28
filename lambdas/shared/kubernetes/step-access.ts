import {
  KUBERNETES_API_USAGE,
  OWNER_LOOKUP_API_USAGE,
  type KubernetesApiUse,
  type KubernetesOperation,
} from './api-usage';

/**
 * Which Kubernetes operations each function uses: each gets its own Kubernetes group, and the
 * RBAC of that group (lambdas/shared/rbac.ts) grants exactly the requests those operations make.
 * The internet-facing intake may only read owners; only the remediating steps may write; only
 * Quick Diagnostics (does a referenced Secret exist?) and the cluster dump (names, types and key
 * names) may list Secrets. Free of runtime imports, so the CDK app reads it without the client.
 */
export const STEP_OPERATIONS = {
  intake: ['controllerOf'],
  diagnose: [
    'getWorkload',
    'listPods',
    'getNodes',
    'readLog',
    'eventSubjects',
    'listEvents',
    'revisions',
    'listServices',
    'serviceEndpoints',
    'referenceKeys',
    'claimPhase',
    'getCronJob',
    'listJobs',
    'getJob',
  ],
  'collect-events': ['eventSubjects', 'listServedEvents'],
  guard: ['getWorkload', 'getLease', 'acquireLease', 'releaseLease'],
  restart: ['getLease', 'acquireLease', 'recordRemediation', 'rolloutRestart'],
  verify: [
    'getWorkload',
    'listPods',
    'revisions',
    'rolloutStatus',
    'listServices',
    'serviceEndpoints',
    'listJobs',
    'getJob',
  ],
  rollback: ['getLease', 'acquireLease', 'recordRemediation', 'revisions', 'rolloutUndo'],
  'cluster-dump': ['listPage', 'listSecretKeysPage', 'getServedNodes', 'readLog'],
  'backup-check-cronjobs': ['getCronJob', 'listJobs', 'readJobLogs'],
  'backup-restore-test': ['createJob', 'getJob', 'deleteJob', 'readJobLogs'],
} as const satisfies Record<string, readonly KubernetesOperation[]>;

/** A function that talks to Kubernetes. */
export type KubernetesStep = keyof typeof STEP_OPERATIONS;

export const KUBERNETES_STEPS = Object.keys(STEP_OPERATIONS) as KubernetesStep[];

/** Every request any function can make. */
export const ALL_API_USAGE: readonly KubernetesApiUse[] = [
  ...KUBERNETES_API_USAGE,
  ...OWNER_LOOKUP_API_USAGE,
];

/** The requests a step's operations make. */
export function stepApiUsage(step: KubernetesStep): KubernetesApiUse[] {
  const operations = new Set<KubernetesOperation>(STEP_OPERATIONS[step]);
  return ALL_API_USAGE.filter((use) => use.operations.some((operation) => operations.has(operation)));
}

/** The Kubernetes group of one step: `<prefix>:<step>` (the prefix is the stack's `rbacGroup`). */
export function stepGroup(prefix: string, step: KubernetesStep): string {
  return `${prefix}:${step}`;
}
