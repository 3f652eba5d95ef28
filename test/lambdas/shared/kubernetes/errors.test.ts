import type { Target } from '../../../../lambdas/shared/contracts';
import {
  KubernetesRequestError,
  KubernetesServerError,
  KubernetesThrottledError,
  KubernetesTimeoutError,
  TRANSIENT_ERRORS,
} from '../../../../lambdas/shared/errors';
import { NS, deployment, startKube, type KubeUnderTest } from './sandbox-kube';
import { eventually } from '../../../support/polling';

// What the state machine's Retry/Catch see when the API server misbehaves: faults are
// injected at the sandbox, the adapter's client-side timeout is 1,000 ms (a dropped connection
// must fail before it, even on a loaded machine).
let t: KubeUnderTest;

beforeEach(async () => {
  t = await startKube({ objects: [deployment('alldata-api')] }, 1000);
});

afterEach(async () => {
  await t.sandbox.stop();
});

const API: Target = { namespace: NS, kind: 'Deployment', name: 'alldata-api' };

async function failure(call: Promise<unknown>): Promise<Error> {
  try {
    await call;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

describe('transient failures become the errors the state machine retries', () => {
  it('429 is KubernetesThrottledError with the Retry-After seconds', async () => {
    // Prepare
    t.sandbox.faults.add({ verb: 'get', resource: 'deployments', status: 429, times: 1 });

    // Act
    const error = await failure(t.kube.workloads.getWorkload(API));

    // Assess
    expect(error).toBeInstanceOf(KubernetesThrottledError);
    expect(error).toMatchObject({ name: 'KubernetesThrottledError', retryAfterSeconds: 1 });
    expect(error.message).toMatch(/^get deployments\.apps one-data-alldata\/alldata-api: /);
    expect(TRANSIENT_ERRORS).toContain(error.name);
  });

  it('500 is KubernetesServerError with the status', async () => {
    // Prepare
    t.sandbox.faults.add({ verb: 'patch', resource: 'deployments', status: 500, times: 1 });

    // Act
    const error = await failure(t.kube.rollouts.rolloutRestart(API, new Date(t.sandbox.clock.now())));

    // Assess
    expect(error).toBeInstanceOf(KubernetesServerError);
    expect(error).toMatchObject({ name: 'KubernetesServerError', status: 500 });
    expect(TRANSIENT_ERRORS).toContain(error.name);
  });

  it('a dropped connection is KubernetesTimeoutError', async () => {
    // Prepare
    t.sandbox.faults.add({ verb: 'list', resource: 'pods', drop: true, times: 1 });

    // Act
    const error = await failure(t.kube.workloads.listPods(NS, { matchLabels: { app: 'alldata-api' } }));

    // Assess
    expect(error).toBeInstanceOf(KubernetesTimeoutError);
    expect(error.message).toMatch(
      /^list pods one-data-alldata -l app=alldata-api: connection failed \((ECONNRESET|UND_ERR_SOCKET)\)$/,
    );
  });

  it('an answer slower than KUBE_REQUEST_TIMEOUT_MS is KubernetesTimeoutError', async () => {
    // Prepare
    t.sandbox.faults.add({ verb: 'list', resource: 'events', latencyMs: 5000, times: 1 });

    // Act
    const error = await failure(t.kube.events.listEvents(NS, [{ kind: 'Deployment', name: 'alldata-api' }]));

    // Assess
    expect(error).toBeInstanceOf(KubernetesTimeoutError);
    expect(error.message).toBe('list events one-data-alldata: no answer within 1000 ms');
  });

  it('a log slower than KUBE_REQUEST_TIMEOUT_MS is KubernetesTimeoutError', async () => {
    // Prepare
    t.sandbox.faults.add({ verb: 'get', resource: 'pods/log', latencyMs: 5000, times: 1 });

    // Act
    const error = await failure(t.kube.logs.readLog(NS, 'alldata-api-0', 'app'));

    // Assess
    expect(error).toBeInstanceOf(KubernetesTimeoutError);
    expect(error.message).toBe(
      'get pods/log one-data-alldata/alldata-api-0 -c app: no answer within 1000 ms',
    );
  });

  it('a refused connection is KubernetesTimeoutError', async () => {
    // Prepare
    await t.sandbox.stop();

    // Act
    const error = await failure(t.kube.lock.getLease(NS, 'lock'));

    // Assess
    expect(error).toBeInstanceOf(KubernetesTimeoutError);
    expect(error.message).toBe(
      'get leases.coordination.k8s.io one-data-alldata/lock: connection failed (ECONNREFUSED)',
    );
  });
});

describe('refusals become KubernetesRequestError with the Status message', () => {
  it('403 keeps the status and the Status message, and is not retried', async () => {
    // Prepare
    t.sandbox.faults.add({ verb: 'get', resource: 'leases', status: 403, times: 1 });

    // Act
    const forbidden = await failure(t.kube.lock.getLease(NS, 'lock'));

    // Assess
    expect(forbidden).toBeInstanceOf(KubernetesRequestError);
    expect(forbidden).toMatchObject({ status: 403 });
    expect(forbidden.message).toBe(
      'get leases.coordination.k8s.io one-data-alldata/lock: leases.coordination.k8s.io "lock" is forbidden: User "system:anonymous" cannot get resource "leases" in API group "coordination.k8s.io" in the namespace "one-data-alldata"',
    );
    expect(TRANSIENT_ERRORS).not.toContain(forbidden.name);
  });

  it('a missing pod is 404 and a missing previous log 400, with the API server`s words', async () => {
    // Prepare
    const pods = await eventually('running pods', async () => {
      const all = await t.kube.workloads.listPods(NS, { matchLabels: { app: 'alldata-api' } });
      return all.some((p) => p.status?.phase === 'Running')
        ? all.filter((p) => p.status?.phase === 'Running')
        : undefined;
    });

    // Act
    const missingPod = await failure(t.kube.logs.readLog(NS, 'alldata-api-gone', 'app'));
    const noPrevious = await failure(
      t.kube.logs.readLog(NS, pods[0].metadata!.name!, 'app', { previous: true }),
    );

    // Assess
    expect(missingPod).toMatchObject({ status: 404, reason: 'NotFound' });
    expect(missingPod.message).toBe(
      'get pods/log one-data-alldata/alldata-api-gone -c app: pods "alldata-api-gone" not found',
    );
    expect(noPrevious).toMatchObject({ status: 400, reason: 'BadRequest' });
    expect(noPrevious.message).toContain(
      `previous terminated container "app" in pod "${pods[0].metadata!.name}" not found`,
    );
  });
});
