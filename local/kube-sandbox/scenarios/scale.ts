import { randomUUID } from 'node:crypto';
import { SAFE_ALPHABET } from '../controllers/hash';
import type { KubeObject } from '../store';
import { eksNode } from './base';
import type { Scenario } from './types';

export interface ScaleOptions {
  /** @default 5000 */
  pods?: number;
  /** @default 50000 */
  events?: number;
  /** @default 'scale-test' */
  namespace?: string;
}

const NODES = [0, 1, 2].map((i) => eksNode(i).metadata.name!);

/** The i-th 5-character pod-name suffix: distinct for every i below 27^5. */
function suffixOf(i: number): string {
  let out = '';
  for (let n = i, k = 0; k < 5; k++, n = Math.floor(n / SAFE_ALPHABET.length))
    out += SAFE_ALPHABET[n % SAFE_ALPHABET.length];
  return out;
}

function rfc3339(at: number): string {
  return new Date(Math.floor(at / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** A Running pod as the kubelet reports it, created directly: no ReplicaSet, no scheduling. */
function runningPod(ns: string, index: number, now: number): KubeObject {
  const name = `batch-worker-5f7c9d8b6-${suffixOf(index)}`;
  const started = now - 3_600_000 + (index % 3600) * 1000;
  const ip = `10.0.${(index >> 8) % 250}.${index % 250}`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: ns,
      uid: randomUUID(),
      creationTimestamp: rfc3339(started - 5000),
      labels: { app: 'batch-worker', 'pod-template-hash': '5f7c9d8b6', shard: String(index % 50) },
    },
    spec: {
      nodeName: NODES[index % NODES.length],
      containers: [{ name: 'worker', image: 'registry.example.com/batch-worker:3.2.0' }],
      restartPolicy: 'Always',
    },
    status: {
      phase: 'Running',
      podIP: ip,
      podIPs: [{ ip }],
      hostIP: `10.0.${(index % NODES.length) + 1}.20`,
      startTime: rfc3339(started - 4000),
      conditions: [
        'PodReadyToStartContainers',
        'Initialized',
        'Ready',
        'ContainersReady',
        'PodScheduled',
      ].map((type) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: rfc3339(started) })),
      containerStatuses: [
        {
          name: 'worker',
          image: 'registry.example.com/batch-worker:3.2.0',
          imageID:
            'registry.example.com/batch-worker@sha256:4b1f0c6e9d2a7b3c5e8f1a2d4c6b8e0f3a5c7e9b1d3f5a7c9e1b3d5f7a9c1e3b',
          containerID: `containerd://${index.toString(16).padStart(64, '0')}`,
          ready: true,
          started: true,
          restartCount: 0,
          state: { running: { startedAt: rfc3339(started) } },
        },
      ],
      qosClass: 'BestEffort',
    },
  };
}

const EVENT_KINDS: Array<[string, string, (pod: string, node: string) => string, string]> = [
  [
    'Normal',
    'Scheduled',
    (pod, node) => `Successfully assigned scale-test/${pod} to ${node}`,
    'default-scheduler',
  ],
  [
    'Normal',
    'Pulled',
    () => 'Container image "registry.example.com/batch-worker:3.2.0" already present on machine',
    'kubelet',
  ],
  ['Normal', 'Created', () => 'Created container: worker', 'kubelet'],
  ['Normal', 'Started', () => 'Started container worker', 'kubelet'],
  ['Warning', 'Unhealthy', () => 'Readiness probe failed: HTTP probe failed with statuscode: 503', 'kubelet'],
];

function event(ns: string, pods: KubeObject[], index: number, now: number): KubeObject {
  const pod = pods[index % pods.length];
  const [type, reason, message, component] = EVENT_KINDS[index % EVENT_KINDS.length];
  const node = (pod.spec as { nodeName: string }).nodeName;
  const at = rfc3339(now - ((index * 7919) % 3_600_000));
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${pod.metadata.name}.${(0x17a000000000 + index).toString(16)}`, namespace: ns },
    involvedObject: {
      kind: 'Pod',
      namespace: ns,
      name: pod.metadata.name,
      uid: pod.metadata.uid,
      apiVersion: 'v1',
      ...(component === 'kubelet' ? { fieldPath: 'spec.containers{worker}' } : {}),
    },
    reason,
    message: message(pod.metadata.name!, node),
    source: { component, ...(component === 'kubelet' ? { host: node } : {}) },
    firstTimestamp: at,
    lastTimestamp: at,
    count: 1,
    type,
    eventTime: null,
    reportingComponent: component,
    reportingInstance: component === 'kubelet' ? node : '',
  };
}

/**
 * Many objects, fast, for pagination tests and benchmarks: N Running pods (bare, already
 * reported Running, as if their kubelet had run for an hour) and M events about them.
 * With controllers on, the simulated kubelet adopts the pods (they are bound to its nodes)
 * and records events of its own; start the sandbox with `controllers: false` for exact counts.
 */
export function scaleScenario(options: ScaleOptions = {}): Scenario {
  const podCount = options.pods ?? 5000;
  const eventCount = options.events ?? 50000;
  const ns = options.namespace ?? 'scale-test';
  return {
    name: 'scale',
    description: `${podCount} Running pods and ${eventCount} events in namespace ${ns}, for pagination and benchmarks.`,
    objects(now) {
      const pods = Array.from({ length: podCount }, (_, i) => runningPod(ns, i, now));
      const events = Array.from({ length: eventCount }, (_, i) => event(ns, pods, i, now));
      return [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, ...pods, ...events];
    },
  };
}
