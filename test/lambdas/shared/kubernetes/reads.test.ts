import { CoreV1Api, EventsV1Api, type CoreV1Event } from '@kubernetes/client-node';
import type { Target } from '../../../../lambdas/shared/contracts';
import { WorkloadNotFoundError } from '../../../../lambdas/shared/errors';
import { localKubeConfig } from '../../../../lambdas/shared/kubernetes/client';
import { eventTime } from '../../../../lambdas/shared/kubernetes/kubectl';
import { NS, deployment, startKube, type KubeUnderTest } from './sandbox-kube';
import { eventually } from '../../../support/polling';

// The reads Quick Diagnostics, Collect Events and Cluster Dump make, against the sandbox.
let t: KubeUnderTest;

afterEach(async () => {
  await t?.sandbox.stop();
});

const API: Target = { namespace: NS, kind: 'Deployment', name: 'alldata-api' };
const CRASH_LOGS = [
  'starting alldata-api 2.3.1',
  'connecting to mysql:3306',
  'Error: connect ECONNREFUSED 10.0.3.7:3306',
];

/** Crash-loops until restarted: its database was not ready when it started (the runbooks' P0). */
function crashingApi() {
  return deployment('alldata-api', {
    behavior: { app: { mode: 'crash', logs: CRASH_LOGS, runSeconds: 2, recoverAfterRolloutRestart: true } },
  });
}

describe('getWorkload, listPods, getNodes', () => {
  it('reads the workload, its pods by selector and the nodes they run on', async () => {
    // Prepare
    t = await startKube({ objects: [deployment('alldata-api', { replicas: 3 }), deployment('other')] });
    await eventually('pods to run', async () => {
      const pods = await t.kube.workloads.listPods(NS, { matchLabels: { app: 'alldata-api' } });
      return pods.length === 3 && pods.every((p) => p.spec?.nodeName) ? pods : undefined;
    });

    // Act
    const workload = await t.kube.workloads.getWorkload(API);
    const pods = await t.kube.workloads.listPods(NS, workload.object.spec!.selector!);
    const nodeNames = pods.map((p) => p.spec!.nodeName!);
    const nodes = await t.kube.workloads.getNodes([...nodeNames, 'ip-10-9-9-9.eu-west-1.compute.internal']);

    // Assess
    expect(workload.kind).toBe('Deployment');
    expect(workload.object.metadata?.name).toBe('alldata-api');
    expect(pods.map((p) => p.metadata?.labels?.app)).toEqual(['alldata-api', 'alldata-api', 'alldata-api']);
    expect(nodes.map((n) => n.metadata?.name).sort()).toEqual([...new Set(nodeNames)].sort());
  });

  it('names the workload it looked for when it does not exist', async () => {
    // Prepare
    t = await startKube();

    // Act
    const missing = await t.kube.workloads
      .getWorkload({ namespace: NS, kind: 'StatefulSet', name: 'milvus' })
      .catch((error: Error) => error);

    // Assess
    expect(missing).toBeInstanceOf(WorkloadNotFoundError);
    expect((missing as Error).message).toBe(
      'statefulsets.apps "milvus" not found in namespace "one-data-alldata"',
    );
  });
});

describe('readLog', () => {
  it('reads the previous instance, its tail, and at most limitBytes', async () => {
    // Prepare
    t = await startKube({ objects: [crashingApi()] });
    const pod = await eventually('a container restart', async () => {
      const pods = await t.kube.workloads.listPods(NS, { matchLabels: { app: 'alldata-api' } });
      return pods.find((p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1);
    });
    const name = pod.metadata!.name!;

    // Act
    const previous = await t.kube.logs.readLog(NS, name, 'app', { previous: true });
    const tail = await t.kube.logs.readLog(NS, name, 'app', { previous: true, tailLines: 1 });
    const limited = await t.kube.logs.readLog(NS, name, 'app', { previous: true, limitBytes: 8 });

    // Assess
    expect(previous).toBe(CRASH_LOGS.map((l) => `${l}\n`).join(''));
    expect(tail).toBe(`${CRASH_LOGS[2]}\n`);
    expect(limited).toBe('starting');
  });
});

describe('eventSubjects and listEvents', () => {
  it('collects the events of the workload, its ReplicaSets and its pods, gone ones included, in kubectl events order', async () => {
    // Prepare
    t = await startKube({ objects: [crashingApi(), deployment('other')] });
    await eventually('back-off events', async () => {
      const events = await t.kube.events.listEvents(NS, await t.kube.events.eventSubjects(API));
      return events.some((e) => e.reason === 'BackOff') ? events : undefined;
    });
    const firstPods = (await t.kube.workloads.listPods(NS, { matchLabels: { app: 'alldata-api' } })).map(
      (p) => p.metadata!.name!,
    );
    await t.kube.rollouts.rolloutRestart(API, new Date(t.sandbox.clock.now()));
    await eventually('the first pods to be gone', async () => {
      const names = (await t.kube.workloads.listPods(NS, { matchLabels: { app: 'alldata-api' } })).map(
        (p) => p.metadata!.name,
      );
      return firstPods.every((p) => !names.includes(p)) ? true : undefined;
    });

    // Act
    const subjects = await t.kube.events.eventSubjects(API);
    const events = await t.kube.events.listEvents(NS, subjects);

    // Assess
    const kinds = new Set(events.map((e) => `${e.involvedObject.kind} ${e.reason}`));
    for (const expected of [
      'Deployment ScalingReplicaSet',
      'ReplicaSet SuccessfulCreate',
      'Pod Scheduled',
      'Pod BackOff',
    ]) {
      expect(kinds).toContain(expected);
    }
    expect(events.some((e) => firstPods.includes(e.involvedObject.name!))).toBe(true);
    expect(events.filter((e) => e.involvedObject.name?.startsWith('other'))).toEqual([]);
    const times = events.map(eventTime);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(new Set(events.map((e) => e.metadata.uid)).size).toBe(events.length);
    const kc = localKubeConfig({ yaml: t.sandbox.kubeconfig() });
    const core = (await kc.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: NS })).items;
    const v1 = (await kc.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace: NS })).items;
    const related = (list: Array<{ metadata?: { uid?: string } }>) =>
      list.filter((e) => events.some((x: CoreV1Event) => x.metadata.uid === e.metadata?.uid)).length;
    expect(related(core)).toBe(events.length);
    expect(related(v1)).toBe(events.length);
  });
});

describe('listPage', () => {
  it('pages through a resource with limit and continue', async () => {
    // Prepare
    t = await startKube({ objects: [deployment('alldata-api', { replicas: 3 })] });
    await eventually('three pods', async () => {
      const pods = await t.kube.workloads.listPods(NS, { matchLabels: { app: 'alldata-api' } });
      return pods.length === 3 ? pods : undefined;
    });
    const names: string[] = [];
    const remaining: Array<number | undefined> = [];
    let token: string | undefined;

    // Act
    do {
      const page = await t.kube.dump.listPage('pods', NS, { limit: 2, continue: token });
      names.push(...page.items.map((p) => `${p.apiVersion} ${p.kind} ${p.metadata?.name}`));
      remaining.push(page.remainingItemCount);
      token = page.continue;
    } while (token);

    // Assess
    expect(names).toHaveLength(3);
    expect(names.every((n) => n.startsWith('v1 Pod alldata-api-'))).toBe(true);
    expect(remaining).toEqual([1, undefined]);
  });

  it('lists cluster-scoped resources and namespaced ones across all namespaces', async () => {
    // Prepare
    t = await startKube({ objects: [deployment('alldata-api')] });

    // Act
    const nodes = await t.kube.dump.listPage('nodes', undefined, { limit: 100 });
    const namespaces = await t.kube.dump.listPage('namespaces', undefined, { limit: 100 });
    const deployments = await t.kube.dump.listPage('deployments', undefined, { limit: 100 });

    // Assess
    expect(nodes.items).toHaveLength(3);
    expect(namespaces.items.map((n) => n.metadata?.name)).toEqual(expect.arrayContaining(['default', NS]));
    expect(
      deployments.items.map((d) => `${d.apiVersion} ${d.kind} ${d.metadata?.namespace}/${d.metadata?.name}`),
    ).toEqual([`apps/v1 Deployment ${NS}/alldata-api`]);
  });

  it('never returns Secret or ConfigMap contents, not even in last-applied-configuration', async () => {
    // Prepare
    const lastApplied = '{"apiVersion":"v1","kind":"Secret","stringData":{"password":"hunter2"}}';
    t = await startKube({
      objects: [
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: {
            name: 'mysql-credentials',
            namespace: NS,
            labels: { app: 'mysql' },
            annotations: { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied },
          },
          type: 'Opaque',
          data: { password: Buffer.from('hunter2').toString('base64') },
        },
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'alldata-config', namespace: NS },
          data: { DATABASE_URL: 'mysql://root:hunter2@mysql:3306/alldata' },
        },
      ],
    });

    // Act
    const secrets = await t.kube.dump.listPage('secrets', NS, { limit: 10 });
    const configMaps = await t.kube.dump.listPage('configmaps', undefined, { limit: 10 });

    // Assess
    expect(secrets.items).toEqual([
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: expect.objectContaining({
          name: 'mysql-credentials',
          namespace: NS,
          labels: { app: 'mysql' },
        }),
      },
    ]);
    expect(JSON.stringify([secrets, configMaps])).not.toMatch(/hunter2|aHVudGVyMg|DATABASE_URL/);
    expect(configMaps.items.map((c) => c.metadata?.name)).toContain('alldata-config');
  });
});
