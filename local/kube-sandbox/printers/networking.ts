/**
 * Services, Endpoints, EndpointSlices, Ingresses, IngressClasses and NetworkPolicies.
 */
import { ageColumn, column, named, nameColumn, type Printer } from './columns';
import { firstThree, formatLabels, formatSelector, since, type LabelSelector } from './format';

interface EndpointSubset {
  addresses?: Array<{ ip: string }>;
  ports?: Array<{ name?: string; port: number }>;
}

export const NETWORKING_PRINTERS: Record<string, Printer> = {
  services: {
    columns: [
      nameColumn,
      column('Type', 'string', 'type determines how the Service is exposed.'),
      column(
        'Cluster-IP',
        'string',
        'clusterIP is the IP address of the service and is usually assigned randomly.',
      ),
      column(
        'External-IP',
        'string',
        'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.',
      ),
      column('Port(s)', 'string', 'The list of ports that are exposed by this service.'),
      ageColumn,
      column(
        'Selector',
        'string',
        'Route service traffic to pods with label keys and values matching this selector.',
        1,
      ),
    ],
    cells: (obj, now) => {
      const spec = (obj.spec ?? {}) as {
        type?: string;
        clusterIPs?: string[];
        externalIPs?: string[];
        externalName?: string;
        selector?: Record<string, string>;
        ports?: Array<{ port: number; nodePort?: number; protocol?: string }>;
      };
      const ingress =
        (obj.status as { loadBalancer?: { ingress?: Array<{ ip?: string; hostname?: string }> } } | undefined)
          ?.loadBalancer?.ingress ?? [];
      const externalIPs = spec.externalIPs ?? [];
      let external: string;
      switch (spec.type) {
        case 'ClusterIP':
        case 'NodePort':
          external = externalIPs.length ? externalIPs.join(',') : '<none>';
          break;
        case 'LoadBalancer': {
          const lb = [...new Set(ingress.map((i) => i.ip || i.hostname || '').filter(Boolean))].sort();
          const all = [...lb, ...externalIPs];
          external = all.length ? all.join(',') : '<pending>';
          break;
        }
        case 'ExternalName':
          external = spec.externalName ?? '';
          break;
        default:
          external = '<unknown>';
      }
      const ports = (spec.ports ?? [])
        .map((p) => (p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol}` : `${p.port}/${p.protocol}`))
        .join(',');
      return [
        obj.metadata.name!,
        spec.type ?? '',
        spec.clusterIPs?.[0] ?? '<none>',
        external,
        ports || '<none>',
        since(obj.metadata.creationTimestamp, now),
        formatLabels(spec.selector),
      ];
    },
  },
  endpoints: named([column('Endpoints', 'string', 'Endpoints of the service')], (obj) => {
    const subsets = (obj.subsets ?? []) as EndpointSubset[];
    if (subsets.length === 0) return ['<none>'];
    const list: string[] = [];
    for (const ss of subsets) {
      const addresses = (ss.addresses ?? []).map((a) => a.ip);
      if ((ss.ports ?? []).length === 0) list.push(...addresses);
      for (const port of ss.ports ?? []) list.push(...addresses.map((ip) => `${ip}:${port.port}`));
    }
    return [firstThree(list, '')];
  }),
  'endpointslices.discovery.k8s.io': named(
    [
      column(
        'AddressType',
        'string',
        'addressType specifies the type of address carried by this EndpointSlice.',
      ),
      column(
        'Ports',
        'string',
        'ports specifies the list of network ports exposed by each endpoint in this slice.',
      ),
      column('Endpoints', 'string', 'endpoints is a list of unique endpoints in this slice.'),
    ],
    (obj) => {
      const ports = ((obj.ports ?? []) as Array<{ port?: number; name?: string }>).map((p) =>
        p.port !== undefined ? String(p.port) : (p.name ?? '*'),
      );
      const addresses = ((obj.endpoints ?? []) as Array<{ addresses?: string[] }>).flatMap(
        (e) => e.addresses ?? [],
      );
      return [
        (obj.addressType as string) ?? '',
        firstThree(ports, '<unset>'),
        firstThree(addresses, '<unset>'),
      ];
    },
  ),
  'ingresses.networking.k8s.io': named(
    [
      column('Class', 'string', 'The name of the IngressClass resource that should be used for this Ingress'),
      column('Hosts', 'string', 'Hosts that incoming requests are matched against before the ingress rule'),
      column('Address', 'string', 'Address is a list containing ingress points for the load-balancer'),
      column('Ports', 'string', 'Ports of TLS configurations that open'),
    ],
    (obj) => {
      const spec = (obj.spec ?? {}) as {
        ingressClassName?: string;
        rules?: Array<{ host?: string }>;
        tls?: unknown[];
      };
      const rules = spec.rules ?? [];
      const hosts = rules.slice(0, 3).flatMap((r) => (r.host ? [r.host] : []));
      let hostsCell = hosts.length ? hosts.join(',') : '*';
      if (rules.length > 3 && hosts.length) hostsCell += ` + ${rules.length - 3} more...`;
      const lb =
        (obj.status as { loadBalancer?: { ingress?: Array<{ ip?: string; hostname?: string }> } } | undefined)
          ?.loadBalancer?.ingress ?? [];
      return [
        spec.ingressClassName ?? '<none>',
        hostsCell,
        lb
          .map((i) => i.ip || i.hostname || '')
          .filter(Boolean)
          .join(','),
        (spec.tls ?? []).length ? '80, 443' : '80',
      ];
    },
  ),
  'ingressclasses.networking.k8s.io': named(
    [
      column('Controller', 'string', 'Controller that is responsible for handling this class'),
      column('Parameters', 'string', 'A reference to a resource with additional parameters'),
    ],
    (obj) => {
      const spec = (obj.spec ?? {}) as {
        controller?: string;
        parameters?: { apiGroup?: string; kind: string; name: string };
      };
      const p = spec.parameters;
      return [
        spec.controller ?? '',
        p ? `${p.kind}${p.apiGroup ? `.${p.apiGroup}` : ''}/${p.name}` : '<none>',
      ];
    },
  ),
  'networkpolicies.networking.k8s.io': named(
    [
      column(
        'Pod-Selector',
        'string',
        'podSelector selects the pods to which this NetworkPolicy object applies.',
      ),
    ],
    (obj) => [formatSelector((obj.spec as { podSelector?: LabelSelector } | undefined)?.podSelector)],
  ),
};
