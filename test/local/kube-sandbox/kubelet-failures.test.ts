import { CoreV1Api, type CoreV1Event } from '@kubernetes/client-node';
import type { Sandbox } from '../../../local/kube-sandbox/sandbox';
import { kubeConfigFor } from '../../support/kube';
import { podManifest } from '../../support/manifests';
import { elapse, manualSandbox, ownErrors, untilPod } from '../../support/sandbox';

// The failures an incident is seen in that come from the kubelet, as a real client reads them
// over HTTP: missing ConfigMaps and Secrets, a command that cannot start, liveness kills,
// failing init containers, a full volume.
describe('kubelet failures through @kubernetes/client-node', () => {
  let sandbox: Sandbox;
  let core: CoreV1Api;

  beforeEach(async () => {
    sandbox = await manualSandbox();
    core = kubeConfigFor(sandbox).makeApiClient(CoreV1Api);
  });

  afterEach(async () => {
    await sandbox.stop();
  });

  async function events(name: string): Promise<CoreV1Event[]> {
    const list = await core.listNamespacedEvent({
      namespace: 'default',
      fieldSelector: `involvedObject.name=${name}`,
    });
    return list.items;
  }

  async function messages(name: string, reason: string): Promise<string[]> {
    return (await events(name)).filter((e) => e.reason === reason).map((e) => e.message!);
  }

  const container = (extra: Record<string, unknown>) => [{ name: 'app', image: 'nginx:1.27', ...extra }];

  it('CreateContainerConfigError for a missing ConfigMap, until it is created', async () => {
    // Prepare
    const manifest = podManifest('api', {
      containers: container({
        env: [{ name: 'DB_HOST', valueFrom: { configMapKeyRef: { name: 'api-config', key: 'db-host' } } }],
      }),
    });
    await core.createNamespacedPod({ namespace: 'default', body: manifest as never });

    // Act
    const stuck = await untilPod(
      sandbox,
      'api',
      (p) => p.status?.containerStatuses?.[0].state?.waiting?.reason === 'CreateContainerConfigError',
    );
    const failed = await messages('api', 'Failed');
    await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'api-config' }, data: { 'db-host': 'mysql' } },
    });
    const running = await untilPod(
      sandbox,
      'api',
      (p) => p.status?.containerStatuses?.[0].state?.running !== undefined,
    );

    // Assess
    expect(stuck.status!.phase).toBe('Pending');
    expect(stuck.status!.containerStatuses![0].state!.waiting!.message).toBe(
      'configmap "api-config" not found',
    );
    expect(failed).toEqual(['Error: configmap "api-config" not found']);
    expect(running.status!.phase).toBe('Running');
    expect(running.status!.containerStatuses![0].restartCount).toBe(0);
    expect(ownErrors(sandbox)).toEqual([]);
  });

  it.each([
    [
      'a missing key of a ConfigMap',
      { env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'missing' } } }] },
      "couldn't find key missing in ConfigMap default/cfg",
    ],
    [
      'a missing Secret',
      { env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 'db-credentials', key: 'password' } } }] },
      'secret "db-credentials" not found',
    ],
    [
      'a missing key of a Secret',
      { env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } }] },
      "couldn't find key password in Secret default/creds",
    ],
    [
      'a missing envFrom ConfigMap',
      { envFrom: [{ configMapRef: { name: 'settings' } }] },
      'configmap "settings" not found',
    ],
    [
      'a missing envFrom Secret',
      { envFrom: [{ secretRef: { name: 'tokens' } }] },
      'secret "tokens" not found',
    ],
  ])('CreateContainerConfigError for %s, with the kubelet message', async (_what, extra, message) => {
    // Prepare
    await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'cfg' }, data: { a: '1' } },
    });
    await core.createNamespacedSecret({
      namespace: 'default',
      body: { metadata: { name: 'creds' }, data: { user: 'YQ==' } },
    });
    await core.createNamespacedPod({
      namespace: 'default',
      body: podManifest('api', { containers: container(extra) }) as never,
    });

    // Act
    const pod = await untilPod(
      sandbox,
      'api',
      (p) => p.status?.containerStatuses?.[0].state?.waiting?.reason === 'CreateContainerConfigError',
    );

    // Assess
    expect(pod.status!.containerStatuses![0].state!.waiting!.message).toBe(message);
    expect(await messages('api', 'Failed')).toContain(`Error: ${message}`);
  });

  it('runs a container whose missing references are optional', async () => {
    // Prepare
    const extra = {
      env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k', optional: true } } }],
      envFrom: [{ secretRef: { name: 'nope', optional: true } }],
    };
    await core.createNamespacedPod({
      namespace: 'default',
      body: podManifest('api', { containers: container(extra) }) as never,
    });

    // Act
    const pod = await untilPod(
      sandbox,
      'api',
      (p) => p.status?.containerStatuses?.[0].state?.running !== undefined,
    );

    // Assess
    expect(pod.status!.phase).toBe('Running');
  });

  it('FailedMount for a missing ConfigMap volume: the pod stays ContainerCreating until it exists', async () => {
    // Prepare
    const manifest = podManifest('web', {
      containers: container({ volumeMounts: [{ name: 'config', mountPath: '/etc/web' }] }),
      spec: { volumes: [{ name: 'config', configMap: { name: 'web-config' } }] },
    });
    await core.createNamespacedPod({ namespace: 'default', body: manifest as never });

    // Act
    await elapse(sandbox, 5000);
    const pending = await core.readNamespacedPod({ namespace: 'default', name: 'web' });
    const mountEvents = await events('web');
    await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'web-config' }, data: { a: '1' } },
    });
    const running = await untilPod(
      sandbox,
      'web',
      (p) => p.status?.containerStatuses?.[0].state?.running !== undefined,
    );

    // Assess
    expect(pending.status!.phase).toBe('Pending');
    expect(pending.status!.containerStatuses![0].state!.waiting!.reason).toBe('ContainerCreating');
    const failedMount = mountEvents.find((e) => e.reason === 'FailedMount')!;
    expect(failedMount.type).toBe('Warning');
    expect(failedMount.message).toBe(
      'MountVolume.SetUp failed for volume "config" : configmap "web-config" not found',
    );
    expect(failedMount.count).toBeGreaterThan(1);
    expect(mountEvents.some((e) => e.reason === 'Created')).toBe(false);
    expect(running.status!.phase).toBe('Running');
  });

  it('FailedMount for a missing Secret volume and for a missing item key', async () => {
    // Prepare
    await core.createNamespacedSecret({
      namespace: 'default',
      body: { metadata: { name: 'tls' }, data: { 'tls.crt': 'eA==' } },
    });
    const manifest = podManifest('web', {
      containers: container({}),
      spec: {
        volumes: [
          { name: 'creds', secret: { secretName: 'db-credentials' } },
          { name: 'certs', secret: { secretName: 'tls', items: [{ key: 'tls.key', path: 'tls.key' }] } },
          { name: 'maybe', configMap: { name: 'nope', optional: true } },
        ],
      },
    });
    await core.createNamespacedPod({ namespace: 'default', body: manifest as never });

    // Act
    await elapse(sandbox, 3000);

    // Assess
    expect(new Set(await messages('web', 'FailedMount'))).toEqual(
      new Set([
        'MountVolume.SetUp failed for volume "creds" : secret "db-credentials" not found',
        'MountVolume.SetUp failed for volume "certs" : references non-existent secret key: tls.key',
      ]),
    );
  });

  it('RunContainerError, then CrashLoopBackOff, for a command that is not in the image', async () => {
    // Prepare
    const manifest = podManifest('worker', {
      behavior: { app: { mode: 'command-not-found' } },
      containers: container({ command: ['celery', 'worker'] }),
    });
    await core.createNamespacedPod({ namespace: 'default', body: manifest as never });

    // Act
    const failed = await untilPod(
      sandbox,
      'worker',
      (p) => p.status?.containerStatuses?.[0].state?.waiting?.reason === 'RunContainerError',
    );
    const looping = await untilPod(
      sandbox,
      'worker',
      (p) => p.status?.containerStatuses?.[0].state?.waiting?.reason === 'CrashLoopBackOff',
    );

    // Assess
    const exec =
      'failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "celery": executable file not found in $PATH: unknown';
    const cs = failed.status!.containerStatuses![0];
    expect(cs.state!.waiting!.message).toBe(exec);
    expect(cs.lastState!.terminated).toMatchObject({ exitCode: 128, reason: 'StartError', message: exec });
    expect(looping.status!.containerStatuses![0].restartCount).toBeGreaterThanOrEqual(1);
    expect(await messages('worker', 'Failed')).toContain(`Error: ${exec}`);
    expect(await messages('worker', 'Started')).toEqual([]);
  });

  it('kills a container whose liveness probe fails, and restarts it with exit code 143', async () => {
    // Prepare
    const manifest = podManifest('api', {
      behavior: { app: { mode: 'liveness-failure', runSeconds: 5, logs: ['listening on :8080'] } },
      containers: container({
        ports: [{ name: 'http', containerPort: 8080 }],
        livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 5, failureThreshold: 3 },
        readinessProbe: { httpGet: { path: '/ready', port: 8080 }, periodSeconds: 5 },
      }),
    });
    await core.createNamespacedPod({ namespace: 'default', body: manifest as never });

    // Act
    const restarted = await untilPod(
      sandbox,
      'api',
      (p) => (p.status?.containerStatuses?.[0].restartCount ?? 0) >= 1,
    );
    const previous = await core.readNamespacedPodLog({ namespace: 'default', name: 'api', previous: true });

    // Assess
    expect(restarted.status!.containerStatuses![0].lastState!.terminated).toMatchObject({
      exitCode: 143,
      reason: 'Error',
    });
    const unhealthy = await messages('api', 'Unhealthy');
    expect(unhealthy).toContain('Liveness probe failed: HTTP probe failed with statuscode: 500');
    expect(unhealthy).toContain('Readiness probe failed: HTTP probe failed with statuscode: 500');
    expect(await messages('api', 'Killing')).toEqual([
      'Container app failed liveness probe, will be restarted',
    ]);
    expect(previous).toBe('listening on :8080\n');
  });

  it('words probe failures by handler: a timed-out HTTP GET, a refused TCP dial', async () => {
    // Prepare
    const manifest = podManifest('api', {
      behavior: {
        http: { mode: 'liveness-failure', runSeconds: 1, probeTimeout: true },
        tcp: { mode: 'liveness-failure', runSeconds: 1 },
      },
      containers: [
        { name: 'http', image: 'nginx:1.27', livenessProbe: { httpGet: { path: '/healthz', port: 8080 } } },
        { name: 'tcp', image: 'redis:7', livenessProbe: { tcpSocket: { port: 6379 } } },
      ],
    });
    await core.createNamespacedPod({ namespace: 'default', body: manifest as never });

    // Act
    const pod = await untilPod(sandbox, 'api', (p) =>
      (p.status?.containerStatuses ?? []).every((c) => c.restartCount >= 1),
    );

    // Assess
    const ip = pod.status!.podIP!;
    const unhealthy = await messages('api', 'Unhealthy');
    expect(unhealthy).toContain(
      `Liveness probe failed: Get "http://${ip}:8080/healthz": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
    );
    expect(unhealthy).toContain(`Liveness probe failed: dial tcp ${ip}:6379: connect: connection refused`);
  });

  it('backs off a failing init container: Init:Error, then Init:CrashLoopBackOff', async () => {
    // Prepare
    const manifest = podManifest('api', {
      behavior: { migrate: { mode: 'crash', exitCode: 2, runSeconds: 1, logs: ['migration failed'] } },
      spec: {
        initContainers: [
          { name: 'wait-db', image: 'busybox:1.36' },
          { name: 'migrate', image: 'flyway/flyway:10' },
        ],
      },
    });
    await core.createNamespacedPod({ namespace: 'default', body: manifest as never });

    // Act
    const errored = await untilPod(
      sandbox,
      'api',
      (p) => p.status?.initContainerStatuses?.[1].state?.terminated?.exitCode === 2,
    );
    const looping = await untilPod(
      sandbox,
      'api',
      (p) => p.status?.initContainerStatuses?.[1].state?.waiting?.reason === 'CrashLoopBackOff',
    );

    // Assess
    expect(errored.status!.initContainerStatuses![0].state!.terminated).toMatchObject({
      exitCode: 0,
      reason: 'Completed',
    });
    expect(looping.status!.phase).toBe('Pending');
    expect(looping.status!.containerStatuses![0].state!.waiting!.reason).toBe('PodInitializing');
    expect(await messages('api', 'BackOff')).toHaveLength(1);
  });

  it('evicts a pod whose emptyDir outgrows its sizeLimit', async () => {
    // Prepare
    const manifest = podManifest('cache', {
      behavior: { app: { mode: 'disk-full', runSeconds: 10 } },
      containers: container({ volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }] }),
      spec: { volumes: [{ name: 'scratch', emptyDir: { sizeLimit: '1Gi' } }] },
    });
    await core.createNamespacedPod({ namespace: 'default', body: manifest as never });

    // Act
    const evicted = await untilPod(sandbox, 'cache', (p) => p.status?.phase === 'Failed');

    // Assess
    const message = 'Usage of EmptyDir volume "scratch" exceeds the limit "1Gi". ';
    expect(evicted.status).toMatchObject({ reason: 'Evicted', message });
    expect(evicted.status!.conditions!.find((c) => c.type === 'DisruptionTarget')).toMatchObject({
      status: 'True',
      reason: 'TerminationByKubelet',
    });
    expect(await messages('cache', 'Evicted')).toEqual([message]);
    expect(evicted.status!.containerStatuses![0].state!.terminated!.exitCode).toBe(137);
  });

  it("evicts a pod whose emptyDir outgrows the containers' ephemeral-storage limits", async () => {
    // Prepare
    const manifest = podManifest('cache', {
      behavior: { app: { mode: 'disk-full', runSeconds: 10 } },
      containers: container({
        volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }],
        resources: { limits: { 'ephemeral-storage': '2Gi' } },
      }),
      spec: { volumes: [{ name: 'scratch', emptyDir: {} }] },
    });
    await core.createNamespacedPod({ namespace: 'default', body: manifest as never });

    // Act
    const evicted = await untilPod(sandbox, 'cache', (p) => p.status?.phase === 'Failed');

    // Assess
    expect(evicted.status).toMatchObject({
      reason: 'Evicted',
      message: 'Pod ephemeral local storage usage exceeds the total limit of containers 2Gi. ',
    });
  });

  it('fails writes with ENOSPC on a volume without a limit, and crash-loops', async () => {
    // Prepare
    const manifest = podManifest('ingest', {
      behavior: { app: { mode: 'disk-full', runSeconds: 2, logs: ['spooling batch 1842'] } },
      containers: container({ volumeMounts: [{ name: 'spool', mountPath: '/var/spool/ingest' }] }),
      spec: { volumes: [{ name: 'spool', emptyDir: {} }] },
    });
    await core.createNamespacedPod({ namespace: 'default', body: manifest as never });

    // Act
    await untilPod(
      sandbox,
      'ingest',
      (p) => p.status?.containerStatuses?.[0].state?.waiting?.reason === 'CrashLoopBackOff',
    );
    const previous = await core.readNamespacedPodLog({
      namespace: 'default',
      name: 'ingest',
      previous: true,
    });

    // Assess
    expect(previous).toBe(
      'spooling batch 1842\nwrite /var/spool/ingest/spool.dat: no space left on device\n',
    );
  });
});
