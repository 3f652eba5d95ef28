import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { diagnose } from '../../../lambdas/diagnose/diagnose';
import { KubernetesServerError } from '../../../lambdas/shared/errors';
import { S3EvidenceStore } from '../../../lambdas/shared/evidence/s3-evidence-store';
import { startLocalAws, type LocalAws } from '../../support/aws';
import {
  deployment,
  incident,
  NS,
  startStepSandbox,
  stepEvent,
  target,
  type StepSandbox,
} from '../step-fixtures';

let aws: LocalAws;
let s: StepSandbox;

beforeAll(async () => {
  aws = await startLocalAws();
});

afterAll(async () => {
  await aws.stop();
});

afterEach(async () => {
  await s?.sandbox.stop();
});

const MYSQL_DOWN = `sqlalchemy.exc.OperationalError: (pymysql.err.OperationalError) (2003, "Can't connect to MySQL server on 'mysql.one-data-infra' ([Errno 111] Connection refused)")`;

function deps(tailLines = 100, limitBytes = 65536) {
  return {
    kube: s.kube,
    evidence: new S3EvidenceStore(aws.s3, aws.bucket),
    tailLines,
    limitBytes,
    now: s.now,
  };
}

async function text(key: string): Promise<string> {
  const response = await aws.s3.send(new GetObjectCommand({ Bucket: aws.bucket, Key: key }));
  return response.Body!.transformToString();
}

describe('diagnose', () => {
  it('summarizes a crash-looping Deployment, its logs and nodes, and names the runbook cause', async () => {
    // Prepare: the runbook's alldata-api, failing because MySQL is not up yet.
    s = await startStepSandbox([
      deployment('alldata-api', {
        behavior: {
          api: {
            mode: 'crash',
            logs: ['INFO  Starting alldata-api 1.4.2', MYSQL_DOWN],
            recoverAfterRolloutRestart: true,
          },
        },
      }),
    ]);
    await s.advance(40);
    const inc = incident(target('alldata-api'));

    // Act
    const result = await diagnose(stepEvent({ incident: inc }), deps());

    // Assess
    expect(result.workload).toEqual({
      kind: 'Deployment',
      namespace: NS,
      name: 'alldata-api',
      uid: expect.any(String),
      revision: 1,
      replicas: 2,
      readyReplicas: 0,
      updatedReplicas: 2,
      availableReplicas: 0,
      paused: false,
      conditions: expect.arrayContaining([expect.objectContaining({ type: 'Available', status: 'False' })]),
    });
    expect(result.pods).toHaveLength(2);
    for (const pod of result.pods) {
      expect(pod).toMatchObject({ phase: 'Running', ready: false, node: expect.any(String) });
      expect(pod.restarts).toBeGreaterThan(0);
      expect(pod.containers[0]).toMatchObject({
        name: 'api',
        ready: false,
        state: 'waiting',
        reason: 'CrashLoopBackOff',
        lastTermination: { reason: 'Error', exitCode: 1 },
      });
    }
    expect(result.nodes.length).toBeGreaterThan(0);
    expect(result.nodes.every((n) => n.ready)).toBe(true);
    expect(result.probableCause).toMatchObject({
      ruleId: 'mysql-unreachable',
      runbook: 'one-data-studio-kubernetes-troubleshooting.md § 服务启动问题 / Alldata API 启动失败',
    });
    expect(result.probableCause!.evidence).toContain(MYSQL_DOWN);
    const previousLogs = result.evidence.logs.filter((k) => k.endsWith('/api.previous.log'));
    expect(previousLogs).toHaveLength(2);
    expect(await text(previousLogs[0])).toContain(MYSQL_DOWN);
    expect(result.evidence.diagnostics).toBe(`${inc.evidencePrefix}diagnostics.json`);
    const written = JSON.parse(await text(result.evidence.diagnostics));
    expect(written).toMatchObject({
      target: target('alldata-api'),
      workload: { revision: 1 },
      history: [
        { revision: 1, current: true, images: ['api=registry.example.com/one-data/alldata-api:1.4.2'] },
      ],
    });
  });

  it('fails with the earliest failed read in its order, not the first to fail, and writes no evidence', async () => {
    // Prepare: reads that run side by side fail in the reverse of their order. The event listing
    // is refused at once; the log read, which comes before it, fails after 300 ms.
    s = await startStepSandbox([
      deployment('alldata-api', {
        behavior: { api: { mode: 'crash', logs: ['INFO  Starting alldata-api 1.4.2', MYSQL_DOWN] } },
      }),
    ]);
    await s.advance(40);
    s.sandbox.faults.add({ verb: 'list', resource: 'events', status: 403, times: 4 });
    s.sandbox.faults.add({ verb: 'get', resource: 'pods/log', status: 500, latencyMs: 300, times: 8 });
    const inc = incident(target('alldata-api'));
    // The bucket is shared by this file's tests, and they diagnose the same incident.
    const evidence = async () =>
      (
        (await aws.s3.send(new ListObjectsV2Command({ Bucket: aws.bucket, Prefix: inc.evidencePrefix })))
          .Contents ?? []
      ).map((object) => `${object.Key} ${object.ETag}`);
    const before = await evidence();

    // Act
    const error = await diagnose(stepEvent({ incident: inc }), deps()).then(
      () => undefined,
      (e: unknown) => e as Error,
    );

    // Assess
    expect(error).toBeInstanceOf(KubernetesServerError);
    expect(error!.message).toMatch(/^get pods\/log one-data-alldata\/alldata-api-/);
    expect(await evidence()).toEqual(before);
  });

  it('names the revision before the current one as the rollback target', async () => {
    // Prepare: a healthy release, then a bad one that crashes.
    s = await startStepSandbox([deployment('alldata-api')]);
    await s.advance(5);
    await s.deploy('alldata-api', {
      image: 'registry.example.com/one-data/alldata-api:1.5.0',
      behavior: { api: { mode: 'crash', exitCode: 137, logs: ['Killed'] } },
    });
    await s.advance(30);

    // Act
    const result = await diagnose(stepEvent({ incident: incident(target('alldata-api')) }), deps());

    // Assess
    expect(result.workload.revision).toBe(2);
    expect(result.workload.previousRevision).toBe(1);
  });

  it('keeps only the tail of each log, within the byte limit', async () => {
    // Prepare
    const lines = Array.from({ length: 50 }, (_, i) => `line ${i} ${'x'.repeat(40)}`);
    s = await startStepSandbox([
      deployment('alldata-api', { replicas: 1, behavior: { api: { mode: 'crash', logs: lines } } }),
    ]);
    await s.advance(20);

    // Act
    const result = await diagnose(stepEvent({ incident: incident(target('alldata-api')) }), deps(10, 200));

    // Assess
    const previous = await text(result.evidence.logs.find((k) => k.endsWith('.previous.log'))!);
    expect(Buffer.byteLength(previous)).toBeLessThanOrEqual(200);
    expect(previous.startsWith('line 40 ')).toBe(true);
  });

  it('diagnoses an image that cannot be pulled, whose containers never started', async () => {
    // Prepare
    s = await startStepSandbox([
      deployment('alldata-api', {
        image: 'registry.example.com/one-data/alldata-api:1.4.3-typo',
        behavior: { api: { mode: 'image-pull-failure' } },
      }),
    ]);
    await s.advance(30);

    // Act
    const result = await diagnose(stepEvent({ incident: incident(target('alldata-api')) }), deps());

    // Assess
    expect(result.probableCause?.ruleId).toBe('image-pull-failure');
    expect(result.pods[0]).toMatchObject({
      phase: 'Pending',
      containers: [{ state: 'waiting', restartCount: 0 }],
    });
    expect(result.evidence.logs).toEqual([]);
  });

  it('diagnoses pods that no node can take', async () => {
    // Prepare
    s = await startStepSandbox([
      deployment('vllm-serving', { nodeSelector: { 'nvidia.com/gpu.present': 'true' } }),
    ]);
    await s.advance(5);

    // Act
    const result = await diagnose(stepEvent({ incident: incident(target('vllm-serving')) }), deps());

    // Assess
    expect(result.probableCause?.ruleId).toBe('unschedulable');
    expect(result.probableCause?.evidence).toMatch(
      /PodScheduled=False Unschedulable: 0\/3 nodes are available/,
    );
    expect(result.nodes).toEqual([]);
  });

  it("takes a Secret's state from the kubelet's reports, and never asks the API for Secrets", async () => {
    // Prepare: an env reference to a Secret that is not there, and a volume item whose key is
    // missing from a Secret that is: the kubelet reports both in its own words.
    const app = deployment('alldata-api');
    (
      app.spec as { template: { spec: { containers: Array<Record<string, unknown>> } } }
    ).template.spec.containers[0].env = [
      {
        name: 'DB_PASSWORD',
        valueFrom: { secretKeyRef: { name: 'alldata-db-credentials', key: 'password' } },
      },
    ];
    const worker = deployment('alldata-worker');
    (worker.spec as { template: { spec: Record<string, unknown> } }).template.spec.volumes = [
      { name: 'certs', secret: { secretName: 'alldata-tls', items: [{ key: 'tls.key', path: 'tls.key' }] } },
    ];
    s = await startStepSandbox([
      app,
      worker,
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'alldata-tls', namespace: NS },
        stringData: { 'tls.crt': 'x' },
      },
    ]);
    await s.advance(30);
    s.sandbox.requests.clear();

    // Act
    const envFailure = await diagnose(stepEvent({ incident: incident(target('alldata-api')) }), deps());
    const volumeFailure = await diagnose(stepEvent({ incident: incident(target('alldata-worker')) }), deps());

    // Assess
    const referencesOf = async (key: string) =>
      (JSON.parse(await text(key)) as { ruleEvidence: { references: unknown[] } }).ruleEvidence.references;
    expect(await referencesOf(envFailure.evidence.diagnostics)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          kind: 'Secret',
          name: 'alldata-db-credentials',
          key: 'password',
          state: 'missing',
        }),
      ]),
    );
    expect(await referencesOf(volumeFailure.evidence.diagnostics)).toEqual([
      expect.objectContaining({ kind: 'Secret', name: 'alldata-tls', key: 'tls.key', state: 'missing-key' }),
    ]);
    expect(s.sandbox.requests.all().filter((r) => r.resource === 'secrets')).toEqual([]);
  });

  it('fails with WorkloadNotFoundError naming a workload that does not exist', async () => {
    // Prepare
    s = await startStepSandbox([]);

    // Act
    const failure = diagnose(stepEvent({ incident: incident(target('alldata-apii')) }), deps());

    // Assess
    await expect(failure).rejects.toMatchObject({
      name: 'WorkloadNotFoundError',
      message: `deployments.apps "alldata-apii" not found in namespace "${NS}"`,
    });
  });
});
