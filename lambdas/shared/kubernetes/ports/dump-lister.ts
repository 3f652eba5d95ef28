import { setHeaderOptions, type KubernetesObject, type ResponseBody } from '@kubernetes/client-node';
import type { DumpResource } from '../api-usage';
import { parseSecretKeys, servedJson, type JsonObject } from '../served-json';
import { isNotFound, type KubeClient } from './kube-client';

/**
 * What the cluster dump reads: every resource of DUMP_RESOURCES page by page, Secrets by name
 * and key names, and the nodes of the affected pods, all as the server sent them.
 */

export interface Page {
  /**
   * The objects as the server sent them: plain JSON, every timestamp the served string (typed
   * by the identity fields the dump reads), each with its `apiVersion` and `kind`.
   */
  items: KubernetesObject[];
  /** Token for the next page; absent on the last one. */
  continue?: string;
  remainingItemCount?: number;
}

export interface DumpLister {
  /** The named nodes that exist, as the server sent them (plain JSON, for evidence). */
  getServedNodes(names: string[]): Promise<JsonObject[]>;
  /** One page of a resource for the cluster dump (all namespaces when `namespace` is unset). */
  listPage(
    resource: DumpResource,
    namespace: string | undefined,
    page: { limit: number; continue?: string },
  ): Promise<Page>;
  /**
   * One page of Secrets for the cluster dump: identity, `type` and `dataKeys` (the key names, as
   * `kubectl describe secret` lists them). Values are dropped while the answer is parsed.
   */
  listSecretKeysPage(namespace: string, page: { limit: number; continue?: string }): Promise<Page>;
}

/**
 * What client-go's metadata client asks for: the server answers with PartialObjectMetadata
 * (no data at all), and one that cannot falls back to the full objects.
 */
const METADATA_ONLY_ACCEPT =
  'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';

/** Only what identifies an object (as served): a dump never carries ConfigMap or Secret contents. */
function identityOnly(apiVersion: string, kind: string, item: JsonObject): KubernetesObject {
  const m = (item.metadata ?? {}) as JsonObject;
  const pick = [
    'name',
    'namespace',
    'uid',
    'resourceVersion',
    'creationTimestamp',
    'labels',
    'ownerReferences',
  ];
  const metadata = Object.fromEntries(pick.filter((key) => m[key] !== undefined).map((key) => [key, m[key]]));
  return { apiVersion, kind, metadata } as KubernetesObject;
}

type ListResult = { body: ResponseBody };

/** A served list as a Page, each item made by `item`. */
function servedPage(list: JsonObject, item: (served: JsonObject) => KubernetesObject): Page {
  const meta = (list.metadata ?? {}) as { continue?: string; remainingItemCount?: number };
  return {
    items: ((list.items ?? []) as JsonObject[]).map(item),
    continue: meta.continue || undefined,
    remainingItemCount: meta.remainingItemCount,
  };
}

export class ClientNodeDumpLister implements DumpLister {
  constructor(private readonly client: KubeClient) {}

  async getServedNodes(names: string[]): Promise<JsonObject[]> {
    const nodes: JsonObject[] = [];
    for (const name of new Set(names)) {
      try {
        nodes.push(
          await this.client.call(`get nodes ${name}`, async () =>
            servedJson(await this.client.api.core.readNodeWithHttpInfo({ name })),
          ),
        );
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
    return nodes;
  }

  async listPage(
    resource: DumpResource,
    namespace: string | undefined,
    page: { limit: number; continue?: string },
  ): Promise<Page> {
    const params = { limit: page.limit, _continue: page.continue };
    const { core, apps, batch } = this.client.servedApi;
    const metadataOnly = setHeaderOptions('Accept', METADATA_ONLY_ACCEPT);
    const ns = namespace;
    const lists: Record<DumpResource, { apiVersion: string; kind: string; list: () => Promise<ListResult> }> =
      {
        namespaces: {
          apiVersion: 'v1',
          kind: 'Namespace',
          list: () => core.listNamespaceWithHttpInfo(params),
        },
        nodes: { apiVersion: 'v1', kind: 'Node', list: () => core.listNodeWithHttpInfo(params) },
        pods: {
          apiVersion: 'v1',
          kind: 'Pod',
          list: () =>
            ns
              ? core.listNamespacedPodWithHttpInfo({ namespace: ns, ...params })
              : core.listPodForAllNamespacesWithHttpInfo(params),
        },
        events: {
          apiVersion: 'v1',
          kind: 'Event',
          list: () =>
            ns
              ? core.listNamespacedEventWithHttpInfo({ namespace: ns, ...params })
              : core.listEventForAllNamespacesWithHttpInfo(params),
        },
        services: {
          apiVersion: 'v1',
          kind: 'Service',
          list: () =>
            ns
              ? core.listNamespacedServiceWithHttpInfo({ namespace: ns, ...params })
              : core.listServiceForAllNamespacesWithHttpInfo(params),
        },
        configmaps: {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          list: () =>
            ns
              ? core.listNamespacedConfigMapWithHttpInfo({ namespace: ns, ...params }, metadataOnly)
              : core.listConfigMapForAllNamespacesWithHttpInfo(params, metadataOnly),
        },
        secrets: {
          apiVersion: 'v1',
          kind: 'Secret',
          list: () =>
            ns
              ? core.listNamespacedSecretWithHttpInfo({ namespace: ns, ...params }, metadataOnly)
              : core.listSecretForAllNamespacesWithHttpInfo(params, metadataOnly),
        },
        deployments: {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          list: () =>
            ns
              ? apps.listNamespacedDeploymentWithHttpInfo({ namespace: ns, ...params })
              : apps.listDeploymentForAllNamespacesWithHttpInfo(params),
        },
        replicasets: {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          list: () =>
            ns
              ? apps.listNamespacedReplicaSetWithHttpInfo({ namespace: ns, ...params })
              : apps.listReplicaSetForAllNamespacesWithHttpInfo(params),
        },
        statefulsets: {
          apiVersion: 'apps/v1',
          kind: 'StatefulSet',
          list: () =>
            ns
              ? apps.listNamespacedStatefulSetWithHttpInfo({ namespace: ns, ...params })
              : apps.listStatefulSetForAllNamespacesWithHttpInfo(params),
        },
        daemonsets: {
          apiVersion: 'apps/v1',
          kind: 'DaemonSet',
          list: () =>
            ns
              ? apps.listNamespacedDaemonSetWithHttpInfo({ namespace: ns, ...params })
              : apps.listDaemonSetForAllNamespacesWithHttpInfo(params),
        },
        jobs: {
          apiVersion: 'batch/v1',
          kind: 'Job',
          list: () =>
            ns
              ? batch.listNamespacedJobWithHttpInfo({ namespace: ns, ...params })
              : batch.listJobForAllNamespacesWithHttpInfo(params),
        },
        cronjobs: {
          apiVersion: 'batch/v1',
          kind: 'CronJob',
          list: () =>
            ns
              ? batch.listNamespacedCronJobWithHttpInfo({ namespace: ns, ...params })
              : batch.listCronJobForAllNamespacesWithHttpInfo(params),
        },
      };
    const { apiVersion, kind, list } = lists[resource];
    const result = await this.client.call(`list ${resource}${ns ? ` ${ns}` : ''}`, async () =>
      servedJson(await list()),
    );
    const secretive = resource === 'configmaps' || resource === 'secrets';
    return servedPage(result, (item) =>
      secretive ? identityOnly(apiVersion, kind, item) : { apiVersion, kind, ...item },
    );
  }

  async listSecretKeysPage(namespace: string, page: { limit: number; continue?: string }): Promise<Page> {
    const result = await this.client.call(`list secrets ${namespace}`, async () => {
      const answer = await this.client.servedApi.core.listNamespacedSecretWithHttpInfo({
        namespace,
        limit: page.limit,
        _continue: page.continue,
      });
      return parseSecretKeys(await answer.body.text());
    });
    return servedPage(result, (item) => ({
      ...identityOnly('v1', 'Secret', item),
      ...(typeof item.type === 'string' ? { type: item.type } : {}),
      dataKeys: Array.isArray(item.data) ? item.data : [],
    }));
  }
}
