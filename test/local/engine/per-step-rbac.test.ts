import { ApiException, AppsV1Api, CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { parseAllDocuments, parse as parseYaml, stringify as toYaml } from 'yaml';
import { ClientNodeOwnerLookup } from '../../../lambdas/intake/cluster-owner-lookup';
import { localKubeConfig } from '../../../lambdas/shared/kubernetes/client';
import { ClientNodeKubernetes } from '../../../lambdas/shared/kubernetes/kubernetes-port';
import {
  KUBERNETES_STEPS,
  stepGroup,
  type KubernetesStep,
} from '../../../lambdas/shared/kubernetes/step-access';
import { DEFAULT_RBAC_GROUP, rbacManifest } from '../../../lambdas/shared/rbac';
import { configSchema } from '../../../lib/config';
import { cachedDefinitions } from '../../../lib/definitions-cache';
import type { SynthesizedDefinitions } from '../../../lib/synth';
import { receiveNotifications, startLocalAws, type LocalAws } from '../../../local/aws/local-aws';
import { runIncident, type IncidentRun } from '../../../local/engine/run-incident';
import { types } from '../../../local/kube-sandbox/runtime';
import { startSandbox, type Sandbox } from '../../../local/kube-sandbox/sandbox';
import type { KubeObject } from '../../../local/kube-sandbox/store';
import { deployment, namespace } from '../../support/manifests';

/*
 * The sandbox authorizes every request by RBAC (`authorization: 'rbac'`), with exactly the RBAC
 * `eks-incident rbac` prints applied, and each function authenticates with a token of its own
 * step's group, as its EKS access entry maps its role. First each group is shown what it may and
 * may not do, through the real adapter and client-node; then the synthesized workflow runs
 * whole, each step as its own group.
 */

const TIME_SCALE = 200;
const NAMESPACES = ['one-data-alldata', 'one-data-system', 'one-data-bisheng', 'secrets-test'];
const SCRATCH = 'backup-restore-test';
/** A namespace the workflow may read but not act in. */
const ELSEWHERE = 'team-elsewhere';
const ADMIN_TOKEN = 'admin-token';
const REQUEST_TIMEOUT_MS = 3000;
const AUTO = { default: { restart: 'auto', rollback: 'auto' } };

const tokenOf = (step: KubernetesStep): string => `${step}-token`;

let synthesized: SynthesizedDefinitions;
let aws: LocalAws;
let sandbox: Sandbox;

/** A kubeconfig for the sandbox that authenticates with `token`, or with none. */
function kubeConfigWith(token: string | undefined) {
  const config = parseYaml(sandbox.kubeconfig()) as { users: Array<{ user: Record<string, unknown> }> };
  config.users[0].user = token ? { token } : {};
  return localKubeConfig({ yaml: toYaml(config) });
}

/** The adapter as the function of `step` has it: authenticated as a member of its group. */
function portOf(step: KubernetesStep | undefined): ClientNodeKubernetes {
  return new ClientNodeKubernetes(kubeConfigWith(step && tokenOf(step)), {
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
  });
}

beforeAll(async () => {
  synthesized = cachedDefinitions({ clusterName: 'sandbox', allowedNamespaces: NAMESPACES.join(',') });
  aws = await startLocalAws();
  sandbox = await startSandbox({
    scenario: 'demo',
    clock: { timeScale: TIME_SCALE },
    authorization: 'rbac',
    token: ADMIN_TOKEN,
    tokens: Object.fromEntries(
      KUBERNETES_STEPS.map((step) => [
        tokenOf(step),
        { user: `eks-incident-response-${step}`, groups: [stepGroup(DEFAULT_RBAC_GROUP, step)] },
      ]),
    ),
    objects: [
      namespace('secrets-test'),
      namespace(ELSEWHERE),
      deployment('one-data-system', 'rbac-probe'),
      deployment(ELSEWHERE, 'rbac-probe'),
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'db', namespace: ELSEWHERE },
        stringData: { pw: 'x' },
      },
    ],
  });
  // What the cluster's admin applies: `eks-incident rbac --namespaces ... --scratch-namespaces ...`
  // (the demo cluster has the scratch namespace already).
  const rbac = parseAllDocuments(rbacManifest(DEFAULT_RBAC_GROUP, NAMESPACES, [SCRATCH]))
    .map((document) => document.toJS() as KubeObject)
    .filter((object) => object.kind !== 'Namespace');
  sandbox.apply(rbac);
  await sandbox.settle();
});

afterAll(async () => {
  await sandbox?.stop();
  await aws?.stop();
});

/** How the API server answered: `allowed`, or the refusal's status and message. */
async function answer(act: () => Promise<unknown>): Promise<string> {
  try {
    await act();
    return 'allowed';
  } catch (error) {
    // client-node's own ApiException (a direct client call), or the adapter's KubernetesRequestError.
    if (error instanceof ApiException) {
      const body = (typeof error.body === 'string' ? JSON.parse(error.body) : error.body) as {
        message: string;
      };
      if (error.code === 403 || error.code === 401) return `${error.code} ${body.message}`;
    }
    const { status, message } = error as { status?: number; message: string };
    if (status === 403 || status === 401) return `${status} ${message}`;
    throw error;
  }
}

const PROBE = { namespace: 'one-data-system', kind: 'Deployment' as const, name: 'rbac-probe' };
const PROBE_ELSEWHERE = { ...PROBE, namespace: ELSEWHERE };
const now = () => new Date(sandbox.clock.now());
const job = (name: string) => ({
  metadata: { name },
  spec: {
    template: { spec: { restartPolicy: 'Never', containers: [{ name: 'restore', image: 'mysql:8.0.36' }] } },
  },
});
const forbidden = (verb: string, resource: string) =>
  expect.stringMatching(new RegExp(`^403 .*cannot ${verb} resource "${resource}"`));

describe('each step group is granted what its step does, and refused the rest (403 from the API server)', () => {
  it('intake: reads pods and their owners; may not patch a Deployment, list Secrets or read logs', async () => {
    // Prepare
    const kc = kubeConfigWith(tokenOf('intake'));
    const owners = new ClientNodeOwnerLookup(kc, { requestTimeoutMs: REQUEST_TIMEOUT_MS });
    const [pod] = sandbox.store.list(types.pods, 'one-data-system');
    const apps = kc.makeApiClient(AppsV1Api);
    const core = kc.makeApiClient(CoreV1Api);

    // Act + Assess
    expect(await answer(() => owners.controllerOf('one-data-system', 'Pod', pod.metadata.name!))).toBe(
      'allowed',
    );
    expect(await answer(() => owners.controllerOf(ELSEWHERE, 'DaemonSet', 'fluent-bit'))).toBe('allowed');
    expect(
      await answer(() =>
        apps.patchNamespacedDeployment(
          { namespace: PROBE.namespace, name: PROBE.name, body: { spec: { paused: true } } },
          setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
        ),
      ),
    ).toEqual(forbidden('patch', 'deployments'));
    expect(await answer(() => core.listNamespacedSecret({ namespace: ELSEWHERE }))).toEqual(
      forbidden('list', 'secrets'),
    );
    expect(await answer(() => portOf('intake').workloads.getWorkload(PROBE))).toEqual(
      forbidden('get', 'deployments'),
    );
    expect(await answer(() => portOf('intake').workloads.listPods(PROBE.namespace, {}))).toEqual(
      forbidden('list', 'pods'),
    );
  });

  it('diagnose: reads the workload, pods, logs, events and ConfigMaps; may not list Secrets or patch', async () => {
    // Prepare
    const kube = portOf('diagnose');

    // Act + Assess
    const workload = await kube.workloads.getWorkload(PROBE_ELSEWHERE);
    expect(await answer(() => kube.workloads.listPods(ELSEWHERE, workload.object.spec!.selector!))).toBe(
      'allowed',
    );
    expect(
      await answer(() => kube.events.listEvents(ELSEWHERE, [{ kind: 'Deployment', name: 'rbac-probe' }])),
    ).toBe('allowed');
    expect(await answer(() => kube.dependencies.configMapKeys(ELSEWHERE, 'absent'))).toBe('allowed');
    expect(await answer(() => kube.dump.listSecretKeysPage(ELSEWHERE, { limit: 10 }))).toEqual(
      forbidden('list', 'secrets'),
    );
    expect(await answer(() => kube.rollouts.rolloutRestart(PROBE, now()))).toEqual(
      forbidden('patch', 'deployments'),
    );
    expect(await answer(() => kube.lock.acquireLease(PROBE.namespace, 'probe', 'x', 60, now()))).toEqual(
      forbidden('get', 'leases'),
    );
  });

  it('collect-events: finds and lists events; may not touch Leases, Secrets or logs', async () => {
    // Prepare
    const kube = portOf('collect-events');

    // Act + Assess
    const subjects = await kube.events.eventSubjects(PROBE);
    expect(await answer(() => kube.events.listServedEvents(PROBE.namespace, subjects))).toBe('allowed');
    // A batch target's events come through its Jobs (a TrainingJobFailed or backup alert names one).
    expect(
      await answer(() =>
        kube.events.eventSubjects({ namespace: 'one-data-infra', kind: 'CronJob', name: 'mysql-backup' }),
      ),
    ).toBe('allowed');
    expect(await answer(() => kube.lock.getLease(PROBE.namespace, 'probe'))).toEqual(
      forbidden('get', 'leases'),
    );
    expect(await answer(() => kube.dump.listPage('secrets', undefined, { limit: 10 }))).toEqual(
      forbidden('list', 'secrets'),
    );
    expect(await answer(() => kube.logs.readLog(PROBE.namespace, 'any', 'app'))).toEqual(
      forbidden('get', 'pods/log'),
    );
  });

  it('guard: takes and gives up the lock in the allowed namespaces only; may not patch', async () => {
    // Prepare
    const kube = portOf('guard');

    // Act + Assess
    expect(await answer(() => kube.lock.acquireLease(PROBE.namespace, 'probe-lock', 'exec', 60, now()))).toBe(
      'allowed',
    );
    expect(await answer(() => kube.lock.releaseLease(PROBE.namespace, 'probe-lock', 'exec', now()))).toBe(
      'allowed',
    );
    expect(await answer(() => kube.lock.acquireLease(ELSEWHERE, 'probe-lock', 'exec', 60, now()))).toEqual(
      forbidden('get', 'leases'),
    );
    expect(await answer(() => kube.rollouts.rolloutRestart(PROBE, now()))).toEqual(
      forbidden('patch', 'deployments'),
    );
  });

  it('restart: patches workloads in the allowed namespaces only; may not create Jobs or list Secrets', async () => {
    // Prepare
    const kube = portOf('restart');

    // Act + Assess
    expect(await answer(() => kube.rollouts.rolloutRestart(PROBE, now()))).toBe('allowed');
    expect(await answer(() => kube.rollouts.rolloutRestart(PROBE_ELSEWHERE, now()))).toEqual(
      forbidden('patch', 'deployments'),
    );
    expect(await answer(() => kube.jobs.createJob(PROBE.namespace, job('not-mine')))).toEqual(
      forbidden('create', 'jobs'),
    );
    expect(await answer(() => kube.dump.listSecretKeysPage(PROBE.namespace, { limit: 10 }))).toEqual(
      forbidden('list', 'secrets'),
    );
  });

  it('verify: reads rollout status and renews the lock; may not patch, list Secrets or read logs', async () => {
    // Prepare
    const kube = portOf('verify');

    // Act + Assess
    expect(await answer(() => kube.rollouts.rolloutStatus(PROBE))).toBe('allowed');
    expect(
      await answer(() => kube.lock.acquireLease(PROBE.namespace, 'probe-verify', 'exec', 60, now())),
    ).toBe('allowed');
    expect(await answer(() => kube.rollouts.rolloutRestart(PROBE, now()))).toEqual(
      forbidden('patch', 'deployments'),
    );
    expect(await answer(() => kube.dump.listSecretKeysPage(PROBE.namespace, { limit: 10 }))).toEqual(
      forbidden('list', 'secrets'),
    );
    expect(await answer(() => kube.logs.readLog(PROBE.namespace, 'any', 'app'))).toEqual(
      forbidden('get', 'pods/log'),
    );
  });

  it('rollback: undoes a rollout in the allowed namespaces; may not delete Jobs', async () => {
    // Prepare: a second revision of both probes, as the admin deploys it.
    const apps = kubeConfigWith(ADMIN_TOKEN).makeApiClient(AppsV1Api);
    for (const probe of [PROBE, PROBE_ELSEWHERE]) {
      await apps.patchNamespacedDeployment(
        {
          namespace: probe.namespace,
          name: probe.name,
          body: {
            spec: {
              template: { spec: { containers: [{ name: 'app', image: 'registry.example.com/probe:2' }] } },
            },
          },
        },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      );
    }
    await sandbox.settle();
    const kube = portOf('rollback');

    // Act + Assess
    expect(await answer(() => kube.rollouts.rolloutUndo(PROBE))).toBe('allowed');
    expect(await answer(() => kube.rollouts.rolloutUndo(PROBE_ELSEWHERE))).toEqual(
      forbidden('patch', 'deployments'),
    );
    expect(await answer(() => kube.jobs.deleteJob(SCRATCH, 'absent'))).toEqual(forbidden('delete', 'jobs'));
  });

  it('cluster-dump: lists everything, Secrets by name and key names; may not patch or take the lock', async () => {
    // Prepare
    const kube = portOf('cluster-dump');

    // Act + Assess
    expect(await answer(() => kube.dump.listSecretKeysPage(ELSEWHERE, { limit: 10 }))).toBe('allowed');
    expect(await answer(() => kube.dump.listPage('deployments', undefined, { limit: 10 }))).toBe('allowed');
    expect(await answer(() => kube.rollouts.rolloutRestart(PROBE, now()))).toEqual(
      forbidden('get', 'deployments'),
    );
    expect(await answer(() => kube.lock.acquireLease(PROBE.namespace, 'probe', 'x', 60, now()))).toEqual(
      forbidden('get', 'leases'),
    );
  });

  it('backup-check-cronjobs: reads CronJobs and Jobs; may not create Jobs', async () => {
    // Prepare
    const kube = portOf('backup-check-cronjobs');

    // Act + Assess
    expect(await answer(() => kube.jobs.getCronJob('one-data-infra', 'mysql-backup'))).toBe('allowed');
    expect(await answer(() => kube.jobs.listJobs('one-data-infra'))).toBe('allowed');
    expect(await answer(() => kube.jobs.createJob(SCRATCH, job('not-mine')))).toEqual(
      forbidden('create', 'jobs'),
    );
  });

  it('backup-restore-test: creates and deletes Jobs in the scratch namespace only; may not patch', async () => {
    // Prepare
    const kube = portOf('backup-restore-test');

    // Act + Assess
    expect(await answer(() => kube.jobs.createJob(SCRATCH, job('restore-probe')))).toBe('allowed');
    expect(await answer(() => kube.jobs.deleteJob(SCRATCH, 'restore-probe'))).toBe('allowed');
    expect(await answer(() => kube.jobs.createJob(PROBE.namespace, job('restore-probe')))).toEqual(
      forbidden('create', 'jobs'),
    );
    expect(await answer(() => kube.rollouts.rolloutRestart(PROBE, now()))).toEqual(
      forbidden('get', 'deployments'),
    );
  });

  it('notify, escalate and report have no access entry: the API server does not know them (401)', async () => {
    // Act + Assess
    expect(await answer(() => portOf(undefined).workloads.getWorkload(PROBE))).toMatch(/^401 /);
  });
});

describe('the synthesized IncidentResponse state machine, each step as its own group', () => {
  /** State names in the order the execution entered them. */
  const entered = (result: IncidentRun) =>
    result.events.flatMap((e) => (e.type === 'StateEntered' ? [e.state.name] : []));

  function run(target: { namespace: string; name: string }): Promise<IncidentRun> {
    return runIncident({
      synthesized,
      input: {
        source: 'manual',
        target: { ...target, kind: 'Deployment' },
        alert: {
          name: 'ServiceDown',
          severity: 'critical',
          summary: 'test',
          startsAt: '2026-11-22T03:00:00Z',
        },
        options: { waitSeconds: 60, verifyTimeoutSeconds: 300 },
      },
      timeScale: TIME_SCALE,
      environment: {
        // No step may fall back to this one: it authenticates as nobody (401).
        kube: portOf(undefined),
        stepKube: Object.fromEntries(KUBERNETES_STEPS.map((step) => [step, portOf(step)])),
        aws,
        config: configSchema.parse({
          clusterName: 'sandbox',
          allowedNamespaces: NAMESPACES,
          kubeRequestTimeoutMs: REQUEST_TIMEOUT_MS,
          remediationPolicy: AUTO,
        }),
        now,
      },
    });
  }

  it('restarts, rolls back and escalates with a cluster dump, and no request is refused', async () => {
    // Prepare
    await receiveNotifications(aws);
    sandbox.requests.clear();

    // Act: the demo's three failures, at once (each in its own namespace).
    const [restarted, rolledBack, escalated] = await Promise.all([
      run({ namespace: 'one-data-alldata', name: 'alldata-api' }),
      run({ namespace: 'one-data-system', name: 'agent-api' }),
      run({ namespace: 'one-data-bisheng', name: 'bisheng-api' }),
    ]);

    // Assess
    expect(sandbox.requests.all().filter((r) => r.status === 401 || r.status === 403)).toEqual([]);
    expect(restarted.status).toBe('SUCCEEDED');
    expect(entered(restarted)).toEqual(
      expect.arrayContaining([
        'Quick Diagnostics',
        'Collect Events',
        'Guard',
        'Restart',
        'Verify',
        'Release Lock',
      ]),
    );
    expect((restarted.output as { report: { outcome: string } }).report.outcome).toBe('recovered-by-restart');
    expect(rolledBack.status).toBe('SUCCEEDED');
    expect(entered(rolledBack)).toContain('Rollback');
    expect(entered(rolledBack)).not.toContain('Escalate');
    expect(escalated.status).toBe('FAILED');
    expect(escalated.error?.Error).toBe('IncidentEscalated');
    expect(entered(escalated)).toEqual(
      expect.arrayContaining(['Escalate', 'Cluster Dump', 'Report', 'Release Lock']),
    );
    expect(entered(escalated)).not.toContain('Restart');
    expect(sandbox.requests.writes().map((w) => `${w.verb} ${w.resource}`)).toEqual(
      expect.arrayContaining(['patch deployments', 'create leases', 'update leases']),
    );
  });
});
