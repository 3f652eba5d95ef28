import type { KubeConfig } from '@kubernetes/client-node';
import { ClientNodeDependencyReader, type DependencyReader } from './ports/dependencies';
import { ClientNodeDumpLister, type DumpLister } from './ports/dump-lister';
import { ClientNodeEventReader, type EventReader } from './ports/events';
import { ClientNodeJobs, type Jobs } from './ports/jobs';
import { KubeClient, type KubeClientOptions } from './ports/kube-client';
import { ClientNodeLeaseLock, type LeaseLock } from './ports/lease-lock';
import { ClientNodePodLogs, type PodLogs } from './ports/pod-logs';
import { ClientNodeRollouts, type Rollouts } from './ports/rollouts';
import { ClientNodeWorkloadReader, type WorkloadReader } from './ports/workload-reader';

/**
 * The Kubernetes adapters of the workflow's Lambdas, one narrow port each (lambdas/shared/
 * kubernetes/ports/), bundled so that a handler builds them once from its KubeConfig. A step
 * never takes the bundle whole: its dependencies name the ports (and their operations) it uses
 * (`StepKubernetes<step>`, step-access.ts), and its Kubernetes group is granted exactly those.
 * Reads and writes go through client-node with a per-request timeout; failures surface as the
 * named errors of lambdas/shared/errors.ts. Rollout operations behave as kubectl 1.32's do.
 */
export interface KubernetesPort {
  /** The target workload, its pods, their nodes and its revisions. */
  readonly workloads: WorkloadReader;
  /** Container logs. */
  readonly logs: PodLogs;
  /** Events about a target and the objects around it. */
  readonly events: EventReader;
  /** `kubectl rollout restart`, `undo` and `status`. */
  readonly rollouts: Rollouts;
  /** The per-workload lock, its remediation record, the storm brake's ledger (Leases). */
  readonly lock: LeaseLock;
  /** CronJobs and Jobs (backup verification, batch targets). */
  readonly jobs: Jobs;
  /** What the target's pods depend on: Services and endpoints, ConfigMap keys, claims. */
  readonly dependencies: DependencyReader;
  /** The cluster dump's lists. */
  readonly dump: DumpLister;
}

export type ClientNodeKubernetesOptions = KubeClientOptions;

/** Every port through client-node, sharing one set of API clients. */
export class ClientNodeKubernetes implements KubernetesPort {
  readonly workloads: WorkloadReader;
  readonly logs: PodLogs;
  readonly events: EventReader;
  readonly rollouts: Rollouts;
  readonly lock: LeaseLock;
  readonly jobs: Jobs;
  readonly dependencies: DependencyReader;
  readonly dump: DumpLister;

  constructor(kubeConfig: KubeConfig, options: ClientNodeKubernetesOptions) {
    const client = new KubeClient(kubeConfig, options);
    this.workloads = new ClientNodeWorkloadReader(client);
    this.logs = new ClientNodePodLogs(client);
    this.jobs = new ClientNodeJobs(client, this.logs);
    this.events = new ClientNodeEventReader(client, this.jobs);
    this.rollouts = new ClientNodeRollouts(client);
    this.lock = new ClientNodeLeaseLock(client);
    this.dependencies = new ClientNodeDependencyReader(client);
    this.dump = new ClientNodeDumpLister(client);
  }
}
