import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { ApprovalRecord } from '../../../lambdas/shared/approval/approval-store';
import { approvalLink, slackSignature } from '../../../lambdas/shared/approval/signatures';
import { S3EvidenceStore } from '../../../lambdas/shared/evidence/s3-evidence-store';
import type { WorkflowState } from '../../../lambdas/shared/contracts';
import { localKubeConfig } from '../../../lambdas/shared/kubernetes/client';
import { ClientNodeKubernetes } from '../../../lambdas/shared/kubernetes/kubernetes-port';
import { createLogger } from '../../../lambdas/shared/observability/logger';
import { configSchema } from '../../../lib/config';
import { cachedDefinitions } from '../../../lib/definitions-cache';
import type { SynthesizedDefinitions } from '../../../lib/synth';
import { receiveNotifications, startLocalAws, type LocalAws } from '../../../local/aws/local-aws';
import { approvalStoreOf, type LocalStepEnvironment } from '../../../local/engine/local-steps';
import { runIncident, type IncidentRun } from '../../../local/engine/run-incident';
import { types } from '../../../local/kube-sandbox/runtime';
import { startSandbox, type Sandbox } from '../../../local/kube-sandbox/sandbox';
import { startWebhookServer, type WebhookServer } from '../../../local/webhook/serve';
import { approveCommand } from '../../../local/cli/approve-command';
import { CliError } from '../../../local/cli/cli-error';
import { deployment, namespace } from '../../support/manifests';
import { eventually } from '../../support/polling';

/*
 * Issue 12, the approval gate, end to end: the synthesized IncidentResponse state machine (its
 * `.waitForTaskToken` Task) on the local engine, the sandbox over HTTP, fauxqs for S3/SNS, and
 * the approval routes of `eks-incident serve` over HTTP, answered as Slack and a mail reader
 * would answer them. The policy asks approval before every restart; a restart fixes each
 * workload (its database came back).
 */

const TIME_SCALE = 200;
const NS = 'approvals';
const TIMEOUT_SECONDS = 600;
const LINK_SECRET = 'link-secret-for-tests';
const SLACK_SECRET = 'slack-signing-secret-for-tests';
const POLICY = { default: { restart: 'approve' }, timeoutSeconds: TIMEOUT_SECONDS };
const databaseBack = {
  mode: 'crash' as const,
  exitCode: 3,
  runSeconds: 4,
  recoverAfterRolloutRestart: true,
  logs: [
    'app.db INFO Connecting to mysql+pymysql://app@mysql.infra:3306/app (pool_size=20)',
    `pymysql.err.OperationalError: (2003, "Can't connect to MySQL server on 'mysql.infra' (111)")`,
    'ERROR:    Application startup failed. Exiting.',
  ],
};
const WORKLOADS = ['slack-approved', 'link-rejected', 'unanswered', 'cli-approved'];
const OPERATOR_TOKEN = 'operator-token-for-tests';

let synthesized: SynthesizedDefinitions;
let aws: LocalAws;
let sandbox: Sandbox;
let server: WebhookServer;
let environment: LocalStepEnvironment;
let baseUrl: string;

beforeAll(async () => {
  synthesized = cachedDefinitions({
    clusterName: 'sandbox',
    allowedNamespaces: NS,
    remediationPolicy: JSON.stringify(POLICY),
  });
  aws = await startLocalAws();
  sandbox = await startSandbox({
    clock: { timeScale: TIME_SCALE },
    objects: [
      namespace(NS),
      ...WORKLOADS.map((name) => deployment(NS, name, { replicas: 1, behavior: { app: databaseBack } })),
    ],
  });
  const now = () => new Date(sandbox.clock.now());
  server = await startWebhookServer({
    token: 'unused',
    starter: { start: async () => ({ executionArn: '', started: false }), find: async () => undefined },
    evidence: new S3EvidenceStore(aws.s3, aws.bucket),
    resolve: { rules: [], owners: { controllerOf: async () => undefined }, defaultNamespace: 'kube-system' },
    now,
    log: createLogger({ write: () => undefined }),
    approvals: {
      store: approvalStoreOf({ aws }),
      linkSecret: LINK_SECRET,
      slackSigningSecret: SLACK_SECRET,
      now,
      deliver: async () => undefined,
      log: { warn: () => undefined },
      operatorToken: OPERATOR_TOKEN,
    },
  });
  baseUrl = server.url.replace(/\/alertmanager$/, '');
  environment = {
    kube: new ClientNodeKubernetes(localKubeConfig({ yaml: sandbox.kubeconfig() }), {
      requestTimeoutMs: 5000,
    }),
    aws,
    config: configSchema.parse({
      clusterName: 'sandbox',
      allowedNamespaces: [NS],
      remediationPolicy: POLICY,
    }),
    now,
    approvalLinks: { baseUrl, secret: LINK_SECRET },
  };
  await untilCrashed();
  await receiveNotifications(aws);
}, 60_000);

afterAll(async () => {
  await server?.close();
  await sandbox?.stop();
  await aws?.stop();
});

/** Starts the incident; `requested` settles with the approval request once the flow has posted it. */
function start(name: string): { run: Promise<IncidentRun>; requested: Promise<ApprovalRecord> } {
  let seen: (id: string) => void;
  const incidentId = new Promise<string>((resolve) => (seen = resolve));
  const run = runIncident({
    synthesized,
    environment,
    timeScale: TIME_SCALE,
    input: {
      source: 'manual',
      target: { namespace: NS, kind: 'Deployment', name },
      alert: { name: 'KubePodCrashLooping', severity: 'critical', startsAt: '2026-11-22T03:00:00Z' },
      options: { waitSeconds: 30, verifyTimeoutSeconds: 300 },
    },
    onEvent: (event) => {
      if (event.type === 'StateEntered' && event.state.name === 'Request Approval') {
        seen((event.state.input as unknown as WorkflowState).incident.id);
      }
    },
  });
  const requested = incidentId.then((id) =>
    eventually('the approval request', async () => (await approvalStoreOf({ aws }).pending(id))[0], {
      intervalMs: 20,
    }),
  );
  return { run, requested };
}

function entered(run: IncidentRun): string[] {
  return run.events.flatMap((e) => (e.type === 'StateEntered' ? [e.state.name] : []));
}

function finalState(run: IncidentRun): WorkflowState {
  return run.output as WorkflowState;
}

async function untilCrashed(): Promise<void> {
  const everyWorkloadRestarted = () => {
    const restarted = sandbox.store.list(types.pods, NS).flatMap((pod) => {
      const statuses =
        (pod.status as { containerStatuses?: Array<{ restartCount?: number }> } | undefined)
          ?.containerStatuses ?? [];
      return statuses.some((c) => (c.restartCount ?? 0) > 0)
        ? [(pod.metadata as { labels?: Record<string, string> }).labels?.app]
        : [];
    });
    return WORKLOADS.every((w) => restarted.includes(w));
  };
  await eventually('every workload to crash', everyWorkloadRestarted, { timeoutMs: 10_000, intervalMs: 20 });
}

function slackBody(record: ApprovalRecord, actionId: 'approve' | 'reject'): string {
  const payload = {
    type: 'block_actions',
    user: { id: 'U024BE7LH', username: 'alice', name: 'alice' },
    actions: [
      {
        action_id: actionId,
        block_id: 'eks-incident-approval',
        value: `${record.incidentId}/${record.action}/${record.nonce}`,
      },
    ],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

function postSlack(
  body: string,
  signature: string,
  timestamp = String(Math.floor(sandbox.clock.now() / 1000)),
) {
  return fetch(`${baseUrl}/slack/interactions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': timestamp,
      'x-slack-signature': signature,
    },
    body,
  });
}

describe('approval gate on the real flow', () => {
  it('refuses a forged Slack signature (401, no action), then restarts once a signed Approve arrives, and reports who approved', async () => {
    // Prepare
    const { run, requested } = start('slack-approved');
    const record = await requested;
    const body = slackBody(record, 'approve');
    const timestamp = String(Math.floor(sandbox.clock.now() / 1000));

    // Act
    const forged = await postSlack(
      body,
      slackSignature('not-the-signing-secret', timestamp, body),
      timestamp,
    );
    const stale = String(Math.floor(sandbox.clock.now() / 1000) - 301);
    const replayed = await postSlack(body, slackSignature(SLACK_SECRET, stale, body), stale);
    const stillPending = await approvalStoreOf({ aws }).pending(record.incidentId);
    const signed = await postSlack(body, slackSignature(SLACK_SECRET, timestamp, body), timestamp);
    const result = await run;

    // Assess
    expect(forged.status).toBe(401);
    expect(replayed.status).toBe(401);
    expect(stillPending).toHaveLength(1);
    expect(signed.status).toBe(200);
    const state = finalState(result);
    expect(entered(result)).toContain('Restart');
    expect(state.approval).toMatchObject({ action: 'restart', decision: 'approved', via: 'slack' });
    expect(state.approval?.by).toContain('alice');
    expect(state.report?.outcome).toBe('recovered-by-restart');
    const object = await aws.s3.send(
      new GetObjectCommand({ Bucket: aws.bucket, Key: state.report!.markdown }),
    );
    const report = await object.Body!.transformToString();
    expect(report).toMatch(
      /\*\*Approval:\*\* the restart was approved by alice \(Slack U024BE7LH\) via slack at /,
    );
  });

  it('takes a Reject from the signed link in the SNS message: no restart, escalated naming who; the link cannot be used again and a late or forged one is refused', async () => {
    // Prepare
    const { run, requested } = start('link-rejected');
    const record = await requested;
    const message = (await receiveNotifications(aws)).find(
      (n) => n.Subject?.includes(' approval: ') && n.Subject.includes('link-rejected'),
    )!;
    const rejectUrl = /Reject: (\S+)/.exec(message.Message.replace(/\\n/g, '\n'))![1];

    // Act
    const shown = await fetch(rejectUrl);
    const stillPending = await approvalStoreOf({ aws }).pending(record.incidentId);
    const answered = await fetch(rejectUrl, { method: 'POST' });
    const result = await run;
    const again = await fetch(rejectUrl, { method: 'POST' });
    const expired = await fetch(
      approvalLink(
        baseUrl,
        {
          incidentId: record.incidentId,
          action: 'restart',
          nonce: record.nonce,
          decision: 'approve',
          expires: Math.floor(sandbox.clock.now() / 1000) - 1,
        },
        LINK_SECRET,
      ),
      { method: 'POST' },
    );
    const forged = await fetch(rejectUrl.replace('decision=reject', 'decision=approve'), { method: 'POST' });

    // Assess
    expect(shown.status).toBe(200);
    expect(await shown.text()).toContain('<form method="post">');
    expect(stillPending).toHaveLength(1);
    expect(answered.status).toBe(200);
    expect(entered(result)).not.toContain('Restart');
    expect(entered(result)).toContain('Escalate');
    expect(result.status).toBe('FAILED');
    expect(result.error?.Error).toBe('IncidentEscalated');
    expect(again.status).toBe(409);
    expect(expired.status).toBe(410);
    expect(forged.status).toBe(401);
    const escalation = (await receiveNotifications(aws)).find(
      (n) => n.Subject?.includes(' escalated: ') && n.Subject.includes('link-rejected'),
    )!;
    expect(escalation.Message).toContain('was rejected by approval link (link)');
  });

  it('escalates without acting when nobody answers before the timeout', async () => {
    // Act
    const { run } = start('unanswered');
    const result = await run;

    // Assess
    expect(entered(result)).toEqual(
      expect.arrayContaining(['Request Approval', 'Approval Timed Out', 'Escalate']),
    );
    expect(entered(result)).not.toContain('Restart');
    expect(result.error?.Error).toBe('IncidentEscalated');
    const escalation = (await receiveNotifications(aws)).find(
      (n) => n.Subject?.includes(' escalated: ') && n.Subject.includes('unanswered'),
    )!;
    expect(escalation.Message).toContain('Nobody answered the approval request for the restart');
  });

  it('takes the answer of `eks-incident approve` through serve, with its token only, and records who', async () => {
    // Prepare
    const { run, requested } = start('cli-approved');
    const record = await requested;
    const out: string[] = [];
    const streams = { out: { write: (t: string) => out.push(t) }, err: { write: () => true } } as never;

    // Act
    const wrongToken = approveCommand(
      record.incidentId,
      { reject: false, url: baseUrl, token: 'guess', by: 'mallory' },
      streams,
    );
    await expect(wrongToken).rejects.toThrow(CliError);
    await approveCommand(
      record.incidentId,
      { reject: false, url: baseUrl, token: OPERATOR_TOKEN, by: 'bob' },
      streams,
    );
    const result = await run;

    // Assess
    expect(out.join('')).toContain('restart of Deployment approvals/cli-approved approved by bob');
    expect(finalState(result).approval).toMatchObject({ decision: 'approved', by: 'bob', via: 'cli' });
    expect(entered(result)).toContain('Restart');
  });
});
