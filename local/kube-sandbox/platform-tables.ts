import type { KubeObject } from './store';
import { humanDuration, type TableColumn } from './tables';

/*
 * Server-side printing of the platform types (platform-resources.ts): the columns and cells
 * of pkg/printers/internalversion/printers.go for each, as kube-apiserver 1.32 sends them.
 */

type Cell = string | number | boolean;

export interface PlatformPrinter {
  columns: TableColumn[];
  cells(obj: KubeObject, now: number): Cell[];
}

function column(name: string, type: string, description: string, priority = 0, format = ''): TableColumn {
  return { name, type, format, description, priority };
}

const NAME = column(
  'Name',
  'string',
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names',
  0,
  'name',
);
const AGE = column(
  'Age',
  'string',
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata',
);

function since(timestamp: unknown, now: number): string {
  if (typeof timestamp !== 'string' || timestamp === '') return '<unknown>';
  const at = Date.parse(timestamp);
  return Number.isNaN(at) ? '<unknown>' : humanDuration(now - at);
}

/** Name, the type's own columns, Age. */
function named(columns: TableColumn[], cells: (obj: KubeObject) => Cell[]): PlatformPrinter {
  return {
    columns: [NAME, ...columns, AGE],
    cells: (obj, now) => [obj.metadata.name!, ...cells(obj), since(obj.metadata.creationTimestamp, now)],
  };
}

/** A list of at most three, then ` + N more...` (formatEndpoints, formatHosts, listWithMoreString). */
function firstThree(items: string[], empty: string): string {
  if (items.length === 0) return empty;
  const shown = items.slice(0, 3).join(',');
  return items.length > 3 ? `${shown} + ${items.length - 3} more...` : shown;
}

const ACCESS_MODES: Array<[string, string]> = [
  ['ReadWriteOnce', 'RWO'],
  ['ReadOnlyMany', 'ROX'],
  ['ReadWriteMany', 'RWX'],
  ['ReadWriteOncePod', 'RWOP'],
];

/** helper.GetAccessModesAsString: the short forms in a fixed order, without repeats. */
export function accessModesString(modes: string[] | undefined): string {
  const wanted = new Set(modes ?? []);
  return ACCESS_MODES.filter(([mode]) => wanted.has(mode))
    .map(([, short]) => short)
    .join(',');
}

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

/** metav1.FormatLabelSelector. */
export function formatLabelSelector(selector: LabelSelector | undefined): string {
  const parts: Array<[string, string]> = Object.entries(selector?.matchLabels ?? {}).map(([k, v]) => [
    k,
    `${k}=${v}`,
  ]);
  for (const e of selector?.matchExpressions ?? []) {
    const values = [...(e.values ?? [])].sort().join(',');
    const text: Record<string, string> = {
      In: `${e.key} in (${values})`,
      NotIn: `${e.key} notin (${values})`,
      Exists: e.key,
      DoesNotExist: `!${e.key}`,
    };
    parts.push([e.key, text[e.operator] ?? e.key]);
  }
  const out = parts
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, t]) => t)
    .join(',');
  return out || '<none>';
}

export function isDefaultStorageClass(obj: KubeObject): boolean {
  const annotations = obj.metadata.annotations ?? {};
  return (
    annotations['storageclass.kubernetes.io/is-default-class'] === 'true' ||
    annotations['storageclass.beta.kubernetes.io/is-default-class'] === 'true'
  );
}

interface Subject {
  kind: string;
  name: string;
  namespace?: string;
}

function bindingPrinter(): PlatformPrinter {
  return {
    columns: [
      NAME,
      column('Role', 'string', 'RoleRef is the reference to the role the binding binds to.'),
      AGE,
      column('Users', 'string', 'Users in the binding', 1),
      column('Groups', 'string', 'Groups in the binding', 1),
      column('ServiceAccounts', 'string', 'ServiceAccounts in the binding', 1),
    ],
    cells: (obj, now) => {
      const roleRef = obj.roleRef as { kind: string; name: string };
      const subjects = (obj.subjects ?? []) as Subject[];
      const of = (kind: string): string =>
        subjects
          .filter((s) => s.kind === kind)
          .map((s) => (kind === 'ServiceAccount' ? `${s.namespace ?? ''}/${s.name}` : s.name))
          .join(', ');
      return [
        obj.metadata.name!,
        `${roleRef.kind}/${roleRef.name}`,
        since(obj.metadata.creationTimestamp, now),
        of('User'),
        of('Group'),
        of('ServiceAccount'),
      ];
    },
  };
}

const CREATED_AT: PlatformPrinter = {
  columns: [
    NAME,
    column(
      'Created At',
      'date',
      'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata',
    ),
  ],
  cells: (obj) => [obj.metadata.name!, obj.metadata.creationTimestamp ?? ''],
};

interface EndpointSubset {
  addresses?: Array<{ ip: string }>;
  ports?: Array<{ name?: string; port: number }>;
}

export const PLATFORM_PRINTERS: Record<string, PlatformPrinter> = {
  serviceaccounts: named(
    [
      column(
        'Secrets',
        'string',
        'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.',
      ),
    ],
    (obj) => [((obj.secrets as unknown[] | undefined) ?? []).length],
  ),
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
  persistentvolumeclaims: {
    columns: [
      NAME,
      column('Status', 'string', 'phase represents the current phase of PersistentVolumeClaim.'),
      column(
        'Volume',
        'string',
        'volumeName is the binding reference to the PersistentVolume backing this claim.',
      ),
      column('Capacity', 'string', 'capacity represents the actual resources of the underlying volume.'),
      column(
        'Access Modes',
        'string',
        'accessModes contains the actual access modes the volume backing the PVC has.',
      ),
      column('StorageClass', 'string', 'StorageClass of the pvc'),
      column('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pvc'),
      AGE,
      column('VolumeMode', 'string', 'volumeMode defines what type of volume is required by the claim.', 1),
    ],
    cells: (obj, now) => {
      const spec = (obj.spec ?? {}) as {
        volumeName?: string;
        storageClassName?: string;
        volumeMode?: string;
        volumeAttributesClassName?: string;
      };
      const status = (obj.status ?? {}) as {
        phase?: string;
        accessModes?: string[];
        capacity?: { storage?: string };
      };
      const bound = Boolean(spec.volumeName);
      return [
        obj.metadata.name!,
        obj.metadata.deletionTimestamp ? 'Terminating' : (status.phase ?? ''),
        spec.volumeName ?? '',
        bound ? (status.capacity?.storage ?? '') : '',
        bound ? accessModesString(status.accessModes) : '',
        spec.storageClassName ?? obj.metadata.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? '',
        spec.volumeAttributesClassName || '<unset>',
        since(obj.metadata.creationTimestamp, now),
        spec.volumeMode ?? '<unset>',
      ];
    },
  },
  persistentvolumes: {
    columns: [
      NAME,
      column(
        'Capacity',
        'string',
        "capacity is the description of the persistent volume's resources and capacity.",
      ),
      column('Access Modes', 'string', 'accessModes contains all ways the volume can be mounted.'),
      column(
        'Reclaim Policy',
        'string',
        'persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.',
      ),
      column(
        'Status',
        'string',
        'phase indicates if a volume is available, bound to a claim, or released by a claim.',
      ),
      column(
        'Claim',
        'string',
        'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.',
      ),
      column('StorageClass', 'string', 'StorageClass of the pv'),
      column('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pv'),
      column(
        'Reason',
        'string',
        'reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.',
      ),
      AGE,
      column(
        'VolumeMode',
        'string',
        'volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.',
        1,
      ),
    ],
    cells: (obj, now) => {
      const spec = (obj.spec ?? {}) as {
        capacity?: { storage?: string };
        accessModes?: string[];
        persistentVolumeReclaimPolicy?: string;
        claimRef?: { namespace?: string; name?: string };
        storageClassName?: string;
        volumeMode?: string;
        volumeAttributesClassName?: string;
      };
      const status = (obj.status ?? {}) as { phase?: string; reason?: string };
      return [
        obj.metadata.name!,
        spec.capacity?.storage ?? '0',
        accessModesString(spec.accessModes),
        spec.persistentVolumeReclaimPolicy ?? '',
        obj.metadata.deletionTimestamp ? 'Terminating' : (status.phase ?? ''),
        spec.claimRef ? `${spec.claimRef.namespace ?? ''}/${spec.claimRef.name ?? ''}` : '',
        spec.storageClassName ?? '',
        spec.volumeAttributesClassName || '<unset>',
        status.reason ?? '',
        since(obj.metadata.creationTimestamp, now),
        spec.volumeMode ?? '<unset>',
      ];
    },
  },
  'storageclasses.storage.k8s.io': {
    columns: [
      NAME,
      column('Provisioner', 'string', 'provisioner indicates the type of the provisioner.'),
      column(
        'ReclaimPolicy',
        'string',
        'reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class. Defaults to Delete.',
      ),
      column(
        'VolumeBindingMode',
        'string',
        'volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.  When unset, VolumeBindingImmediate is used. This field is only honored by servers that enable the VolumeScheduling feature.',
      ),
      column(
        'AllowVolumeExpansion',
        'string',
        'allowVolumeExpansion shows whether the storage class allow volume expand.',
      ),
      AGE,
    ],
    cells: (obj, now) => [
      `${obj.metadata.name!}${isDefaultStorageClass(obj) ? ' (default)' : ''}`,
      (obj.provisioner as string | undefined) ?? '',
      (obj.reclaimPolicy as string | undefined) ?? 'Delete',
      (obj.volumeBindingMode as string | undefined) ?? 'Immediate',
      Boolean(obj.allowVolumeExpansion),
      since(obj.metadata.creationTimestamp, now),
    ],
  },
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
    (obj) => [formatLabelSelector((obj.spec as { podSelector?: LabelSelector } | undefined)?.podSelector)],
  ),
  'poddisruptionbudgets.policy': named(
    [
      column(
        'Min Available',
        'string',
        'The minimum number of pods that must be available simultaneously.  This can be either an integer or a string specifying a percentage, e.g. "28%".',
      ),
      column(
        'Max Unavailable',
        'string',
        'The maximum number of pods that may be unavailable simultaneously.  This can be either an integer or a string specifying a percentage, e.g. "28%".',
      ),
      column(
        'Allowed Disruptions',
        'integer',
        'Calculated number of pods that may be disrupted at this time.',
      ),
    ],
    (obj) => {
      const spec = (obj.spec ?? {}) as { minAvailable?: number | string; maxUnavailable?: number | string };
      return [
        spec.minAvailable !== undefined ? String(spec.minAvailable) : 'N/A',
        spec.maxUnavailable !== undefined ? String(spec.maxUnavailable) : 'N/A',
        (obj.status as { disruptionsAllowed?: number } | undefined)?.disruptionsAllowed ?? 0,
      ];
    },
  ),
  'clusterroles.rbac.authorization.k8s.io': CREATED_AT,
  'roles.rbac.authorization.k8s.io': CREATED_AT,
  'clusterrolebindings.rbac.authorization.k8s.io': bindingPrinter(),
  'rolebindings.rbac.authorization.k8s.io': bindingPrinter(),
};
