import type { DaemonSet, Deployment, ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1';
import type { CronJob, Job } from 'kubernetes-types/batch/v1';
import { parse as parseYaml } from 'yaml';
import { computeTemplateHash } from '../../../local/kube-sandbox/controllers/hash';
import { types } from '../../../local/kube-sandbox/runtime';
import { startSandbox, type Sandbox } from '../../../local/kube-sandbox/sandbox';
import type { KubeObject } from '../../../local/kube-sandbox/store';
import { KubectlSandbox } from '../../support/kubectl';
import {
  cronJobManifest,
  daemonSetManifest,
  deploymentManifest,
  jobManifest,
  statefulSetManifest,
} from '../../support/manifests';
import { elapse, manualSandbox } from '../../support/sandbox';

// The zero metav1.Time of an embedded ObjectMeta serializes as `creationTimestamp: null`: a 1.32
// API server shows it under every template, and the sandbox stores and serves it the same way.

/** A Deployment with one replica: the objects whose templates the tests compare. */
function deployment(name: string): KubeObject {
  return deploymentManifest(name, { replicas: 1 });
}

function replicaSet(name: string): KubeObject {
  return { ...deployment(name), kind: 'ReplicaSet' };
}

async function create(sandbox: Sandbox, obj: KubeObject): Promise<void> {
  const [group, version] = obj.apiVersion!.includes('/') ? obj.apiVersion!.split('/') : ['', obj.apiVersion!];
  const base = group ? `apis/${group}/${version}` : `api/${version}`;
  const plural = `${obj.kind!.toLowerCase()}s`;
  const response = await fetch(`${sandbox.url}/${base}/namespaces/default/${plural}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(obj),
  });
  if (response.status !== 201)
    throw new Error(`create ${obj.kind}: ${response.status} ${await response.text()}`);
}

async function read<T>(sandbox: Sandbox, path: string): Promise<T> {
  return (await (await fetch(`${sandbox.url}/${path}`)).json()) as T;
}

describe('pod template metadata', () => {
  let sandbox: Sandbox;

  afterEach(async () => {
    await sandbox.stop();
  });

  test('every template, job template and claim template is served with creationTimestamp: null', async () => {
    // Prepare
    sandbox = await startSandbox({ controllers: false, clock: { mode: 'manual' } });
    const claim = { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'] } };

    // Act
    for (const obj of [
      deployment('web'),
      replicaSet('rs'),
      statefulSetManifest('db', { volumeClaimTemplates: [claim] }),
      daemonSetManifest('agent'),
      jobManifest('once'),
      cronJobManifest('nightly', '0 3 * * *'),
    ]) {
      await create(sandbox, obj);
    }
    const apps = 'apis/apps/v1/namespaces/default';
    const batch = 'apis/batch/v1/namespaces/default';
    const web = await read<Deployment>(sandbox, `${apps}/deployments/web`);
    const rs = await read<ReplicaSet>(sandbox, `${apps}/replicasets/rs`);
    const db = await read<StatefulSet>(sandbox, `${apps}/statefulsets/db`);
    const agent = await read<DaemonSet>(sandbox, `${apps}/daemonsets/agent`);
    const once = await read<Job>(sandbox, `${batch}/jobs/once`);
    const nightly = await read<CronJob>(sandbox, `${batch}/cronjobs/nightly`);

    // Assess
    for (const workload of [web, rs, db, agent]) {
      expect(workload.spec?.template?.metadata).toEqual({
        creationTimestamp: null,
        labels: { app: workload.metadata?.name },
      });
    }
    expect(db.spec?.volumeClaimTemplates?.[0].metadata).toEqual({ creationTimestamp: null, name: 'data' });
    expect(once.spec?.template.metadata).toMatchObject({ creationTimestamp: null, labels: { app: 'once' } });
    expect(nightly.spec?.jobTemplate.metadata).toEqual({ creationTimestamp: null });
    expect(nightly.spec?.jobTemplate.spec?.template.metadata).toMatchObject({
      creationTimestamp: null,
      labels: { app: 'nightly' },
    });
  });

  test('the null leaves template hashes and ControllerRevision data as they were', async () => {
    // Prepare
    sandbox = await manualSandbox([deployment('web'), statefulSetManifest('db', { replicas: 1 })]);

    // Act
    await elapse(sandbox, 5000);

    // Assess
    const web = sandbox.store.mustGet(types['deployments.apps'], 'default', 'web');
    const stored = structuredClone(web.spec as { template: { metadata: Record<string, unknown> } }).template;
    expect(stored.metadata.creationTimestamp).toBeNull();
    const { creationTimestamp: _dropped, ...withoutNull } = stored.metadata;
    const hash = computeTemplateHash({ ...stored, metadata: withoutNull });
    expect(computeTemplateHash(stored)).toBe(hash);
    const [rs] = sandbox.store.list(types['replicasets.apps'], 'default');
    expect(rs.metadata.name).toBe(`web-${hash}`);
    expect((rs.spec as { template: { metadata: unknown } }).template.metadata).toEqual({
      creationTimestamp: null,
      labels: { app: 'web', 'pod-template-hash': hash },
    });
    const [revision] = sandbox.store.list(types['controllerrevisions.apps'], 'default');
    const data = revision.data as { spec: { template: Record<string, unknown> } };
    expect(Object.keys(data.spec.template)).toEqual(['$patch', 'metadata', 'spec']);
    expect(data.spec.template.metadata).toEqual({ creationTimestamp: null, labels: { app: 'db' } });
  });
});

describe('kubectl get -o yaml', () => {
  let k: KubectlSandbox;

  beforeAll(async () => {
    k = await KubectlSandbox.start({ controllers: false, clock: { mode: 'manual' } });
    await k.create([deployment('web'), cronJobManifest('nightly', '0 3 * * *')]);
  });

  afterAll(async () => {
    await k?.stop();
  });

  test('shows creationTimestamp: null under the template, as on a 1.32 cluster', async () => {
    // Act
    const web = await k.ok(['get', 'deployment', 'web', '-o', 'yaml']);
    const nightly = parseYaml(await k.ok(['get', 'cronjob', 'nightly', '-o', 'yaml'])) as CronJob;

    // Assess
    expect(web).toContain(
      '  template:\n    metadata:\n      creationTimestamp: null\n      labels:\n        app: web\n',
    );
    expect(nightly.spec?.jobTemplate).toMatchObject({
      metadata: { creationTimestamp: null },
      spec: { template: { metadata: { creationTimestamp: null } } },
    });
  });
});
