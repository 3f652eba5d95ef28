import { createHash } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { lockName } from '../../../lambdas/guard/guard';
import type { Manifest } from '../../../lambdas/shared/evidence/evidence-store';
import { localKubeConfig } from '../../../lambdas/shared/kubernetes/client';
import { ClientNodeKubernetes } from '../../../lambdas/shared/kubernetes/kubernetes-port';
import { configSchema } from '../../../lib/config';
import { cachedDefinitions } from '../../../lib/definitions-cache';
import type { SynthesizedDefinitions } from '../../../lib/synth';
import { receiveNotifications, startLocalAws, type LocalAws } from '../../../local/aws/local-aws';
import { runIncident, type IncidentRun } from '../../../local/engine/run-incident';
import { types } from '../../../local/kube-sandbox/runtime';
import { startSandbox, type Sandbox } from '../../../local/kube-sandbox/sandbox';
import type { KubeObject } from '../../../local/kube-sandbox/store';
import { deployment } from '../../support/manifests';

/**
 * These flows exercise automatic remediation: rollbacks too run without asking (the default
 * policy asks a human before a rollback; test/local/engine/approval-flow.test.ts covers that).
 */
const AUTO = { default: { restart: 'auto', rollback: 'auto' } };

/*
 * The synthesized IncidentResponse state machine, run by aws-local-stepfunctions against the
 * Kubernetes sandbox (demo scenario) over HTTP and S3/SNS on fauxqs over HTTP. Nothing is
 * mocked: each Task runs the step's deployed logic in-process.
 */

const TIME_SCALE = 200;
const NAMESPACES = ['one-data-alldata', 'one-data-system', 'one-data-bisheng', 'secrets-test'];

let synthesized: SynthesizedDefinitions;
let aws: LocalAws;
let sandbox: Sandbox;

beforeAll(async () => {
  synthesized = cachedDefinitions({ clusterName: 'sandbox', allowedNamespaces: NAMESPACES.join(',') });
  aws = await startLocalAws();
});

afterAll(async () => {
  await aws.stop();
});

beforeEach(async () => {
  sandbox = await startSandbox({ scenario: 'demo', clock: { timeScale: TIME_SCALE } });
  await receiveNotifications(aws);
});

afterEach(async () => {
  await sandbox.stop();
});

function input(target: { namespace: string; name: string }, options: Record<string, unknown> = {}): unknown {
  return {
    source: 'manual',
    target: { ...target, kind: 'Deployment' },
    alert: { name: 'ServiceDown', severity: 'critical', summary: 'test', startsAt: '2026-11-22T03:00:00Z' },
    options: { waitSeconds: 60, verifyTimeoutSeconds: 300, ...options },
  };
}

const ALLDATA = { namespace: 'one-data-alldata', name: 'alldata-api' };
const AGENT = { namespace: 'one-data-system', name: 'agent-api' };
const BISHENG = { namespace: 'one-data-bisheng', name: 'bisheng-api' };
const WORKER = { namespace: 'one-data-alldata', name: 'alldata-worker' };

/** Exits on MySQL as alldata-api does, but a restart does not bring it back. */
const mysqlDownForGood = {
  mode: 'crash' as const,
  exitCode: 3,
  runSeconds: 4,
  logs: [
    'alldata.db INFO Connecting to mysql+pymysql://alldata@mysql.one-data-infra:3306/one_data_studio (pool_size=20)',
    `pymysql.err.OperationalError: (2003, "Can't connect to MySQL server on 'mysql.one-data-infra' (111)")`,
    'ERROR:    Application startup failed. Exiting.',
  ],
};

/** Long enough for a loaded CI machine; the timeout test injects a longer latency than this. */
const REQUEST_TIMEOUT_MS = 3000;

async function run(executionInput: unknown, config: Record<string, unknown> = {}): Promise<IncidentRun> {
  const kube = new ClientNodeKubernetes(localKubeConfig({ yaml: sandbox.kubeconfig() }), {
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
  });
  return runIncident({
    synthesized,
    input: executionInput,
    timeScale: TIME_SCALE,
    environment: {
      kube,
      aws,
      config: configSchema.parse({
        clusterName: 'sandbox',
        allowedNamespaces: NAMESPACES,
        kubeRequestTimeoutMs: REQUEST_TIMEOUT_MS,
        remediationPolicy: AUTO,
        ...config,
      }),
      now: () => new Date(sandbox.clock.now()),
    },
  });
}

/** State names in the order the execution entered them. */
function entered(result: IncidentRun): string[] {
  return result.events.flatMap((e) => (e.type === 'StateEntered' ? [e.state.name] : []));
}

function retried(result: IncidentRun): string[] {
  return result.events.flatMap((e) => (e.type === 'StateRetried' ? [e.state.name] : []));
}

function deploymentOf(target: { namespace: string; name: string }): KubeObject {
  return sandbox.store.get(types['deployments.apps'], target.namespace, target.name)!;
}

function output(result: IncidentRun): Record<string, { [key: string]: unknown }> {
  return result.output as Record<string, { [key: string]: unknown }>;
}

async function objectBody(key: string): Promise<Buffer> {
  const object = await aws.s3.send(new GetObjectCommand({ Bucket: aws.bucket, Key: key }));
  return Buffer.from(await object.Body!.transformToByteArray());
}

async function keysUnder(prefix: string): Promise<string[]> {
  const listed = await aws.s3.send(new ListObjectsV2Command({ Bucket: aws.bucket, Prefix: prefix }));
  return (listed.Contents ?? []).map((o) => o.Key!);
}

describe('the synthesized IncidentResponse state machine, locally', () => {
  test('a restart recovers the workload crash-looping on "Can\'t connect to MySQL server"', async () => {
    // Act
    const result = await run(input(ALLDATA));

    // Assess
    const states = entered(result);
    expect(result.status).toBe('SUCCEEDED');
    expect(states.slice(0, 15)).toEqual([
      'Open Incident',
      'Workload Target?',
      'Assess',
      'Quick Diagnostics',
      'Collect Events',
      'Assessed?',
      'Diagnosis Calls For?',
      'Health Before Restart',
      'Healthy Before Restart?',
      'Guard',
      'Remediation Allowed?',
      'Restart',
      'Wait',
      'Verify',
      'Verify Outcome',
    ]);
    expect(states.slice(-5)).toEqual(['Notify Recovered', 'Report', 'Release Lock', 'Outcome?', 'Done']);
    expect(entered(result)).not.toContain('Rollback');
    expect(entered(result)).not.toContain('Escalate');
    expect(output(result).report.outcome).toBe('recovered-by-restart');
    expect(output(result).diagnostics.probableCause).toMatchObject({
      cause: expect.stringMatching(/MySQL/i),
    });
    const annotations = (
      deploymentOf(ALLDATA).spec as { template: { metadata: { annotations?: Record<string, string> } } }
    ).template.metadata.annotations;
    expect(annotations?.['kubectl.kubernetes.io/restartedAt']).toBeDefined();
    const status = deploymentOf(ALLDATA).status as {
      replicas: number;
      availableReplicas: number;
      updatedReplicas: number;
    };
    expect(status.availableReplicas).toBe(status.replicas);
    expect(status.updatedReplicas).toBe(status.replicas);
  });

  test('the bad revision is rolled back directly to the healthy revision and recovers', async () => {
    // Prepare
    const healthyImage = (
      sandbox.store
        .list(types['replicasets.apps'], AGENT.namespace)
        .find((rs) => rs.metadata.annotations?.['deployment.kubernetes.io/revision'] === '1')!.spec as {
        template: { spec: { containers: Array<{ image: string }> } };
      }
    ).template.spec.containers[0].image;

    // Act
    const result = await run(input(AGENT));

    // Assess
    const states = entered(result);
    expect(result.status).toBe('SUCCEEDED');
    // The diagnosis sees revision 2 failing where revision 1 served: a bad release, rolled back
    // without a restart first.
    expect(output(result).diagnostics.remediation).toMatchObject({ action: 'rollback', confident: true });
    expect(states).not.toContain('Restart');
    expect(states.indexOf('Rollback')).toBeGreaterThan(-1);
    expect(states.lastIndexOf('Verify')).toBeGreaterThan(states.indexOf('Rollback'));
    expect(states).toContain('Notify Recovered');
    expect(states).not.toContain('Escalate');
    expect(output(result).report.outcome).toBe('recovered-by-rollback');
    expect(output(result).rollback).toMatchObject({ toRevision: 1, skipped: false });
    const template = (
      deploymentOf(AGENT).spec as { template: { spec: { containers: Array<{ image: string }> } } }
    ).template;
    expect(template.spec.containers[0].image).toBe(healthyImage);
  });

  test('the workload OOMKilled in every revision is escalated at once with a cluster dump, untouched', async () => {
    // Act
    const result = await run(input(BISHENG));

    // Assess
    const states = entered(result);
    expect(result.status).toBe('FAILED');
    expect(result.error?.Error).toBe('IncidentEscalated');
    expect(states).toEqual(expect.arrayContaining(['Escalate', 'Cluster Dump', 'Report', 'Release Lock']));
    // A restart only frees memory until it fills again, and every revision fails alike.
    expect(states).not.toContain('Restart');
    expect(states).not.toContain('Rollback');
    expect(states).not.toContain('Notify Recovered');
    expect(finalState(result).diagnostics.remediation).toMatchObject({ action: 'none' });
    const prefix = `${finalState(result).incident.evidencePrefix}cluster-dump/`;
    const dumpKeys = await keysUnder(prefix);
    expect(dumpKeys.length).toBeGreaterThan(0);
    const notifications = await receiveNotifications(aws);
    expect(notifications.map((n) => n.MessageAttributes?.stage?.Value)).toEqual(
      expect.arrayContaining(['opened', 'escalated']),
    );
  });

  test('a dry run diagnoses, reports and escalates with zero write requests at the cluster', async () => {
    // Prepare
    await sandbox.settle();
    sandbox.requests.clear();

    // Act
    const result = await run(input(ALLDATA, { dryRun: true }));

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(entered(result)).not.toContain('Restart');
    expect(output(result).guard).toMatchObject({ allowed: false, reason: 'dry-run' });
    expect(output(result).report.outcome).toBe('dry-run');
    expect(sandbox.requests.all().length).toBeGreaterThan(0);
    expect(sandbox.requests.writes()).toEqual([]);
  });

  test('a second incident on a locked workload escalates instead of restarting', async () => {
    // Prepare: another execution holds the workload's lock.
    const kc = localKubeConfig({ yaml: sandbox.kubeconfig() });
    const kube = new ClientNodeKubernetes(kc, { requestTimeoutMs: REQUEST_TIMEOUT_MS });
    await kube.lock.acquireLease(
      ALLDATA.namespace,
      lockName({ ...ALLDATA, kind: 'Deployment' }),
      'another-execution',
      3600,
      new Date(sandbox.clock.now()),
    );
    const before = JSON.stringify(deploymentOf(ALLDATA).spec);

    // Act
    const result = await run(input(ALLDATA));

    // Assess
    expect(entered(result)).not.toContain('Restart');
    expect(entered(result)).toContain('Escalate');
    expect(finalState(result).guard).toMatchObject({ allowed: false, reason: 'locked' });
    expect(JSON.stringify(deploymentOf(ALLDATA).spec)).toBe(before);
    const lease = await kc.makeApiClient(CoordinationV1Api).readNamespacedLease({
      namespace: ALLDATA.namespace,
      name: lockName({ ...ALLDATA, kind: 'Deployment' }),
    });
    expect(lease.spec?.holderIdentity).toBe('another-execution');
  });

  test('a second incident within the cooldown escalates instead of restarting again', async () => {
    // Prepare: a restart that did not help (it has no earlier revision), so it still fails.
    sandbox.apply([deployment(WORKER.namespace, WORKER.name, { behavior: { app: mysqlDownForGood } })]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // A day's cooldown: the first run's waits, rollback and dump pass many sandbox minutes at
    // 200x (more on a loaded machine), so the default 900 s could lapse before the second run.
    const config = { cooldownSeconds: 86400 };
    const first = await run(input(WORKER), config);
    expect(finalState(first).restart).toBeDefined();
    const restartedAt = (
      deploymentOf(WORKER).spec as { template: { metadata: { annotations: Record<string, string> } } }
    ).template.metadata.annotations['kubectl.kubernetes.io/restartedAt'];

    // Act
    const second = await run(input(WORKER), config);

    // Assess
    expect(entered(second)).not.toContain('Restart');
    expect(finalState(second).guard).toMatchObject({ allowed: false, reason: 'cooldown' });
    expect(
      (deploymentOf(WORKER).spec as { template: { metadata: { annotations: Record<string, string> } } })
        .template.metadata.annotations['kubectl.kubernetes.io/restartedAt'],
    ).toBe(restartedAt);
  });

  test('injected 500, 429 and timeouts are retried and the flow still recovers', async () => {
    // Prepare
    sandbox.faults.add({ verb: 'patch', resource: 'deployments', status: 500, times: 1 });
    sandbox.faults.add({ verb: 'list', resource: 'pods', status: 429, times: 2 });
    sandbox.faults.add({
      verb: 'get',
      resource: 'deployments',
      latencyMs: REQUEST_TIMEOUT_MS + 1000,
      times: 1,
    });

    // Act
    const result = await run(input(ALLDATA));

    // Assess
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('SUCCEEDED');
    expect(output(result).report.outcome).toBe('recovered-by-restart');
    expect(retried(result).length).toBeGreaterThanOrEqual(3);
    expect(retried(result)).toContain('Restart');
    const failures = result.events.flatMap((e) => (e.type === 'StateFailed' ? [e.Error] : []));
    expect(failures).toEqual(
      expect.arrayContaining(['KubernetesServerError', 'KubernetesThrottledError', 'KubernetesTimeoutError']),
    );
  });

  test('an unexpected error ends in Escalate with the lock released', async () => {
    // Prepare: the restart patch is refused with a non-transient error.
    sandbox.faults.add({ verb: 'patch', resource: 'deployments', status: 403, times: 1 });

    // Act
    const result = await run(input(ALLDATA));

    // Assess
    const states = entered(result);
    expect(states).toEqual(
      expect.arrayContaining(['Restart', 'Escalate', 'Cluster Dump', 'Report', 'Release Lock']),
    );
    expect(states).not.toContain('Verify');
    expect(result.error?.Error).toBe('IncidentEscalated');
    expect(finalState(result).error).toMatchObject({ Error: 'KubernetesRequestError' });
    const lease = await localKubeConfig({ yaml: sandbox.kubeconfig() })
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({
        namespace: ALLDATA.namespace,
        name: lockName({ ...ALLDATA, kind: 'Deployment' }),
      });
    expect(lease.spec?.holderIdentity ?? '').toBe('');
  });

  test('invalid input fails at the first state naming the field; the cluster sees no request', async () => {
    // Prepare
    await sandbox.settle();
    sandbox.requests.clear();
    const bad = input({ namespace: 'Not_A_Namespace', name: 'x' });

    // Act
    const result = await run(bad);

    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error?.Error).toBe('InvalidInputError');
    expect(String(result.error?.Cause)).toContain('target.namespace');
    expect(entered(result)).toEqual(['Open Incident', 'Invalid Input']);
    expect(sandbox.requests.all()).toEqual([]);
  });

  test('every execution leaves the bundle, a manifest with correct SHA-256s, the report and its notifications', async () => {
    // Act
    const result = await run(input(ALLDATA));

    // Assess
    const prefix = String(output(result).incident.evidencePrefix);
    const keys = await keysUnder(prefix);
    for (const name of ['diagnostics.json', 'events.json', 'manifest.json', 'report.md', 'report.json']) {
      expect(keys).toContain(`${prefix}${name}`);
    }
    expect(keys.some((k) => k.startsWith(`${prefix}logs/`))).toBe(true);
    const manifest = JSON.parse((await objectBody(`${prefix}manifest.json`)).toString()) as Manifest;
    expect(manifest.objects.map((o) => o.key).sort()).toEqual(
      keys.filter((k) => !k.endsWith('manifest.json')).sort(),
    );
    for (const object of manifest.objects) {
      const body = await objectBody(object.key);
      expect({
        key: object.key,
        sha256: createHash('sha256').update(body).digest('hex'),
        size: body.length,
      }).toEqual({
        key: object.key,
        sha256: object.sha256,
        size: object.size,
      });
    }
    const reportMarkdown = (await objectBody(`${prefix}report.md`)).toString();
    expect(reportMarkdown).toContain('```mermaid');
    const notifications = await receiveNotifications(aws);
    expect(notifications.map((n) => n.MessageAttributes?.stage?.Value)).toEqual(['opened', 'recovered']);
    for (const n of notifications) expect(n.Message).toContain(String(output(result).incident.id));
  });

  test('planted secrets reach neither S3 nor a notification', async () => {
    // Prepare: a workload whose Secret, env values and log lines carry credentials.
    const planted = ['hunter2-db-password', 'AKIAIOSFODNN7EXAMPLE', 'sk_live_51HxyzSecretToken'];
    sandbox.apply([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'secrets-test' } },
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'db', namespace: 'secrets-test' },
        stringData: { password: planted[0] },
      },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'leaky', namespace: 'secrets-test' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'leaky' } },
          template: {
            metadata: {
              labels: { app: 'leaky' },
              annotations: {
                'sandbox.eks-incident.dev/behavior': JSON.stringify({
                  app: {
                    mode: 'crash',
                    logs: [
                      `connecting with password=${planted[0]}`,
                      `aws key ${planted[1]}`,
                      `Authorization: Bearer ${planted[2]}`,
                    ],
                  },
                }),
              },
            },
            spec: {
              containers: [
                {
                  name: 'app',
                  image: 'leaky:1',
                  env: [
                    { name: 'DB_PASSWORD', value: planted[0] },
                    { name: 'AWS_ACCESS_KEY_ID', value: planted[1] },
                    { name: 'API_TOKEN', value: planted[2] },
                  ],
                },
              ],
            },
          },
        },
      },
    ]);
    // Let the container crash once (a few sandbox seconds) so its logs hold the planted lines.
    await new Promise((resolve) => setTimeout(resolve, 300));

    // Act
    const result = await run(input({ namespace: 'secrets-test', name: 'leaky' }));

    // Assess
    const prefix = String(finalState(result).incident.evidencePrefix);
    const keys = await keysUnder(prefix);
    expect(keys.length).toBeGreaterThan(3);
    const { gunzipSync } = await import('node:zlib');
    for (const key of keys) {
      const raw = await objectBody(key);
      const text = key.endsWith('.gz') ? gunzipSync(raw).toString() : raw.toString();
      for (const secret of planted)
        expect({ key, leaked: text.includes(secret) }).toEqual({ key, leaked: false });
    }
    const notifications = await receiveNotifications(aws);
    expect(notifications.length).toBeGreaterThan(0);
    for (const n of notifications)
      for (const secret of planted) expect(JSON.stringify(n)).not.toContain(secret);
  });
});

/** The final state document of an execution that ended in a Fail state (taken from its last StateEntered input). */
function finalState(result: IncidentRun): Record<string, { [key: string]: unknown }> {
  if (result.output) return output(result);
  const last = [...result.events].reverse().find((e) => e.type === 'StateEntered');
  return (last as { state: { input: Record<string, { [key: string]: unknown }> } }).state.input;
}
