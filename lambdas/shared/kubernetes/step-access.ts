import type { OwnerLookup } from '../../intake/owner-lookup';
import {
  KUBERNETES_API_USAGE,
  OWNER_LOOKUP_API_USAGE,
  type KubernetesApiUse,
  type KubernetesOperation,
} from './api-usage';
import type { KubernetesPort } from './kubernetes-port';

/**
 * Which Kubernetes ports each function uses, and which of their operations: the one source of
 * truth for what a step may do in the cluster. Each step's dependencies take
 * `StepKubernetes<step>`, which has exactly these ports with exactly these operations, so the
 * type checker refuses any other; each operation's requests are in api-usage.ts; and the RBAC of
 * the step's own Kubernetes group (lambdas/shared/rbac.ts) grants exactly those requests.
 * The internet-facing intake may only read owners; only restart and rollback may patch
 * workloads; only the restore test may create and delete Jobs; only the cluster dump (names, types
 * and key names) may list Secrets. Free of runtime imports, so the CDK app reads it without the
 * client.
 */

/** The ports a step can declare: the bundle's, and the intake's owner lookup (its own adapter). */
interface DeclarablePorts extends KubernetesPort {
  readonly owners: OwnerLookup;
}

type PortName = keyof DeclarablePorts;

type OperationOf<P extends PortName> = Extract<keyof DeclarablePorts[P], string>;

/** A step's declaration: for each port it uses, the operations it calls. */
type StepPorts = { readonly [P in PortName]?: readonly OperationOf<P>[] };

export const STEP_PORTS = {
  intake: { owners: ['controllerOf'] },
  diagnose: {
    workloads: ['getWorkload', 'listPods', 'getNodes', 'revisions'],
    logs: ['readLog'],
    events: ['eventSubjects', 'listEvents'],
    dependencies: ['listServices', 'serviceEndpoints', 'configMapKeys', 'claimPhase'],
    jobs: ['getCronJob', 'listJobs', 'getJob'],
  },
  'collect-events': { events: ['eventSubjects', 'listServedEvents'] },
  // The storm brake's ledger is a Lease in one of the allowed namespaces (updateLeaseAnnotation).
  guard: {
    workloads: ['getWorkload'],
    lock: ['getLease', 'acquireLease', 'releaseLease', 'updateLeaseAnnotation'],
  },
  restart: { lock: ['getLease', 'recordRemediation'], rollouts: ['rolloutRestart'] },
  // acquireLease: each verify pass renews the lock for the rest of the remediation.
  verify: {
    workloads: ['getWorkload', 'listPods', 'revisions'],
    rollouts: ['rolloutStatus'],
    dependencies: ['listServices', 'serviceEndpoints'],
    jobs: ['listJobs', 'getJob'],
    lock: ['acquireLease'],
  },
  rollback: {
    lock: ['getLease', 'acquireLease', 'recordRemediation'],
    workloads: ['revisions'],
    rollouts: ['rolloutUndo'],
  },
  'cluster-dump': { dump: ['listPage', 'listSecretKeysPage', 'getServedNodes'], logs: ['readLog'] },
  'backup-check-cronjobs': { jobs: ['getCronJob', 'listJobs', 'readJobLogs'] },
  'backup-restore-test': { jobs: ['createJob', 'getJob', 'deleteJob', 'readJobLogs'] },
} as const satisfies Record<string, StepPorts>;

/** A function that talks to Kubernetes. */
export type KubernetesStep = keyof typeof STEP_PORTS;

export const KUBERNETES_STEPS = Object.keys(STEP_PORTS) as KubernetesStep[];

/** The operations a declaration names, whatever port they belong to (operation names are unique). */
function operationsOf(ports: StepPorts): readonly KubernetesOperation[] {
  return Object.values<readonly KubernetesOperation[]>(ports).flat();
}

/** The operations each step uses. */
export const STEP_OPERATIONS = Object.fromEntries(
  KUBERNETES_STEPS.map((step) => [step, operationsOf(STEP_PORTS[step])]),
) as Readonly<Record<KubernetesStep, readonly KubernetesOperation[]>>;

/** Every request any function can make. */
export const ALL_API_USAGE: readonly KubernetesApiUse[] = [
  ...KUBERNETES_API_USAGE,
  ...OWNER_LOOKUP_API_USAGE,
];

type Declared<S extends KubernetesStep> = (typeof STEP_PORTS)[S];
type Listed<T> = T extends readonly (infer O)[] ? O : never;

/**
 * What a step may use of the Kubernetes port: the ports it declares, each narrowed to the
 * operations it declares (`kube.jobs` does not exist for restart; `kube.rollouts.rolloutUndo` does
 * not exist for verify).
 */
export type StepKubernetes<S extends Exclude<KubernetesStep, 'intake'>> = {
  readonly [P in keyof Declared<S> & keyof KubernetesPort]: Pick<
    KubernetesPort[P],
    Extract<Listed<Declared<S>[P]>, keyof KubernetesPort[P]>
  >;
};

/** The requests a step's operations make. */
export function stepApiUsage(step: KubernetesStep): KubernetesApiUse[] {
  const operations = new Set<KubernetesOperation>(STEP_OPERATIONS[step]);
  return ALL_API_USAGE.filter((use) => use.operations.some((operation) => operations.has(operation)));
}

/** The Kubernetes group of one step: `<prefix>:<step>` (the prefix is the stack's `rbacGroup`). */
export function stepGroup(prefix: string, step: KubernetesStep): string {
  return `${prefix}:${step}`;
}

type AnyOperation = (...args: never[]) => unknown;

/**
 * The step's view of the port at run time as well: an object holding only the ports the step
 * declares, each with only the operations it declares, bound to the real port. The types already
 * refuse any other call; this keeps a cast, an `any` or a replaced module from reaching one (the
 * step's RBAC group would be refused it anyway, but only after the request left).
 */
export function stepKubernetes<S extends Exclude<KubernetesStep, 'intake'>>(
  step: S,
  kube: KubernetesPort,
): StepKubernetes<S> {
  const declared: StepPorts = STEP_PORTS[step];
  const view: Record<string, Readonly<Record<string, AnyOperation>>> = {};
  for (const [port, operations] of Object.entries(declared) as Array<[keyof KubernetesPort, string[]]>) {
    const target = kube[port] as unknown as Record<string, AnyOperation>;
    view[port] = Object.freeze(
      Object.fromEntries(operations.map((operation) => [operation, target[operation].bind(target)])),
    );
  }
  return Object.freeze(view) as unknown as StepKubernetes<S>;
}
