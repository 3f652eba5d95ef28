import {
  ApiException,
  HttpMethod,
  RequestContext,
  type KubeConfig,
  type ResponseBody,
  V1ControllerRevision,
  V1DaemonSet,
  V1Deployment,
  V1LabelSelector,
  V1ListMeta,
  V1ObjectMeta,
  V1Pod,
  V1ReplicaSet,
  V1StatefulSet,
} from '@kubernetes/client-node';
import { request as undiciRequest, type Dispatcher } from 'undici';
import { KubernetesRequestError } from '../../errors';
import { USER_AGENT, kubernetesApis, reuseConnectionsMiddleware, type KubernetesApis } from '../client';
import { request } from '../errors';
import { isControlledBy, labelSelectorString } from '../kubectl';
import { servedJson, type JsonObject } from '../served-json';

/**
 * What every client-node port shares: the API clients, the per-request timeout that turns a hung
 * request into KubernetesTimeoutError, the field manager of our writes, and the list reads more
 * than one port makes (a workload's pods, ReplicaSets and ControllerRevisions).
 */

export interface KubeClientOptions {
  /** Client-side timeout of one request (KUBE_REQUEST_TIMEOUT_MS). */
  requestTimeoutMs: number;
  /** The field manager recorded for our writes. @default 'eks-incident-response' */
  fieldManager?: string;
}

export interface ListParams {
  limit: number;
  _continue?: string;
}

const LIST_CHUNK = 500;

const TEXT_DECODER = new TextDecoder();

export function isNotFound(error: unknown): boolean {
  return error instanceof KubernetesRequestError && error.status === 404;
}

/** A 404 for the resource type itself (not served by this API server), not for an object. */
export function isUnserved(error: unknown): boolean {
  return (
    error instanceof KubernetesRequestError &&
    error.status === 404 &&
    /could not find the requested resource|page not found/i.test(error.message)
  );
}

export function isConflict(error: unknown): boolean {
  return error instanceof KubernetesRequestError && error.status === 409;
}

export function isTerminating(pod: V1Pod): boolean {
  return !!pod.metadata?.deletionTimestamp;
}

export function isPodReady(pod: V1Pod): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export class KubeClient {
  readonly api: KubernetesApis;
  readonly fieldManager: string;
  private readonly timeoutMs: number;
  private readonly kubeConfig: KubeConfig;
  private servedOnlyApi?: KubernetesApis;
  /** Text reads share one connection pool, as the API clients' requests do. */
  private readonly textConnections = reuseConnectionsMiddleware();

  constructor(kubeConfig: KubeConfig, options: KubeClientOptions) {
    this.api = kubernetesApis(kubeConfig, options.requestTimeoutMs);
    this.kubeConfig = kubeConfig;
    this.timeoutMs = options.requestTimeoutMs;
    this.fieldManager = options.fieldManager ?? 'eks-incident-response';
  }

  /**
   * Clients for answers read only as served JSON (the dump's pages): no client-node models are
   * built of them (servedTextMiddleware). Made on first use: most steps never need them.
   */
  get servedApi(): KubernetesApis {
    return (this.servedOnlyApi ??= kubernetesApis(this.kubeConfig, this.timeoutMs, { servedOnly: true }));
  }

  /**
   * A GET whose answer is text, such as a container log. It goes through undici's request()
   * rather than client-node's fetch: the cluster dump reads a log per pod, and the WHATWG
   * Request, Response, Headers and body streams fetch builds for each cost about three times
   * the CPU and allocation of the read itself. What makes the request is client-node's own:
   * the URL, the query, and KubeConfig's authentication and TLS settings (a bearer token, the
   * EKS token, client certificates, the cluster CA); refusals are the ApiException client-node
   * would throw, so they become the same named errors.
   */
  getText(
    what: string,
    path: string,
    query: Record<string, string | number | boolean | undefined>,
  ): Promise<string> {
    return this.call(what, async () => {
      const server = this.kubeConfig.getCurrentCluster()!.server;
      const context = new RequestContext(`${server}${path}`, HttpMethod.GET);
      for (const [name, value] of Object.entries(query)) {
        if (value !== undefined) context.setQueryParam(name, String(value));
      }
      context.setHeaderParam('User-Agent', USER_AGENT);
      await this.kubeConfig.applySecurityAuthentication(context);
      await this.textConnections.pre(context);
      const response = await undiciRequest(context.getUrl(), {
        method: 'GET',
        headers: context.getHeaders(),
        dispatcher: context.getDispatcher() as Dispatcher | undefined,
        // Covers the body too: a server that stalls mid-answer is cut off, as timeoutMiddleware does.
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      // Decoded as fetch's text() decodes: UTF-8, a leading byte-order mark dropped.
      const text = TEXT_DECODER.decode(await response.body.arrayBuffer());
      const status = response.statusCode;
      if (status >= 200 && status < 300) return text;
      const headers = Object.fromEntries(
        Object.entries(response.headers).map(([name, value]) => [name, String(value)]),
      );
      // As client-node's generated reads throw: 401 without a body, any other refusal with it.
      throw status === 401
        ? new ApiException(status, 'Unauthorized', undefined, headers)
        : new ApiException(status, 'Unknown API Status Code!', text, headers);
    });
  }

  call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return request(what, this.timeoutMs, fn);
  }

  /** Every item of a list, following `continue` as kubectl's FollowContinue does. */
  async listAll<T>(
    what: string,
    fetchPage: (params: ListParams) => Promise<{ items: T[]; metadata?: V1ListMeta }>,
  ): Promise<T[]> {
    const items: T[] = [];
    let token: string | undefined;
    do {
      const page = await this.call(what, () => fetchPage({ limit: LIST_CHUNK, _continue: token }));
      items.push(...page.items);
      token = page.metadata?._continue || undefined;
    } while (token);
    return items;
  }

  /** Every item of a list as served, following `continue`. */
  async listAllServed(
    what: string,
    fetchPage: (params: ListParams) => Promise<{ body: ResponseBody }>,
  ): Promise<JsonObject[]> {
    const items: JsonObject[] = [];
    let token: string | undefined;
    do {
      const page = await this.call(what, async () =>
        servedJson(await fetchPage({ limit: LIST_CHUNK, _continue: token })),
      );
      items.push(...((page.items ?? []) as JsonObject[]));
      token = ((page.metadata as JsonObject | null)?.continue as string | undefined) || undefined;
    } while (token);
    return items;
  }

  /** Pods matching a label selector. */
  listPods(namespace: string, selector: V1LabelSelector): Promise<V1Pod[]> {
    const labelSelector = labelSelectorString(selector);
    return this.listAll(`list pods ${namespace} -l ${labelSelector}`, (params) =>
      this.api.core.listNamespacedPod({ namespace, labelSelector, ...params }),
    );
  }

  /** The pods `owner` controls, among those its selector picks. */
  controlledPods(
    owner: { metadata?: V1ObjectMeta },
    selector: V1LabelSelector | undefined,
  ): Promise<V1Pod[]> {
    return this.listPods(owner.metadata!.namespace!, selector ?? {}).then((pods) =>
      pods.filter((p) => isControlledBy(p, owner)),
    );
  }

  ownedReplicaSets(deployment: V1Deployment): Promise<V1ReplicaSet[]> {
    const namespace = deployment.metadata!.namespace!;
    const labelSelector = labelSelectorString(deployment.spec?.selector);
    return this.listAll(`list replicasets.apps ${namespace} -l ${labelSelector}`, (params) =>
      this.api.apps.listNamespacedReplicaSet({ namespace, labelSelector, ...params }),
    ).then((all) => all.filter((rs) => isControlledBy(rs, deployment)));
  }

  /** controlledHistoryV1: the ControllerRevisions a StatefulSet/DaemonSet controls. */
  ownedHistory(workload: V1StatefulSet | V1DaemonSet): Promise<V1ControllerRevision[]> {
    const namespace = workload.metadata!.namespace!;
    const labelSelector = labelSelectorString(workload.spec?.selector);
    return this.listAll(`list controllerrevisions.apps ${namespace} -l ${labelSelector}`, (params) =>
      this.api.apps.listNamespacedControllerRevision({ namespace, labelSelector, ...params }),
    ).then((all) => all.filter((cr) => isControlledBy(cr, workload)));
  }
}
