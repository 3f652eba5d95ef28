import { ClientNodeOwnerLookup } from '../../../lambdas/intake/cluster-owner-lookup';
import { CachingOwnerLookup, OWNER_LOOKUP_API_USAGE } from '../../../lambdas/intake/owner-lookup';
import { resolveTarget, type ResolveOptions } from '../../../lambdas/intake/targets';
import type { AlertTargetRule } from '../../../lambdas/shared/alert-targets';
import { KubernetesServerError } from '../../../lambdas/shared/errors';
import { localKubeConfig } from '../../../lambdas/shared/kubernetes/client';
import { rbacAllows } from '../../../lambdas/shared/rbac';
import { types } from '../../../local/kube-sandbox/runtime';
import { startSandbox, type Sandbox } from '../../../local/kube-sandbox/sandbox';

/*
 * Which workload an alert is about, resolved through the real client-node against the
 * sandbox's demo cluster (ONE-DATA-STUDIO: Deployments, StatefulSets, DaemonSets, CronJob pods).
 */

let sandbox: Sandbox;
let options: ResolveOptions;

beforeAll(async () => {
  sandbox = await startSandbox({ scenario: 'demo', clock: { mode: 'manual' } });
  await sandbox.settle();
});

afterAll(async () => {
  await sandbox.stop();
});

beforeEach(() => {
  sandbox.requests.clear();
  sandbox.faults.clear();
  options = {
    rules: [],
    owners: new ClientNodeOwnerLookup(localKubeConfig({ yaml: sandbox.kubeconfig() }), {
      requestTimeoutMs: 2000,
    }),
    defaultNamespace: 'kube-system',
  };
});

/** A pod of the demo cluster whose controller is `kind` `name` (its generated name differs per run). */
function podOf(namespace: string, kind: string, name: string): string {
  const pod = sandbox.store
    .list(types.pods, namespace)
    .find((p) => p.metadata.ownerReferences?.some((ref) => ref.kind === kind && ref.name.startsWith(name)));
  if (!pod) throw new Error(`the demo cluster has no pod of ${kind} ${namespace}/${name}`);
  return pod.metadata.name!;
}

const crashLooping = (namespace: string, pod: string) => ({
  alertname: 'KubePodCrashLooping',
  container: 'api',
  job: 'kube-state-metrics',
  namespace,
  pod,
  severity: 'warning',
});

describe('resolveTarget', () => {
  it.each([
    [{ deployment: 'alldata-api' }, 'Deployment', 'alldata-api', 'label deployment'],
    [{ statefulset: 'mysql' }, 'StatefulSet', 'mysql', 'label statefulset'],
    [{ daemonset: 'aws-node' }, 'DaemonSet', 'aws-node', 'label daemonset'],
    [
      { workload: 'minio', workload_type: 'statefulset' },
      'StatefulSet',
      'minio',
      'labels workload, workload_type',
    ],
  ])(
    'takes kube-state-metrics workload labels %j as they are, asking the cluster nothing',
    async (labels, kind, name, via) => {
      // Act
      const resolved = await resolveTarget(
        { alertname: 'KubeDeploymentReplicasMismatch', namespace: 'ns-1', ...labels },
        options,
      );

      // Assess
      expect(resolved).toEqual({ target: { kind, namespace: 'ns-1', name }, via });
      expect(sandbox.requests.all()).toEqual([]);
    },
  );

  it('follows a Deployment pod through its ReplicaSet to the Deployment', async () => {
    // Prepare
    const pod = podOf('one-data-alldata', 'ReplicaSet', 'alldata-api-');

    // Act
    const resolved = await resolveTarget(crashLooping('one-data-alldata', pod), options);

    // Assess
    expect(resolved).toEqual({
      target: { kind: 'Deployment', namespace: 'one-data-alldata', name: 'alldata-api' },
      via: `pod ${pod} → Deployment`,
    });
    expect(sandbox.requests.all().map((r) => `${r.verb} ${r.resource}`)).toEqual([
      'get pods',
      'get replicasets',
    ]);
  });

  it('finds the StatefulSet and the DaemonSet that control a pod', async () => {
    // Act
    const statefulSet = await resolveTarget(crashLooping('one-data-infra', 'mysql-0'), options);
    const daemonSet = await resolveTarget(
      crashLooping('kube-system', podOf('kube-system', 'DaemonSet', 'kube-proxy')),
      options,
    );

    // Assess
    expect(statefulSet.target).toEqual({ kind: 'StatefulSet', namespace: 'one-data-infra', name: 'mysql' });
    expect(daemonSet.target).toEqual({ kind: 'DaemonSet', namespace: 'kube-system', name: 'kube-proxy' });
  });

  it('finds the workload of a pod that is already gone from the name its controller gave it', async () => {
    // Prepare: names as the controllers make them, of pods that no longer exist.
    const replicaSet = podOf('one-data-alldata', 'ReplicaSet', 'alldata-api-').replace(/-[a-z0-9]{5}$/, '');

    // Act
    const deployment = await resolveTarget(crashLooping('one-data-alldata', `${replicaSet}-zzzzz`), options);
    const statefulSet = await resolveTarget(crashLooping('one-data-infra', 'mysql-7'), options);
    const daemonSet = await resolveTarget(crashLooping('kube-system', 'aws-node-qqqqq'), options);
    const unknown = await resolveTarget(crashLooping('one-data-alldata', 'worker-abcde'), options);

    // Assess
    expect(deployment).toEqual({
      target: { kind: 'Deployment', namespace: 'one-data-alldata', name: 'alldata-api' },
      via: `pod ${replicaSet}-zzzzz (gone) → Deployment by name`,
    });
    expect(statefulSet.target).toEqual({ kind: 'StatefulSet', namespace: 'one-data-infra', name: 'mysql' });
    expect(daemonSet.target).toEqual({ kind: 'DaemonSet', namespace: 'kube-system', name: 'aws-node' });
    expect(unknown).toEqual({
      target: { kind: 'Namespace', namespace: 'one-data-alldata' },
      via: 'no workload: pod worker-abcde no longer exists and its name names no workload',
    });
  });

  it('targets the Job of a Job pod, a job_name label and a cronjob label', async () => {
    // Prepare
    const backupPod = podOf('one-data-infra', 'Job', 'mysql-backup-');

    // Act
    const cronJobPod = await resolveTarget(crashLooping('one-data-infra', backupPod), options);
    const job = await resolveTarget(
      { alertname: 'KubeJobFailed', namespace: 'one-data-infra', job_name: 'mysql-backup-29919000' },
      options,
    );
    const cronJob = await resolveTarget(
      { alertname: 'KubeCronJobRunning', namespace: 'one-data-infra', cronjob: 'milvus-backup' },
      options,
    );

    // Assess
    expect(cronJobPod).toEqual({
      target: { kind: 'Job', namespace: 'one-data-infra', name: expect.stringMatching(/^mysql-backup-\d+$/) },
      via: expect.stringMatching(/^pod .* → Job$/),
    });
    expect(job).toEqual({
      target: { kind: 'Job', namespace: 'one-data-infra', name: 'mysql-backup-29919000' },
      via: 'label job_name',
    });
    expect(cronJob).toEqual({
      target: { kind: 'CronJob', namespace: 'one-data-infra', name: 'milvus-backup' },
      via: 'label cronjob',
    });
  });

  it('opens a namespace-level incident for unknown labels and malformed names', async () => {
    // Act
    const unknown = await resolveTarget(
      {
        alertname: 'HighLatency',
        namespace: 'one-data-system',
        service: 'gateway',
        instance: '10.0.3.7:8080',
      },
      options,
    );
    const malformed = await resolveTarget(
      { alertname: 'X', namespace: 'one-data-system', deployment: 'Not_A_Name' },
      options,
    );

    // Assess
    expect(unknown).toEqual({
      target: { kind: 'Namespace', namespace: 'one-data-system' },
      via: 'no workload: the labels name no workload or pod',
    });
    expect(malformed.target).toEqual({ kind: 'Namespace', namespace: 'one-data-system' });
  });

  it('gives an alert without a namespace label the configured default namespace', async () => {
    // Act
    const resolved = await resolveTarget({ alertname: 'KubeNodeNotReady', node: 'ip-10-0-1-20' }, options);

    // Assess
    expect(resolved).toEqual({
      target: { kind: 'Namespace', namespace: 'kube-system' },
      via: 'no namespace label: the default namespace',
    });
  });

  it('applies the configured rules for service-level alerts before the labels', async () => {
    // Prepare
    const rules: AlertTargetRule[] = [
      { match: { job: 'data-api' }, target: { kind: 'Deployment', name: 'alldata-api' } },
      {
        match: { job: 'search', env: 'prod' },
        target: { kind: 'Deployment', namespace: 'search', name: 'opensearch' },
      },
      { match: { service: 'batch' }, target: { kind: 'Namespace', namespace: 'one-data-infra' } },
    ];
    const withRules = { ...options, rules };

    // Act
    const mapped = await resolveTarget(
      { alertname: 'ServiceDown', job: 'data-api', namespace: 'one-data-alldata', pod: 'x-1' },
      withRules,
    );
    const ruleNamespace = await resolveTarget(
      { alertname: 'ServiceDown', job: 'search', env: 'prod' },
      withRules,
    );
    const partial = await resolveTarget(
      { alertname: 'ServiceDown', job: 'search', namespace: 'one-data-system' },
      withRules,
    );
    const noNamespace = await resolveTarget({ alertname: 'ServiceDown', job: 'data-api' }, withRules);
    const namespaceRule = await resolveTarget({ alertname: 'BatchLate', service: 'batch' }, withRules);

    // Assess
    expect(mapped).toEqual({
      target: { kind: 'Deployment', namespace: 'one-data-alldata', name: 'alldata-api' },
      via: 'rule 1 (job="data-api")',
    });
    expect(ruleNamespace.target).toEqual({ kind: 'Deployment', namespace: 'search', name: 'opensearch' });
    expect(partial.target).toEqual({ kind: 'Namespace', namespace: 'one-data-system' });
    expect(noNamespace.target).toEqual({ kind: 'Namespace', namespace: 'kube-system' });
    expect(namespaceRule).toEqual({
      target: { kind: 'Namespace', namespace: 'one-data-infra' },
      via: 'rule 3 (service="batch")',
    });
    expect(sandbox.requests.all()).toEqual([]);
  });

  it('fails with the transient error when the cluster answers 500, so the delivery is retried', async () => {
    // Prepare
    sandbox.faults.add({ verb: 'get', resource: 'pods', status: 500 });

    // Act
    const act = resolveTarget(crashLooping('one-data-alldata', 'alldata-api-7d9c6b5f4d-x2x8q'), options);

    // Assess
    await expect(act).rejects.toThrow(KubernetesServerError);
  });

  it('falls back to the namespace when the cluster refuses to say (403): a retry would not help', async () => {
    // Prepare
    sandbox.faults.add({ verb: 'get', resource: 'pods', status: 403 });

    // Act
    const resolved = await resolveTarget(
      crashLooping('one-data-alldata', 'alldata-api-7d9c6b5f4d-x2x8q'),
      options,
    );

    // Assess
    expect(resolved).toEqual({
      target: { kind: 'Namespace', namespace: 'one-data-alldata' },
      via: expect.stringMatching(
        /^no workload: the owner chain could not be read: get pods one-data-alldata\/alldata-api-7d9c6b5f4d-x2x8q/,
      ),
    });
  });

  it('makes only requests the generated RBAC grants', async () => {
    // Prepare
    const granted = OWNER_LOOKUP_API_USAGE.map((use) => `${use.verb} ${use.resource}`);

    // Act
    await resolveTarget(
      crashLooping('one-data-alldata', podOf('one-data-alldata', 'ReplicaSet', 'alldata-api-')),
      options,
    );
    await resolveTarget(crashLooping('one-data-infra', 'mysql-7'), options);
    await resolveTarget(crashLooping('kube-system', 'aws-node-qqqqq'), options);

    // Assess
    const made = [...new Set(sandbox.requests.all().map((r) => `${r.verb} ${r.resource}`))];
    expect(made.filter((request) => !granted.includes(request))).toEqual([]);
    for (const use of OWNER_LOOKUP_API_USAGE) {
      expect({
        use,
        allowed: rbacAllows({ ...use, namespace: 'any-namespace' }, ['apps'], [], 'intake'),
      }).toEqual({
        use,
        allowed: true,
      });
    }
  });
});

describe('CachingOwnerLookup', () => {
  it('asks the cluster once for concurrent and repeated questions until the answer is older than its TTL', async () => {
    // Prepare
    let now = 0;
    const cached = new CachingOwnerLookup(options.owners, { ttlMs: 1000, maxEntries: 10, now: () => now });
    const pod = podOf('one-data-alldata', 'ReplicaSet', 'alldata-api-');

    // Act
    await Promise.all([1, 2, 3].map(() => cached.controllerOf('one-data-alldata', 'Pod', pod)));
    now = 999;
    await cached.controllerOf('one-data-alldata', 'Pod', pod);
    const before = sandbox.requests.all().length;
    now = 1000;
    await cached.controllerOf('one-data-alldata', 'Pod', pod);

    // Assess
    expect(before).toBe(1);
    expect(sandbox.requests.all()).toHaveLength(2);
  });

  it('does not keep a failure', async () => {
    // Prepare
    const cached = new CachingOwnerLookup(options.owners, { ttlMs: 60_000, maxEntries: 10 });
    const pod = podOf('one-data-alldata', 'ReplicaSet', 'alldata-api-');
    sandbox.faults.add({ verb: 'get', resource: 'pods', status: 503, times: 1 });

    // Act
    const first = cached.controllerOf('one-data-alldata', 'Pod', pod);
    await expect(first).rejects.toThrow(KubernetesServerError);
    const second = await cached.controllerOf('one-data-alldata', 'Pod', pod);

    // Assess
    expect(second).toEqual({
      controller: { kind: 'ReplicaSet', name: expect.stringMatching(/^alldata-api-/) },
    });
  });

  it('forgets the oldest answers beyond maxEntries', async () => {
    // Prepare
    const cached = new CachingOwnerLookup(options.owners, { ttlMs: 60_000, maxEntries: 2 });

    // Act
    for (const name of ['mysql-0', 'minio-0', 'mysql-0', 'a-0', 'mysql-0']) {
      await cached.controllerOf('one-data-infra', 'Pod', name);
    }

    // Assess: mysql-0 was asked again after a-0 pushed it out.
    expect(sandbox.requests.all().filter((r) => r.name === 'mysql-0')).toHaveLength(2);
  });
});
