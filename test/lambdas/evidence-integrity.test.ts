import { gunzipSync } from 'node:zlib';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { clusterDump } from '../../lambdas/cluster-dump/cluster-dump';
import { collectEvents } from '../../lambdas/collect-events/collect-events';
import { S3EvidenceStore } from '../../lambdas/shared/evidence/s3-evidence-store';
import { localKubeConfig } from '../../lambdas/shared/kubernetes/client';
import { ClientNodeKubernetes } from '../../lambdas/shared/kubernetes/kubernetes-port';
import * as manifests from '../support/manifests';
import { KubectlSandbox } from '../support/kubectl';
import { startLocalAws, type LocalAws } from '../support/aws';
import { EXECUTION, incident, stepEvent } from './step-fixtures';

/*
 * Evidence keeps what the API server served. The same objects are read twice: by the steps,
 * into S3, and by the real kubectl (`get --raw`, the server's own bytes); every object of
 * events.json and of the cluster dump must be the server's JSON, field for field and string
 * for string (timestamps with their microseconds), apart from managedFields, which evidence
 * leaves out as kubectl does, and the apiVersion/kind each list item gains.
 */

const NS = 'one-data-alldata';
type Json = Record<string, unknown>;

let aws: LocalAws;
let k: KubectlSandbox;

beforeAll(async () => {
  aws = await startLocalAws();
  k = await KubectlSandbox.start({
    clock: { mode: 'manual', start: Date.parse(EXECUTION.startTime) - 10 * 60_000 },
    objects: [
      manifests.namespace(NS),
      manifests.deployment(NS, 'alldata-api', {
        replicas: 2,
        behavior: { app: { mode: 'crash', logs: ['Connection refused'] } },
      }),
      manifests.statefulSet(NS, 'milvus', { replicas: 1 }),
      manifests.service(NS, 'alldata-api', 8080),
      manifests.secret(NS, 'alldata-db-credentials', { username: 'alldata', password: 'Zx9kq2Lr-integrity' }),
    ],
  });
  for (let second = 0; second < 40; second++) {
    k.sandbox.clock.advance(1000);
    await k.sandbox.settle();
  }
  // Events as controllers record them through events.k8s.io/v1 (MicroTime with microseconds,
  // a series) and as older clients record them through core/v1.
  await k.create([
    {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: 'alldata-api.series', namespace: NS },
      eventTime: '2025-12-31T23:55:00.123456Z',
      series: { count: 4, lastObservedTime: '2025-12-31T23:58:30.654321Z' },
      reportingController: 'example.com/prober',
      reportingInstance: 'prober-7f9c',
      action: 'Probe',
      reason: 'Unhealthy',
      regarding: { kind: 'Deployment', namespace: NS, name: 'alldata-api', apiVersion: 'apps/v1' },
      note: 'probe failed 4 times',
      type: 'Warning',
    },
    {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'alldata-api.core', namespace: NS },
      involvedObject: { kind: 'Deployment', namespace: NS, name: 'alldata-api', apiVersion: 'apps/v1' },
      reason: 'Paged',
      message: 'on-call paged',
      type: 'Normal',
      count: 2,
      firstTimestamp: '2025-12-31T23:50:00Z',
      lastTimestamp: '2025-12-31T23:51:07Z',
      source: { component: 'pager' },
    },
  ]);
});

afterAll(async () => {
  await k?.stop();
  await aws?.stop();
});

async function raw(path: string): Promise<Json> {
  return JSON.parse(await k.ok(['get', '--raw', path])) as Json;
}

/** The API's items by uid, as evidence writes them: apiVersion/kind first, no managedFields. */
function served(list: Json, apiVersion: string, kind: string): Map<string, Json> {
  return new Map(
    (list.items as Json[]).map((item) => {
      const { managedFields: _managedFields, ...metadata } = item.metadata as Json;
      return [metadata.uid as string, { apiVersion, kind, ...item, metadata }];
    }),
  );
}

async function object(key: string): Promise<string> {
  const response = await aws.s3.send(new GetObjectCommand({ Bucket: aws.bucket, Key: key }));
  const bytes = Buffer.from(await response.Body!.transformToByteArray());
  return (key.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
}

function kube(): ClientNodeKubernetes {
  return new ClientNodeKubernetes(localKubeConfig({ yaml: k.sandbox.kubeconfig() }), {
    requestTimeoutMs: 5000,
  });
}

const inc = incident({ namespace: NS, kind: 'Deployment', name: 'alldata-api' });
const store = () => new S3EvidenceStore(aws.s3, aws.bucket);

describe('evidence integrity', () => {
  it('writes every event of events.json as the API served it, core/v1 and events.k8s.io/v1 alike', async () => {
    // Act
    const result = await collectEvents(stepEvent({ incident: inc }), {
      kube: kube(),
      evidence: store(),
      now: () => new Date(k.sandbox.clock.now()),
    });

    // Assess
    const text = await object(result.evidence.events);
    const evidence = (JSON.parse(text) as { items: Json[] }).items;
    const core = served(await raw(`/api/v1/namespaces/${NS}/events`), 'v1', 'Event');
    const v1 = served(
      await raw(`/apis/events.k8s.io/v1/namespaces/${NS}/events`),
      'events.k8s.io/v1',
      'Event',
    );
    expect(evidence.length).toBeGreaterThan(5);
    for (const item of evidence) {
      const uid = (item.metadata as Json).uid as string;
      const api = item.apiVersion === 'v1' ? core.get(uid) : v1.get(uid);
      expect(JSON.stringify(item)).toBe(JSON.stringify(api));
    }
    // The microseconds and the series survive, in the server's spelling.
    expect(text).toContain('"eventTime": "2025-12-31T23:55:00.123456Z"');
    expect(text).toContain('"lastObservedTime": "2025-12-31T23:58:30.654321Z"');
    expect(text).toContain('"lastTimestamp": "2025-12-31T23:51:07Z"');
    expect(text).not.toMatch(/"\w*(Time|Timestamp)": \{\}/);
  });

  it('writes every pod, workload, service and node of the cluster dump as the API served it', async () => {
    // Act
    const result = await clusterDump(stepEvent({ incident: inc }), {
      kube: kube(),
      evidence: store(),
      maxBytes: 50_000_000,
      concurrency: 3,
      logLimitBytes: 10_000,
      logs: 'archive',
    });

    // Assess
    const lists: Array<[string, string, string, string]> = [
      ['pods', `/api/v1/namespaces/${NS}/pods`, 'v1', 'Pod'],
      ['events', `/api/v1/namespaces/${NS}/events`, 'v1', 'Event'],
      ['services', `/api/v1/namespaces/${NS}/services`, 'v1', 'Service'],
      ['deployments', `/apis/apps/v1/namespaces/${NS}/deployments`, 'apps/v1', 'Deployment'],
      ['replicasets', `/apis/apps/v1/namespaces/${NS}/replicasets`, 'apps/v1', 'ReplicaSet'],
      ['statefulsets', `/apis/apps/v1/namespaces/${NS}/statefulsets`, 'apps/v1', 'StatefulSet'],
    ];
    let compared = 0;
    for (const [resource, path, apiVersion, kind] of lists) {
      const api = served(await raw(path), apiVersion, kind);
      const dumped = (
        JSON.parse(await object(`${result.prefix}${NS}/${resource}.json.gz`)) as { items: Json[] }
      ).items;
      expect(dumped.map((i) => (i.metadata as Json).uid).sort()).toEqual([...api.keys()].sort());
      for (const item of dumped) {
        expect(JSON.stringify(item)).toBe(JSON.stringify(api.get((item.metadata as Json).uid as string)));
        compared++;
      }
    }
    const nodes = (JSON.parse(await object(`${result.prefix}nodes.json.gz`)) as { items: Json[] }).items;
    for (const node of nodes) {
      const api = await raw(`/api/v1/nodes/${String((node.metadata as Json).name)}`);
      const { managedFields: _managedFields, ...metadata } = api.metadata as Json;
      expect(JSON.stringify(node)).toBe(JSON.stringify({ ...api, metadata }));
    }
    expect(nodes.length).toBeGreaterThan(0);
    expect(compared).toBeGreaterThan(10);
  });

  it('records Secrets by name, type and key names, never their values', async () => {
    // Act
    const result = await clusterDump(stepEvent({ incident: inc }), {
      kube: kube(),
      evidence: store(),
      maxBytes: 50_000_000,
      concurrency: 3,
      logLimitBytes: 10_000,
      logs: 'archive',
    });

    // Assess
    const text = await object(`${result.prefix}${NS}/secrets.json.gz`);
    const secret = (JSON.parse(text) as { items: Json[] }).items.find(
      (s) => (s.metadata as Json).name === 'alldata-db-credentials',
    );
    expect(secret).toMatchObject({ kind: 'Secret', type: 'Opaque', dataKeys: ['password', 'username'] });
    expect(text).not.toContain('Zx9kq2Lr-integrity');
    expect(text).not.toContain(Buffer.from('Zx9kq2Lr-integrity').toString('base64'));
    expect(text).not.toContain(Buffer.from('alldata').toString('base64'));
  });
});
