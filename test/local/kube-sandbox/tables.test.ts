import { types } from '../../../local/kube-sandbox/runtime';
import type { ResourceType } from '../../../local/kube-sandbox/resources';
import { RESOURCE_TYPES } from '../../../local/kube-sandbox/resources';
import type { KubeObject } from '../../../local/kube-sandbox/store';
import { humanDuration, toTable } from '../../../local/kube-sandbox/tables';

const NOW = Date.parse('2026-03-01T12:00:00Z');

/** An RFC 3339 timestamp `seconds` before NOW. */
function ago(seconds: number): string {
  return new Date(NOW - seconds * 1000).toISOString().replace('.000Z', 'Z');
}

/** The row of one object as a map from column name to cell. */
function row(t: ResourceType, obj: KubeObject): Record<string, unknown> {
  const table = toTable(t, [obj], NOW);
  return Object.fromEntries(table.columnDefinitions.map((c, i) => [c.name, table.rows[0].cells[i]]));
}

function pod(status: Record<string, unknown>, spec: Record<string, unknown> = {}, meta = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'api-7d4b9c6f5-x2x9z', namespace: 'team', creationTimestamp: ago(200), ...meta },
    spec: { containers: [{ name: 'app', image: 'api:1' }], nodeName: 'node-a', ...spec },
    status,
  };
}

function running(name = 'app', ready = true, restartCount = 0, lastState = {}): Record<string, unknown> {
  return { name, ready, restartCount, state: { running: { startedAt: ago(10) } }, lastState };
}

describe('humanDuration', () => {
  it.each([
    [0, '0s'],
    [-1500, '0s'],
    [-3000, '<invalid>'],
    [5_000, '5s'],
    [119_000, '119s'],
    [120_000, '2m'],
    [200_000, '3m20s'],
    [600_000, '10m'],
    [179 * 60_000, '179m'],
    [3 * 3600_000, '3h'],
    [(7 * 60 + 59) * 60_000, '7h59m'],
    [8 * 3600_000, '8h'],
    [47 * 3600_000, '47h'],
    [(2 * 24 + 5) * 3600_000, '2d5h'],
    [3 * 24 * 3600_000, '3d'],
    [30 * 24 * 3600_000, '30d'],
    [(3 * 365 + 10) * 24 * 3600_000, '3y10d'],
    [9 * 365 * 24 * 3600_000, '9y'],
  ])('renders %d ms as %s', (ms, text) => {
    // Act
    const result = humanDuration(ms);

    // Assess
    expect(result).toBe(text);
  });
});

describe('pod rows', () => {
  it('has the columns of kubectl get pods, wide ones at priority 1', () => {
    // Act
    const table = toTable(types.pods, [pod({ phase: 'Running', containerStatuses: [running()] })], NOW);

    // Assess
    expect(table.columnDefinitions.map((c) => [c.name, c.priority])).toEqual([
      ['Name', 0],
      ['Ready', 0],
      ['Status', 0],
      ['Restarts', 0],
      ['Age', 0],
      ['IP', 1],
      ['Node', 1],
      ['Nominated Node', 1],
      ['Readiness Gates', 1],
    ]);
    expect(table.rows[0].cells).toEqual([
      'api-7d4b9c6f5-x2x9z',
      '1/1',
      'Running',
      '0',
      '3m20s',
      '<none>',
      'node-a',
      '<none>',
      '<none>',
    ]);
  });

  it('shows CrashLoopBackOff with the restart count and when the last restart was', () => {
    // Prepare
    const status = {
      phase: 'Running',
      podIP: '10.0.1.17',
      containerStatuses: [
        {
          name: 'app',
          ready: false,
          restartCount: 3,
          state: {
            waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container' },
          },
          lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(25) } },
        },
      ],
    };

    // Act
    const cells = row(types.pods, pod(status));

    // Assess
    expect(cells).toMatchObject({
      Ready: '0/1',
      Status: 'CrashLoopBackOff',
      Restarts: '3 (25s ago)',
      IP: '10.0.1.17',
    });
  });

  it.each([
    ['ErrImagePull', { waiting: { reason: 'ErrImagePull' } }, 'Pending'],
    ['ImagePullBackOff', { waiting: { reason: 'ImagePullBackOff' } }, 'Pending'],
    ['ContainerCreating', { waiting: { reason: 'ContainerCreating' } }, 'Pending'],
    ['OOMKilled', { terminated: { reason: 'OOMKilled', exitCode: 137 } }, 'Running'],
    ['Error', { terminated: { reason: 'Error', exitCode: 1 } }, 'Failed'],
    ['Completed', { terminated: { reason: 'Completed', exitCode: 0 } }, 'Succeeded'],
    ['ExitCode:3', { terminated: { exitCode: 3 } }, 'Failed'],
    ['Signal:9', { terminated: { exitCode: 137, signal: 9 } }, 'Failed'],
  ])('shows %s from the container state', (expected, state, phase) => {
    // Prepare
    const status = { phase, containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state }] };

    // Act
    const cells = row(types.pods, pod(status));

    // Assess
    expect(cells.Status).toBe(expected);
    expect(cells.Restarts).toBe('0');
  });

  it('shows the phase of a pod with no container statuses yet', () => {
    // Act
    const cells = row(types.pods, pod({ phase: 'Pending' }, { nodeName: undefined }));

    // Assess
    expect(cells).toMatchObject({ Ready: '0/1', Status: 'Pending', Node: '<none>' });
  });

  it('shows Terminating for a pod being deleted, but not for a finished one', () => {
    // Prepare
    const deleting = { deletionTimestamp: ago(1) };

    // Act
    const live = row(types.pods, pod({ phase: 'Running', containerStatuses: [running()] }, {}, deleting));
    const done = row(types.pods, pod({ phase: 'Succeeded' }, {}, deleting));

    // Assess
    expect(live.Status).toBe('Terminating');
    expect(done.Status).toBe('Succeeded');
  });

  it('shows Init:x/y while init containers run, and Init:<reason> when one fails', () => {
    // Prepare
    const spec = {
      initContainers: [
        { name: 'migrate', image: 'api:1' },
        { name: 'wait-db', image: 'busybox' },
      ],
    };
    const firstDone = {
      name: 'migrate',
      restartCount: 0,
      state: { terminated: { exitCode: 0, reason: 'Completed' } },
    };
    const secondRunning = { name: 'wait-db', restartCount: 0, state: { running: {} } };
    const secondCrashing = {
      name: 'wait-db',
      restartCount: 2,
      state: { waiting: { reason: 'CrashLoopBackOff' } },
      lastState: { terminated: { exitCode: 1, finishedAt: ago(5) } },
    };

    // Act
    const initializing = row(
      types.pods,
      pod({ phase: 'Pending', initContainerStatuses: [firstDone, secondRunning] }, spec),
    );
    const failing = row(
      types.pods,
      pod({ phase: 'Pending', initContainerStatuses: [firstDone, secondCrashing] }, spec),
    );

    // Assess
    expect(initializing.Status).toBe('Init:1/2');
    expect(failing.Status).toBe('Init:CrashLoopBackOff');
    expect(failing.Restarts).toBe('2 (5s ago)');
  });

  it('counts restartable init containers (sidecars) as containers once started', () => {
    // Prepare
    const spec = { initContainers: [{ name: 'proxy', image: 'envoy', restartPolicy: 'Always' }] };
    const status = {
      phase: 'Running',
      conditions: [{ type: 'Initialized', status: 'True' }],
      initContainerStatuses: [{ ...running('proxy'), started: true }],
      containerStatuses: [running()],
    };

    // Act
    const cells = row(types.pods, pod(status, spec));

    // Assess
    expect(cells).toMatchObject({ Ready: '2/2', Status: 'Running' });
  });

  it('sums restarts over containers and reports the latest restart', () => {
    // Prepare
    const status = {
      phase: 'Running',
      containerStatuses: [
        running('app', true, 2, { terminated: { exitCode: 1, finishedAt: ago(600) } }),
        running('sidecar', true, 1, { terminated: { exitCode: 1, finishedAt: ago(90) } }),
      ],
    };
    const spec = { containers: [{ name: 'app' }, { name: 'sidecar' }] };

    // Act
    const cells = row(types.pods, pod(status, spec));

    // Assess
    expect(cells).toMatchObject({ Ready: '2/2', Status: 'Running', Restarts: '3 (90s ago)' });
  });

  it('reports readiness gates as met/total', () => {
    // Prepare
    const spec = { readinessGates: [{ conditionType: 'target-health.elbv2.k8s.aws/web' }] };
    const status = {
      phase: 'Running',
      conditions: [{ type: 'target-health.elbv2.k8s.aws/web', status: 'False' }],
      containerStatuses: [running()],
    };

    // Act
    const cells = row(types.pods, pod(status, spec));

    // Assess
    expect(cells['Readiness Gates']).toBe('0/1');
  });
});

describe('workload rows', () => {
  const template = {
    metadata: { labels: { app: 'api' } },
    spec: {
      containers: [
        { name: 'api', image: 'api:2' },
        { name: 'proxy', image: 'envoy:1' },
      ],
    },
  };

  it('prints deployments as READY UP-TO-DATE AVAILABLE AGE', () => {
    // Prepare
    const deployment: KubeObject = {
      metadata: { name: 'api', creationTimestamp: ago(3 * 86400 + 3600 * 4) },
      spec: { replicas: 3, selector: { matchLabels: { app: 'api', tier: 'web' } }, template },
      status: { readyReplicas: 2, updatedReplicas: 1, availableReplicas: 2 },
    };

    // Act
    const cells = row(types['deployments.apps'], deployment);

    // Assess
    expect(cells).toEqual({
      Name: 'api',
      Ready: '2/3',
      'Up-to-date': 1,
      Available: 2,
      Age: '3d4h',
      Containers: 'api,proxy',
      Images: 'api:2,envoy:1',
      Selector: 'app=api,tier=web',
    });
  });

  it('prints replicasets, statefulsets and daemonsets with their counters', () => {
    // Prepare
    const rs: KubeObject = {
      metadata: { name: 'api-5c8d7', creationTimestamp: ago(30) },
      spec: {
        replicas: 2,
        selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['b', 'a'] }] },
        template,
      },
      status: { replicas: 2, readyReplicas: 1 },
    };
    const sts: KubeObject = {
      metadata: { name: 'mysql', creationTimestamp: ago(30) },
      spec: { replicas: 3, template },
      status: { readyReplicas: 3 },
    };
    const ds: KubeObject = {
      metadata: { name: 'fluent-bit', creationTimestamp: ago(30) },
      spec: {
        selector: { matchLabels: { app: 'fluent-bit' } },
        template: { ...template, spec: { ...template.spec, nodeSelector: { 'kubernetes.io/os': 'linux' } } },
      },
      status: {
        desiredNumberScheduled: 3,
        currentNumberScheduled: 3,
        numberReady: 2,
        updatedNumberScheduled: 3,
        numberAvailable: 2,
      },
    };

    // Act
    const rsCells = row(types['replicasets.apps'], rs);
    const stsCells = row(types['statefulsets.apps'], sts);
    const dsCells = row(types['daemonsets.apps'], ds);

    // Assess
    expect(rsCells).toMatchObject({ Desired: 2, Current: 2, Ready: 1, Selector: 'app in (a,b)' });
    expect(stsCells).toMatchObject({ Ready: '3/3', Age: '30s', Containers: 'api,proxy' });
    expect(dsCells).toMatchObject({
      Desired: 3,
      Current: 3,
      Ready: 2,
      'Up-to-date': 3,
      Available: 2,
      'Node Selector': 'kubernetes.io/os=linux',
      Selector: 'app=fluent-bit',
    });
  });

  it('prints jobs with STATUS COMPLETIONS DURATION', () => {
    // Prepare
    const job = (
      status: Record<string, unknown>,
      spec: Record<string, unknown> = { completions: 1 },
    ): KubeObject => ({
      metadata: { name: 'mysql-backup-29500000', creationTimestamp: ago(3600) },
      spec: { ...spec, template },
      status,
    });
    const complete = job({
      succeeded: 1,
      startTime: ago(3600),
      completionTime: ago(3600 - 95),
      conditions: [{ type: 'Complete', status: 'True' }],
    });
    const failed = job({ failed: 6, startTime: ago(3600), conditions: [{ type: 'Failed', status: 'True' }] });
    const runningJob = job({ active: 1, startTime: ago(42) }, { parallelism: 3 });

    // Act
    const cells = [complete, failed, runningJob].map((j) => row(types['jobs.batch'], j));

    // Assess
    expect(cells[0]).toMatchObject({ Status: 'Complete', Completions: '1/1', Duration: '95s', Age: '60m' });
    expect(cells[1]).toMatchObject({ Status: 'Failed', Completions: '0/1', Duration: '60m' });
    expect(cells[2]).toMatchObject({ Status: 'Running', Completions: '0/1 of 3', Duration: '42s' });
  });

  it('prints cronjobs with schedule, timezone, suspend, active and last schedule', () => {
    // Prepare
    const cronJob: KubeObject = {
      metadata: { name: 'mysql-backup', creationTimestamp: ago(30 * 86400) },
      spec: { schedule: '0 2 * * *', suspend: false, jobTemplate: { spec: { template } } },
      status: { active: [{ name: 'mysql-backup-1' }], lastScheduleTime: ago(4 * 3600) },
    };

    // Act
    const cells = row(types['cronjobs.batch'], cronJob);

    // Assess
    expect(cells).toMatchObject({
      Schedule: '0 2 * * *',
      Timezone: '<none>',
      Suspend: 'False',
      Active: 1,
      'Last Schedule': '4h',
      Age: '30d',
      Selector: '<none>',
    });
  });

  it('names the controller of a controller revision as kind.group/name', () => {
    // Prepare
    const revision: KubeObject = {
      metadata: {
        name: 'mysql-6c9f8b7d4',
        creationTimestamp: ago(10),
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'mysql', uid: 'u', controller: true },
        ],
      },
      revision: 2,
    };

    // Act
    const cells = row(types['controllerrevisions.apps'], revision);

    // Assess
    expect(cells).toEqual({
      Name: 'mysql-6c9f8b7d4',
      Controller: 'statefulset.apps/mysql',
      Revision: 2,
      Age: '10s',
    });
  });
});

describe('core object rows', () => {
  it('prints services with type, cluster IP, external IP and ports', () => {
    // Prepare
    const svc = (spec: Record<string, unknown>, status = {}): KubeObject => ({
      metadata: { name: 'alldata-api', creationTimestamp: ago(60) },
      spec,
      status,
    });

    // Act
    const clusterIP = row(
      types.services,
      svc({
        type: 'ClusterIP',
        clusterIPs: ['172.20.4.9'],
        ports: [{ port: 8080, protocol: 'TCP' }],
        selector: { app: 'alldata-api' },
      }),
    );
    const lb = row(
      types.services,
      svc(
        {
          type: 'LoadBalancer',
          clusterIPs: ['172.20.4.10'],
          ports: [{ port: 443, nodePort: 31443, protocol: 'TCP' }],
        },
        { loadBalancer: { ingress: [{ hostname: 'a1b2.elb.eu-west-1.amazonaws.com' }] } },
      ),
    );
    const pending = row(
      types.services,
      svc({ type: 'LoadBalancer', clusterIPs: ['172.20.4.11'], ports: [] }),
    );

    // Assess
    expect(clusterIP).toEqual({
      Name: 'alldata-api',
      Type: 'ClusterIP',
      'Cluster-IP': '172.20.4.9',
      'External-IP': '<none>',
      'Port(s)': '8080/TCP',
      Age: '60s',
      Selector: 'app=alldata-api',
    });
    expect(lb).toMatchObject({
      'External-IP': 'a1b2.elb.eu-west-1.amazonaws.com',
      'Port(s)': '443:31443/TCP',
      Selector: '<none>',
    });
    expect(pending).toMatchObject({ 'External-IP': '<pending>', 'Port(s)': '<none>' });
  });

  it('counts configmap and secret keys', () => {
    // Act
    const cm = row(types.configmaps, {
      metadata: { name: 'cfg', creationTimestamp: ago(5) },
      data: { a: '1', b: '2' },
      binaryData: { c: 'AA==' },
    });
    const secret = row(types.secrets, {
      metadata: { name: 'db', creationTimestamp: ago(5) },
      type: 'Opaque',
      data: { password: 'cA==' },
    });

    // Assess
    expect(cm).toEqual({ Name: 'cfg', Data: 3, Age: '5s' });
    expect(secret).toEqual({ Name: 'db', Type: 'Opaque', Data: 1, Age: '5s' });
  });

  it('prints namespaces, nodes and leases', () => {
    // Prepare
    const node: KubeObject = {
      metadata: {
        name: 'ip-10-0-1-20',
        creationTimestamp: ago(86400),
        labels: { 'node-role.kubernetes.io/worker': '' },
      },
      spec: { unschedulable: true },
      status: {
        conditions: [{ type: 'Ready', status: 'False' }],
        addresses: [{ type: 'InternalIP', address: '10.0.1.20' }],
        nodeInfo: {
          kubeletVersion: 'v1.32.3-eks-473151a',
          osImage: 'Amazon Linux 2023',
          kernelVersion: '6.1',
          containerRuntimeVersion: 'containerd://1.7.27',
        },
      },
    };

    // Act
    const ns = row(types.namespaces, {
      metadata: { name: 'one-data-alldata', creationTimestamp: ago(5) },
      status: { phase: 'Active' },
    });
    const nodeCells = row(types.nodes, node);
    const lease = row(types['leases.coordination.k8s.io'], {
      metadata: { name: 'lock', creationTimestamp: ago(5) },
      spec: { holderIdentity: 'incident-42' },
    });

    // Assess
    expect(ns).toEqual({ Name: 'one-data-alldata', Status: 'Active', Age: '5s' });
    expect(nodeCells).toEqual({
      Name: 'ip-10-0-1-20',
      Status: 'NotReady,SchedulingDisabled',
      Roles: 'worker',
      Age: '24h',
      Version: 'v1.32.3-eks-473151a',
      'Internal-IP': '10.0.1.20',
      'External-IP': '<none>',
      'OS-Image': 'Amazon Linux 2023',
      'Kernel-Version': '6.1',
      'Container-Runtime': 'containerd://1.7.27',
    });
    expect(lease).toEqual({ Name: 'lock', Holder: 'incident-42', Age: '5s' });
  });

  it('prints events as LAST SEEN TYPE REASON OBJECT MESSAGE for both event APIs', () => {
    // Prepare
    const folded: KubeObject = {
      metadata: { name: 'api-x.17f', creationTimestamp: ago(300) },
      involvedObject: { kind: 'Pod', name: 'api-x', fieldPath: 'spec.containers{app}' },
      reason: 'BackOff',
      message: 'Back-off restarting failed container app in pod api-x\n',
      type: 'Warning',
      count: 12,
      firstTimestamp: ago(300),
      lastTimestamp: ago(20),
      source: { component: 'kubelet', host: 'ip-10-0-1-20' },
    };
    const seriesEvent: KubeObject = {
      metadata: { name: 'api.18a', creationTimestamp: ago(100) },
      involvedObject: { kind: 'Deployment', name: 'api' },
      reason: 'ScalingReplicaSet',
      message: 'Scaled up',
      type: 'Normal',
      eventTime: '2026-03-01T11:58:20.000000Z',
      series: { count: 4, lastObservedTime: '2026-03-01T11:59:50.000000Z' },
      reportingComponent: 'deployment-controller',
    };
    const eventsV1 = RESOURCE_TYPES.find((t) => t.group === 'events.k8s.io')!;

    // Act
    const coreCells = row(types.events, folded);
    const v1Cells = row(eventsV1, seriesEvent);

    // Assess
    expect(coreCells).toEqual({
      'Last Seen': '20s',
      Type: 'Warning',
      Reason: 'BackOff',
      Object: 'pod/api-x',
      Subobject: 'spec.containers{app}',
      Source: 'kubelet, ip-10-0-1-20',
      Message: 'Back-off restarting failed container app in pod api-x',
      'First Seen': '5m',
      Count: 12,
      Name: 'api-x.17f',
    });
    expect(v1Cells).toMatchObject({
      'Last Seen': '10s',
      'First Seen': '100s',
      Count: 4,
      Source: 'deployment-controller',
    });
    expect(
      toTable(eventsV1, [], NOW)
        .columnDefinitions.filter((c) => c.priority === 0)
        .map((c) => c.name),
    ).toEqual(['Last Seen', 'Type', 'Reason', 'Object', 'Message']);
  });
});
