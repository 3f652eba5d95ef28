import { types } from '../../local/kube-sandbox/runtime';
import { AGE, KubectlSandbox, headerOf, parseTable } from '../support/kubectl';
import { eventually } from '../support/polling';
import {
  configMap,
  cronJob,
  daemonSet,
  deployment,
  job,
  lease,
  namespace,
  secret,
  service,
  statefulSet,
} from '../support/manifests';

// `kubectl get` against one sandbox holding an object of every served type. The clock runs
// 100 times faster than the wall clock so pods start and Jobs finish in a fraction of a second.
const NS = 'shop';
let k: KubectlSandbox;

beforeAll(async () => {
  k = await KubectlSandbox.start({ clock: { timeScale: 100 } });
  await k.create([
    namespace(NS),
    deployment(NS, 'web', { replicas: 2 }),
    service(NS, 'web', 80),
    configMap(NS, 'web-config', { 'app.yaml': 'port: 8080\n', LOG_LEVEL: 'info' }),
    secret(NS, 'web-db', { username: 'shop', password: 's3cr3t' }),
    statefulSet(NS, 'db', { replicas: 1 }),
    daemonSet(NS, 'agent'),
    job(NS, 'migrate'),
    cronJob(NS, 'backup', '0 2 * * *'),
    lease(NS, 'incident-lock', 'incident-0001'),
  ]);
  await untilReady('deployments.apps', 'web', 'availableReplicas', 2);
});

afterAll(async () => {
  await k?.stop();
});

/** Waits until a workload's status counter reaches `want` (the controllers work in the background). */
function untilReady(storageKey: string, name: string, field: string, want: number): Promise<true> {
  return eventually(`${storageKey} ${name} to have ${field} >= ${want}`, () => {
    const status = k.sandbox.store.get(types[storageKey], NS, name)?.status as
      Record<string, number> | undefined;
    return (status?.[field] ?? 0) >= want ? true : undefined;
  });
}

describe('kubectl get prints the server-side table of every type', () => {
  it('nodes', async () => {
    // Act
    const out = await k.ok(['get', 'nodes']);

    // Assess
    expect(headerOf(out)).toBe('NAME STATUS ROLES AGE VERSION');
    const rows = parseTable(out);
    expect(rows).toHaveLength(3);
    for (const r of rows) {
      expect(r).toMatchObject({ STATUS: 'Ready', ROLES: '<none>', VERSION: 'v1.32.3-eks-473151a' });
      expect(r.AGE).toMatch(AGE);
    }
  });

  it('nodes -o wide', async () => {
    // Act
    const out = await k.ok(['get', 'nodes', '-o', 'wide']);

    // Assess
    expect(headerOf(out)).toBe(
      'NAME STATUS ROLES AGE VERSION INTERNAL-IP EXTERNAL-IP OS-IMAGE KERNEL-VERSION CONTAINER-RUNTIME',
    );
    expect(parseTable(out)[0]).toMatchObject({
      'INTERNAL-IP': '10.0.1.20',
      'CONTAINER-RUNTIME': 'containerd://1.7.27',
    });
  });

  it('namespaces', async () => {
    // Act
    const out = await k.ok(['get', 'namespaces']);

    // Assess
    expect(headerOf(out)).toBe('NAME STATUS AGE');
    expect(parseTable(out).map((r) => [r.NAME, r.STATUS])).toEqual([
      ['default', 'Active'],
      ['kube-node-lease', 'Active'],
      ['kube-public', 'Active'],
      ['kube-system', 'Active'],
      [NS, 'Active'],
    ]);
  });

  it('pods of a deployment', async () => {
    // Act
    const out = await k.ok(['get', 'pods', '-n', NS, '-l', 'app=web']);

    // Assess
    expect(headerOf(out)).toBe('NAME READY STATUS RESTARTS AGE');
    const rows = parseTable(out);
    expect(rows).toHaveLength(2);
    for (const r of rows) {
      expect(r).toMatchObject({ READY: '1/1', STATUS: 'Running', RESTARTS: '0' });
      expect(r.NAME).toMatch(/^web-[a-z0-9]{8,10}-[a-z0-9]{5}$/);
    }
  });

  it('pods of a statefulset, a daemonset and a finished job', async () => {
    // Prepare
    await untilReady('statefulsets.apps', 'db', 'readyReplicas', 1);
    await untilReady('daemonsets.apps', 'agent', 'numberReady', 3);
    await untilReady('jobs.batch', 'migrate', 'succeeded', 1);

    // Act
    const out = await k.ok(['get', 'pods', '-n', NS, '-l', 'app!=web']);

    // Assess
    const rows = parseTable(out);
    expect(rows.find((r) => r.NAME === 'db-0')).toMatchObject({ READY: '1/1', STATUS: 'Running' });
    expect(rows.filter((r) => r.NAME.startsWith('agent-'))).toHaveLength(3);
    expect(rows.find((r) => r.NAME.startsWith('migrate-'))).toMatchObject({
      READY: '0/1',
      STATUS: 'Completed',
    });
  });

  it('pods -o wide shows IP, node, nominated node and readiness gates', async () => {
    // Act
    const out = await k.ok(['get', 'pods', '-n', NS, '-l', 'app=web', '-o', 'wide']);

    // Assess
    expect(headerOf(out)).toBe('NAME READY STATUS RESTARTS AGE IP NODE NOMINATED NODE READINESS GATES');
    for (const r of parseTable(out)) {
      expect(r.IP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(r.NODE).toMatch(/\.eu-west-1\.compute\.internal$/);
      expect(r).toMatchObject({ 'NOMINATED NODE': '<none>', 'READINESS GATES': '<none>' });
    }
  });

  it('deployments', async () => {
    // Act
    const out = await k.ok(['get', 'deployments', '-n', NS]);

    // Assess
    expect(headerOf(out)).toBe('NAME READY UP-TO-DATE AVAILABLE AGE');
    expect(parseTable(out)).toEqual([
      { NAME: 'web', READY: '2/2', 'UP-TO-DATE': '2', AVAILABLE: '2', AGE: expect.stringMatching(AGE) },
    ]);
  });

  it('replicasets -o wide', async () => {
    // Act
    const out = await k.ok(['get', 'rs', '-n', NS, '-o', 'wide']);

    // Assess
    expect(headerOf(out)).toBe('NAME DESIRED CURRENT READY AGE CONTAINERS IMAGES SELECTOR');
    const [rs] = parseTable(out);
    expect(rs).toMatchObject({
      DESIRED: '2',
      CURRENT: '2',
      READY: '2',
      CONTAINERS: 'app',
      IMAGES: 'registry.example.com/web:1.0.0',
    });
    expect(rs.SELECTOR).toMatch(/^app=web,pod-template-hash=[a-z0-9]+$/);
  });

  it('statefulsets, daemonsets and controllerrevisions', async () => {
    // Prepare
    await untilReady('statefulsets.apps', 'db', 'readyReplicas', 1);
    await untilReady('daemonsets.apps', 'agent', 'numberReady', 3);

    // Act
    const sts = await k.ok(['get', 'statefulsets', '-n', NS]);
    const ds = await k.ok(['get', 'daemonsets', '-n', NS]);
    const revisions = await k.ok(['get', 'controllerrevisions', '-n', NS]);

    // Assess
    expect(headerOf(sts)).toBe('NAME READY AGE');
    expect(parseTable(sts)[0]).toMatchObject({ NAME: 'db', READY: '1/1' });
    expect(headerOf(ds)).toBe('NAME DESIRED CURRENT READY UP-TO-DATE AVAILABLE NODE SELECTOR AGE');
    expect(parseTable(ds)[0]).toMatchObject({
      NAME: 'agent',
      DESIRED: '3',
      CURRENT: '3',
      READY: '3',
      'UP-TO-DATE': '3',
      AVAILABLE: '3',
      'NODE SELECTOR': '<none>',
    });
    expect(headerOf(revisions)).toBe('NAME CONTROLLER REVISION AGE');
    expect(
      parseTable(revisions)
        .map((r) => [r.CONTROLLER, r.REVISION])
        .sort(),
    ).toEqual([
      ['daemonset.apps/agent', '1'],
      ['statefulset.apps/db', '1'],
    ]);
  });

  it('jobs and cronjobs', async () => {
    // Prepare
    await untilReady('jobs.batch', 'migrate', 'succeeded', 1);

    // Act
    const jobs = await k.ok(['get', 'jobs', '-n', NS]);
    const cronJobs = await k.ok(['get', 'cronjobs', '-n', NS]);

    // Assess
    expect(headerOf(jobs)).toBe('NAME STATUS COMPLETIONS DURATION AGE');
    expect(parseTable(jobs)[0]).toMatchObject({ NAME: 'migrate', STATUS: 'Complete', COMPLETIONS: '1/1' });
    expect(parseTable(jobs)[0].DURATION).toMatch(AGE);
    expect(headerOf(cronJobs)).toBe('NAME SCHEDULE TIMEZONE SUSPEND ACTIVE LAST SCHEDULE AGE');
    expect(parseTable(cronJobs)[0]).toMatchObject({
      NAME: 'backup',
      SCHEDULE: '0 2 * * *',
      TIMEZONE: '<none>',
      SUSPEND: 'False',
      ACTIVE: '0',
    });
  });

  it('services, configmaps, secrets and leases', async () => {
    // Act
    const svc = await k.ok(['get', 'svc', '-n', NS]);
    const cm = await k.ok(['get', 'cm', '-n', NS]);
    const secrets = await k.ok(['get', 'secrets', '-n', NS]);
    const leases = await k.ok(['get', 'leases', '-n', NS]);

    // Assess
    expect(headerOf(svc)).toBe('NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE');
    expect(parseTable(svc)[0]).toMatchObject({
      NAME: 'web',
      TYPE: 'ClusterIP',
      'EXTERNAL-IP': '<none>',
      'PORT(S)': '80/TCP',
    });
    expect(parseTable(svc)[0]['CLUSTER-IP']).toMatch(/^172\.20\.\d+\.\d+$/);
    expect(headerOf(cm)).toBe('NAME DATA AGE');
    // Every namespace also holds the kube-root-ca.crt ConfigMap, as on a real cluster.
    expect(parseTable(cm)).toEqual([
      expect.objectContaining({ NAME: 'kube-root-ca.crt', DATA: '1' }),
      expect.objectContaining({ NAME: 'web-config', DATA: '2' }),
    ]);
    expect(headerOf(secrets)).toBe('NAME TYPE DATA AGE');
    expect(parseTable(secrets)[0]).toMatchObject({ NAME: 'web-db', TYPE: 'Opaque', DATA: '2' });
    expect(headerOf(leases)).toBe('NAME HOLDER AGE');
    expect(parseTable(leases)[0]).toMatchObject({ NAME: 'incident-lock', HOLDER: 'incident-0001' });
  });

  it('replicationcontrollers (served, always empty)', async () => {
    // Act
    const result = await k.run(['get', 'rc', '-n', NS]);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`No resources found in ${NS} namespace.\n`);
  });

  it('events in both API versions', async () => {
    // Act
    const core = await k.ok(['get', 'events', '-n', NS]);
    const v1 = await k.ok(['get', 'events.v1.events.k8s.io', '-n', NS]);

    // Assess
    for (const out of [core, v1]) {
      expect(headerOf(out)).toBe('LAST SEEN TYPE REASON OBJECT MESSAGE');
      expect(parseTable(out)).toContainEqual(
        expect.objectContaining({ TYPE: 'Normal', REASON: 'ScalingReplicaSet', OBJECT: 'deployment/web' }),
      );
    }
  });

  it('all, which expands the "all" category', async () => {
    // Prepare
    await untilReady('statefulsets.apps', 'db', 'readyReplicas', 1);

    // Act
    const out = await k.ok(['get', 'all', '-n', NS]);

    // Assess
    for (const name of [
      'service/web',
      'deployment.apps/web',
      'statefulset.apps/db',
      'daemonset.apps/agent',
    ]) {
      expect(out).toContain(name);
    }
    expect(out).toContain('cronjob.batch/backup');
    expect(out).toContain('job.batch/migrate');
  });
});

describe('kubectl get output formats and scopes', () => {
  it('-o json returns a List of full objects', async () => {
    // Act
    const out = await k.ok(['get', 'deployments', '-n', NS, '-o', 'json']);

    // Assess
    const list = JSON.parse(out);
    expect(list).toMatchObject({ apiVersion: 'v1', kind: 'List' });
    expect(list.items).toHaveLength(1);
    expect(list.items[0]).toMatchObject({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: NS },
      status: { readyReplicas: 2, availableReplicas: 2 },
    });
  });

  it('-o json of one object returns the object', async () => {
    // Act
    const out = await k.ok(['get', 'secret', 'web-db', '-n', NS, '-o', 'json']);

    // Assess
    const obj = JSON.parse(out);
    expect(obj).toMatchObject({ apiVersion: 'v1', kind: 'Secret', type: 'Opaque' });
    expect(Buffer.from(obj.data.password, 'base64').toString()).toBe('s3cr3t');
  });

  it('-A lists every namespace with a NAMESPACE column', async () => {
    // Act
    const out = await k.ok(['get', 'deployments,configmaps', '-A']);

    // Assess
    expect(out).toMatch(/^NAMESPACE\s+NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE/);
    expect(out).toMatch(new RegExp(`^${NS}\\s+deployment\\.apps/web\\s+2/2`, 'm'));
    expect(out).toMatch(new RegExp(`^${NS}\\s+configmap/web-config\\s+2`, 'm'));
  });

  it('-o name and a label selector', async () => {
    // Prepare
    await untilReady('statefulsets.apps', 'db', 'readyReplicas', 1);
    await untilReady('daemonsets.apps', 'agent', 'numberReady', 3);

    // Act
    const out = await k.ok(['get', 'pods', '-n', NS, '-l', 'app in (db, agent)', '-o', 'name']);

    // Assess
    const names = out.trim().split('\n');
    expect(names).toHaveLength(4);
    expect(names).toContain('pod/db-0');
    expect(names.every((n) => n === 'pod/db-0' || n.startsWith('pod/agent-'))).toBe(true);
  });

  it('a field selector', async () => {
    // Prepare
    await untilReady('jobs.batch', 'migrate', 'succeeded', 1);

    // Act
    const out = await k.ok([
      'get',
      'pods',
      '-n',
      NS,
      '--field-selector',
      'status.phase=Succeeded',
      '-o',
      'name',
    ]);

    // Assess
    expect(out.trim()).toMatch(/^pod\/migrate-[a-z0-9]{5}$/);
  });
});

describe('kubectl reports bad requests as a real cluster would', () => {
  it('an unknown resource type', async () => {
    // Act
    const result = await k.run(['get', 'widgets', '-n', NS]);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: the server doesn\'t have a resource type "widgets"');
  });

  it('an unknown object', async () => {
    // Act
    const result = await k.run(['get', 'deployment', 'nope', '-n', NS]);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('Error from server (NotFound): deployments.apps "nope" not found\n');
  });

  it('a bad label selector', async () => {
    // Act
    const result = await k.run(['get', 'pods', '-n', NS, '-l', 'app in (web']);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Error from server (BadRequest)');
    expect(result.stderr).toContain('unable to parse requirement');
  });

  it('a replace with a stale resourceVersion', async () => {
    // Prepare
    const stale = await k.ok(['get', 'configmap', 'web-config', '-n', NS, '-o', 'json']);
    await k.ok(['label', 'configmap', 'web-config', '-n', NS, 'touched=yes']);

    // Act
    const result = await k.run(['replace', '--validate=false', '-f', '-'], stale);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'Error from server (Conflict): error when replacing "STDIN": Operation cannot be fulfilled on configmaps "web-config": the object has been modified; please apply your changes to the latest version and try again',
    );
  });

  it('a patch body that does not match its patch type', async () => {
    // Act
    const result = await k.run([
      'patch',
      'deployment',
      'web',
      '-n',
      NS,
      '--type=json',
      '-p',
      '{"spec":{"replicas":3}}',
    ]);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'Error from server (BadRequest): json: cannot unmarshal object into Go value of type jsonpatch.Patch',
    );
  });

  it('a JSON patch whose path does not exist', async () => {
    // Act
    const result = await k.run([
      'patch',
      'deployment',
      'web',
      '-n',
      NS,
      '--type=json',
      '-p',
      '[{"op":"replace","path":"/spec/nope/replicas","value":3}]',
    ]);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('The request is invalid');
  });

  it('a create of an object that already exists', async () => {
    // Act
    const result = await k.run(
      ['create', '--validate=false', '-f', '-'],
      JSON.stringify(configMap(NS, 'web-config', {})),
    );

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'Error from server (AlreadyExists): error when creating "STDIN": configmaps "web-config" already exists',
    );
  });
});
