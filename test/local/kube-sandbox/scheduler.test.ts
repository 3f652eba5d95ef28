import type { Pod } from 'kubernetes-types/core/v1';
import { podRequests } from '../../../local/kube-sandbox/controllers/scheduler';
import { types } from '../../../local/kube-sandbox/runtime';
import type { Sandbox } from '../../../local/kube-sandbox/sandbox';
import { eksNode } from '../../../local/kube-sandbox/scenarios/base';
import { podManifest } from '../../support/manifests';
import { elapse, eventsFor, manualSandbox, mustGetPod, nodeNames, ownErrors } from '../../support/sandbox';

function scheduled(pod: Pod) {
  return pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
}

function requesting(name: string, cpu: string, memory = '64Mi') {
  return podManifest(name, {
    containers: [{ name: 'app', image: 'api:1', resources: { requests: { cpu, memory } } }],
  });
}

describe('default scheduler', () => {
  let sandbox: Sandbox;

  beforeEach(async () => {
    sandbox = await manualSandbox();
  });

  afterEach(async () => {
    await sandbox.stop();
  });

  it('binds a pending pod to a node and says so', async () => {
    // Prepare
    sandbox.apply([podManifest('web')]);

    // Act
    await sandbox.settle();

    // Assess
    const pod = mustGetPod(sandbox, 'web');
    expect(nodeNames(sandbox)).toContain(pod.spec!.nodeName);
    expect(scheduled(pod)).toMatchObject({ status: 'True', lastTransitionTime: '2026-03-01T12:00:00Z' });
    expect(eventsFor(sandbox, 'web')[0]).toEqual({
      reason: 'Scheduled',
      message: `Successfully assigned default/web to ${pod.spec!.nodeName}`,
      type: 'Normal',
      count: 1,
      fieldPath: undefined,
      component: 'default-scheduler',
      host: undefined,
    });
    expect(ownErrors(sandbox)).toEqual([]);
  });

  it('spreads pods across the least loaded nodes', async () => {
    // Prepare
    const pods = ['a', 'b', 'c', 'd', 'e', 'f'].map((n) => podManifest(n));

    // Act
    sandbox.apply(pods);
    await sandbox.settle();

    // Assess
    const perNode = new Map<string, number>();
    for (const p of pods) {
      const node = mustGetPod(sandbox, p.metadata.name!).spec!.nodeName!;
      perNode.set(node, (perNode.get(node) ?? 0) + 1);
    }
    expect([...perNode.values()]).toEqual([2, 2, 2]);
  });

  it('honours nodeSelector and required node affinity', async () => {
    // Prepare
    const zoneB = sandbox.store
      .list(types.nodes)
      .find((n) => n.metadata.labels?.['topology.kubernetes.io/zone'] === 'eu-west-1b')!;

    // Act
    sandbox.apply([
      podManifest('by-selector', { spec: { nodeSelector: { 'topology.kubernetes.io/zone': 'eu-west-1b' } } }),
      podManifest('by-affinity', {
        spec: {
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [
                  {
                    matchExpressions: [
                      { key: 'topology.kubernetes.io/zone', operator: 'In', values: ['eu-west-1b'] },
                    ],
                  },
                ],
              },
            },
          },
        },
      }),
    ]);
    await sandbox.settle();

    // Assess
    expect(mustGetPod(sandbox, 'by-selector').spec!.nodeName).toBe(zoneB.metadata.name);
    expect(mustGetPod(sandbox, 'by-affinity').spec!.nodeName).toBe(zoneB.metadata.name);
  });

  it('reports an unmatched nodeSelector as kube-scheduler does', async () => {
    // Prepare
    const message =
      "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.";

    // Act
    sandbox.apply([
      podManifest('gpu', { spec: { nodeSelector: { 'node.kubernetes.io/instance-type': 'p5.48xlarge' } } }),
    ]);
    await sandbox.settle();

    // Assess
    const pod = mustGetPod(sandbox, 'gpu');
    expect(pod.spec!.nodeName).toBeUndefined();
    expect(pod.status!.phase).toBe('Pending');
    expect(scheduled(pod)).toMatchObject({ status: 'False', reason: 'Unschedulable', message });
    expect(eventsFor(sandbox, 'gpu')).toEqual([
      expect.objectContaining({
        type: 'Warning',
        reason: 'FailedScheduling',
        message,
        component: 'default-scheduler',
      }),
    ]);
  });

  it('reports insufficient resources, mixed reasons sorted like kube-scheduler', async () => {
    // Prepare: fill every node's cpu, then ask for more.
    sandbox.apply(nodeNames(sandbox).map((_, i) => requesting(`big-${i}`, '3')));
    await sandbox.settle();

    // Act
    sandbox.apply([requesting('one-more', '2', '20Gi')]);
    sandbox.apply([
      podManifest('picky', {
        containers: [{ name: 'app', image: 'api:1', resources: { requests: { cpu: '2' } } }],
        spec: {
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [
                  {
                    matchExpressions: [
                      { key: 'topology.kubernetes.io/zone', operator: 'NotIn', values: ['eu-west-1a'] },
                    ],
                  },
                ],
              },
            },
          },
        },
      }),
    ]);
    await sandbox.settle();

    // Assess
    expect(scheduled(mustGetPod(sandbox, 'one-more'))!.message).toBe(
      '0/3 nodes are available: 3 Insufficient cpu, 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.',
    );
    expect(scheduled(mustGetPod(sandbox, 'picky'))!.message).toBe(
      "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.",
    );
  });

  it('skips cordoned, tainted and NotReady nodes', async () => {
    // Prepare
    const [first, second, third] = sandbox.store.list(types.nodes).map((n) => structuredClone(n));
    (first.spec as Record<string, unknown>).unschedulable = true;
    (second.spec as Record<string, unknown>).taints = [
      { key: 'dedicated', value: 'batch', effect: 'NoSchedule' },
    ];
    const conditions = (third.status as { conditions: Array<{ type: string; status: string }> }).conditions;
    conditions.find((c) => c.type === 'Ready')!.status = 'Unknown';
    for (const n of [first, second, third]) sandbox.store.update(types.nodes, n);

    // Act
    sandbox.apply([podManifest('nowhere')]);
    await sandbox.settle();

    // Assess
    expect(scheduled(mustGetPod(sandbox, 'nowhere'))!.message).toBe(
      '0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: batch}, 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, 1 node(s) were unschedulable. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.',
    );
  });

  it('places a pod that tolerates a taint', async () => {
    // Prepare
    const nodes = sandbox.store.list(types.nodes).map((n) => structuredClone(n));
    for (const n of nodes) {
      (n.spec as Record<string, unknown>).taints = [
        { key: 'dedicated', value: 'batch', effect: 'NoSchedule' },
      ];
      sandbox.store.update(types.nodes, n);
    }

    // Act
    sandbox.apply([
      podManifest('batch', {
        spec: {
          tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'batch', effect: 'NoSchedule' }],
        },
      }),
    ]);
    await sandbox.settle();

    // Assess
    expect(mustGetPod(sandbox, 'batch').spec!.nodeName).toBeDefined();
  });

  it('retries an unschedulable pod when a fitting node joins', async () => {
    // Prepare
    sandbox.apply([
      podManifest('gpu', { spec: { nodeSelector: { 'node.kubernetes.io/instance-type': 'g5.xlarge' } } }),
    ]);
    await sandbox.settle();
    const gpuNode = eksNode(3);
    gpuNode.metadata.labels!['node.kubernetes.io/instance-type'] = 'g5.xlarge';

    // Act
    sandbox.apply([gpuNode]);
    await elapse(sandbox, 10_000);

    // Assess
    const pod = mustGetPod(sandbox, 'gpu');
    expect(pod.spec!.nodeName).toBe(gpuNode.metadata.name);
    expect(scheduled(pod)!.status).toBe('True');
    expect(pod.status!.phase).toBe('Running');
  });

  it('retries an unschedulable pod when capacity is freed', async () => {
    // Prepare
    sandbox.apply(nodeNames(sandbox).map((_, i) => requesting(`big-${i}`, '3')));
    sandbox.apply([requesting('waiting', '2')]);
    await elapse(sandbox, 5_000);
    expect(mustGetPod(sandbox, 'waiting').spec!.nodeName).toBeUndefined();

    // Act
    sandbox.store.delete(types.pods, 'default', 'big-1');
    await elapse(sandbox, 5_000);

    // Assess
    expect(mustGetPod(sandbox, 'waiting').spec!.nodeName).toBeDefined();
  });

  it('leaves pods for other schedulers alone', async () => {
    // Prepare
    sandbox.apply([podManifest('custom', { spec: { schedulerName: 'karpenter' } })]);

    // Act
    await sandbox.settle();

    // Assess
    expect(mustGetPod(sandbox, 'custom').spec!.nodeName).toBeUndefined();
    expect(eventsFor(sandbox, 'custom')).toEqual([]);
  });
});

describe('podRequests', () => {
  it('takes the larger of the summed containers and the biggest init container', () => {
    // Prepare
    const pod = {
      spec: {
        containers: [
          { name: 'a', resources: { requests: { cpu: '250m', memory: '1Gi' } } },
          { name: 'b', resources: { requests: { cpu: '250m' } } },
        ],
        initContainers: [{ name: 'init', resources: { requests: { cpu: '1', memory: '256Mi' } } }],
      },
    } as Pod;

    // Act
    const requests = podRequests(pod);

    // Assess
    expect(requests.get('cpu')).toBe(1);
    expect(requests.get('memory')).toBe(2 ** 30);
  });
});
