import { existsSync } from 'node:fs';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { AlertmanagerSilences, silenceIncident } from '../../../lambdas/shared/alertmanager-silences';
import type { WorkflowState } from '../../../lambdas/shared/contracts';
import { localKubeConfig } from '../../../lambdas/shared/kubernetes/client';
import { ClientNodeKubernetes } from '../../../lambdas/shared/kubernetes/kubernetes-port';
import { configSchema } from '../../../lib/config';
import { cachedDefinitions } from '../../../lib/definitions-cache';
import type { SynthesizedDefinitions } from '../../../lib/synth';
import { freePort, startDemoAlertmanager, type DemoAlertmanager } from '../../../local/cli/demo-alertmanager';
import { startLocalAws, type LocalAws } from '../../../local/aws/local-aws';
import { runIncident, type IncidentRun } from '../../../local/engine/run-incident';
import { types } from '../../../local/kube-sandbox/runtime';
import { startSandbox, type Sandbox } from '../../../local/kube-sandbox/sandbox';
import { ALERTMANAGER, missingLine, missingPrerequisites } from '../../support/system-tools';
import { deployment, namespace } from '../../support/manifests';
import { eventually } from '../../support/polling';

/*
 * Issue 12, silences tied to the incident: Debian's real prometheus-alertmanager (a plain process,
 * clustering off) holds two firing alerts; the synthesized flow on the local engine remediates the
 * workload one of them names, against the sandbox over HTTP, with fauxqs for S3/SNS.
 */

const TIME_SCALE = 200;
const NS = 'silences';
const INCIDENT_LABELS = {
  alertname: 'KubePodCrashLooping',
  namespace: NS,
  deployment: 'api',
  severity: 'critical',
};
const OTHER_LABELS = {
  alertname: 'KubePodCrashLooping',
  namespace: NS,
  deployment: 'worker',
  severity: 'critical',
};
const databaseBack = {
  mode: 'crash' as const,
  exitCode: 3,
  runSeconds: 4,
  recoverAfterRolloutRestart: true,
  logs: [
    `pymysql.err.OperationalError: (2003, "Can't connect to MySQL server on 'mysql.infra' (111)")`,
    'ERROR:    Application startup failed. Exiting.',
  ],
};

let synthesized: SynthesizedDefinitions;
let aws: LocalAws;
let sandbox: Sandbox;
let alertmanager: DemoAlertmanager | undefined;
let alertmanagerUrl: string;

interface AmAlert {
  labels: Record<string, string>;
  status: { state: string; silencedBy: string[] };
}

async function alerts(): Promise<AmAlert[]> {
  return (await (await fetch(`${alertmanagerUrl}/api/v2/alerts`)).json()) as AmAlert[];
}

beforeAll(async () => {
  if (!existsSync(ALERTMANAGER)) throw new Error(missingLine(missingPrerequisites(process.env.PATH ?? '')));
  synthesized = cachedDefinitions({ clusterName: 'sandbox', allowedNamespaces: NS });
  aws = await startLocalAws();
  sandbox = await startSandbox({
    clock: { timeScale: TIME_SCALE },
    objects: [namespace(NS), deployment(NS, 'api', { replicas: 1, behavior: { app: databaseBack } })],
  });
  alertmanager = await startDemoAlertmanager(ALERTMANAGER);
  if (!alertmanager) throw new Error(`${ALERTMANAGER} did not become ready`);
  alertmanagerUrl = alertmanager.url;
  await alertmanager.fire([{ labels: INCIDENT_LABELS }, { labels: OTHER_LABELS }]);
  await eventually(
    'the pod to crash',
    async () =>
      sandbox.store
        .list(types.pods, NS)
        .some((pod) =>
          (
            (pod.status as { containerStatuses?: Array<{ restartCount?: number }> })?.containerStatuses ?? []
          ).some((c) => (c.restartCount ?? 0) > 0),
        ) || undefined,
  );
}, 120_000); // synthesis, sandbox and Alertmanager: 15 s quiet, up to a minute on a loaded machine

afterAll(async () => {
  await alertmanager?.stop();
  await sandbox?.stop();
  await aws?.stop();
});

describe('Alertmanager silences tied to the incident', () => {
  it('silences exactly the alert that opened the incident while the flow remediates, and expires it when the flow ends', async () => {
    // Prepare
    let duringRestart: Promise<AmAlert[]> | undefined;

    // Act
    const run: IncidentRun = await runIncident({
      synthesized,
      timeScale: TIME_SCALE,
      environment: {
        kube: new ClientNodeKubernetes(localKubeConfig({ yaml: sandbox.kubeconfig() }), {
          requestTimeoutMs: 5000,
        }),
        aws,
        config: configSchema.parse({ clusterName: 'sandbox', allowedNamespaces: [NS] }),
        now: () => new Date(sandbox.clock.now()),
        alertmanagerUrl,
      },
      input: {
        source: 'alertmanager',
        target: { namespace: NS, kind: 'Deployment', name: 'api' },
        alert: {
          name: 'KubePodCrashLooping',
          severity: 'critical',
          labels: INCIDENT_LABELS,
          startsAt: '2026-11-22T03:00:00Z',
        },
        options: { waitSeconds: 30, verifyTimeoutSeconds: 300 },
      },
      onEvent: (event) => {
        if (event.type === 'StateEntered' && event.state.name === 'Restart') duringRestart = alerts();
      },
    });

    // Assess
    const state = run.output as WorkflowState;
    expect(state.report?.outcome).toBe('recovered-by-restart');
    const silence = state.guard?.silence;
    expect(silence?.id).toEqual(expect.any(String));
    const during = await duringRestart!;
    const silencedBy = (labels: Record<string, string>) =>
      during.find((a) => a.labels.deployment === labels.deployment)?.status.silencedBy;
    expect(silencedBy(INCIDENT_LABELS)).toEqual([silence!.id]);
    expect(silencedBy(OTHER_LABELS)).toEqual([]);
    const stored = (await (await fetch(`${alertmanagerUrl}/api/v2/silence/${silence!.id}`)).json()) as {
      status: { state: string };
      createdBy: string;
      comment: string;
    };
    expect(stored.status.state).toBe('expired');
    expect(stored.createdBy).toBe(`eks-incident-response ${state.incident.id}`);
    expect(stored.comment).toContain(`s3://${aws.bucket}/${state.incident.evidencePrefix}`);
    expect(state.lockRelease?.silence).toEqual({ id: silence!.id, expired: true });
    expect((await alerts()).every((a) => a.status.silencedBy.length === 0)).toBe(true);
    const object = await aws.s3.send(
      new GetObjectCommand({ Bucket: aws.bucket, Key: state.report!.markdown }),
    );
    expect(await object.Body!.transformToString()).toContain(`**Alertmanager silence:** ${silence!.id}`);
  });

  it('never blocks the remediation when the silence cannot be made, and says why', async () => {
    // Prepare: nothing listens there.
    const port = new AlertmanagerSilences(`http://127.0.0.1:${await freePort()}`, { timeoutMs: 1000 });

    // Act
    const record = await silenceIncident(
      port,
      { id: 'incident-1', evidencePrefix: 'incidents/x/', alert: { labels: INCIDENT_LABELS } },
      { now: new Date(), seconds: 600 },
      's3://bucket/incidents/x/',
    );

    // Assess
    expect(record.id).toBeUndefined();
    expect(record.error).toMatch(/fetch failed|ECONNREFUSED/);
    expect(record.matchers.map((m) => m.name)).toEqual(['alertname', 'deployment', 'namespace', 'severity']);
  });
});
