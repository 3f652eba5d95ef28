import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { localKubeConfig } from '../../../lambdas/shared/kubernetes/client';
import { ClientNodeKubernetes } from '../../../lambdas/shared/kubernetes/kubernetes-port';
import { configSchema } from '../../../lib/config';
import { cachedDefinitions } from '../../../lib/definitions-cache';
import type { SynthesizedDefinitions } from '../../../lib/synth';
import { receiveNotifications, startLocalAws, type LocalAws } from '../../../local/aws/local-aws';
import { runIncident } from '../../../local/engine/run-incident';
import { BEHAVIOR_ANNOTATION } from '../../../local/kube-sandbox/behavior';
import { startSandbox, type Sandbox } from '../../../local/kube-sandbox/sandbox';
import { NEGATIVES, SECRET_CASES } from '../../fixtures/secret-corpus';

/**
 * These flows exercise automatic remediation: rollbacks too run without asking (the default
 * policy asks a human before a rollback; test/local/engine/approval-flow.test.ts covers that).
 */
const AUTO = { default: { restart: 'auto', rollback: 'auto' } };

/*
 * The whole secret corpus (test/fixtures/secret-corpus.ts) planted where a cluster and an alert
 * carry credentials (container logs, env values under harmless names, container args, a Secret,
 * the alert's summary, annotations and labels), then the synthesized state machine runs on the
 * local engine against the sandbox and fauxqs. No secret may be in any S3 object (diagnostics,
 * logs, events, cluster dump, report, manifest), any SNS notification or what the workflow wrote
 * into the execution's state; every ordinary line must still be in the logs the evidence keeps.
 */

const NS = 'secrets-corpus';
const TIME_SCALE = 200;

let synthesized: SynthesizedDefinitions;
let aws: LocalAws;
let sandbox: Sandbox;

beforeAll(async () => {
  synthesized = cachedDefinitions({ clusterName: 'sandbox', allowedNamespaces: NS });
  aws = await startLocalAws();
  sandbox = await startSandbox({ clock: { timeScale: TIME_SCALE } });
}, 120_000);

afterAll(async () => {
  await sandbox?.stop();
  await aws?.stop();
});

async function everything(prefix: string): Promise<Array<{ key: string; text: string }>> {
  const listed = await aws.s3.send(new ListObjectsV2Command({ Bucket: aws.bucket, Prefix: prefix }));
  const objects: Array<{ key: string; text: string }> = [];
  for (const { Key } of listed.Contents ?? []) {
    const response = await aws.s3.send(new GetObjectCommand({ Bucket: aws.bucket, Key }));
    const bytes = Buffer.from(await response.Body!.transformToByteArray());
    objects.push({ key: Key!, text: (Key!.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8') });
  }
  return objects;
}

describe('the secret corpus through the real flow', () => {
  it('reaches no S3 object, notification or state, and leaves ordinary log lines intact', async () => {
    // Prepare
    const logs = SECRET_CASES.flatMap((c, i) => [c.line, NEGATIVES[i % NEGATIVES.length]]);
    sandbox.apply([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'corpus', namespace: NS },
        type: 'Opaque',
        stringData: Object.fromEntries(SECRET_CASES.map((c, i) => [`case-${i}`, c.secret])),
      },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'leaky', namespace: NS },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'leaky' } },
          template: {
            metadata: {
              labels: { app: 'leaky' },
              annotations: { [BEHAVIOR_ANNOTATION]: JSON.stringify({ app: { mode: 'crash', logs } }) },
            },
            spec: {
              containers: [
                {
                  name: 'app',
                  image: 'leaky:1',
                  command: ['sh', '-c', SECRET_CASES.map((c) => c.line).join(' ; ')],
                  args: SECRET_CASES.flatMap((c) => c.line.split(' ')),
                  env: SECRET_CASES.map((c, i) => ({ name: `SETTING_${i}`, value: c.line })),
                },
              ],
            },
          },
        },
      },
    ]);
    // Let the container crash (a few sandbox seconds) so its logs hold the planted lines.
    await new Promise((resolve) => setTimeout(resolve, 400));
    await receiveNotifications(aws);
    const kube = new ClientNodeKubernetes(localKubeConfig({ yaml: sandbox.kubeconfig() }), {
      requestTimeoutMs: 5000,
    });

    // Act
    const run = await runIncident({
      synthesized,
      input: {
        source: 'manual',
        target: { namespace: NS, kind: 'Deployment', name: 'leaky' },
        alert: {
          name: 'ServiceDown',
          severity: 'critical',
          summary: SECRET_CASES.slice(0, 12)
            .map((c) => c.line)
            .join(' | '),
          labels: Object.fromEntries(SECRET_CASES.slice(12, 30).map((c, i) => [`detail_${i}`, c.line])),
          annotations: Object.fromEntries(SECRET_CASES.map((c, i) => [`note_${i}`, c.line])),
          startsAt: '2026-11-22T03:00:00Z',
        },
        options: { dryRun: true },
      },
      timeScale: TIME_SCALE,
      environment: {
        kube,
        aws,
        config: configSchema.parse({
          clusterName: 'sandbox',
          allowedNamespaces: [NS],
          remediationPolicy: AUTO,
        }),
        now: () => new Date(sandbox.clock.now()),
      },
    });

    // Assess
    const state = run.output as { incident: { evidencePrefix: string }; report?: object; dump?: object };
    expect(run.status).toBe('SUCCEEDED');
    expect(state.report).toBeDefined();
    expect(state.dump).toBeDefined();
    const objects = await everything(state.incident.evidencePrefix);
    const keys = objects.map((o) => o.key.slice(state.incident.evidencePrefix.length));
    expect(keys).toEqual(
      expect.arrayContaining([
        'diagnostics.json',
        'events.json',
        'manifest.json',
        'report.md',
        'report.json',
        `cluster-dump/${NS}/pods.json.gz`,
        `cluster-dump/${NS}/deployments.json.gz`,
        `cluster-dump/${NS}/secrets.json.gz`,
      ]),
    );
    const logObjects = objects.filter((o) => /\/logs\/|logs\.txt\.gz$/.test(o.key));
    expect(logObjects.length).toBeGreaterThan(0);
    const notifications = (await receiveNotifications(aws)).map((n) => JSON.stringify(n));
    expect(notifications.length).toBeGreaterThan(0);
    const channels = [
      ...objects.map((o) => ({ where: o.key, text: o.text })),
      ...notifications.map((text, i) => ({ where: `notification ${i}`, text })),
      // The execution input's own `alert` stays in the state as the caller sent it (Step Functions
      // keeps the input in the execution's history regardless); what the workflow wrote is checked.
      { where: 'final state', text: JSON.stringify({ ...(run.output as object), alert: undefined }) },
    ];
    const leaks = SECRET_CASES.flatMap((c) =>
      channels
        .filter(({ text }) => text.includes(c.secret) || text.includes(JSON.stringify(c.secret).slice(1, -1)))
        .map(({ where }) => `${c.category}: ${c.name} in ${where}`),
    );
    expect(leaks).toEqual([]);
    const kept = logObjects.map((o) => o.text).join('\n');
    expect(NEGATIVES.filter((line) => !kept.includes(line))).toEqual([]);
    // A whole flow whose every object carries the corpus: minutes on a loaded 2-core machine.
  }, 300_000);
});
