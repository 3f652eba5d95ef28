import { types } from '../../local/kube-sandbox/runtime';
import type { KubeObject } from '../../local/kube-sandbox/store';
import { deployment, namespace, service } from '../support/manifests';
import { KubectlSandbox, headerOf, parseTable } from '../support/kubectl';
import { eventually } from '../support/polling';

// The platform types (service accounts, endpoints, storage, ingress, policy, RBAC), drain with a
// PodDisruptionBudget, cordon and `auth can-i`, through the installed kubectl.
const NS = 'shop';
let k: KubectlSandbox;

function claim(name: string, storageClassName?: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: NS },
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '5Gi' } },
      ...(storageClassName !== undefined ? { storageClassName } : {}),
    },
  };
}

function budget(name: string, minAvailable: number): KubeObject {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name, namespace: NS },
    spec: { minAvailable, selector: { matchLabels: { app: name } } },
  };
}

const extras: KubeObject[] = [
  {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: { name: 'alb' },
    spec: { controller: 'ingress.k8s.aws/alb' },
  },
  {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'web', namespace: NS },
    spec: {
      ingressClassName: 'alb',
      rules: [
        {
          host: 'shop.example.com',
          http: {
            paths: [
              { path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } },
            ],
          },
        },
      ],
    },
  },
  {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'web-ingress', namespace: NS },
    spec: { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'] },
  },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: 'pod-reader', namespace: NS },
    rules: [{ apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list', 'watch'] }],
  },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'alice-reads-pods', namespace: NS },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice' }],
  },
];

beforeAll(async () => {
  k = await KubectlSandbox.start({ clock: { timeScale: 100 } });
  await k.create([
    namespace(NS),
    deployment(NS, 'web', { replicas: 3 }),
    service(NS, 'web', 80),
    deployment(NS, 'stuck', { replicas: 1, behavior: { app: { mode: 'not-ready' } } }),
    service(NS, 'stuck', 80),
    budget('web', 3),
    claim('data'),
    claim('fast-data', 'fast'),
    ...extras,
  ]);
  await eventually('web to have 3 ready endpoints', () => {
    const ep = k.sandbox.store.get(types.endpoints, NS, 'web');
    const addresses = (ep?.subsets as Array<{ addresses?: unknown[] }> | undefined)?.[0]?.addresses ?? [];
    return addresses.length === 3 ? true : undefined;
  });
});

afterAll(async () => {
  await k?.stop();
});

describe('kubectl get prints the server-side table of the platform types', () => {
  it.each([
    [['get', 'serviceaccounts', '-n', NS], 'NAME SECRETS AGE', 'default'],
    [['get', 'endpoints', '-n', NS], 'NAME ENDPOINTS AGE', 'web'],
    [['get', 'endpointslices', '-n', NS], 'NAME ADDRESSTYPE PORTS ENDPOINTS AGE', 'web-'],
    [
      ['get', 'pvc', '-n', NS],
      'NAME STATUS VOLUME CAPACITY ACCESS MODES STORAGECLASS VOLUMEATTRIBUTESCLASS AGE',
      'data',
    ],
    [
      ['get', 'storageclasses'],
      'NAME PROVISIONER RECLAIMPOLICY VOLUMEBINDINGMODE ALLOWVOLUMEEXPANSION AGE',
      'gp3 (default)',
    ],
    [['get', 'ingress', '-n', NS], 'NAME CLASS HOSTS ADDRESS PORTS AGE', 'web'],
    [['get', 'ingressclasses'], 'NAME CONTROLLER PARAMETERS AGE', 'alb'],
    [['get', 'networkpolicies', '-n', NS], 'NAME POD-SELECTOR AGE', 'web-ingress'],
    [['get', 'pdb', '-n', NS], 'NAME MIN AVAILABLE MAX UNAVAILABLE ALLOWED DISRUPTIONS AGE', 'web'],
    [['get', 'roles', '-n', NS], 'NAME CREATED AT', 'pod-reader'],
    [['get', 'rolebindings', '-n', NS], 'NAME ROLE AGE', 'alice-reads-pods'],
    [['get', 'clusterroles'], 'NAME CREATED AT', 'cluster-admin'],
    [['get', 'clusterrolebindings'], 'NAME ROLE AGE', 'system:basic-user'],
    [
      ['get', 'leases', '-n', 'kube-node-lease'],
      'NAME HOLDER AGE',
      'ip-10-0-1-20.eu-west-1.compute.internal',
    ],
    [['get', 'configmaps', '-n', NS], 'NAME DATA AGE', 'kube-root-ca.crt'],
  ])('%j', async (args, header, name) => {
    // Act
    const out = await k.ok(args);

    // Assess
    expect(headerOf(out)).toBe(header);
    expect(parseTable(out).some((row) => row.NAME.startsWith(name))).toBe(true);
  });

  it('prints the endpoints of ready pods, the PDB status and the default class in their cells', async () => {
    // Act
    const endpoints = parseTable(await k.ok(['get', 'endpoints', '-n', NS]));
    const pdb = parseTable(await k.ok(['get', 'pdb', 'web', '-n', NS]));
    const classes = parseTable(await k.ok(['get', 'storageclasses']));

    // Assess
    expect(endpoints.find((r) => r.NAME === 'web')!.ENDPOINTS).toMatch(
      /^(\d+\.\d+\.\d+\.\d+:8080,){2}\d+\.\d+\.\d+\.\d+:8080$/,
    );
    expect(endpoints.find((r) => r.NAME === 'stuck')!.ENDPOINTS).toBe('');
    expect(pdb[0]).toMatchObject({
      'MIN AVAILABLE': '3',
      'MAX UNAVAILABLE': 'N/A',
      'ALLOWED DISRUPTIONS': '0',
    });
    expect(classes.find((r) => r.NAME === 'gp3 (default)')).toMatchObject({
      PROVISIONER: 'ebs.csi.aws.com',
      VOLUMEBINDINGMODE: 'WaitForFirstConsumer',
      ALLOWVOLUMEEXPANSION: 'true',
    });
  });
});

describe('kubectl describe reads like a real cluster', () => {
  it('svc: the addresses of ready pods, none for a Service whose pods are not ready', async () => {
    // Act
    const web = await k.ok(['describe', 'svc', 'web', '-n', NS]);
    const stuck = await k.ok(['describe', 'svc', 'stuck', '-n', NS]);

    // Assess
    expect(web).toMatch(
      /Endpoints:\s+\d+\.\d+\.\d+\.\d+:8080,\d+\.\d+\.\d+\.\d+:8080,\d+\.\d+\.\d+\.\d+:8080\n/,
    );
    expect(stuck).toMatch(/Endpoints:\s*\n/);
  });

  it('pvc: a claim whose class does not exist stays Pending with the PV controller event', async () => {
    // Act
    const out = await eventually('the ProvisioningFailed event', async () => {
      const text = await k.ok(['describe', 'pvc', 'fast-data', '-n', NS]);
      return text.includes('ProvisioningFailed') ? text : undefined;
    });

    // Assess
    expect(out).toMatch(/Status:\s+Pending/);
    expect(out).toMatch(/StorageClass:\s+fast/);
    expect(out).toMatch(
      /Warning\s+ProvisioningFailed\s+.*persistentvolume-controller\s+storageclass\.storage\.k8s\.io "fast" not found/,
    );
  });

  it('pvc: a WaitForFirstConsumer claim waits for its first pod', async () => {
    // Act
    const out = await eventually('the WaitForFirstConsumer event', async () => {
      const text = await k.ok(['describe', 'pvc', 'data', '-n', NS]);
      return text.includes('WaitForFirstConsumer') ? text : undefined;
    });

    // Assess
    expect(out).toMatch(/Status:\s+Pending/);
    expect(out).toMatch(/StorageClass:\s+gp3/);
    expect(out).toMatch(
      /Normal\s+WaitForFirstConsumer\s+.*waiting for first consumer to be created before binding/,
    );
  });
});

describe('cordon, drain and PodDisruptionBudgets', () => {
  it('cordons and uncordons a node', async () => {
    // Prepare
    const node = k.sandbox.store.list(types.nodes)[2].metadata.name!;

    // Act
    const cordoned = await k.ok(['cordon', node]);
    const status = parseTable(await k.ok(['get', 'node', node]))[0].STATUS;
    const uncordoned = await k.ok(['uncordon', node]);

    // Assess
    expect(cordoned.trim()).toBe(`node/${node} cordoned`);
    expect(status).toBe('Ready,SchedulingDisabled');
    expect(uncordoned.trim()).toBe(`node/${node} uncordoned`);
    expect(parseTable(await k.ok(['get', 'node', node]))[0].STATUS).toBe('Ready');
  });

  it('drain is refused while the budget allows no disruption, and succeeds once it does', async () => {
    // Prepare
    const pod = k.sandbox.store.list(types.pods, NS).find((p) => p.metadata.labels?.app === 'web')!;
    const node = (pod.spec as { nodeName: string }).nodeName;
    const drain = ['drain', node, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=3s'];

    // Act
    const blocked = await k.run(drain);
    await k.ok(['patch', 'pdb', 'web', '-n', NS, '--type=merge', '-p', '{"spec":{"minAvailable":2}}']);
    await eventually('the budget to allow a disruption', () =>
      (
        k.sandbox.store.get(types['poddisruptionbudgets.policy'], NS, 'web')?.status as {
          disruptionsAllowed?: number;
        }
      )?.disruptionsAllowed === 1
        ? true
        : undefined,
    );
    const drained = await k.run(drain);

    // Assess
    expect(blocked.code).not.toBe(0);
    expect(blocked.stderr).toContain(
      `error when evicting pods/"${pod.metadata.name}" -n "${NS}" (will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget.`,
    );
    expect(drained.code).toBe(0);
    expect(drained.stdout).toContain(`evicting pod ${NS}/${pod.metadata.name}`);
    expect(drained.stdout).toContain(`node/${node} drained`);
    expect(
      k.sandbox.store
        .list(types.pods, NS)
        .filter(
          (p) => (p.spec as { nodeName?: string }).nodeName === node && p.metadata.labels?.app === 'web',
        ),
    ).toEqual([]);
    await k.ok(['uncordon', node]);
  });
});

describe('kubectl auth can-i under --authorization rbac', () => {
  let rbac: KubectlSandbox;

  beforeAll(async () => {
    rbac = await KubectlSandbox.start({ authorization: 'rbac' });
    // kubectl sends no credentials over http: it is anonymous, and acts as others by impersonation.
    await rbac.ok(
      ['--as', 'admin', '--as-group', 'system:masters', 'create', '--validate=false', '-f', '-'],
      [namespace(NS), ...extras.slice(3)].map((o) => JSON.stringify(o)).join('\n'),
    );
  });

  afterAll(async () => {
    await rbac?.stop();
  });

  it('answers yes and no from the stored Role and RoleBinding', async () => {
    // Act
    const list = await rbac.run(['auth', 'can-i', 'list', 'pods', '-n', NS, '--as', 'alice']);
    const logs = await rbac.run([
      'auth',
      'can-i',
      'get',
      'pods',
      '--subresource',
      'log',
      '-n',
      NS,
      '--as',
      'alice',
    ]);
    const remove = await rbac.run(['auth', 'can-i', 'delete', 'pods', '-n', NS, '--as', 'alice']);
    const elsewhere = await rbac.run(['auth', 'can-i', 'list', 'pods', '-n', 'default', '--as', 'alice']);

    // Assess
    expect([list.code, list.stdout.trim()]).toEqual([0, 'yes']);
    expect([logs.code, logs.stdout.trim()]).toEqual([0, 'yes']);
    expect([remove.code, remove.stdout.trim()]).toEqual([1, 'no']);
    expect([elsewhere.code, elsewhere.stdout.trim()]).toEqual([1, 'no']);
  });

  it('lists the rules with --list', async () => {
    // Act
    const out = await rbac.ok(['auth', 'can-i', '--list', '-n', NS, '--as', 'alice']);

    // Assess
    expect(headerOf(out)).toBe('Resources Non-Resource URLs Resource Names Verbs');
    expect(out).toMatch(/\npods\s+\[\]\s+\[\]\s+\[get list watch\]\n/);
    expect(out).toMatch(/\npods\/log\s+\[\]\s+\[\]\s+\[get list watch\]\n/);
    expect(out).toMatch(/selfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]/);
  });

  it('refuses what no rule allows with the API server 403 message', async () => {
    // Act
    const result = await rbac.run(['get', 'secrets', '-n', NS, '--as', 'alice']);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `Error from server (Forbidden): secrets is forbidden: User "alice" cannot list resource "secrets" in API group "" in the namespace "${NS}"`,
    );
  });

  it('lets system:masters do anything', async () => {
    // Act
    const result = await rbac.run([
      'auth',
      'can-i',
      '*',
      '*',
      '--as',
      'root',
      '--as-group',
      'system:masters',
    ]);

    // Assess
    expect([result.code, result.stdout.trim()]).toEqual([0, 'yes']);
  });
});
