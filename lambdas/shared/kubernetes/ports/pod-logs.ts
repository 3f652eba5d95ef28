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
    // The request client-node's readNamespacedPodLog makes, read as the text it is (KubeClient.getText).
    return this.client.getText(
      `get pods/log ${namespace}/${pod} -c ${container}${options.previous ? ' --previous' : ''}`,
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/log`,
      {
        container,
        limitBytes: options.limitBytes,
        previous: options.previous,
        tailLines: options.tailLines,
      },
    );
  }
}
