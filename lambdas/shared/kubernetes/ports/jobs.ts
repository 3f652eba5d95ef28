import type { V1CronJob, V1Job } from '@kubernetes/client-node';
import { KubernetesRequestError } from '../../errors';
import { isControlledBy } from '../kubectl';
import { isNotFound, type KubeClient } from './kube-client';
import type { LogOptions, PodLogs } from './pod-logs';

/** CronJobs and Jobs: the backups backup verification checks, and the Jobs its restore tests run. */

/** The log of one container of a Job's pod. */
export interface JobLog {
  pod: string;
  container: string;
  text: string;
}

export interface Jobs {
  /** The CronJob, or undefined when there is none. */
  getCronJob(namespace: string, name: string): Promise<V1CronJob | undefined>;
  /** The Jobs of a namespace, all pages, optionally only those matching a label selector. */
  listJobs(namespace: string, labelSelector?: string): Promise<V1Job[]>;
  /** `kubectl create -f job.yaml`: the Job as the API server stored it. */
  createJob(namespace: string, job: V1Job): Promise<V1Job>;
  /** The Job, or undefined when there is none. */
  getJob(namespace: string, name: string): Promise<V1Job | undefined>;
  /**
   * `kubectl delete job NAME`: background cascading deletion, so the garbage collector removes
   * the Job's pods too. False when the Job was already gone.
   */
  deleteJob(namespace: string, name: string): Promise<boolean>;
  /**
   * The logs of every container of the Job's pods, oldest pod first (`kubectl logs` of each pod
   * the Job made, `--all-containers`). A container that never started has a one-line note instead.
   */
  readJobLogs(job: V1Job, options?: LogOptions): Promise<JobLog[]>;
}

export class ClientNodeJobs implements Jobs {
  constructor(
    private readonly client: KubeClient,
    private readonly logs: PodLogs,
  ) {}

  async getCronJob(namespace: string, name: string): Promise<V1CronJob | undefined> {
    try {
      return await this.client.call(`get cronjobs.batch ${namespace}/${name}`, () =>
        this.client.api.batch.readNamespacedCronJob({ namespace, name }),
      );
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  listJobs(namespace: string, labelSelector?: string): Promise<V1Job[]> {
    return this.client.listAll(
      `list jobs.batch ${namespace}${labelSelector ? ` -l ${labelSelector}` : ''}`,
      (params) => this.client.api.batch.listNamespacedJob({ namespace, labelSelector, ...params }),
    );
  }

  createJob(namespace: string, job: V1Job): Promise<V1Job> {
    return this.client.call(
      `create jobs.batch ${namespace}/${job.metadata?.name ?? job.metadata?.generateName}`,
      () =>
        this.client.api.batch.createNamespacedJob({
          namespace,
          body: job,
          fieldManager: this.client.fieldManager,
        }),
    );
  }

  async getJob(namespace: string, name: string): Promise<V1Job | undefined> {
    try {
      return await this.client.call(`get jobs.batch ${namespace}/${name}`, () =>
        this.client.api.batch.readNamespacedJob({ namespace, name }),
      );
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async deleteJob(namespace: string, name: string): Promise<boolean> {
    try {
      // batch/v1 Jobs default to orphaning their pods; kubectl asks for background cascading.
      await this.client.call(`delete jobs.batch ${namespace}/${name}`, () =>
        this.client.api.batch.deleteNamespacedJob({ namespace, name, propagationPolicy: 'Background' }),
      );
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  async readJobLogs(job: V1Job, options: LogOptions = {}): Promise<JobLog[]> {
    const namespace = job.metadata!.namespace!;
    const pods = (await this.client.listPods(namespace, job.spec?.selector ?? {}))
      .filter((p) => isControlledBy(p, job))
      .sort(
        (a, b) =>
          new Date(a.metadata?.creationTimestamp ?? 0).getTime() -
            new Date(b.metadata?.creationTimestamp ?? 0).getTime() ||
          (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''),
      );
    const logs: JobLog[] = [];
    for (const pod of pods) {
      const podName = pod.metadata?.name ?? '';
      for (const container of pod.spec?.containers ?? []) {
        let text: string;
        try {
          text = await this.logs.readLog(namespace, podName, container.name, options);
        } catch (error) {
          // kubectl answers the same 400 ("container ... is waiting to start") for a pod that never ran.
          if (!(error instanceof KubernetesRequestError && error.status === 400)) throw error;
          text = `(no log: ${error.message})\n`;
        }
        logs.push({ pod: podName, container: container.name, text });
      }
    }
    return logs;
  }
}
