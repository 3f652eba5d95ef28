import type { ControllerRevision, DaemonSet } from 'kubernetes-types/apps/v1';
import type { Node, Pod } from 'kubernetes-types/core/v1';
import { types } from '../../../local/kube-sandbox/runtime';
import type { Sandbox } from '../../../local/kube-sandbox/sandbox';
import { eksNode } from '../../../local/kube-sandbox/scenarios/base';
import type { KubeObject, Writable } from '../../../local/kube-sandbox/store';
import { daemonSetManifest } from '../../support/manifests';
import {
  elapse,
  elapseUntil,
  eventMessages,
  get,
  manualSandbox,
  nodeNames,
  podsControlledBy,
  updateObject,
} from '../../support/sandbox';

type PodObject = Pod & KubeObject;

function ds(sandbox: Sandbox, name = 'agent'): DaemonSet & KubeObject {
  return get(sandbox, 'daemonsets.apps', name) as DaemonSet & KubeObject;
}

function pods(sandbox: Sandbox, name = 'agent'): PodObject[] {
  return podsControlledBy(sandbox, ds(sandbox, name).metadata.uid!) as PodObject[];
}

function rolledOut(sandbox: Sandbox, name = 'agent'): boolean {
  const d = ds(sandbox, name);
  const s = d.status!;
  return (
    s.observedGeneration === d.metadata.generation &&
    (s.updatedNumberScheduled ?? 0) === s.desiredNumberScheduled &&
    (s.numberAvailable ?? 0) === s.desiredNumberScheduled
  );
}

function isAvailable(pod: PodObject): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

describe('DaemonSet controller', () => {
  let sandbox: Sandbox;

  afterEach(async () => {
    await sandbox.stop();
    expect(sandbox.controllerErrors).toEqual([]);
  });

  it('runs one pod per node, pinned by node affinity and bound by the scheduler', async () => {
    // Prepare
    sandbox = await manualSandbox();

    // Act
    sandbox.apply([daemonSetManifest('agent')]);
    await elapseUntil(sandbox, () => rolledOut(sandbox));

    // Assess
    const all = pods(sandbox);
    expect(all.map((p) => p.spec?.nodeName).sort()).toEqual(nodeNames(sandbox).sort());
    for (const pod of all) {
      expect(pod.metadata.name).toMatch(/^agent-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      expect(pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution).toEqual({
        nodeSelectorTerms: [
          { matchFields: [{ key: 'metadata.name', operator: 'In', values: [pod.spec?.nodeName] }] },
        ],
      });
      expect(pod.spec?.tolerations).toEqual(
        expect.arrayContaining([
          { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
          { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
        ]),
      );
    }
    const [revision] = sandbox.store.list(types['controllerrevisions.apps'], 'default') as Array<
      ControllerRevision & KubeObject
    >;
    const hash = revision.metadata.labels!['controller-revision-hash'];
    expect(revision.metadata.name).toBe(`agent-${hash}`);
    expect(revision.revision).toBe(1);
    expect(all[0].metadata.labels).toEqual({
      app: 'agent',
      'controller-revision-hash': hash,
      'pod-template-generation': '1',
    });
    expect(ds(sandbox).metadata.annotations).toEqual({ 'deprecated.daemonset.template.generation': '1' });
    expect(ds(sandbox).status).toEqual({
      currentNumberScheduled: 3,
      numberMisscheduled: 0,
      desiredNumberScheduled: 3,
      numberReady: 3,
      observedGeneration: 1,
      updatedNumberScheduled: 3,
      numberAvailable: 3,
    });
    expect(eventMessages(sandbox, 'agent', 'SuccessfulCreate')).toEqual(
      all.map(() => expect.stringMatching(/^SuccessfulCreate: Created pod: agent-/)),
    );
  });

  it('only runs on nodes matching its nodeSelector', async () => {
    // Prepare
    sandbox = await manualSandbox();
    const zoneA = nodeNames(sandbox).find((n) =>
      (sandbox.store.get(types.nodes, undefined, n) as Node).metadata?.labels?.[
        'topology.kubernetes.io/zone'
      ]?.endsWith('a'),
    );

    // Act
    const manifest = daemonSetManifest('agent');
    (manifest.spec as DaemonSet['spec'] & object).template.spec = {
      ...(manifest.spec as DaemonSet['spec'] & object).template.spec!,
      nodeSelector: { 'topology.kubernetes.io/zone': 'eu-west-1a' },
    };
    sandbox.apply([manifest]);
    await elapseUntil(sandbox, () => rolledOut(sandbox));

    // Assess
    expect(pods(sandbox).map((p) => p.spec?.nodeName)).toEqual([zoneA]);
    expect(ds(sandbox).status).toMatchObject({ desiredNumberScheduled: 1, currentNumberScheduled: 1 });
  });

  it('follows nodes: a new node gets a pod, a NotReady node gets none, a cordoned one keeps its pod', async () => {
    // Prepare
    sandbox = await manualSandbox([daemonSetManifest('agent')]);
    await elapseUntil(sandbox, () => rolledOut(sandbox));
    const [first] = nodeNames(sandbox);

    // Act
    sandbox.apply([eksNode(3)]);
    await elapseUntil(sandbox, () => rolledOut(sandbox) && ds(sandbox).status!.desiredNumberScheduled === 4);
    const notReady = eksNode(4);
    const conditions = (notReady.status as Node['status'] & object).conditions!;
    (conditions.find((c) => c.type === 'Ready') as { status: string }).status = 'False';
    sandbox.apply([notReady]);
    await updateObject(sandbox, 'nodes', first, (n) => {
      (n.spec as { unschedulable?: boolean }).unschedulable = true;
    });
    await elapse(sandbox, 10_000);

    // Assess
    expect(
      pods(sandbox)
        .map((p) => p.spec?.nodeName ?? '')
        .sort(),
    ).toEqual(
      nodeNames(sandbox)
        .filter((n) => n !== notReady.metadata.name)
        .sort(),
    );
    expect(ds(sandbox).status).toMatchObject({
      desiredNumberScheduled: 4,
      numberReady: 4,
      numberMisscheduled: 0,
    });
  });

  it('rolls out a new template one node at a time with maxUnavailable 1', async () => {
    // Prepare
    sandbox = await manualSandbox([daemonSetManifest('agent')]);
    await elapseUntil(sandbox, () => rolledOut(sandbox));
    let worstUnavailable = 0;
    sandbox.store.subscribe(({ storageKey }) => {
      if (storageKey !== 'pods') return;
      const serving = new Set(
        pods(sandbox)
          .filter((p) => !p.metadata.deletionTimestamp && isAvailable(p))
          .map((p) => p.spec?.nodeName),
      );
      worstUnavailable = Math.max(worstUnavailable, 3 - serving.size);
    });

    // Act
    await updateObject(sandbox, 'daemonsets.apps', 'agent', (o) => {
      (o as DaemonSet & KubeObject).spec!.template.spec!.containers[0].image = 'nginx:1.28';
    });
    const done = await elapseUntil(sandbox, () => rolledOut(sandbox));

    // Assess
    expect(done).toBe(true);
    expect(worstUnavailable).toBe(1);
    expect(pods(sandbox).map((p) => p.spec?.containers[0].image)).toEqual([
      'nginx:1.28',
      'nginx:1.28',
      'nginx:1.28',
    ]);
    expect(pods(sandbox).map((p) => p.metadata.labels?.['pod-template-generation'])).toEqual(['2', '2', '2']);
    const revisions = (
      sandbox.store.list(types['controllerrevisions.apps'], 'default') as Array<
        ControllerRevision & KubeObject
      >
    ).map((r) => r.revision);
    expect(revisions.sort()).toEqual([1, 2]);
    expect(eventMessages(sandbox, 'agent', 'SuccessfulDelete')).toHaveLength(3);
  });

  it('replaces a failed daemon pod', async () => {
    // Prepare
    sandbox = await manualSandbox([daemonSetManifest('agent')]);
    await elapseUntil(sandbox, () => rolledOut(sandbox));
    const victim = structuredClone(pods(sandbox)[0]) as Writable<Pod> & KubeObject;

    // Act
    victim.status = { ...victim.status, phase: 'Failed' };
    sandbox.store.update(types.pods, victim);
    await elapseUntil(
      sandbox,
      () => rolledOut(sandbox) && !pods(sandbox).some((p) => p.metadata.uid === victim.metadata.uid),
    );

    // Assess
    expect(eventMessages(sandbox, 'agent', 'FailedDaemonPod')).toEqual([
      `FailedDaemonPod: Found failed daemon pod default/${victim.metadata.name} on node ${victim.spec?.nodeName}, will try to kill it`,
    ]);
    expect(pods(sandbox).map((p) => p.spec?.nodeName)).toContain(victim.spec?.nodeName);
  });
});
