import type { Pod, Service, ServicePort } from 'kubernetes-types/core/v1';
import {
  controllerRef,
  onStoreEvents,
  splitKey,
  types,
  type Controller,
  type ControllerContext,
} from '../runtime';
import type { KubeObject, Writable } from '../store';
import { isPodReady, isTerminal, type PodObject } from './workload-common';

type ServiceObject = KubeObject & Writable<Service>;

const MANAGED_BY = 'endpointslice.kubernetes.io/managed-by';
const SLICE_CONTROLLER = 'endpointslice-controller.k8s.io';
const SERVICE_NAME = 'kubernetes.io/service-name';
const TRIGGER_TIME = 'endpoints.kubernetes.io/last-change-trigger-time';

interface EndpointPort {
  name?: string;
  port: number;
  protocol: string;
}

/** One pod behind a Service: its address, readiness and the ports its containers resolve to. */
interface Backend {
  pod: PodObject;
  ip: string;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  ports: EndpointPort[];
}

/**
 * podutil.FindPort: a numeric targetPort is taken as is; a named one is looked up in the pod's
 * container ports (same name and protocol). Undefined when the pod has no such port.
 */
export function resolveTargetPort(pod: Pod, port: ServicePort): number | undefined {
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  for (const c of pod.spec?.containers ?? []) {
    const match = (c.ports ?? []).find(
      (p) => p.name === target && (p.protocol ?? 'TCP') === (port.protocol ?? 'TCP'),
    );
    if (match) return match.containerPort;
  }
  return undefined;
}

function selectorMatches(selector: Record<string, string>, pod: KubeObject): boolean {
  const labels = pod.metadata.labels ?? {};
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

function podRef(pod: PodObject): Record<string, string> {
  return {
    kind: 'Pod',
    namespace: pod.metadata.namespace!,
    name: pod.metadata.name!,
    uid: pod.metadata.uid!,
  };
}

/** Backends grouped by their resolved port set, as RepackSubsets and the slice controller group them. */
function groupByPorts(backends: Backend[]): Array<{ ports: EndpointPort[]; backends: Backend[] }> {
  const groups = new Map<string, { ports: EndpointPort[]; backends: Backend[] }>();
  for (const b of backends) {
    const key = JSON.stringify(b.ports);
    const group = groups.get(key) ?? { ports: b.ports, backends: [] };
    group.backends.push(b);
    groups.set(key, group);
  }
  return [...groups.values()];
}

const byIp = (a: { ip: string }, b: { ip: string }): number =>
  a.ip.localeCompare(b.ip, 'en', { numeric: true });

/**
 * The endpoints and endpointslice controllers: for every Service with a selector, an Endpoints
 * object of the same name and EndpointSlices labelled `kubernetes.io/service-name`, listing the
 * selected pods that have an IP. Ready pods are `addresses` (slice condition ready=true); pods
 * that are not ready are `notReadyAddresses` (ready=false, serving=false), unless the Service
 * publishes not-ready addresses; terminating pods leave Endpoints and stay in slices with
 * terminating=true. A named targetPort is resolved against each pod's container ports; a pod
 * without that port is left out for it. Services without a selector are left to their owners.
 */
export const endpointsController: Controller = {
  name: 'endpoints',
  start(ctx: ControllerContext) {
    const { store, clock } = ctx;
    const sliceType = types['endpointslices.discovery.k8s.io'];

    function backendsOf(svc: ServiceObject): Backend[] {
      const selector = svc.spec?.selector ?? {};
      const publishNotReady = Boolean(svc.spec?.publishNotReadyAddresses);
      const backends: Backend[] = [];
      for (const pod of store.list(types.pods, svc.metadata.namespace) as PodObject[]) {
        const ip = pod.status?.podIP;
        if (!ip || !pod.spec?.nodeName || isTerminal(pod) || !selectorMatches(selector, pod)) continue;
        const ports: EndpointPort[] = [];
        for (const sp of svc.spec?.ports ?? []) {
          const port = resolveTargetPort(pod, sp);
          if (port === undefined) continue;
          ports.push({ ...(sp.name ? { name: sp.name } : {}), port, protocol: sp.protocol ?? 'TCP' });
        }
        if ((svc.spec?.ports ?? []).length > 0 && ports.length === 0) continue;
        const podReady = isPodReady(pod);
        const terminating = Boolean(pod.metadata.deletionTimestamp);
        backends.push({
          pod,
          ip,
          ready: (podReady || publishNotReady) && !terminating,
          serving: podReady || publishNotReady,
          terminating,
          ports,
        });
      }
      return backends.sort(byIp);
    }

    function address(b: Backend): Record<string, unknown> {
      return { ip: b.ip, nodeName: b.pod.spec!.nodeName, targetRef: podRef(b.pod) };
    }

    function syncEndpoints(svc: ServiceObject, backends: Backend[]): void {
      const namespace = svc.metadata.namespace!;
      const name = svc.metadata.name!;
      const subsets = groupByPorts(backends.filter((b) => !b.terminating)).map(
        ({ ports, backends: group }) => {
          const ready = group.filter((b) => b.ready).map(address);
          const notReady = group.filter((b) => !b.ready).map(address);
          return {
            ...(ready.length ? { addresses: ready } : {}),
            ...(notReady.length ? { notReadyAddresses: notReady } : {}),
            ...(ports.length ? { ports } : {}),
          };
        },
      );
      const labels = {
        ...svc.metadata.labels,
        ...(svc.spec?.clusterIP === 'None' ? { 'service.kubernetes.io/headless': '' } : {}),
      };
      const current = store.get(types.endpoints, namespace, name);
      const wanted = { ...(subsets.length ? { subsets } : {}) };
      if (
        current &&
        JSON.stringify(current.subsets ?? null) === JSON.stringify(wanted.subsets ?? null) &&
        JSON.stringify(current.metadata.labels ?? {}) === JSON.stringify(labels)
      ) {
        return;
      }
      const metadata = {
        ...(current ? structuredClone(current.metadata) : { name, namespace }),
        ...(Object.keys(labels).length ? { labels } : {}),
        annotations: { ...current?.metadata.annotations, [TRIGGER_TIME]: clock.rfc3339() },
      };
      const next: KubeObject = { apiVersion: 'v1', kind: 'Endpoints', metadata, ...wanted };
      if (current) store.update(types.endpoints, next);
      else store.create(types.endpoints, next);
    }

    function syncSlices(svc: ServiceObject, backends: Backend[]): void {
      const namespace = svc.metadata.namespace!;
      const name = svc.metadata.name!;
      const existing = store
        .list(sliceType, namespace)
        .filter(
          (s) =>
            s.metadata.labels?.[SERVICE_NAME] === name &&
            s.metadata.labels?.[MANAGED_BY] === SLICE_CONTROLLER,
        );
      const zones = new Map(
        store
          .list(types.nodes)
          .map((n) => [n.metadata.name!, n.metadata.labels?.['topology.kubernetes.io/zone']]),
      );
      const groups = groupByPorts(backends);
      // A Service whose pods are all gone keeps one empty slice, as the controller leaves a placeholder.
      if (groups.length === 0) {
        groups.push({
          ports: [],
          backends: [],
        });
      }
      const labels = { ...svc.metadata.labels, [SERVICE_NAME]: name, [MANAGED_BY]: SLICE_CONTROLLER };
      const wantedSlices = groups.map(({ ports, backends: group }) => ({
        addressType: 'IPv4',
        // Go's nil slice: a placeholder slice has `endpoints: null` and no ports.
        endpoints:
          group.length === 0
            ? null
            : group.map((b) => {
                const zone = zones.get(b.pod.spec!.nodeName!);
                return {
                  addresses: [b.ip],
                  conditions: { ready: b.ready, serving: b.serving, terminating: b.terminating },
                  nodeName: b.pod.spec!.nodeName,
                  targetRef: podRef(b.pod),
                  ...(zone ? { zone } : {}),
                };
              }),
        ...(ports.length
          ? { ports: ports.map((p) => ({ name: p.name ?? '', port: p.port, protocol: p.protocol })) }
          : {}),
      }));
      const owner = { ...svc, apiVersion: 'v1', kind: 'Service' };
      wantedSlices.forEach((wanted, i) => {
        const current = existing[i];
        if (
          current &&
          JSON.stringify({
            a: current.addressType,
            e: current.endpoints ?? null,
            p: current.ports ?? null,
          }) === JSON.stringify({ a: wanted.addressType, e: wanted.endpoints, p: wanted.ports ?? null }) &&
          JSON.stringify(current.metadata.labels) === JSON.stringify(labels)
        ) {
          return;
        }
        const metadata = {
          ...(current
            ? structuredClone(current.metadata)
            : {
                generateName: `${name}-`,
                namespace,
                ownerReferences: [controllerRef(owner)],
              }),
          labels,
          annotations: { ...current?.metadata.annotations, [TRIGGER_TIME]: clock.rfc3339() },
        };
        const next: KubeObject = {
          apiVersion: 'discovery.k8s.io/v1',
          kind: 'EndpointSlice',
          metadata,
          ...wanted,
        };
        if (current) store.update(sliceType, next);
        else store.create(sliceType, next);
      });
      for (const extra of existing.slice(wantedSlices.length)) store.remove(sliceType, extra);
    }

    const queue = ctx.queue('endpoints', (key) => {
      const { namespace, name } = splitKey(key);
      const svc = store.get(types.services, namespace, name) as ServiceObject | undefined;
      if (!svc) {
        // The Endpoints object goes with its Service; slices are owned and garbage-collected.
        const ep = store.get(types.endpoints, namespace, name);
        if (ep) store.remove(types.endpoints, ep);
        return;
      }
      const selector = svc.spec?.selector;
      if (!selector || Object.keys(selector).length === 0 || svc.spec?.type === 'ExternalName') return;
      const backends = backendsOf(svc);
      syncEndpoints(svc, backends);
      syncSlices(svc, backends);
    });

    const enqueueNamespace = (namespace: string | undefined): void => {
      for (const svc of store.list(types.services, namespace)) queue.add(`${namespace}/${svc.metadata.name}`);
    };
    const unsubscribe = onStoreEvents(
      store,
      ['services', 'pods', 'endpoints', sliceType.storageKey],
      (event) => {
        const { namespace, name } = event.object.metadata;
        if (event.storageKey === 'services') queue.add(`${namespace}/${name}`);
        else if (event.storageKey === 'pods') enqueueNamespace(namespace);
        else if (event.storageKey === 'endpoints') {
          if (event.type === 'DELETED') queue.add(`${namespace}/${name}`);
        } else if (event.type === 'DELETED')
          queue.add(`${namespace}/${event.object.metadata.labels?.[SERVICE_NAME]}`);
      },
    );
    for (const svc of store.list(types.services)) queue.add(`${svc.metadata.namespace}/${svc.metadata.name}`);
    return unsubscribe;
  },
};
