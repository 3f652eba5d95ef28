import { CoreV1Api } from '@kubernetes/client-node';
import type { Sandbox } from '../../../local/kube-sandbox/sandbox';
import { apiError, kubeConfigFor } from '../../support/kube';
import { podManifest } from '../../support/manifests';
import { manualSandbox, ownErrors, untilPod } from '../../support/sandbox';

// The scheduler and kubelet seen by a real client over HTTP: what kubectl and the runbooks read.
describe('scheduler and kubelet through @kubernetes/client-node', () => {
  let sandbox: Sandbox;
  let core: CoreV1Api;

  beforeEach(async () => {
    sandbox = await manualSandbox();
    core = kubeConfigFor(sandbox).makeApiClient(CoreV1Api);
  });

  afterEach(async () => {
    await sandbox.stop();
  });

  it('serves current and previous logs of a crash-looping pod created over the API', async () => {
    // Prepare
    const manifest = podManifest('api', {
      behavior: {
        app: {
          mode: 'crash',
          runSeconds: 2,
          logs: ['starting', 'loading config', 'panic: missing DATABASE_URL'],
        },
      },
    });
    await core.createNamespacedPod({ namespace: 'default', body: manifest as never });

    // Act
    await untilPod(sandbox, 'api', (p) => p.status?.containerStatuses?.[0].state?.running !== undefined);
    await untilPod(
      sandbox,
      'api',
      (p) => p.status?.containerStatuses?.[0].state?.waiting?.reason === 'CrashLoopBackOff',
    );
    await untilPod(sandbox, 'api', (p) => p.status?.containerStatuses?.[0].state?.running !== undefined);
    const pod = await core.readNamespacedPod({ namespace: 'default', name: 'api' });
    const current = await core.readNamespacedPodLog({ namespace: 'default', name: 'api' });
    const previous = await core.readNamespacedPodLog({ namespace: 'default', name: 'api', previous: true });
    const tail = await core.readNamespacedPodLog({ namespace: 'default', name: 'api', tailLines: 1 });

    // Assess
    const cs = pod.status!.containerStatuses![0];
    expect(cs.restartCount).toBe(2);
    expect(cs.lastState!.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(pod.status!.phase).toBe('Running');
    expect(current).toBe('starting\nloading config\npanic: missing DATABASE_URL\n');
    expect(previous).toBe(current);
    expect(tail).toBe('panic: missing DATABASE_URL\n');
    expect(ownErrors(sandbox)).toEqual([]);
  });

  it('lists the kubelet and scheduler events of a pod', async () => {
    // Prepare
    await core.createNamespacedPod({
      namespace: 'default',
      body: podManifest('web', { behavior: { app: { mode: 'healthy' } } }) as never,
    });

    // Act
    await untilPod(
      sandbox,
      'web',
      (p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    );
    const events = await core.listNamespacedEvent({
      namespace: 'default',
      fieldSelector: 'involvedObject.name=web',
    });

    // Assess: events list in name order, which is random, as in Kubernetes.
    expect(events.items.map((e) => `${e.source?.component} ${e.reason}`).sort()).toEqual([
      'default-scheduler Scheduled',
      'kubelet Created',
      'kubelet Pulled',
      'kubelet Pulling',
      'kubelet Started',
    ]);
    const started = events.items.find((e) => e.reason === 'Started')!;
    expect(started.involvedObject.fieldPath).toBe('spec.containers{app}');
    expect(started.source!.host).toMatch(/\.eu-west-1\.compute\.internal$/);
  });

  it('rejects an invalid pod with the API server message', async () => {
    // Act
    const error = await apiError(
      core.createNamespacedPod({
        namespace: 'default',
        body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'empty' }, spec: { containers: [] } },
      }),
    );

    // Assess
    expect(error.code).toBe(422);
    expect(error.status.message).toBe('Pod "empty" is invalid: spec.containers: Required value');
  });

  it('removes a deleted pod once its containers have stopped', async () => {
    // Prepare
    await core.createNamespacedPod({ namespace: 'default', body: podManifest('web') as never });
    await untilPod(sandbox, 'web', (p) => p.status?.phase === 'Running');

    // Act
    const deleted = await core.deleteNamespacedPod({ namespace: 'default', name: 'web' });
    await sandbox.settle();
    const terminating = await core.readNamespacedPod({ namespace: 'default', name: 'web' });
    sandbox.clock.advance(2000);
    await sandbox.settle();
    const gone = await apiError(core.readNamespacedPod({ namespace: 'default', name: 'web' }));

    // Assess
    expect(
      (deleted as { metadata?: { deletionTimestamp?: unknown } }).metadata?.deletionTimestamp,
    ).toBeDefined();
    expect(terminating.metadata!.deletionTimestamp).toBeDefined();
    expect(gone.code).toBe(404);
  });
});
