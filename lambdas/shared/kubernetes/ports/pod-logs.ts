import type { KubeClient } from './kube-client';

/** Container logs (`kubectl logs`). */

export interface LogOptions {
  /** The previous (terminated) instance of the container. */
  previous?: boolean;
  tailLines?: number;
  limitBytes?: number;
}

export interface PodLogs {
  readLog(namespace: string, pod: string, container: string, options?: LogOptions): Promise<string>;
}

export class ClientNodePodLogs implements PodLogs {
  constructor(private readonly client: KubeClient) {}

  readLog(namespace: string, pod: string, container: string, options: LogOptions = {}): Promise<string> {
    return this.client.call(
      `get pods/log ${namespace}/${pod} -c ${container}${options.previous ? ' --previous' : ''}`,
      () =>
        this.client.api.core.readNamespacedPodLog({
          namespace,
          name: pod,
          container,
          previous: options.previous,
          tailLines: options.tailLines,
          limitBytes: options.limitBytes,
        }),
    );
  }
}
