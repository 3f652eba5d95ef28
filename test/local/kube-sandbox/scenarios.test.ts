import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type V1Pod,
  type V1ReplicaSet,
} from '@kubernetes/client-node';
import { startSandbox, type Sandbox } from '../../../local/kube-sandbox/sandbox';
import { SCENARIOS } from '../../../local/kube-sandbox/scenarios';
import { scaleScenario } from '../../../local/kube-sandbox/scenarios/scale';
import { kubeConfigFor } from '../../support/kube';
import { eventually } from '../../support/polling';

const DAY = 86_400_000;

describe('the demo scenario', () => {
  // Sandbox time runs 200x faster: crash-loop back-offs and readiness take milliseconds.
  let sandbox: Sandbox;
  let core: CoreV1Api;
  let apps: AppsV1Api;
  let batch: BatchV1Api;

  beforeAll(async () => {
    sandbox = await startSandbox({ scenario: 'demo', clock: { timeScale: 200 } });
    const kc = kubeConfigFor(sandbox);
    core = kc.makeApiClient(CoreV1Api);
    apps = kc.makeApiClient(AppsV1Api);
    batch = kc.makeApiClient(BatchV1Api);
  });

  afterAll(async () => {
    await sandbox?.stop();
  });

  async function pods(namespace: string, app: string): Promise<V1Pod[]> {
    return (await core.listNamespacedPod({ namespace, labelSelector: `app=${app}` })).items;
  }

  async function replicaSets(namespace: string, app: string): Promise<V1ReplicaSet[]> {
    const list = await apps.listNamespacedReplicaSet({ namespace, labelSelector: `app=${app}` });
    return list.items.sort((a, b) => revisionOf(a) - revisionOf(b));
  }

  function revisionOf(rs: V1ReplicaSet): number {
    return Number(rs.metadata?.annotations?.['deployment.kubernetes.io/revision']);
  }

  it('is registered by name', () => {
    // Assess
    expect(SCENARIOS.demo.name).toBe('demo');
    expect(SCENARIOS.scale.name).toBe('scale');
  });

  it('has alldata-api crash-looping on MySQL, and a rollout restart recovers it', async () => {
    // Prepare
    const crashing = await eventually('both alldata-api pods in CrashLoopBackOff', async () => {
      const list = await pods('one-data-alldata', 'alldata-api');
      const inBackOff = list.filter(
        (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff',
      );
      return list.length === 2 && inBackOff.length === 2 ? inBackOff : undefined;
    });
    const previous = await core.readNamespacedPodLog({
      name: crashing[0].metadata!.name!,
      namespace: 'one-data-alldata',
      previous: true,
    });

    // Act
    await apps.patchNamespacedDeployment(
      {
        name: 'alldata-api',
        namespace: 'one-data-alldata',
        body: {
          spec: {
            template: {
              metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': sandbox.clock.rfc3339() } },
            },
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );

    // Assess
    expect(crashing[0].status!.containerStatuses![0].lastState!.terminated).toMatchObject({
      reason: 'Error',
      exitCode: 3,
    });
    expect(previous).toContain(
      `sqlalchemy.exc.OperationalError: (pymysql.err.OperationalError) (2003, "Can't connect to MySQL server on 'mysql.one-data-infra' (111)")`,
    );
    const recovered = await eventually('alldata-api to be available again', async () => {
      const d = await apps.readNamespacedDeployment({ name: 'alldata-api', namespace: 'one-data-alldata' });
      const s = d.status;
      return s?.availableReplicas === 2 && s.updatedReplicas === 2 && s.replicas === 2 ? d : undefined;
    });
    expect(recovered.status!.conditions).toContainEqual(
      expect.objectContaining({ type: 'Available', status: 'True' }),
    );
  });

  it('has agent-api with a healthy revision 1 and a crashing revision 2, as after a real rollout', async () => {
    // Act
    const [rev1, rev2] = await eventually(
      'agent-api revision 1 ready and revision 2 crash-looping',
      async () => {
        const sets = await replicaSets('one-data-system', 'agent-api');
        const newPods = (await pods('one-data-system', 'agent-api')).filter(
          (p) =>
            p.metadata?.labels?.['pod-template-hash'] === sets[1]?.metadata?.labels?.['pod-template-hash'],
        );
        const crashLooping = newPods.some(
          (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff',
        );
        return sets.length === 2 && sets[0].status?.readyReplicas === 2 && crashLooping ? sets : undefined;
      },
    );

    // Assess
    expect([revisionOf(rev1), revisionOf(rev2)]).toEqual([1, 2]);
    expect(rev1.spec!.template!.spec!.containers[0].image).toBe(
      'registry.one-data.io/studio/agent-api:2.5.3',
    );
    expect(rev2.spec!.template!.spec!.containers[0].image).toBe(
      'registry.one-data.io/studio/agent-api:2.6.0',
    );
    expect(rev2.metadata!.annotations!['kubernetes.io/change-cause']).toContain('2.6.0');
    const deployment = await apps.readNamespacedDeployment({
      name: 'agent-api',
      namespace: 'one-data-system',
    });
    expect(deployment.metadata!.annotations!['deployment.kubernetes.io/revision']).toBe('2');
    expect(deployment.status!.availableReplicas).toBe(2);
    const crashed = (await pods('one-data-system', 'agent-api')).find(
      (p) => p.status?.containerStatuses?.[0]?.lastState?.terminated,
    )!;
    const log = await core.readNamespacedPodLog({
      name: crashed.metadata!.name!,
      namespace: 'one-data-system',
      previous: true,
    });
    expect(log).toContain('panic: runtime error: invalid memory address or nil pointer dereference');
  });

  it('has bisheng-api OOMKilled in both of its revisions', async () => {
    // Act
    const killed = await eventually('bisheng-api pods of both revisions OOMKilled', async () => {
      const sets = await replicaSets('one-data-bisheng', 'bisheng-api');
      const list = await pods('one-data-bisheng', 'bisheng-api');
      const oomHashes = new Set(
        list
          .filter((p) => p.status?.containerStatuses?.[0]?.lastState?.terminated?.reason === 'OOMKilled')
          .map((p) => p.metadata!.labels!['pod-template-hash']),
      );
      return sets.length === 2 && oomHashes.size === 2 ? { sets, list } : undefined;
    });

    // Assess
    expect(killed.sets.map(revisionOf)).toEqual([1, 2]);
    expect(killed.sets.map((rs) => rs.spec!.template!.spec!.containers[0].resources!.limits!.memory)).toEqual(
      ['1Gi', '1536Mi'],
    );
    const terminated = killed.list
      .map((p) => p.status!.containerStatuses![0].lastState?.terminated)
      .filter((t) => t?.reason === 'OOMKilled');
    for (const t of terminated) expect(t!.exitCode).toBe(137);
    const deployment = await apps.readNamespacedDeployment({
      name: 'bisheng-api',
      namespace: 'one-data-bisheng',
    });
    expect(deployment.status!.availableReplicas ?? 0).toBe(0);
  });

  it('runs without controller errors', () => {
    // Assess
    expect(sandbox.controllerErrors).toEqual([]);
  });

  it('has the nightly backups, with milvus-backup failing for days', async () => {
    // Act
    const cronJobs = (await batch.listNamespacedCronJob({ namespace: 'one-data-infra' })).items;
    const jobs = (await batch.listNamespacedJob({ namespace: 'one-data-infra' })).items;
    const now = sandbox.clock.now();

    // Assess
    expect(cronJobs.map((c) => [c.metadata!.name, c.spec!.schedule])).toEqual([
      ['milvus-backup', '0 3 * * *'],
      ['minio-mirror', '30 2 * * *'],
      ['mysql-backup', '0 2 * * *'],
    ]);
    const byName = Object.fromEntries(cronJobs.map((c) => [c.metadata!.name!, c]));
    const age = (t: Date | undefined): number => now - t!.getTime();
    expect(age(byName['mysql-backup'].status!.lastSuccessfulTime)).toBeLessThan(DAY);
    expect(age(byName['minio-mirror'].status!.lastSuccessfulTime)).toBeLessThan(DAY);
    expect(age(byName['milvus-backup'].status!.lastSuccessfulTime)).toBeGreaterThan(3 * DAY);
    expect(age(byName['milvus-backup'].status!.lastScheduleTime)).toBeLessThan(DAY);

    const milvusJobs = jobs.filter(
      (j) => j.metadata!.ownerReferences?.[0]?.uid === byName['milvus-backup'].metadata!.uid,
    );
    expect(milvusJobs).toHaveLength(3);
    for (const job of milvusJobs) {
      expect(job.status!.conditions).toContainEqual(
        expect.objectContaining({ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }),
      );
    }
    const latest = milvusJobs.sort(
      (a, b) => b.status!.startTime!.getTime() - a.status!.startTime!.getTime(),
    )[0];
    expect(age(latest.status!.startTime)).toBeLessThan(DAY);
    const failedPods = (
      await core.listNamespacedPod({
        namespace: 'one-data-infra',
        labelSelector: `batch.kubernetes.io/job-name=${latest.metadata!.name}`,
      })
    ).items;
    expect(failedPods.map((p) => p.status!.phase)).toEqual(['Failed', 'Failed']);
    const log = await core.readNamespacedPodLog({
      name: failedPods[0].metadata!.name!,
      namespace: 'one-data-infra',
    });
    expect(log).toContain('The specified bucket does not exist.');
  });
});

describe('the demo scenario on a manual clock', () => {
  let sandbox: Sandbox;

  afterEach(async () => {
    await sandbox?.stop();
  });

  it('starts without time passing, with both agent-api revisions in place', async () => {
    // Act
    sandbox = await startSandbox({ scenario: 'demo', clock: { mode: 'manual' } });

    // Assess
    const apps = kubeConfigFor(sandbox).makeApiClient(AppsV1Api);
    const sets = await apps.listNamespacedReplicaSet({
      namespace: 'one-data-system',
      labelSelector: 'app=agent-api',
    });
    expect(
      sets.items.map((rs) => rs.metadata!.annotations!['deployment.kubernetes.io/revision']).sort(),
    ).toEqual(['1', '2']);
    expect(sandbox.controllerErrors).toEqual([]);
  });
});

describe('the scale scenario', () => {
  // Controllers off: the counts stay exactly what the scenario wrote.
  let sandbox: Sandbox;
  let core: CoreV1Api;

  beforeAll(async () => {
    sandbox = await startSandbox({
      scenario: scaleScenario(),
      controllers: false,
      clock: { mode: 'manual' },
    });
    core = kubeConfigFor(sandbox).makeApiClient(CoreV1Api);
  });

  afterAll(async () => {
    await sandbox?.stop();
  });

  it('lists 5,000 pods in pages of 500, every pod exactly once', async () => {
    // Act
    const names: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await core.listNamespacedPod({ namespace: 'scale-test', limit: 500, _continue: token });
      names.push(...page.items.map((p) => p.metadata!.name!));
      token = page.metadata?._continue;
      pages++;
    } while (token);

    // Assess
    expect(pages).toBe(10);
    expect(names).toHaveLength(5000);
    expect(new Set(names).size).toBe(5000);
  });

  it('lists 50,000 events in pages of 1,000, every event exactly once', async () => {
    // Act
    const names: string[] = [];
    let token: string | undefined;
    let remaining: number | undefined;
    do {
      const page = await core.listNamespacedEvent({ namespace: 'scale-test', limit: 1000, _continue: token });
      names.push(...page.items.map((e) => e.metadata!.name!));
      token = page.metadata?._continue;
      if (names.length === 1000) remaining = page.metadata?.remainingItemCount;
    } while (token);

    // Assess
    expect(remaining).toBe(49_000);
    expect(names).toHaveLength(50_000);
    expect(new Set(names).size).toBe(50_000);
  });
});
