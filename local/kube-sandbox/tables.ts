import { PLATFORM_PRINTERS } from './platform-tables';
import type { ResourceType } from './resources';
import type { KubeObject } from './store';

export interface TableColumn {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

type Cell = string | number | boolean;

interface Printer {
  columns: TableColumn[];
  cells(obj: KubeObject, now: number): Cell[];
}

// ---------------------------------------------------------------------------------------
// Formatting helpers (k8s.io/apimachinery/pkg/util/duration, pkg/labels, metav1 selectors)

/**
 * duration.HumanDuration: the short, lossy age kubectl prints ("5s", "3m20s", "2d5h").
 * Up to 2 s in the future still reads "0s", to tolerate clock skew.
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const days = Math.trunc(hours / 24) % 365;
    const years = Math.trunc(hours / 24 / 365);
    return days === 0 ? `${years}y` : `${years}y${days}d`;
  }
  return `${Math.trunc(hours / 24 / 365)}y`;
}

/** translateTimestampSince: the age of a timestamp, `<unknown>` when it is unset. */
function since(timestamp: unknown, now: number): string {
  if (typeof timestamp !== 'string' || timestamp === '') return '<unknown>';
  const at = Date.parse(timestamp);
  return Number.isNaN(at) ? '<unknown>' : humanDuration(now - at);
}

/** labels.FormatLabels: `k=v,...` sorted by key, `<none>` when empty. */
function formatLabels(labels: Record<string, string> | undefined): string {
  const keys = Object.keys(labels ?? {}).sort();
  return keys.length === 0 ? '<none>' : keys.map((k) => `${k}=${labels![k]}`).join(',');
}

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

/** The string form of metav1.LabelSelectorAsSelector: requirements sorted by key. */
function selectorString(selector: LabelSelector | undefined): string {
  const requirements: Array<{ key: string; text: string }> = [];
  for (const [key, value] of Object.entries(selector?.matchLabels ?? {})) {
    requirements.push({ key, text: `${key}=${value}` });
  }
  for (const e of selector?.matchExpressions ?? []) {
    const values = [...(e.values ?? [])].sort().join(',');
    const text =
      e.operator === 'In'
        ? `${e.key} in (${values})`
        : e.operator === 'NotIn'
          ? `${e.key} notin (${values})`
          : e.operator === 'Exists'
            ? e.key
            : `!${e.key}`;
    requirements.push({ key: e.key, text });
  }
  return requirements
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((r) => r.text)
    .join(',');
}

/** metav1.FormatLabelSelector: like selectorString, `<none>` when it selects everything. */
function formatSelector(selector: LabelSelector | undefined): string {
  return selectorString(selector) || '<none>';
}

interface Container {
  name: string;
  image?: string;
  restartPolicy?: string;
}

interface PodSpecView {
  containers?: Container[];
  initContainers?: Container[];
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  readinessGates?: Array<{ conditionType: string }>;
}

/** layoutContainerCells: container names and images, comma-separated. */
function containerCells(spec: PodSpecView | undefined): [string, string] {
  const containers = spec?.containers ?? [];
  return [containers.map((c) => c.name).join(','), containers.map((c) => c.image ?? '').join(',')];
}

function templateSpec(obj: KubeObject): PodSpecView | undefined {
  return (obj.spec as { template?: { spec?: PodSpecView } } | undefined)?.template?.spec;
}

// ---------------------------------------------------------------------------------------
// Column definitions (pkg/printers/internalversion/printers.go, AddHandlers)

const DOC = {
  name: 'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names',
  age: 'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata',
  containers: 'Names of each container in the template.',
  images: 'Images referenced by each container in the template.',
  selector: 'A label query over pods that are managed by the controller.',
};

function column(name: string, type: string, description: string, priority = 0, format = ''): TableColumn {
  return { name, type, format, description, priority };
}

const nameColumn = column('Name', 'string', DOC.name, 0, 'name');
const ageColumn = column('Age', 'string', DOC.age);
const wideContainerColumns = [
  column('Containers', 'string', DOC.containers, 1),
  column('Images', 'string', DOC.images, 1),
];
const wideTemplateColumns = [...wideContainerColumns, column('Selector', 'string', DOC.selector, 1)];
const desiredColumn = column('Desired', 'integer', 'Replicas is the number of desired replicas.');
const currentColumn = column(
  'Current',
  'integer',
  'Replicas is the most recently observed number of replicas.',
);

// ---------------------------------------------------------------------------------------
// Pods: the STATUS column logic of printPod

interface ContainerState {
  waiting?: { reason?: string };
  running?: { startedAt?: string };
  terminated?: { reason?: string; exitCode?: number; signal?: number; finishedAt?: string };
}

interface ContainerStatus {
  name: string;
  ready?: boolean;
  started?: boolean;
  restartCount?: number;
  state?: ContainerState;
  lastState?: ContainerState;
}

interface PodStatusView {
  phase?: string;
  reason?: string;
  podIP?: string;
  podIPs?: Array<{ ip: string }>;
  nominatedNodeName?: string;
  conditions?: Array<{ type: string; status: string; reason?: string }>;
  initContainerStatuses?: ContainerStatus[];
  containerStatuses?: ContainerStatus[];
}

function hasCondition(status: PodStatusView, type: string): boolean {
  return (status.conditions ?? []).some((c) => c.type === type && c.status === 'True');
}

function terminatedReason(terminated: NonNullable<ContainerState['terminated']>, prefix = ''): string {
  if (terminated.reason) return prefix + terminated.reason;
  return terminated.signal
    ? `${prefix}Signal:${terminated.signal}`
    : `${prefix}ExitCode:${terminated.exitCode ?? 0}`;
}

function podCells(pod: KubeObject, now: number): Cell[] {
  const spec = (pod.spec ?? {}) as PodSpecView;
  const status = (pod.status ?? {}) as PodStatusView;
  const initContainers = new Map((spec.initContainers ?? []).map((c) => [c.name, c]));
  const isSidecar = (name: string): boolean => initContainers.get(name)?.restartPolicy === 'Always';

  let restarts = 0;
  let sidecarRestarts = 0;
  let lastRestart = 0;
  let lastSidecarRestart = 0;
  let readyContainers = 0;
  let totalContainers = (spec.containers ?? []).length;
  for (const c of spec.initContainers ?? []) if (c.restartPolicy === 'Always') totalContainers++;

  let reason = status.reason || status.phase || '';
  if ((status.conditions ?? []).some((c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated')) {
    reason = 'SchedulingGated';
  }
  const finishedAt = (c: ContainerStatus): number => {
    const at = c.lastState?.terminated?.finishedAt;
    return at ? Date.parse(at) : 0;
  };

  let initializing = false;
  const initStatuses = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const c = initStatuses[i];
    restarts += c.restartCount ?? 0;
    lastRestart = Math.max(lastRestart, finishedAt(c));
    if (isSidecar(c.name)) {
      sidecarRestarts += c.restartCount ?? 0;
      lastSidecarRestart = Math.max(lastSidecarRestart, finishedAt(c));
    }
    const terminated = c.state?.terminated;
    const waiting = c.state?.waiting;
    if (terminated && (terminated.exitCode ?? 0) === 0) continue;
    if (isSidecar(c.name) && c.started) {
      if (c.ready) readyContainers++;
      continue;
    }
    if (terminated) {
      reason = terminatedReason(terminated, 'Init:');
    } else if (waiting?.reason && waiting.reason !== 'PodInitializing') {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${i}/${(spec.initContainers ?? []).length}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || hasCondition(status, 'Initialized')) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses = status.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i];
      restarts += c.restartCount ?? 0;
      lastRestart = Math.max(lastRestart, finishedAt(c));
      if (c.state?.waiting?.reason) {
        reason = c.state.waiting.reason;
      } else if (c.state?.terminated) {
        reason = terminatedReason(c.state.terminated);
      } else if (c.ready && c.state?.running) {
        hasRunning = true;
        readyContainers++;
      }
    }
    // A pod whose finished container says Completed but that still runs another is Running.
    if (reason === 'Completed' && hasRunning) {
      reason = hasCondition(status, 'Ready') ? 'Running' : 'NotReady';
    }
  }

  const terminal = status.phase === 'Succeeded' || status.phase === 'Failed';
  if (pod.metadata.deletionTimestamp && status.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata.deletionTimestamp && !terminal) reason = 'Terminating';

  const restartsText =
    restarts !== 0 && lastRestart > 0
      ? `${restarts} (${humanDuration(now - lastRestart)} ago)`
      : `${restarts}`;

  const podIP = status.podIP || status.podIPs?.[0]?.ip || '<none>';
  let readinessGates = '<none>';
  if ((spec.readinessGates ?? []).length > 0) {
    const met = spec.readinessGates!.filter((g) => {
      const condition = (status.conditions ?? []).find((c) => c.type === g.conditionType);
      return condition?.status === 'True';
    }).length;
    readinessGates = `${met}/${spec.readinessGates!.length}`;
  }
  return [
    pod.metadata.name!,
    `${readyContainers}/${totalContainers}`,
    reason,
    restartsText,
    since(pod.metadata.creationTimestamp, now),
    podIP,
    spec.nodeName || '<none>',
    status.nominatedNodeName || '<none>',
    readinessGates,
  ];
}

// ---------------------------------------------------------------------------------------
// Events (core/v1 and events.k8s.io/v1 print alike: they are one stored type)

interface EventView {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  firstTimestamp?: string | null;
  lastTimestamp?: string | null;
  eventTime?: string | null;
  series?: { count?: number; lastObservedTime?: string };
  involvedObject?: { kind?: string; name?: string; fieldPath?: string };
  source?: { component?: string; host?: string };
  reportingComponent?: string;
  reportingInstance?: string;
}

function eventCells(obj: KubeObject, now: number): Cell[] {
  const e = obj as unknown as EventView;
  const first = e.firstTimestamp ? since(e.firstTimestamp, now) : since(e.eventTime, now);
  let last = e.lastTimestamp ? since(e.lastTimestamp, now) : first;
  let count = e.count ?? 0;
  if (e.series) {
    last = since(e.series.lastObservedTime, now);
    count = e.series.count ?? 0;
  } else if (count === 0) {
    // Events recorded through events.k8s.io/v1 have no count until they repeat.
    count = 1;
  }
  const involved = e.involvedObject ?? {};
  const kind = (involved.kind ?? '').toLowerCase();
  const target = involved.name ? `${kind}/${involved.name}` : kind;
  const component = e.source?.component || e.reportingComponent || '';
  const instance = e.source?.host || e.reportingInstance || '';
  return [
    last,
    e.type ?? '',
    e.reason ?? '',
    target,
    involved.fieldPath ?? '',
    instance ? `${component}, ${instance}` : component,
    (e.message ?? '').trim(),
    first,
    count,
    obj.metadata.name!,
  ];
}

// ---------------------------------------------------------------------------------------
// Printers by storage key

type Numbers = Record<string, number | undefined>;

function num(value: number | undefined): number {
  return value ?? 0;
}

/** The Desired, Current and Ready cells of printReplicaSet and printReplicationController. */
function replicaCells(obj: KubeObject): Cell[] {
  const status = (obj.status ?? {}) as Numbers;
  return [num((obj.spec as Numbers).replicas), num(status.replicas), num(status.readyReplicas)];
}

interface NamedPrinter {
  /** The columns between Name and Age, and their cells. */
  columns: TableColumn[];
  cells(obj: KubeObject, now: number): Cell[];
}

/** Printers whose columns are Name, their own, then Age. */
function namedPrinter(printer: NamedPrinter): Printer {
  return {
    columns: [nameColumn, ...printer.columns, ageColumn],
    cells: (obj, now) => [
      obj.metadata.name!,
      ...printer.cells(obj, now),
      since(obj.metadata.creationTimestamp, now),
    ],
  };
}

interface TemplateOwnerPrinter extends NamedPrinter {
  /** The pod template's spec, for the Containers and Images columns (spec.template by default). */
  template?(obj: KubeObject): PodSpecView | undefined;
  /** The Selector column; a printer without one has none. */
  selector?(obj: KubeObject): string;
}

/** Printers of pod-template owners: a named printer, then the wide template columns. */
function templateOwnerPrinter(printer: TemplateOwnerPrinter): Printer {
  const named = namedPrinter(printer);
  const { selector } = printer;
  return {
    columns: [...named.columns, ...(selector ? wideTemplateColumns : wideContainerColumns)],
    cells: (obj, now) => [
      ...named.cells(obj, now),
      ...containerCells((printer.template ?? templateSpec)(obj)),
      ...(selector ? [selector(obj)] : []),
    ],
  };
}

const PRINTERS: Record<string, Printer> = {
  pods: {
    columns: [
      nameColumn,
      column('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
      column('Status', 'string', 'The aggregate status of the containers in this pod.'),
      column(
        'Restarts',
        'string',
        'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
      ),
      ageColumn,
      column('IP', 'string', 'podIP address allocated to the pod. Routable at least within the cluster.', 1),
      column('Node', 'string', 'NodeName indicates in which node this pod is scheduled.', 1),
      column(
        'Nominated Node',
        'string',
        'nominatedNodeName is set only when this pod preempts other pods.',
        1,
      ),
      column(
        'Readiness Gates',
        'string',
        'If specified, all readiness gates will be evaluated for pod readiness.',
        1,
      ),
    ],
    cells: podCells,
  },
  events: {
    columns: [
      column(
        'Last Seen',
        'string',
        'The time at which the most recent occurrence of this event was recorded.',
      ),
      column(
        'Type',
        'string',
        'Type of this event (Normal, Warning), new types could be added in the future',
      ),
      column(
        'Reason',
        'string',
        "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
      ),
      column('Object', 'string', 'The object that this event is about.'),
      column(
        'Subobject',
        'string',
        'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement.',
        1,
      ),
      column(
        'Source',
        'string',
        'The component reporting this event. Should be a short machine understandable string.',
        1,
      ),
      column('Message', 'string', 'A human-readable description of the status of this operation.'),
      column(
        'First Seen',
        'string',
        'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)',
        1,
      ),
      column('Count', 'string', 'The number of times this event has occurred.', 1),
      column('Name', 'string', DOC.name, 1, 'name'),
    ],
    cells: eventCells,
  },
  namespaces: namedPrinter({
    columns: [column('Status', 'string', 'The status of the namespace')],
    cells: (obj) => [(obj.status as { phase?: string } | undefined)?.phase ?? ''],
  }),
  nodes: {
    columns: [
      nameColumn,
      column('Status', 'string', 'The status of the node'),
      column('Roles', 'string', 'The roles of the node'),
      ageColumn,
      column('Version', 'string', 'Kubelet Version reported by the node.'),
      column('Internal-IP', 'string', 'List of addresses reachable to the node.', 1),
      column('External-IP', 'string', 'List of addresses reachable to the node.', 1),
      column(
        'OS-Image',
        'string',
        'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).',
        1,
      ),
      column(
        'Kernel-Version',
        'string',
        "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
        1,
      ),
      column(
        'Container-Runtime',
        'string',
        'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).',
        1,
      ),
    ],
    cells: (obj, now) => {
      const status = (obj.status ?? {}) as {
        conditions?: Array<{ type: string; status: string }>;
        addresses?: Array<{ type: string; address: string }>;
        nodeInfo?: Record<string, string>;
      };
      const ready = status.conditions?.find((c) => c.type === 'Ready');
      const states = [ready ? (ready.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown'];
      if ((obj.spec as { unschedulable?: boolean } | undefined)?.unschedulable)
        states.push('SchedulingDisabled');
      const roles = new Set<string>();
      for (const [key, value] of Object.entries(obj.metadata.labels ?? {})) {
        if (key.startsWith('node-role.kubernetes.io/') && key.length > 'node-role.kubernetes.io/'.length) {
          roles.add(key.slice('node-role.kubernetes.io/'.length));
        } else if (key === 'kubernetes.io/role' && value) {
          roles.add(value);
        }
      }
      const address = (type: string): string =>
        status.addresses?.find((a) => a.type === type)?.address ?? '<none>';
      const info = status.nodeInfo ?? {};
      return [
        obj.metadata.name!,
        states.join(','),
        roles.size ? [...roles].sort().join(',') : '<none>',
        since(obj.metadata.creationTimestamp, now),
        info.kubeletVersion ?? '',
        address('InternalIP'),
        address('ExternalIP'),
        info.osImage || '<unknown>',
        info.kernelVersion || '<unknown>',
        info.containerRuntimeVersion || '<unknown>',
      ];
    },
  },
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
  configmaps: namedPrinter({
    columns: [column('Data', 'string', 'Data contains the configuration data.')],
    cells: (obj) => [Object.keys(obj.data ?? {}).length + Object.keys(obj.binaryData ?? {}).length],
  }),
  secrets: namedPrinter({
    columns: [
      column('Type', 'string', 'Used to facilitate programmatic handling of secret data.'),
      column('Data', 'string', 'Data contains the secret data.'),
    ],
    cells: (obj) => [(obj.type as string | undefined) ?? '', Object.keys(obj.data ?? {}).length],
  }),
  'deployments.apps': templateOwnerPrinter({
    columns: [
      column('Ready', 'string', 'Number of the pod with ready state'),
      column(
        'Up-to-date',
        'string',
        'Total number of non-terminated pods targeted by this deployment that have the desired template spec.',
      ),
      column(
        'Available',
        'string',
        'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.',
      ),
    ],
    cells: (obj) => {
      const spec = obj.spec as { replicas?: number };
      const status = (obj.status ?? {}) as Numbers;
      return [
        `${num(status.readyReplicas)}/${num(spec.replicas)}`,
        num(status.updatedReplicas),
        num(status.availableReplicas),
      ];
    },
    selector: (obj) => selectorString((obj.spec as { selector?: LabelSelector }).selector),
  }),
  'replicasets.apps': templateOwnerPrinter({
    columns: [
      desiredColumn,
      currentColumn,
      column(
        'Ready',
        'integer',
        'readyReplicas is the number of pods targeted by this ReplicaSet with a Ready Condition.',
      ),
    ],
    cells: replicaCells,
    selector: (obj) => formatSelector((obj.spec as { selector?: LabelSelector }).selector),
  }),
  replicationcontrollers: templateOwnerPrinter({
    columns: [
      desiredColumn,
      currentColumn,
      column('Ready', 'integer', 'The number of ready replicas for this replication controller.'),
    ],
    cells: replicaCells,
    selector: (obj) => formatLabels((obj.spec as { selector?: Record<string, string> }).selector),
  }),
  'statefulsets.apps': templateOwnerPrinter({
    columns: [column('Ready', 'string', 'Number of the pod with ready state')],
    cells: (obj) => [
      `${num((obj.status as Numbers | undefined)?.readyReplicas)}/${num((obj.spec as Numbers).replicas)}`,
    ],
  }),
  'daemonsets.apps': templateOwnerPrinter({
    columns: [
      column('Desired', 'integer', 'The total number of nodes that should be running the daemon pod.'),
      column(
        'Current',
        'integer',
        'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.',
      ),
      column(
        'Ready',
        'integer',
        'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.',
      ),
      column('Up-to-date', 'integer', 'The total number of nodes that are running updated daemon pod'),
      column(
        'Available',
        'integer',
        'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available.',
      ),
      column(
        'Node Selector',
        'string',
        'NodeSelector is a selector which must be true for the pod to fit on a node.',
      ),
    ],
    cells: (obj) => {
      const status = (obj.status ?? {}) as Numbers;
      return [
        num(status.desiredNumberScheduled),
        num(status.currentNumberScheduled),
        num(status.numberReady),
        num(status.updatedNumberScheduled),
        num(status.numberAvailable),
        formatLabels(templateSpec(obj)?.nodeSelector),
      ];
    },
    selector: (obj) => formatSelector((obj.spec as { selector?: LabelSelector }).selector),
  }),
  'controllerrevisions.apps': namedPrinter({
    columns: [
      column('Controller', 'string', 'Controller of the object'),
      column('Revision', 'string', 'Revision indicates the revision of the state represented by Data.'),
    ],
    cells: (obj) => {
      const owner = obj.metadata.ownerReferences?.find((r) => r.controller);
      let controller = '<none>';
      if (owner) {
        const group = owner.apiVersion.includes('/') ? owner.apiVersion.split('/')[0] : '';
        controller = `${(group ? `${owner.kind}.${group}` : owner.kind).toLowerCase()}/${owner.name}`;
      }
      return [controller, num(obj.revision as number | undefined)];
    },
  }),
  'jobs.batch': templateOwnerPrinter({
    columns: [
      column('Status', 'string', 'Status of the job.'),
      column('Completions', 'string', 'The number of pods which reached phase Succeeded.'),
      column('Duration', 'string', 'Time required to complete the job.'),
    ],
    cells: jobCells,
    selector: (obj) => formatSelector((obj.spec as { selector?: LabelSelector }).selector),
  }),
  'cronjobs.batch': templateOwnerPrinter({
    columns: [
      column('Schedule', 'string', 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.'),
      column(
        'Timezone',
        'string',
        'The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones.',
      ),
      column(
        'Suspend',
        'boolean',
        'This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.',
      ),
      column('Active', 'integer', 'A list of pointers to currently running jobs.'),
      column(
        'Last Schedule',
        'string',
        'Information when was the last time the job was successfully scheduled.',
      ),
    ],
    cells: (obj, now) => {
      const spec = obj.spec as { schedule?: string; timeZone?: string; suspend?: boolean };
      const status = (obj.status ?? {}) as { active?: unknown[]; lastScheduleTime?: string };
      return [
        spec.schedule ?? '',
        spec.timeZone ?? '<none>',
        spec.suspend === undefined ? '<unset>' : spec.suspend ? 'True' : 'False',
        (status.active ?? []).length,
        status.lastScheduleTime ? since(status.lastScheduleTime, now) : '<none>',
      ];
    },
    template: (obj) => cronJobTemplate(obj)?.template?.spec,
    selector: (obj) => formatSelector(cronJobTemplate(obj)?.selector),
  }),
  'leases.coordination.k8s.io': namedPrinter({
    columns: [
      column('Holder', 'string', 'holderIdentity contains the identity of the holder of a current lease.'),
    ],
    cells: (obj) => [(obj.spec as { holderIdentity?: string } | undefined)?.holderIdentity ?? ''],
  }),
};

/** The Status, Completions and Duration cells of printJob. */
function jobCells(obj: KubeObject, now: number): Cell[] {
  const spec = obj.spec as { completions?: number; parallelism?: number };
  const status = (obj.status ?? {}) as {
    succeeded?: number;
    startTime?: string;
    completionTime?: string;
    conditions?: Array<{ type: string; status: string }>;
  };
  const succeeded = num(status.succeeded);
  let completions: string;
  if (spec.completions !== undefined && spec.completions !== null)
    completions = `${succeeded}/${spec.completions}`;
  else if ((spec.parallelism ?? 0) > 1) completions = `${succeeded}/1 of ${spec.parallelism}`;
  else completions = `${succeeded}/1`;

  let duration = '';
  if (status.startTime) {
    const start = Date.parse(status.startTime);
    duration = humanDuration((status.completionTime ? Date.parse(status.completionTime) : now) - start);
  }
  // The first condition of a type decides, as hasJobCondition looks no further.
  const has = (type: string): boolean => status.conditions?.find((c) => c.type === type)?.status === 'True';
  let state: string;
  if (has('Complete')) state = 'Complete';
  else if (has('Failed')) state = 'Failed';
  else if (obj.metadata.deletionTimestamp) state = 'Terminating';
  else if (has('Suspended')) state = 'Suspended';
  else if (has('FailureTarget')) state = 'FailureTarget';
  else state = 'Running';
  return [state, completions, duration];
}

function cronJobTemplate(
  obj: KubeObject,
): { selector?: LabelSelector; template?: { spec?: PodSpecView } } | undefined {
  return (
    obj.spec as { jobTemplate?: { spec?: { selector?: LabelSelector; template?: { spec?: PodSpecView } } } }
  ).jobTemplate?.spec;
}

/**
 * Server-side printing (meta.k8s.io/v1 Table), which `kubectl get` asks for: the columns and
 * cells of k8s.io/kubernetes pkg/printers/internalversion for each served type. Like the API
 * server, every column is filled, including the `priority: 1` ones kubectl shows only with
 * `-o wide`. Types without a printer get the API server's default table (Name, Created At).
 */
export function toTable(
  t: ResourceType,
  items: KubeObject[],
  now: number,
): { columnDefinitions: TableColumn[]; rows: Array<{ cells: unknown[]; object: KubeObject }> } {
  const printer = PRINTERS[t.storageKey] ?? PLATFORM_PRINTERS[t.storageKey];
  if (!printer) {
    return {
      columnDefinitions: [
        nameColumn,
        column(
          'Created At',
          'date',
          'CreationTimestamp is a timestamp representing the server time when this object was created.',
        ),
      ],
      rows: items.map((obj) => ({ cells: [obj.metadata.name, obj.metadata.creationTimestamp], object: obj })),
    };
  }
  return {
    columnDefinitions: printer.columns,
    rows: items.map((obj) => ({ cells: printer.cells(obj, now), object: obj })),
  };
}
