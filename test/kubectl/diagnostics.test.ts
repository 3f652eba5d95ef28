import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { types } from '../../local/kube-sandbox/runtime';
import type { KubeObject } from '../../local/kube-sandbox/store';
import { KubectlSandbox, headerOf, parseTable } from '../support/kubectl';
import { eventually } from '../support/polling';
import { configMap, deployment, namespace, service } from '../support/manifests';

// What a runbook collects before calling for help: logs (current and previous), events,
// and a cluster dump. A crash-looping Deployment provides the evidence.
const NS = 'one-data-alldata';
const CRASH_LINES = [
  'INFO  [alembic.runtime.migration] Context impl MySQLImpl.',
  `sqlalchemy.exc.OperationalError: (pymysql.err.OperationalError) (2003, "Can't connect to MySQL server on 'mysql.one-data-infra' (111)")`,
];
const HEALTHY_LINES = ['INFO:     Uvicorn running on http://0.0.0.0:8080 (Press CTRL+C to quit)'];
let k: KubectlSandbox;

beforeAll(async () => {
  k = await KubectlSandbox.start({ clock: { timeScale: 100 } });
  await k.create([
    namespace(NS),
    deployment(NS, 'alldata-api', {
      replicas: 1,
      behavior: { app: { mode: 'crash', exitCode: 1, logs: CRASH_LINES } },
    }),
    deployment(NS, 'alldata-web', {
      replicas: 1,
      behavior: { app: { mode: 'healthy', logs: HEALTHY_LINES } },
    }),
    service(NS, 'alldata-api', 8080),
    configMap(NS, 'alldata-api-config', { DATABASE_HOST: 'mysql.one-data-infra' }),
  ]);
});

afterAll(async () => {
  await k?.stop();
});

/** Seconds in a kubectl age ("95s", "3m20s", "2d5h"). */
function seconds(age: string): number {
  const unit: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, y: 31536000 };
  return [...age.matchAll(/(\d+)([smhdy])/g)].reduce((sum, [, n, u]) => sum + Number(n) * unit[u], 0);
}

function podOf(app: string): KubeObject | undefined {
  return k.sandbox.store.list(types.pods, NS).find((p) => p.metadata.labels?.app === app);
}

interface ContainerStatusView {
  restartCount: number;
  state?: { running?: object; waiting?: { reason?: string } };
  lastState?: { terminated?: { reason?: string } };
}

function statusOf(pod: KubeObject): ContainerStatusView | undefined {
  return (pod.status as { containerStatuses?: ContainerStatusView[] } | undefined)?.containerStatuses?.[0];
}

/** The crash-looping pod once it has crashed at least twice and is in back-off. */
function crashLooping(): Promise<string> {
  return eventually('alldata-api to be in CrashLoopBackOff after two restarts', () => {
    const pod = podOf('alldata-api');
    const status = pod && statusOf(pod);
    return status && status.restartCount >= 2 && status.state?.waiting?.reason === 'CrashLoopBackOff'
      ? pod.metadata.name!
      : undefined;
  });
}

function runningHealthy(): Promise<string> {
  return eventually('alldata-web to run', () => {
    const pod = podOf('alldata-web');
    return pod && statusOf(pod)?.state?.running ? pod.metadata.name! : undefined;
  });
}

describe('kubectl logs', () => {
  it('prints the current container`s log', async () => {
    // Prepare
    const pod = await runningHealthy();

    // Act
    const out = await k.ok(['logs', pod, '-n', NS]);

    // Assess
    expect(out).toBe(`${HEALTHY_LINES.join('\n')}\n`);
  });

  it('follows a deployment to one of its pods', async () => {
    // Prepare
    await runningHealthy();

    // Act
    const out = await k.ok(['logs', 'deployment/alldata-web', '-n', NS]);

    // Assess
    expect(out).toBe(`${HEALTHY_LINES.join('\n')}\n`);
  });

  it('--previous prints the crashed instance`s log', async () => {
    // Prepare
    const pod = await crashLooping();

    // Act
    const out = await k.ok(['logs', pod, '-n', NS, '--previous']);

    // Assess
    expect(out).toBe(`${CRASH_LINES.join('\n')}\n`);
  });

  it('without --previous, a pod in back-off shows its last crash (the kubelet reads the last terminated container)', async () => {
    // Prepare
    const pod = await crashLooping();

    // Act
    const out = await k.ok(['logs', pod, '-n', NS]);

    // Assess
    expect(out).toBe(`${CRASH_LINES.join('\n')}\n`);
  });

  it('--previous of a container that never restarted is a BadRequest', async () => {
    // Prepare
    const pod = await runningHealthy();

    // Act
    const result = await k.run(['logs', pod, '-n', NS, '--previous']);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `Error from server (BadRequest): previous terminated container "app" in pod "${pod}" not found\n`,
    );
  });

  it('--tail and --timestamps', async () => {
    // Prepare
    const pod = await crashLooping();

    // Act
    const out = await k.ok(['logs', pod, '-n', NS, '--previous', '--tail=1', '--timestamps']);

    // Assess
    expect(out).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z sqlalchemy\.exc\.OperationalError: .*\(111\)"\)\n$/,
    );
  });
});

describe('kubectl get pods and events of a crash-looping deployment', () => {
  it('get pods shows CrashLoopBackOff and the restarts with their age', async () => {
    // Prepare
    const pod = await crashLooping();

    // Act
    const out = await k.ok(['get', 'pod', pod, '-n', NS]);

    // Assess
    const [row] = parseTable(out);
    expect(row).toMatchObject({ READY: '0/1', STATUS: 'CrashLoopBackOff' });
    expect(row.RESTARTS).toMatch(/^\d+ \(\d+(s|m\d*s?) ago\)$/);
  });

  it('events --for lists the pod`s events, least recently seen first, with the back-off warning', async () => {
    // Prepare
    const pod = await crashLooping();

    // Act
    const out = await k.ok(['events', '-n', NS, '--for', `pod/${pod}`]);

    // Assess
    expect(headerOf(out)).toBe('LAST SEEN TYPE REASON OBJECT MESSAGE');
    const rows = parseTable(out);
    expect(rows.every((r) => r.OBJECT === `Pod/${pod}`)).toBe(true);
    const reasons = rows.map((r) => r.REASON);
    expect(reasons).toEqual(expect.arrayContaining(['Scheduled', 'Pulled', 'Created', 'Started', 'BackOff']));
    const ages = rows.map((r) => seconds(r['LAST SEEN']));
    expect(ages).toEqual([...ages].sort((a, b) => b - a));
    expect(rows.find((r) => r.REASON === 'BackOff')).toMatchObject({
      TYPE: 'Warning',
      MESSAGE: `Back-off restarting failed container app in pod ${pod}_${NS}(${podOf('alldata-api')!.metadata.uid})`,
    });
  });

  it('events --for a deployment lists its scaling events', async () => {
    // Act
    const out = await k.ok(['events', '-n', NS, '--for', 'deployment/alldata-api']);

    // Assess
    const rows = parseTable(out);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      TYPE: 'Normal',
      REASON: 'ScalingReplicaSet',
      OBJECT: 'Deployment/alldata-api',
    });
    expect(rows[0].MESSAGE).toMatch(/^Scaled up replica set alldata-api-[a-z0-9]+ from 0 to 1$/);
  });

  it('events --types=Warning keeps only warnings', async () => {
    // Prepare
    await crashLooping();

    // Act
    const out = await k.ok(['events', '-n', NS, '--types=Warning']);

    // Assess
    const rows = parseTable(out);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.TYPE === 'Warning')).toBe(true);
  });
});

describe('kubectl cluster-info dump', () => {
  it('writes the namespace`s objects as JSON lists and every pod`s logs', async () => {
    // Prepare
    const crashing = await crashLooping();
    const healthy = await runningHealthy();
    const dir = join(k.dir, 'dump');

    // Act
    const out = await k.ok(['cluster-info', 'dump', '--namespaces', NS, '--output-directory', dir]);

    // Assess
    expect(out).toBe(`Cluster info dumped to ${dir}\n`);
    expect((await readdir(dir)).sort()).toEqual(['nodes.json', NS].sort());
    const files = (await readdir(join(dir, NS))).sort();
    expect(files).toEqual(
      [
        'daemonsets.json',
        'deployments.json',
        'events.json',
        'pods.json',
        'replicasets.json',
        'replication-controllers.json',
        'services.json',
        crashing,
        healthy,
      ].sort(),
    );
    const read = async (...path: string[]): Promise<{ kind: string; items: KubeObject[] }> =>
      JSON.parse(await readFile(join(dir, ...path), 'utf8'));
    expect((await read('nodes.json')).kind).toBe('NodeList');
    expect((await read('nodes.json')).items).toHaveLength(3);
    const deployments = await read(NS, 'deployments.json');
    expect(deployments.kind).toBe('DeploymentList');
    expect(deployments.items.map((d) => d.metadata.name).sort()).toEqual(['alldata-api', 'alldata-web']);
    expect((await read(NS, 'pods.json')).items).toHaveLength(2);
    expect((await read(NS, 'services.json')).items.map((s) => s.metadata.name)).toEqual(['alldata-api']);
    expect((await read(NS, 'replication-controllers.json')).items).toEqual([]);
    expect((await read(NS, 'events.json')).items.length).toBeGreaterThan(0);
    const healthyLog = await readFile(join(dir, NS, healthy, 'logs.txt'), 'utf8');
    expect(healthyLog).toContain(`==== START logs for container app of pod ${NS}/${healthy} ====`);
    expect(healthyLog).toContain(HEALTHY_LINES[0]);
    expect(healthyLog).toContain(`==== END logs for container app of pod ${NS}/${healthy} ====`);
    const crashLog = await readFile(join(dir, NS, crashing, 'logs.txt'), 'utf8');
    expect(crashLog).toContain(CRASH_LINES[1]);
  });
});
