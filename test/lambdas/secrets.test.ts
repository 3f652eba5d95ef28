import { remediationPolicySchema } from '../../lambdas/shared/approval/policy';
import { DEFAULT_REMEDIATION_BUDGET } from '../../lambdas/shared/remediation-budget';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { clusterDump } from '../../lambdas/cluster-dump/cluster-dump';
import { collectEvents } from '../../lambdas/collect-events/collect-events';
import { diagnose } from '../../lambdas/diagnose/diagnose';
import { escalate } from '../../lambdas/escalate/escalate';
import { guard } from '../../lambdas/guard/guard';
import { openIncident } from '../../lambdas/notify/notify';
import { report } from '../../lambdas/report/report';
import type { GuardDecision, Incident, WorkflowState } from '../../lambdas/shared/contracts';
import { S3EvidenceStore } from '../../lambdas/shared/evidence/s3-evidence-store';
import { FanOutNotifier } from '../../lambdas/shared/notify/notifier';
import { SlackNotifier } from '../../lambdas/shared/notify/slack-notifier';
import { SnsNotifier } from '../../lambdas/shared/notify/sns-notifier';
import { receiveNotifications, REGION, startLocalAws, type LocalAws } from '../support/aws';
import { deployment, EXECUTION, NS, startStepSandbox, stepEvent, type StepSandbox } from './step-fixtures';

// Credentials planted where a real cluster has them: a Secret, container env, log lines and
// an alert annotation. The flow of a dry run writes every kind of evidence and sends every
// kind of notification; none of these values may appear in any of them.
const DB_PASSWORD = 'Zx9kq2Lr-prod-7731';
const AWS_KEY_ID = 'AKIAZ4EXAMPLE7PLANT1';
const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYPLANTEDKEY';
const BEARER = 'tok9f8e7d6c5b4a3928170';
const WEBHOOK = 'https://hooks.slack.com/services/T0PLANT01/B0PLANT02/PlantedWebhookSecret99';
const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJwbGFudGVkIiwicm9sZSI6ImFkbWluIn0.c2lnbmF0dXJlLXBsYW50ZWQtaGVyZQ';
const REDIS_PASSWORD = 'r3disPl4nted';
const ALERT_PASSWORD = 'AlertPl4nted';

const PLANTED = [
  DB_PASSWORD,
  Buffer.from(DB_PASSWORD).toString('base64'),
  AWS_KEY_ID,
  AWS_SECRET,
  BEARER,
  WEBHOOK,
  JWT,
  REDIS_PASSWORD,
  ALERT_PASSWORD,
];

let aws: LocalAws;
let s: StepSandbox;
let slack: Server;
const slackBodies: string[] = [];

beforeAll(async () => {
  aws = await startLocalAws();
  slack = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      slackBodies.push(body);
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => slack.listen(0, '127.0.0.1', resolve));
  s = await startStepSandbox([
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'alldata-db-credentials', namespace: NS },
      type: 'Opaque',
      data: { password: Buffer.from(DB_PASSWORD).toString('base64') },
      stringData: { 'aws-secret-access-key': AWS_SECRET },
    },
    deployment('alldata-api', {
      env: [
        { name: 'DB_PASSWORD', value: DB_PASSWORD },
        { name: 'AWS_ACCESS_KEY_ID', value: AWS_KEY_ID },
        { name: 'AWS_SECRET_ACCESS_KEY', value: AWS_SECRET },
        { name: 'REDIS_URL', value: `redis://:${REDIS_PASSWORD}@redis-master.one-data-infra:6379/0` },
      ],
      behavior: {
        api: {
          mode: 'crash',
          logs: [
            `INFO  config: DB_PASSWORD=${DB_PASSWORD} aws_secret_access_key=${AWS_SECRET}`,
            `DEBUG GET /api/v1/metadata Authorization: Bearer ${BEARER}`,
            `WARN  alert hook ${WEBHOOK} returned 410`,
            `DEBUG session ${JWT}`,
            `ERROR redis.exceptions.ConnectionError: Error 111 connecting to redis://:${REDIS_PASSWORD}@redis-master.one-data-infra:6379/0. Connection refused.`,
            `ERROR (2003, "Can't connect to MySQL server on 'mysql'") using ${AWS_KEY_ID}`,
          ],
        },
      },
    }),
  ]);
  await s.advance(40);
});

afterAll(async () => {
  await s.sandbox.stop();
  slack.closeAllConnections();
  await new Promise((resolve) => slack.close(resolve));
  await aws.stop();
});

async function everythingInS3(): Promise<string[]> {
  const listed = await aws.s3.send(new ListObjectsV2Command({ Bucket: aws.bucket }));
  const texts: string[] = [];
  for (const { Key } of listed.Contents ?? []) {
    const response = await aws.s3.send(new GetObjectCommand({ Bucket: aws.bucket, Key }));
    const bytes = Buffer.from(await response.Body!.transformToByteArray());
    texts.push(`${Key}\n${(Key!.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString()}`);
  }
  return texts;
}

describe('secrets', () => {
  it('never reach S3, SNS or Slack through any step of the flow', async () => {
    // Prepare
    const store = new S3EvidenceStore(aws.s3, aws.bucket);
    const slackUrl = `http://127.0.0.1:${(slack.address() as AddressInfo).port}/services/T0/B0/x`;
    const notifier = new FanOutNotifier(
      [new SnsNotifier(aws.sns, aws.topicArn), new SlackNotifier(async () => slackUrl)],
      (e) => {
        throw e;
      },
    );
    const notifyDeps = async () => ({ notifier, bucket: aws.bucket, region: REGION, now: s.now });
    const input = {
      source: 'alertmanager',
      target: { namespace: NS, kind: 'Deployment', name: 'alldata-api' },
      alert: {
        name: 'ServiceDown',
        severity: 'critical',
        summary: `alldata-api down; last login used password=${ALERT_PASSWORD}`,
        labels: { job: 'alldata-api' },
        annotations: { description: `token=${BEARER}` },
        startsAt: '2025-12-31T23:58:00Z',
      },
      options: { dryRun: true },
    };

    // Act: the dry-run path of the state machine, step by step.
    const incident: Incident = await openIncident(
      { state: input, execution: EXECUTION, params: { stage: 'opened' } },
      notifyDeps,
    );
    const state: WorkflowState = { incident };
    state.diagnostics = await diagnose(stepEvent(state), {
      kube: s.kube,
      evidence: store,
      tailLines: 100,
      limitBytes: 65536,
      now: s.now,
    });
    state.events = await collectEvents(stepEvent(state), { kube: s.kube, evidence: store, now: s.now });
    state.guard = (await guard(stepEvent(state, { action: 'acquire' }), {
      kube: s.kube,
      config: {
        allowedNamespaces: [NS],
        cooldownSeconds: 600,
        lockTtlSeconds: 900,
        stormBrake: { budget: DEFAULT_REMEDIATION_BUDGET, ledgerNamespace: NS },
        remediationPolicy: remediationPolicySchema.parse({}),
      },
      now: s.now,
    })) as GuardDecision;
    state.escalation = await escalate(stepEvent(state), await notifyDeps());
    state.dump = await clusterDump(stepEvent(state), {
      kube: s.kube,
      evidence: store,
      maxBytes: 10_000_000,
      concurrency: 2,
      logLimitBytes: 65536,
      logs: 'archive',
    });
    state.report = await report(stepEvent(state), { evidence: store, now: s.now });

    // Assess: the evidence is there, and nothing planted is in it.
    const stored = await everythingInS3();
    const published = (await receiveNotifications(aws)).map((n) => JSON.stringify(n));
    expect(stored.length).toBeGreaterThan(10);
    expect(published).toHaveLength(2);
    expect(slackBodies).toHaveLength(2);
    expect(state.diagnostics.probableCause?.ruleId).toBe('mysql-unreachable');
    for (const text of [...stored, ...published, ...slackBodies, JSON.stringify(state)]) {
      for (const secret of PLANTED) expect(text).not.toContain(secret);
    }
    expect(stored.join('\n')).toContain('alldata-db-credentials');
    expect(stored.join('\n')).toContain('[REDACTED]');
    expect(s.sandbox.requests.writes()).toEqual([]);
  });
});
