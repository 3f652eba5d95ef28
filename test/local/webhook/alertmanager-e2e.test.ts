import { spawn, type ChildProcess } from 'node:child_process';
import { ALERTMANAGER, missingLine, missingPrerequisites } from '../../support/system-tools';
import { freePort } from '../../../local/cli/demo-alertmanager';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { stringify } from 'yaml';
import { IntakeUnavailableError } from '../../../lambdas/intake/errors';
import type { ExecutionStarter } from '../../../lambdas/intake/execution-starter';
import { ClientNodeOwnerLookup } from '../../../lambdas/intake/cluster-owner-lookup';
import type { IncidentReport } from '../../../lambdas/report/incident-report';
import type { ExecutionInput } from '../../../lambdas/shared/contracts';
import { S3EvidenceStore } from '../../../lambdas/shared/evidence/s3-evidence-store';
import { localKubeConfig } from '../../../lambdas/shared/kubernetes/client';
import { ClientNodeKubernetes } from '../../../lambdas/shared/kubernetes/kubernetes-port';
import { createLogger } from '../../../lambdas/shared/observability/logger';
import { configSchema } from '../../../lib/config';
import { cachedDefinitions } from '../../../lib/definitions-cache';
import type { SynthesizedDefinitions } from '../../../lib/synth';
import { receiveNotifications, startLocalAws, type LocalAws } from '../../../local/aws/local-aws';
import { runIncident } from '../../../local/engine/run-incident';
import { types } from '../../../local/kube-sandbox/runtime';
import { startSandbox, type Sandbox } from '../../../local/kube-sandbox/sandbox';
import { LocalExecutionStarter } from '../../../local/webhook/local-execution-starter';
import { startWebhookServer, type WebhookServer } from '../../../local/webhook/serve';
import { eventually } from '../../support/polling';

/**
 * These flows exercise automatic remediation: rollbacks too run without asking (the default
 * policy asks a human before a rollback; test/local/engine/approval-flow.test.ts covers that).
 */
const AUTO = { default: { restart: 'auto', rollback: 'auto' } };

/*
 * End to end: Debian's prometheus-alertmanager (a real process, clustering off) routes alerts
 * fired through its API to `eks-incident serve`'s server on loopback, which starts the
 * synthesized state machine on the local engine against the Kubernetes sandbox (demo cluster),
 * with S3/SNS on fauxqs. Every flow is a dry run: the assertions are about the intake.
 */

const TOKEN = 'e2e-webhook-token-5d7f9b1c3a';
const TIME_SCALE = 50;
const NAMESPACES = ['one-data-alldata', 'one-data-system'];
/** Alertmanager's retries and repeats come seconds apart, and the machine may be loaded. */
const ALERTMANAGER_WAIT = { timeoutMs: 90_000, intervalMs: 200 };

let sandbox: Sandbox;
let aws: LocalAws;
let synthesized: SynthesizedDefinitions;
let server: WebhookServer;
let starter: LocalExecutionStarter;
let alertmanager: ChildProcess;
let alertmanagerUrl: string;
let workDir: string;
/** The intake's log lines, parsed: deliveries handled, requests refused. */
const logged: Array<Record<string, unknown>> = [];
/** StartExecution calls that failed on purpose (a throttled Step Functions). */
let refusedStarts = 0;
/** Held until the test has seen the resolved notification recorded (then the flow may report). */
let releaseAlldata: () => void;

/** Deliveries the intake handled for an alert group (Alertmanager's first notification, repeats, retries). */
function deliveries(groupKey: string): number {
  return logged.filter((line) => line.message === 'delivery handled' && line.alertGroup === groupKey).length;
}

const ALLDATA_GROUP = '{}:{alertname="KubePodCrashLooping", namespace="one-data-alldata"}';
const AGENT_GROUP = '{}:{alertname="KubeDeploymentReplicasMismatch", namespace="one-data-system"}';

beforeAll(async () => {
  if (!existsSync(ALERTMANAGER)) {
    throw new Error(missingLine(missingPrerequisites(process.env.PATH ?? '')));
  }
  workDir = mkdtempSync(path.join(tmpdir(), 'alertmanager-e2e-'));
  sandbox = await startSandbox({ scenario: 'demo', clock: { timeScale: TIME_SCALE } });
  aws = await startLocalAws();
  synthesized = cachedDefinitions({ clusterName: 'sandbox', allowedNamespaces: NAMESPACES.join(',') });
  const kubeConfig = localKubeConfig({ yaml: sandbox.kubeconfig() });
  const config = configSchema.parse({
    clusterName: 'sandbox',
    allowedNamespaces: NAMESPACES,
    kubeRequestTimeoutMs: 2000,
    remediationPolicy: AUTO,
  });
  const alldataHeld = new Promise<void>((resolve) => (releaseAlldata = resolve));
  const { region, account } = synthesized.placeholders;
  starter = new LocalExecutionStarter({
    stateMachineArn: `arn:aws:states:${region}:${account}:stateMachine:IncidentResponse`,
    run: async ({ name, input, startTime }) => {
      if (input.target.kind !== 'Namespace' && input.target.name === 'alldata-api') await alldataHeld;
      return runIncident({
        synthesized,
        input,
        environment: {
          kube: new ClientNodeKubernetes(kubeConfig, { requestTimeoutMs: 2000 }),
          aws,
          config,
          now: () => new Date(sandbox.clock.now()),
        },
        timeScale: TIME_SCALE,
        executionName: name,
        startTime,
      });
    },
  });
  // Step Functions throttles the first StartExecution: the intake answers 503 and Alertmanager retries.
  const throttledOnce: ExecutionStarter = {
    start: async (name, input: ExecutionInput) => {
      if (refusedStarts === 0) {
        refusedStarts += 1;
        throw new IntakeUnavailableError('Rate exceeded (ThrottlingException)');
      }
      return starter.start(name, input);
    },
    find: (name) => starter.find(name),
  };
  server = await startWebhookServer({
    port: 0,
    token: TOKEN,
    starter: throttledOnce,
    evidence: new S3EvidenceStore(aws.s3, aws.bucket),
    resolve: {
      rules: [],
      owners: new ClientNodeOwnerLookup(kubeConfig, { requestTimeoutMs: 2000 }),
      defaultNamespace: 'kube-system',
    },
    options: { dryRun: true },
    now: () => new Date(),
    log: createLogger({ write: (line) => logged.push(JSON.parse(line) as Record<string, unknown>) }),
  });

  const receiver = (name: string, token: string) => ({
    name,
    webhook_configs: [
      {
        url: server.url,
        send_resolved: true,
        http_config: { authorization: { type: 'Bearer', credentials: token } },
      },
    ],
  });
  const configFile = path.join(workDir, 'alertmanager.yml');
  writeFileSync(
    configFile,
    stringify({
      route: {
        receiver: 'eks-incident-response',
        group_by: ['alertname', 'namespace'],
        group_wait: '1s',
        group_interval: '1s',
        repeat_interval: '2s',
        routes: [{ receiver: 'wrong-token', matchers: ['team="other"'] }],
      },
      receivers: [receiver('eks-incident-response', TOKEN), receiver('wrong-token', 'not-the-token')],
    }),
  );
  const port = await freePort();
  alertmanagerUrl = `http://127.0.0.1:${port}`;
  alertmanager = spawn(
    ALERTMANAGER,
    [
      `--config.file=${configFile}`,
      `--storage.path=${path.join(workDir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    { stdio: 'ignore' },
  );
  await eventually(
    'Alertmanager to be ready',
    async () => {
      try {
        return (await fetch(`${alertmanagerUrl}/-/ready`)).ok || undefined;
      } catch {
        return undefined;
      }
    },
    ALERTMANAGER_WAIT,
  );
}, 120_000);

afterAll(async () => {
  releaseAlldata?.();
  if (alertmanager && alertmanager.exitCode === null) {
    const exited = new Promise((resolve) => alertmanager.once('exit', resolve));
    alertmanager.kill('SIGTERM');
    await exited;
  }
  await starter?.idle();
  await server?.close();
  await aws?.stop();
  await sandbox?.stop();
  rmSync(workDir, { recursive: true, force: true });
}, 120_000);

/** Fires (or, with endsAt, resolves) alerts through Alertmanager's API. */
async function postAlerts(alerts: Array<Record<string, unknown>>): Promise<void> {
  const response = await fetch(`${alertmanagerUrl}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(alerts),
  });
  expect(response.status).toBe(200);
}

async function objectJson<T>(key: string): Promise<T> {
  const object = await aws.s3.send(new GetObjectCommand({ Bucket: aws.bucket, Key: key }));
  return JSON.parse(await object.Body!.transformToString()) as T;
}

async function keysEndingWith(suffix: string): Promise<string[]> {
  const listed = await aws.s3.send(new ListObjectsV2Command({ Bucket: aws.bucket, Prefix: 'incidents/' }));
  return (listed.Contents ?? []).map((o) => o.Key!).filter((key) => key.endsWith(suffix));
}

describe('Alertmanager → eks-incident serve → the local engine', () => {
  const startsAt = new Date(Date.now() - 60_000).toISOString();
  let crashLooping: Record<string, unknown>;

  it('starts one execution per problem, for the right workload, despite repeats and a retried 503', async () => {
    // Prepare: a crash-looping pod of alldata-api (its name as the sandbox made it), a Deployment
    // with missing replicas, and an alert routed to the receiver with the wrong token.
    const pod = sandbox.store
      .list(types.pods, 'one-data-alldata')
      .find((p) => p.metadata.name?.startsWith('alldata-api-'))!.metadata.name!;
    crashLooping = {
      labels: {
        alertname: 'KubePodCrashLooping',
        namespace: 'one-data-alldata',
        pod,
        container: 'alldata-api',
        job: 'kube-state-metrics',
        severity: 'warning',
      },
      annotations: { summary: 'Pod is crash looping.' },
      startsAt,
      generatorURL:
        'http://prometheus-k8s.monitoring.svc:9090/graph?g0.expr=kube_pod_container_status_waiting_reason',
    };

    // Act
    await postAlerts([
      crashLooping,
      {
        labels: {
          alertname: 'KubeDeploymentReplicasMismatch',
          namespace: 'one-data-system',
          deployment: 'agent-api',
          severity: 'warning',
        },
        annotations: { summary: 'Deployment has not matched the expected number of replicas.' },
        startsAt,
      },
      {
        labels: {
          alertname: 'KubeQuotaAlmostFull',
          namespace: 'one-data-infra',
          resource: 'requests.memory',
        },
        annotations: { summary: 'Namespace one-data-infra is using 93% of its requests.memory quota.' },
        startsAt,
      },
      {
        labels: {
          alertname: 'KubePodNotReady',
          namespace: 'one-data-system',
          pod: 'data-api-0',
          team: 'other',
        },
        annotations: { summary: 'Routed to the receiver with the wrong token.' },
        startsAt,
      },
    ]);
    await eventually(
      'repeated deliveries of both groups and the wrong token refused',
      () =>
        deliveries(ALLDATA_GROUP) >= 3 &&
        deliveries(AGENT_GROUP) >= 3 &&
        logged.some((line) => line.message === 'webhook request refused'),
      ALERTMANAGER_WAIT,
    );

    // Assess
    expect(refusedStarts).toBe(1);
    expect(logged.some((line) => line.message === 'webhook delivery failed; Alertmanager will retry')).toBe(
      true,
    );
    expect(starter.list().map((e) => e.input.target)).toEqual(
      expect.arrayContaining([
        { kind: 'Deployment', namespace: 'one-data-alldata', name: 'alldata-api' },
        { kind: 'Deployment', namespace: 'one-data-system', name: 'agent-api' },
        { kind: 'Namespace', namespace: 'one-data-infra' },
      ]),
    );
    expect(starter.list()).toHaveLength(3);
    for (const execution of starter.list()) expect(execution.input.options.dryRun).toBe(true);
    const metrics = await (await fetch(`${alertmanagerUrl}/metrics`)).text();
    const failed = /alertmanager_notifications_failed_total\{[^}]*integration="webhook"[^}]*\} (\d+)/.exec(
      metrics,
    );
    expect(Number(failed?.[1])).toBeGreaterThan(0);
  });

  it("still notifies and leaves the namespace's evidence for the alert that names no workload", async () => {
    // Prepare
    const quota = starter.list().find((e) => e.input.target.kind === 'Namespace')!;

    // Act
    const run = await quota.done;

    // Assess
    const state = run!.output as {
      incident: { id: string; evidencePrefix: string };
      escalation: { why: string };
    };
    expect(run?.status).toBe('SUCCEEDED');
    expect(state.escalation.why).toContain('names no workload in namespace "one-data-infra"');
    const listed = await aws.s3.send(
      new ListObjectsV2Command({
        Bucket: aws.bucket,
        Prefix: `${state.incident.evidencePrefix}cluster-dump/one-data-infra/`,
      }),
    );
    expect(listed.Contents?.length).toBeGreaterThan(0);
    const notifications = (await receiveNotifications(aws)).filter((n) =>
      n.Message.includes(state.incident.id),
    );
    expect(notifications.map((n) => n.MessageAttributes?.stage?.Value).sort()).toEqual([
      'escalated',
      'opened',
    ]);
  });

  it('refuses the receiver with the wrong token with 401 and starts nothing for it', () => {
    // Assess
    expect(logged.filter((line) => line.message === 'webhook request refused').length).toBeGreaterThan(0);
    expect(starter.list().some((e) => JSON.stringify(e.input.alert.labels).includes('"team":"other"'))).toBe(
      false,
    );
  });

  it('records the resolved notification in the running incident and in its report, starting nothing new', async () => {
    // Prepare
    const alldata = starter
      .list()
      .find((e) => e.input.target.kind === 'Deployment' && e.input.target.name === 'alldata-api')!;

    // Act: resolve the crash loop; the incident's flow is held until the record is in.
    await postAlerts([{ ...crashLooping, endsAt: new Date().toISOString() }]);
    const [recorded] = await eventually(
      'the resolved alert recorded',
      async () => {
        const keys = await keysEndingWith('-resolved.json');
        return keys.length ? keys : undefined;
      },
      ALERTMANAGER_WAIT,
    );
    releaseAlldata();
    const run = await alldata.done;

    // Assess
    expect(starter.list()).toHaveLength(3);
    expect(run?.status).toBe('SUCCEEDED');
    const prefix = (run!.output as { incident: { evidencePrefix: string } }).incident.evidencePrefix;
    expect(recorded.startsWith(`${prefix}alerts/`)).toBe(true);
    const report = await objectJson<IncidentReport>(`${prefix}report.json`);
    expect(report.resolvedAlerts).toEqual([
      expect.objectContaining({ alertname: 'KubePodCrashLooping', endsAt: expect.any(String) }),
    ]);
    expect(report.timeline.map((entry) => entry.step)).toContain('Alert resolved');
    const manifest = await objectJson<{ objects: Array<{ key: string }> }>(`${prefix}manifest.json`);
    expect(manifest.objects.map((o) => o.key)).toContain(recorded);
  });
});
