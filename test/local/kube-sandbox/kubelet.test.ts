import type { ContainerStatus, Pod } from 'kubernetes-types/core/v1';
import { SandboxClock } from '../../../local/kube-sandbox/clock';
import {
  goDuration,
  kubeletController,
  normalizeImage,
} from '../../../local/kube-sandbox/controllers/kubelet';
import { types } from '../../../local/kube-sandbox/runtime';
import { startSandbox, type Sandbox } from '../../../local/kube-sandbox/sandbox';
import { eksNode } from '../../../local/kube-sandbox/scenarios/base';
import { podManifest } from '../../support/manifests';
import {
  elapse,
  eventsFor,
  getPod,
  manualSandbox,
  mustGetPod,
  ownErrors,
  untilPod,
} from '../../support/sandbox';

function status(pod: Pod, container = 'app'): ContainerStatus {
  const found = pod.status?.containerStatuses?.find((c) => c.name === container);
  if (!found) throw new Error(`no status for container ${container}`);
  return found;
}

function condition(pod: Pod, type: string) {
  return pod.status?.conditions?.find((c) => c.type === type);
}

function logText(sandbox: Sandbox, pod: Pod, instance: number, container = 'app'): string[] | undefined {
  return sandbox.logs.read(pod.metadata!.uid!, container, instance)?.map((l) => l.text);
}

describe('simulated kubelet', () => {
  let sandbox: Sandbox;

  beforeEach(async () => {
    sandbox = await manualSandbox();
  });

  afterEach(async () => {
    await sandbox.stop();
  });

  it('starts a healthy pod with the events, status and conditions of a real kubelet', async () => {
    // Prepare
    sandbox.apply([
      podManifest('web', { behavior: { app: { mode: 'healthy', logs: ['listening on :8080'] } } }),
    ]);

    // Act
    await elapse(sandbox, 10_000);

    // Assess
    const pod = mustGetPod(sandbox, 'web');
    const node = pod.spec!.nodeName!;
    expect(pod.status!.phase).toBe('Running');
    expect(pod.status!.qosClass).toBe('BestEffort');
    expect(pod.status!.hostIP).toMatch(/^10\.0\.\d+\.\d+$/);
    expect(pod.status!.podIP).toMatch(/^10\.0\.\d+\.\d+$/);
    expect(pod.status!.podIPs).toEqual([{ ip: pod.status!.podIP }]);
    expect(pod.status!.hostIPs).toEqual([{ ip: pod.status!.hostIP }]);
    expect(pod.status!.startTime).toMatch(/^2026-03-01T12:00:0\dZ$/);
    expect(pod.status!.conditions!.map((c) => [c.type, c.status])).toEqual([
      ['PodReadyToStartContainers', 'True'],
      ['Initialized', 'True'],
      ['Ready', 'True'],
      ['ContainersReady', 'True'],
      ['PodScheduled', 'True'],
    ]);
    for (const c of pod.status!.conditions!) expect(c.lastTransitionTime).toMatch(/^2026-03-01T12:00:\d\dZ$/);
    const app = status(pod);
    expect(app).toMatchObject({
      name: 'app',
      image: 'docker.io/library/nginx:1.27',
      ready: true,
      started: true,
      restartCount: 0,
      lastState: {},
    });
    expect(app.containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
    expect(app.imageID).toMatch(/^docker\.io\/library\/nginx@sha256:[0-9a-f]{64}$/);
    expect(app.state!.running!.startedAt).toMatch(/^2026-03-01T12:00:0\dZ$/);
    const kubeletEvents = eventsFor(sandbox, 'web').filter((e) => e.component === 'kubelet');
    expect(kubeletEvents.map((e) => [e.reason, e.message])).toEqual([
      ['Pulling', 'Pulling image "nginx:1.27"'],
      [
        'Pulled',
        expect.stringMatching(
          /^Successfully pulled image "nginx:1\.27" in [\d.]+m?s \([\d.]+m?s including waiting\)\. Image size: \d+ bytes\.$/,
        ),
      ],
      ['Created', 'Created container: app'],
      ['Started', 'Started container app'],
    ]);
    for (const e of kubeletEvents) {
      expect(e).toMatchObject({ type: 'Normal', fieldPath: 'spec.containers{app}', host: node });
    }
    expect(logText(sandbox, pod, 0)).toEqual(['listening on :8080']);
    expect(ownErrors(sandbox)).toEqual([]);
  });

  it('reports Pending with ContainerCreating until the image is pulled', async () => {
    // Prepare
    sandbox.apply([podManifest('web')]);

    // Act
    await sandbox.settle();

    // Assess
    const pod = mustGetPod(sandbox, 'web');
    expect(pod.status!.phase).toBe('Pending');
    expect(status(pod)).toMatchObject({
      image: 'nginx:1.27',
      imageID: '',
      ready: false,
      started: false,
      state: { waiting: { reason: 'ContainerCreating' } },
    });
    expect(condition(pod, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotReady',
      message: 'containers with unready status: [app]',
    });
  });

  it('reuses an image already on the node', async () => {
    // Prepare
    const nodeName = (sandbox.store.list(types.nodes)[0].metadata.name ?? '') as string;
    sandbox.apply([podManifest('first', { spec: { nodeName } })]);
    await elapse(sandbox, 10_000);

    // Act
    sandbox.apply([podManifest('second', { spec: { nodeName } })]);
    await elapse(sandbox, 3000);

    // Assess
    expect(eventsFor(sandbox, 'second').map((e) => [e.reason, e.message])).toEqual([
      ['Pulled', 'Container image "nginx:1.27" already present on machine'],
      ['Created', 'Created container: app'],
      ['Started', 'Started container app'],
    ]);
  });

  it('crash-loops with the kubelet back-off, keeping each instance logs apart', async () => {
    // Prepare
    sandbox.apply([
      podManifest('api', {
        behavior: {
          app: { mode: 'crash', exitCode: 2, runSeconds: 2, logs: ['connecting to db', 'fatal: refused'] },
        },
      }),
    ]);

    // Act: the first exit restarts at once, the second waits out a 10 s back-off.
    const afterFirstExit = await untilPod(sandbox, 'api', (p) => status(p).restartCount === 1);
    const inBackOff = await untilPod(
      sandbox,
      'api',
      (p) => status(p).state?.waiting?.reason === 'CrashLoopBackOff',
    );

    // Assess
    expect(status(afterFirstExit).restartCount).toBe(1);
    expect(status(afterFirstExit).state!.running).toBeDefined();
    expect(status(afterFirstExit).lastState!.terminated).toMatchObject({ exitCode: 2, reason: 'Error' });

    const crashing = status(inBackOff);
    expect(inBackOff.status!.phase).toBe('Running');
    expect(crashing.ready).toBe(false);
    expect(crashing.started).toBe(false);
    expect(crashing.restartCount).toBe(1);
    expect(crashing.state!.waiting).toEqual({
      reason: 'CrashLoopBackOff',
      message: `back-off 10s restarting failed container=app pod=api_default(${inBackOff.metadata!.uid})`,
    });
    const last = crashing.lastState!.terminated!;
    expect(last).toMatchObject({ exitCode: 2, reason: 'Error', containerID: crashing.containerID });
    expect(Date.parse(last.finishedAt!) - Date.parse(last.startedAt!)).toBe(2000);
    expect(logText(sandbox, inBackOff, 0)).toEqual(['connecting to db', 'fatal: refused']);
    expect(logText(sandbox, inBackOff, 1)).toEqual(['connecting to db', 'fatal: refused']);
    expect(logText(sandbox, inBackOff, 2)).toBeUndefined();
    expect(eventsFor(sandbox, 'api')).toContainEqual(
      expect.objectContaining({
        type: 'Warning',
        reason: 'BackOff',
        message: `Back-off restarting failed container app in pod api_default(${inBackOff.metadata!.uid})`,
        fieldPath: 'spec.containers{app}',
      }),
    );
    expect(ownErrors(sandbox)).toEqual([]);
  });

  it('doubles the back-off up to five minutes and folds repeated events', async () => {
    // Prepare
    sandbox.apply([podManifest('api', { behavior: { app: { mode: 'crash', runSeconds: 1 } } })]);
    const messages = new Set<string>();

    // Act
    for (let i = 0; i < 240; i++) {
      await elapse(sandbox, 5_000);
      const waiting = getPod(sandbox, 'api')?.status?.containerStatuses?.[0].state?.waiting;
      if (waiting?.reason === 'CrashLoopBackOff') messages.add(waiting.message!.split(' ')[1]);
    }

    // Assess
    expect([...messages]).toEqual(['10s', '20s', '40s', '1m20s', '2m40s', '5m0s']);
    const pod = mustGetPod(sandbox, 'api');
    const events = eventsFor(sandbox, 'api');
    const started = events.filter((e) => e.reason === 'Started');
    expect(started).toHaveLength(1);
    expect(started[0].count).toBe(status(pod).restartCount + 1);
    expect(events.find((e) => e.reason === 'BackOff')!.count).toBeGreaterThan(5);
  });

  it('reports OOMKilled with exit code 137', async () => {
    // Prepare
    sandbox.apply([podManifest('hungry', { behavior: { app: { mode: 'oom', runSeconds: 2 } } })]);

    // Act
    await elapse(sandbox, 15_000);

    // Assess
    const last = status(mustGetPod(sandbox, 'hungry')).lastState!.terminated!;
    expect(last).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
    expect(last.containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
  });

  it('runs healthy once a crashing container has restarted recoverAfterRestarts times', async () => {
    // Prepare
    sandbox.apply([
      podManifest('flaky', {
        behavior: {
          app: { mode: 'crash', runSeconds: 1, recoverAfterRestarts: 2, logs: ['boom'], healthyLogs: ['up'] },
        },
      }),
    ]);

    // Act
    await elapse(sandbox, 60_000);

    // Assess
    const pod = mustGetPod(sandbox, 'flaky');
    expect(status(pod)).toMatchObject({ restartCount: 2, ready: true, started: true });
    expect(condition(pod, 'Ready')!.status).toBe('True');
    expect(logText(sandbox, pod, 1)).toEqual(['boom']);
    expect(logText(sandbox, pod, 2)).toEqual(['up']);
  });

  it('runs pods restarted by kubectl rollout restart healthy when recoverAfterRolloutRestart is set', async () => {
    // Prepare
    const behavior = {
      app: {
        mode: 'crash' as const,
        recoverAfterRolloutRestart: true,
        logs: ['db not ready'],
        healthyLogs: ['connected'],
      },
    };
    sandbox.apply([
      podManifest('before', { behavior }),
      podManifest('after', {
        behavior,
        annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-03-01T11:59:00Z' },
      }),
    ]);

    // Act
    await elapse(sandbox, 30_000);

    // Assess
    expect(status(mustGetPod(sandbox, 'before')).ready).toBe(false);
    expect(status(mustGetPod(sandbox, 'before')).restartCount).toBeGreaterThan(0);
    const after = mustGetPod(sandbox, 'after');
    expect(status(after)).toMatchObject({ ready: true, restartCount: 0 });
    expect(logText(sandbox, after, 0)).toEqual(['connected']);
  });

  it('reports ErrImagePull then ImagePullBackOff and keeps the pod Pending', async () => {
    // Prepare
    sandbox.apply([
      podManifest('broken', {
        containers: [{ name: 'app', image: 'nginx:1.99.99' }],
        behavior: { app: { mode: 'image-pull-failure' } },
      }),
    ]);
    const ref = 'docker.io/library/nginx:1.99.99';
    const error = `rpc error: code = NotFound desc = failed to pull and unpack image "${ref}": failed to resolve reference "${ref}": ${ref}: not found`;

    // Act
    await elapse(sandbox, 5_000, 500);
    const states: string[] = [];
    for (let i = 0; i < 60; i++) {
      await elapse(sandbox, 1000);
      const reason = status(mustGetPod(sandbox, 'broken')).state!.waiting!.reason!;
      if (states[states.length - 1] !== reason) states.push(reason);
    }

    // Assess
    const pod = mustGetPod(sandbox, 'broken');
    expect(pod.status!.phase).toBe('Pending');
    expect(states.slice(0, 3)).toEqual(['ImagePullBackOff', 'ErrImagePull', 'ImagePullBackOff']);
    expect(status(pod)).toMatchObject({ image: 'nginx:1.99.99', imageID: '', started: false, ready: false });
    expect(status(pod).containerID).toBeUndefined();
    const byReason = eventsFor(sandbox, 'broken')
      .filter((e) => e.component === 'kubelet')
      .map((e) => [e.type, e.reason, e.message]);
    expect(byReason).toEqual([
      ['Normal', 'Pulling', 'Pulling image "nginx:1.99.99"'],
      ['Warning', 'Failed', `Failed to pull image "nginx:1.99.99": ${error}`],
      ['Warning', 'Failed', 'Error: ErrImagePull'],
      ['Normal', 'BackOff', 'Back-off pulling image "nginx:1.99.99"'],
      ['Warning', 'Failed', 'Error: ImagePullBackOff'],
    ]);
    expect(eventsFor(sandbox, 'broken').find((e) => e.reason === 'Pulling')!.count).toBeGreaterThan(1);
  });

  it('keeps a not-ready pod Running but never Ready, with folded Unhealthy events', async () => {
    // Prepare
    sandbox.apply([podManifest('slow', { behavior: { app: { mode: 'not-ready' } } })]);

    // Act
    await elapse(sandbox, 60_000);

    // Assess
    const pod = mustGetPod(sandbox, 'slow');
    expect(pod.status!.phase).toBe('Running');
    expect(status(pod)).toMatchObject({ ready: false, started: true });
    expect(condition(pod, 'Ready')!.status).toBe('False');
    const unhealthy = eventsFor(sandbox, 'slow').filter((e) => e.reason === 'Unhealthy');
    expect(unhealthy).toHaveLength(1);
    expect(unhealthy[0]).toMatchObject({
      type: 'Warning',
      message: 'Readiness probe failed: HTTP probe failed with statuscode: 503',
      fieldPath: 'spec.containers{app}',
    });
    expect(unhealthy[0].count).toBeGreaterThan(2);
  });

  it('completes a run-to-completion pod: Succeeded with PodCompleted conditions', async () => {
    // Prepare
    sandbox.apply([
      podManifest('job-1', {
        spec: { restartPolicy: 'Never' },
        behavior: { app: { mode: 'complete', runSeconds: 2, logs: ['done'] } },
      }),
    ]);

    // Act
    await elapse(sandbox, 15_000);

    // Assess
    const pod = mustGetPod(sandbox, 'job-1');
    expect(pod.status!.phase).toBe('Succeeded');
    expect(status(pod).state!.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(status(pod)).toMatchObject({ ready: false, started: false, restartCount: 0 });
    expect(condition(pod, 'Ready')).toMatchObject({ status: 'False', reason: 'PodCompleted' });
    expect(condition(pod, 'ContainersReady')).toMatchObject({ status: 'False', reason: 'PodCompleted' });
    expect(condition(pod, 'Initialized')).toMatchObject({ status: 'True', reason: 'PodCompleted' });
    expect(condition(pod, 'PodReadyToStartContainers')!.status).toBe('False');
    expect(logText(sandbox, pod, 0)).toEqual(['done']);
  });

  it('fails a restartPolicy Never pod whose container exits non-zero', async () => {
    // Prepare
    sandbox.apply([
      podManifest('job-2', {
        spec: { restartPolicy: 'Never' },
        behavior: { app: { mode: 'crash', exitCode: 3 } },
      }),
    ]);

    // Act
    await elapse(sandbox, 30_000);

    // Assess
    const pod = mustGetPod(sandbox, 'job-2');
    expect(pod.status!.phase).toBe('Failed');
    expect(status(pod).state!.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(status(pod).restartCount).toBe(0);
    expect(eventsFor(sandbox, 'job-2').filter((e) => e.reason === 'Started')[0].count).toBe(1);
  });

  it('restarts a failing restartPolicy OnFailure pod and leaves a successful one alone', async () => {
    // Prepare
    sandbox.apply([
      podManifest('retry', { spec: { restartPolicy: 'OnFailure' }, behavior: { app: { mode: 'crash' } } }),
      podManifest('once', { spec: { restartPolicy: 'OnFailure' }, behavior: { app: { mode: 'complete' } } }),
    ]);

    // Act
    await elapse(sandbox, 30_000);

    // Assess
    const retry = mustGetPod(sandbox, 'retry');
    expect(retry.status!.phase).toBe('Running');
    expect(status(retry).restartCount).toBeGreaterThan(0);
    expect(mustGetPod(sandbox, 'once').status!.phase).toBe('Succeeded');
  });

  it('runs init containers to completion before the app containers', async () => {
    // Prepare
    sandbox.apply([
      podManifest('with-init', {
        spec: { initContainers: [{ name: 'migrate', image: 'flyway/flyway:10' }] },
        behavior: { migrate: { mode: 'complete', runSeconds: 5, logs: ['migrated'] } },
      }),
    ]);

    // Act
    await elapse(sandbox, 5_000);
    const initializing = mustGetPod(sandbox, 'with-init');
    await elapse(sandbox, 15_000);

    // Assess
    expect(initializing.status!.phase).toBe('Pending');
    expect(condition(initializing, 'Initialized')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotInitialized',
      message: 'containers with incomplete status: [migrate]',
    });
    expect(status(initializing).state!.waiting!.reason).toBe('PodInitializing');
    const pod = mustGetPod(sandbox, 'with-init');
    expect(pod.status!.phase).toBe('Running');
    expect(pod.status!.initContainerStatuses![0]).toMatchObject({
      name: 'migrate',
      ready: true,
      state: { terminated: { exitCode: 0, reason: 'Completed' } },
    });
    expect(condition(pod, 'Ready')!.status).toBe('True');
    const fieldPaths = eventsFor(sandbox, 'with-init').map((e) => e.fieldPath);
    expect(fieldPaths.indexOf('spec.initContainers{migrate}')).toBeLessThan(
      fieldPaths.indexOf('spec.containers{app}'),
    );
  });

  it('stops the containers of a deleted pod, then removes it and its logs', async () => {
    // Prepare
    sandbox.apply([podManifest('web', { behavior: { app: { mode: 'healthy', logs: ['hi'] } } })]);
    await elapse(sandbox, 10_000);
    const uid = mustGetPod(sandbox, 'web').metadata!.uid!;

    // Act
    sandbox.store.delete(types.pods, 'default', 'web');
    await sandbox.settle();
    const terminating = getPod(sandbox, 'web');
    await elapse(sandbox, 2_000);

    // Assess
    expect(terminating?.metadata?.deletionTimestamp).toBeDefined();
    expect(eventsFor(sandbox, 'web')).toContainEqual(
      expect.objectContaining({ type: 'Normal', reason: 'Killing', message: 'Stopping container app' }),
    );
    expect(getPod(sandbox, 'web')).toBeUndefined();
    expect(sandbox.logs.read(uid, 'app', 0)).toBeUndefined();
  });

  it('lets PodGC fail and remove the pods of a deleted node', async () => {
    // Prepare
    const node = sandbox.store.list(types.nodes)[0];
    sandbox.apply([podManifest('stranded', { spec: { nodeName: node.metadata.name } })]);
    await elapse(sandbox, 10_000);

    // Act
    sandbox.store.remove(types.nodes, node);
    await elapse(sandbox, 20_000);
    const quarantined = getPod(sandbox, 'stranded');
    await elapse(sandbox, 30_000);

    // Assess
    expect(quarantined?.status?.phase).toBe('Running');
    expect(getPod(sandbox, 'stranded')).toBeUndefined();
  });

  it('surfaces a malformed behaviour annotation as a controller error', async () => {
    // Prepare
    const manifest = podManifest('typo');
    manifest.metadata.annotations = { 'sandbox.eks-incident.dev/behavior': '{not json' };

    // Act
    sandbox.apply([manifest]);
    await elapse(sandbox, 2_000);

    // Assess
    expect(ownErrors(sandbox)).toContainEqual(
      expect.objectContaining({
        controller: 'kubelet',
        error: expect.objectContaining({ name: 'BehaviorAnnotationError' }),
      }),
    );
  });
});

describe('kubelet controller lifecycle', () => {
  it('stops all its timers when stopped', async () => {
    // Prepare
    const clock = new SandboxClock({ mode: 'manual' });
    const sandbox = await startSandbox({ clock, controllers: false });
    try {
      const stop = kubeletController.start(sandbox.context);
      const nodeName = eksNode(0).metadata.name;
      sandbox.apply([podManifest('crasher', { spec: { nodeName }, behavior: { app: { mode: 'crash' } } })]);
      await sandbox.settle();
      clock.advance(5_000);
      await sandbox.settle();

      // Act
      stop();
      const version = sandbox.store.resourceVersion;
      clock.advance(600_000);
      await sandbox.settle();

      // Assess
      expect(sandbox.store.resourceVersion).toBe(version);
    } finally {
      await sandbox.stop();
    }
  });
});

describe('kubelet formatting helpers', () => {
  it.each([
    [800, '800ms'],
    [1234, '1.234s'],
    [10_000, '10s'],
    [80_000, '1m20s'],
    [300_000, '5m0s'],
  ])('formats %d ms as Go does: %s', (ms, text) => {
    expect(goDuration(ms)).toBe(text);
  });

  it.each([
    ['nginx', 'docker.io/library/nginx:latest'],
    ['nginx:1.27', 'docker.io/library/nginx:1.27'],
    ['bitnami/redis:7', 'docker.io/bitnami/redis:7'],
    [
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:v2',
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:v2',
    ],
    ['localhost:5000/app', 'localhost:5000/app:latest'],
  ])('normalizes %s to %s', (image, full) => {
    expect(normalizeImage(image)).toBe(full);
  });
});
