import {
  KUBERNETES_API_USAGE,
  OWNER_LOOKUP_API_USAGE,
  type KubernetesApiUse,
  type KubernetesOperation,
} from './api-usage';
import type { KubernetesPort } from './kubernetes-port';

/**
 * Which Kubernetes operations each function uses: each gets its own Kubernetes group, and the
 * RBAC of that group (lambdas/shared/rbac.ts) grants exactly the requests those operations make.
 * The internet-facing intake may only read owners; only restart and rollback may patch
 * workloads; only the restore test may create and delete Jobs; only the cluster dump (names, types
 * and key names) may list Secrets. Each step's dependencies take `StepKubernetes<step>`, so the
 * type checker refuses a call to an operation its group is not granted. Free of runtime imports,
 * so the CDK app reads it without the client.
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
    'configMapKeys',
    'claimPhase',
    'getCronJob',
    'listJobs',
    'getJob',
  ],
  'collect-events': ['eventSubjects', 'listServedEvents'],
  // The storm brake's ledger is a Lease in one of the allowed namespaces (updateLeaseAnnotation).
  guard: ['getWorkload', 'getLease', 'acquireLease', 'releaseLease', 'updateLeaseAnnotation'],
  restart: ['getLease', 'recordRemediation', 'rolloutRestart'],
  // acquireLease: each verify pass renews the lock for the rest of the remediation.
  verify: [
    'getWorkload',
    'listPods',
    'revisions',
    'rolloutStatus',
    'listServices',
    'serviceEndpoints',
    'listJobs',
    'getJob',
    'acquireLease',
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

/** The part of the Kubernetes port a step may use: the operations its group is granted. */
export type StepKubernetes<S extends Exclude<KubernetesStep, 'intake'>> = Pick<
  KubernetesPort,
  Extract<(typeof STEP_OPERATIONS)[S][number], keyof KubernetesPort>
>;

/** The requests a step's operations make. */
export function stepApiUsage(step: KubernetesStep): KubernetesApiUse[] {
  const operations = new Set<KubernetesOperation>(STEP_OPERATIONS[step]);
  return ALL_API_USAGE.filter((use) => use.operations.some((operation) => operations.has(operation)));
}

/** The Kubernetes group of one step: `<prefix>:<step>` (the prefix is the stack's `rbacGroup`). */
export function stepGroup(prefix: string, step: KubernetesStep): string {
  return `${prefix}:${step}`;
}
