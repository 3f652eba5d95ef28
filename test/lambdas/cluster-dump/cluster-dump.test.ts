import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { clusterDump } from '../../../lambdas/cluster-dump/cluster-dump';
import type { DumpLogLayout } from '../../../lambdas/shared/contracts';
import type { Manifest } from '../../../lambdas/shared/evidence/evidence-store';
import { S3EvidenceStore } from '../../../lambdas/shared/evidence/s3-evidence-store';
import type { KubeObject } from '../../../local/kube-sandbox/store';
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

const run = promisify(execFile);

let aws: LocalAws;
let s: StepSandbox;

beforeAll(async () => {
  aws = await startLocalAws();
});

afterAll(async () => {
  await aws.stop();
});

beforeEach(() => {
  aws.server.reset();
});

afterEach(async () => {
  await s?.sandbox.stop();
});

const inc = incident(target('alldata-api'));
const dumpPrefix = `${inc.evidencePrefix}cluster-dump/`;

/** The namespace the runbook's alldata-api lives in, with what a real one has around it. */
function namespaceObjects(): KubeObject[] {
  return [
    deployment('alldata-api', {
      env: [
        { name: 'DB_PASSWORD', value: 'Zx9kq2Lr-prod' },
        { name: 'MILVUS_HOST', value: 'milvus-proxy.one-data-infra' },
      ],
      behavior: {
        api: {
          mode: 'crash',
          logs: ['connecting to mysql://alldata:Zx9kq2Lr-prod@mysql:3306/alldata', 'Connection refused'],
        },
      },
    }),
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'alldata-db-credentials', namespace: NS },
      type: 'Opaque',
      data: { password: Buffer.from('Zx9kq2Lr-prod').toString('base64') },
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'alldata-config', namespace: NS },
      data: { 'app.yaml': 'pool: 20' },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'alldata-api', namespace: NS },
      spec: { selector: { app: 'alldata-api' }, ports: [{ port: 8080 }] },
    },
    {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'mysql-backup', namespace: NS },
      spec: {
        schedule: '0 2 * * *',
        jobTemplate: {
          spec: {
            template: {
              spec: { restartPolicy: 'OnFailure', containers: [{ name: 'dump', image: 'mysql:8.0.36' }] },
            },
          },
        },
      },
    },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'one-data-bisheng' } },
    {
      ...deployment('bisheng-api'),
      metadata: { name: 'bisheng-api', namespace: 'one-data-bisheng', labels: { app: 'bisheng-api' } },
    },
  ];
}

async function body(key: string): Promise<string> {
  const response = await aws.s3.send(new GetObjectCommand({ Bucket: aws.bucket, Key: key }));
  return gunzipSync(Buffer.from(await response.Body!.transformToByteArray())).toString();
}

async function keys(): Promise<string[]> {
  const listed = await aws.s3.send(new ListObjectsV2Command({ Bucket: aws.bucket, Prefix: dumpPrefix }));
  return (listed.Contents ?? []).map((o) => o.Key!.slice(dumpPrefix.length)).sort();
}

function deps(maxBytes = 50_000_000, logs: DumpLogLayout = 'per-pod') {
  return {
    kube: s.kube,
    evidence: new S3EvidenceStore(aws.s3, aws.bucket),
    maxBytes,
    concurrency: 3,
    logLimitBytes: 10_000,
    logs,
  };
}

describe('clusterDump', () => {
  it('dumps the namespace as kubectl cluster-info dump lays it out, plus the workload kinds it skips', async () => {
    // Prepare
    s = await startStepSandbox(namespaceObjects());
    await s.advance(20);

    // Act
    const result = await clusterDump(stepEvent({ incident: inc }), deps());

    // Assess
    const pods = JSON.parse(await body(`${dumpPrefix}${NS}/pods.json.gz`)) as {
      kind: string;
      items: KubeObject[];
    };
    const podNames = pods.items.map((p) => p.metadata.name!);
    expect(pods.kind).toBe('List');
    expect(podNames).toHaveLength(2);
    expect(await keys()).toEqual(
      [
        'nodes.json.gz',
        ...[
          'configmaps',
          'cronjobs',
          'daemonsets',
          'deployments',
          'events',
          'jobs',
          'pods',
          'replicasets',
          'secrets',
          'services',
          'statefulsets',
        ].map((r) => `${NS}/${r}.json.gz`),
        ...podNames.map((p) => `${NS}/${p}/logs.txt.gz`),
      ].sort(),
    );
    expect(result).toEqual({ prefix: dumpPrefix, objects: 14, bytes: expect.any(Number), truncated: false });
    const nodes = JSON.parse(await body(`${dumpPrefix}nodes.json.gz`)) as { items: KubeObject[] };
    const podNodes = new Set(pods.items.map((p) => (p.spec as { nodeName: string }).nodeName));
    expect(nodes.items.map((n) => n.metadata.name).sort()).toEqual([...podNodes].sort());
    const log = await body(`${dumpPrefix}${NS}/${podNames[0]}/logs.txt.gz`);
    expect(log).toContain(`==== START previous logs for container api of pod ${NS}/${podNames[0]} ====`);
    expect(log).toContain('Connection refused');
    const manifest = (await new S3EvidenceStore(aws.s3, aws.bucket).getJson<Manifest>(
      `${inc.evidencePrefix}manifest.json`,
    ))!;
    expect(manifest.objects.map((o) => o.key.slice(dumpPrefix.length)).sort()).toEqual(await keys());
    expect(
      manifest.objects.every((o) => o.contentEncoding === 'gzip' && /^[0-9a-f]{64}$/.test(o.sha256)),
    ).toBe(true);
  });

  it("writes the logs as one archive per namespace that extracts to kubectl's <ns>/<pod>/logs.txt", async () => {
    // Prepare
    s = await startStepSandbox(namespaceObjects());
    await s.advance(20);

    // Act
    const result = await clusterDump(stepEvent({ incident: inc }), deps(50_000_000, 'archive'));

    // Assess
    const podNames = (
      JSON.parse(await body(`${dumpPrefix}${NS}/pods.json.gz`)) as { items: KubeObject[] }
    ).items.map((p) => p.metadata.name!);
    expect(await keys()).toEqual(
      [
        'nodes.json.gz',
        `${NS}/logs.tar.gz`,
        ...[
          'configmaps',
          'cronjobs',
          'daemonsets',
          'deployments',
          'events',
          'jobs',
          'pods',
          'replicasets',
          'secrets',
          'services',
          'statefulsets',
        ].map((r) => `${NS}/${r}.json.gz`),
      ].sort(),
    );
    expect(result).toEqual({ prefix: dumpPrefix, objects: 13, bytes: expect.any(Number), truncated: false });
    const dir = await mkdtemp(join(tmpdir(), 'dump-logs-'));
    try {
      const response = await aws.s3.send(
        new GetObjectCommand({ Bucket: aws.bucket, Key: `${dumpPrefix}${NS}/logs.tar.gz` }),
      );
      expect(response.ContentEncoding).toBe('gzip');
      await writeFile(join(dir, 'logs.tar.gz'), Buffer.from(await response.Body!.transformToByteArray()));
      await run('tar', ['-xzf', join(dir, 'logs.tar.gz'), '-C', dir]);
      for (const pod of podNames) {
        const log = await readFile(join(dir, NS, pod, 'logs.txt'), 'utf8');
        expect(log).toContain(`==== START previous logs for container api of pod ${NS}/${pod} ====`);
        expect(log).toContain('Connection refused');
        expect(log).toContain('mysql://alldata:[REDACTED]@mysql:3306/alldata');
        expect(log).not.toContain('Zx9kq2Lr-prod');
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const manifest = (await new S3EvidenceStore(aws.s3, aws.bucket).getJson<Manifest>(
      `${inc.evidencePrefix}manifest.json`,
    ))!;
    expect(manifest.objects.find((o) => o.key === `${dumpPrefix}${NS}/logs.tar.gz`)).toMatchObject({
      contentType: 'application/x-tar',
      contentEncoding: 'gzip',
    });
  });

  it('lists ConfigMaps and Secrets by name only and redacts env values and log lines', async () => {
    // Prepare
    s = await startStepSandbox(namespaceObjects());
    await s.advance(20);

    // Act
    await clusterDump(stepEvent({ incident: inc }), deps());

    // Assess
    const secrets = JSON.parse(await body(`${dumpPrefix}${NS}/secrets.json.gz`)) as {
      items: Array<Record<string, unknown>>;
    };
    expect(secrets.items.map((i) => (i.metadata as { name: string }).name)).toContain(
      'alldata-db-credentials',
    );
    expect(secrets.items.every((i) => !('data' in i))).toBe(true);
    const configMaps = await body(`${dumpPrefix}${NS}/configmaps.json.gz`);
    expect(configMaps).toContain('alldata-config');
    expect(configMaps).not.toContain('pool: 20');
    for (const key of await keys()) {
      const text = await body(`${dumpPrefix}${key}`);
      expect(text).not.toContain('Zx9kq2Lr-prod');
      expect(text).not.toContain(Buffer.from('Zx9kq2Lr-prod').toString('base64'));
    }
    expect(await body(`${dumpPrefix}${NS}/deployments.json.gz`)).toContain(
      '{"name":"DB_PASSWORD","value":"[REDACTED]"}',
    );
  });

  it('follows continue tokens through lists longer than a page', async () => {
    // Prepare
    const many: KubeObject[] = Array.from({ length: 260 }, (_, i) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `feature-flags-${String(i).padStart(3, '0')}`, namespace: NS },
      data: { enabled: 'true' },
    }));
    s = await startStepSandbox([deployment('alldata-api'), ...many]);
    s.sandbox.requests.clear();

    // Act
    await clusterDump(stepEvent({ incident: inc }), deps());

    // Assess
    const configMaps = JSON.parse(await body(`${dumpPrefix}${NS}/configmaps.json.gz`)) as {
      items: KubeObject[];
    };
    // The namespace's kube-root-ca.crt (published by the controller manager) sorts after them.
    expect(configMaps.items.map((c) => c.metadata.name)).toEqual([
      ...many.map((c) => c.metadata.name),
      'kube-root-ca.crt',
    ]);
    const lists = s.sandbox.requests.all().filter((r) => r.verb === 'list' && r.resource === 'configmaps');
    expect(lists).toHaveLength(2);
    expect(s.sandbox.requests.writes()).toEqual([]);
  });

  it('stops at the size cap, keeps every object valid, and says it is truncated', async () => {
    // Prepare
    s = await startStepSandbox(namespaceObjects());
    await s.advance(20);

    // Act
    const result = await clusterDump(stepEvent({ incident: inc }), deps(6_000));

    // Assess
    expect(result.truncated).toBe(true);
    expect(result.bytes).toBeLessThanOrEqual(6_000);
    for (const key of (await keys()).filter((k) => k.endsWith('.json.gz'))) {
      const text = await body(`${dumpPrefix}${key}`);
      expect(() => JSON.parse(text)).not.toThrow();
    }
  });
});
