import type { V1Service } from '@kubernetes/client-node';
import { isNotFound, isPodReady, isTerminating, isUnserved, type KubeClient } from './kube-client';

/** What the target's pods depend on: Services and their endpoints, ConfigMaps, claims. */

/** Endpoint addresses of a Service, and where they were read from. */
export interface ServiceEndpoints {
  ready: number;
  notReady: number;
  /** EndpointSlices when the API serves them; else the pods the Service's selector picks. */
  source: 'EndpointSlice' | 'pods';
}

export interface ReferenceKeys {
  exists: boolean;
  keys?: string[];
}

export interface DependencyReader {
  /** The Services of a namespace, or of all namespaces (dependency resolution, the target's own Services). */
  listServices(namespace?: string): Promise<V1Service[]>;
  /** Ready and not-ready endpoints of a Service (`kubectl get endpoints`). */
  serviceEndpoints(service: V1Service): Promise<ServiceEndpoints>;
  /**
   * Whether a ConfigMap exists, and its key names (never values). Secrets have no such read: RBAC
   * cannot grant "names only", so diagnosis takes a Secret's state from the kubelet's reports.
   */
  configMapKeys(namespace: string, name: string): Promise<ReferenceKeys>;
  /** A PersistentVolumeClaim's phase; `missing` when there is none, `unknown` when the API serves no claims. */
  claimPhase(namespace: string, name: string): Promise<string>;
}

export class ClientNodeDependencyReader implements DependencyReader {
  constructor(private readonly client: KubeClient) {}

  listServices(namespace?: string): Promise<V1Service[]> {
    if (namespace === undefined)
      return this.client.listAll('list services --all-namespaces', (params) =>
        this.client.api.core.listServiceForAllNamespaces(params),
      );
    return this.client.listAll(`list services ${namespace}`, (params) =>
      this.client.api.core.listNamespacedService({ namespace, ...params }),
    );
  }

  async serviceEndpoints(service: V1Service): Promise<ServiceEndpoints> {
    const namespace = service.metadata?.namespace ?? '';
    const name = service.metadata?.name ?? '';
    try {
      const slices = await this.client.listAll(
        `list endpointslices.discovery.k8s.io ${namespace}`,
        (params) =>
          this.client.api.discovery.listNamespacedEndpointSlice({
            namespace,
            labelSelector: `kubernetes.io/service-name=${name}`,
            ...params,
          }),
      );
      const endpoints = slices.flatMap((s) => s.endpoints ?? []);
      // EndpointSlice readiness: a nil `ready` means ready (discovery/v1 API documentation).
      const ready = endpoints.filter((e) => e.conditions?.ready !== false).length;
      return { ready, notReady: endpoints.length - ready, source: 'EndpointSlice' };
    } catch (error) {
      if (!isUnserved(error)) throw error;
    }
    // Without EndpointSlices: what the endpoints controller would publish, from the selected pods.
    const selector = service.spec?.selector;
    if (!selector || Object.keys(selector).length === 0) return { ready: 0, notReady: 0, source: 'pods' };
    const pods = (await this.client.listPods(namespace, { matchLabels: selector })).filter(
      (p) => !isTerminating(p) && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed',
    );
    const ready = pods.filter(isPodReady).length;
    return { ready, notReady: pods.length - ready, source: 'pods' };
  }

  async configMapKeys(namespace: string, name: string): Promise<ReferenceKeys> {
    try {
      const cm = await this.client.call(`get configmaps ${namespace}/${name}`, () =>
        this.client.api.core.readNamespacedConfigMap({ namespace, name }),
      );
      return { exists: true, keys: [...Object.keys(cm.data ?? {}), ...Object.keys(cm.binaryData ?? {})] };
    } catch (error) {
      if (isNotFound(error) && !isUnserved(error)) return { exists: false };
      throw error;
    }
  }

  async claimPhase(namespace: string, name: string): Promise<string> {
    try {
      const claim = await this.client.call(`get persistentvolumeclaims ${namespace}/${name}`, () =>
        this.client.api.core.readNamespacedPersistentVolumeClaim({ namespace, name }),
      );
      return claim.status?.phase ?? 'Pending';
    } catch (error) {
      if (isUnserved(error)) return 'unknown';
      if (isNotFound(error)) return 'missing';
      throw error;
    }
  }
}
