import type {
  V1DaemonSet,
  V1Deployment,
  V1LabelSelector,
  V1Node,
  V1Pod,
  V1PodTemplateSpec,
  V1StatefulSet,
} from '@kubernetes/client-node';
import { mapLimited } from '../../concurrency';
import type { Target } from '../../contracts';
import { isNotFound, type KubeClient } from './kube-client';
import { isBatchKind, readWorkload } from './workload-kinds';

/** Reads of the target workload, its pods, their nodes and its revisions. */

/** The nodes of a workload's pods are read a few at a time: usually one to three. */
const NODE_READS_AT_ONCE = 4;

export type Workload =
  | { kind: 'Deployment'; object: V1Deployment }
  | { kind: 'StatefulSet'; object: V1StatefulSet }
  | { kind: 'DaemonSet'; object: V1DaemonSet };

export interface WorkloadRevision {
  revision: number;
  /** The ReplicaSet or ControllerRevision that holds it. */
  name: string;
  /** The pod template of that revision (a ReplicaSet's without pod-template-hash). */
  template: V1PodTemplateSpec;
  createdAt?: string;
  changeCause?: string;
  /** The workload's template is this revision's. */
  current: boolean;
  /** Deployment revisions: the ReplicaSet's ready and desired replicas now. */
  readyReplicas?: number;
  replicas?: number;
}

export interface WorkloadReader {
  /** The target workload; WorkloadNotFoundError names what was looked for when it does not exist. */
  getWorkload(target: Target): Promise<Workload>;
  /** Pods matching a workload's selector. */
  listPods(namespace: string, selector: V1LabelSelector): Promise<V1Pod[]>;
  /** The named nodes that exist. */
  getNodes(names: string[]): Promise<V1Node[]>;
  /** The workload's revisions, oldest first (`kubectl rollout history`); none for a Job or CronJob. */
  revisions(target: Target): Promise<WorkloadRevision[]>;
}

export class ClientNodeWorkloadReader implements WorkloadReader {
  constructor(private readonly client: KubeClient) {}

  async getWorkload(target: Target): Promise<Workload> {
    return (await readWorkload(this.client, target)).workload;
  }

  listPods(namespace: string, selector: V1LabelSelector): Promise<V1Pod[]> {
    return this.client.listPods(namespace, selector);
  }

  async getNodes(names: string[]): Promise<V1Node[]> {
    const nodes = await mapLimited([...new Set(names)], NODE_READS_AT_ONCE, async (name) => {
      try {
        return [await this.client.call(`get nodes ${name}`, () => this.client.api.core.readNode({ name }))];
      } catch (error) {
        if (!isNotFound(error)) throw error;
        return [];
      }
    });
    return nodes.flat();
  }

  async revisions(target: Target): Promise<WorkloadRevision[]> {
    // A Job's template is immutable: it has no history of revisions.
    if (isBatchKind(target.kind)) return [];
    const { strategy, workload } = await readWorkload(this.client, target);
    return strategy.history(this.client, workload.object);
  }
}
