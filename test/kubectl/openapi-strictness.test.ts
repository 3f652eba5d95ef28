import { stringify as toYaml } from 'yaml';
import { types } from '../../local/kube-sandbox/runtime';
import type { KubeObject } from '../../local/kube-sandbox/store';
import { configMap, deployment, job, namespace } from '../support/manifests';
import { KubectlSandbox, parseTable } from '../support/kubectl';
import { eventually } from '../support/polling';

// What kubectl needs the OpenAPI documents for (explain, validation on create and apply),
// the server-side field validation it relies on, selectors on defaulted fields, and the
// kubelet failures a responder reads with describe and logs.
const NS = 'one-data-studio';
let k: KubectlSandbox;

beforeAll(async () => {
  k = await KubectlSandbox.start({ clock: { timeScale: 100 } });
  await k.ok(['create', '-f', '-'], toYaml(namespace(NS)));
});

afterAll(async () => {
  await k?.stop();
});

const yamlOf = (obj: KubeObject): string => toYaml(obj);

describe('kubectl explain', () => {
  it('describes deployment.spec from the served OpenAPI v3 document', async () => {
    // Act
    const out = await k.ok(['explain', 'deployment.spec']);

    // Assess
    expect(out).toContain('GROUP:      apps\nKIND:       Deployment\nVERSION:    v1\n');
    expect(out).toContain('FIELD: spec <DeploymentSpec>');
    expect(out).toMatch(/progressDeadlineSeconds\s+<integer>/);
    expect(out).toMatch(/template\s+<PodTemplateSpec> -required-/);
  });

  it('follows references down to a container field', async () => {
    // Act
    const out = await k.ok(['explain', 'pods.spec.containers.livenessProbe']);

    // Assess
    expect(out).toContain('FIELD: livenessProbe <Probe>');
    expect(out).toMatch(/httpGet\s+<HTTPGetAction>/);
  });
});

describe('create and apply with kubectl validation on (no --validate=false)', () => {
  it('creates and applies objects', async () => {
    // Act
    const created = await k.ok(['create', '-f', '-'], yamlOf(configMap(NS, 'created', { a: '1' })));
    const applied = await k.ok(['apply', '-f', '-'], yamlOf(deployment(NS, 'studio-api', { replicas: 1 })));
    const reapplied = await k.ok(['apply', '-f', '-'], yamlOf(deployment(NS, 'studio-api', { replicas: 2 })));

    // Assess
    expect(created).toBe('configmap/created created\n');
    expect(applied).toBe('deployment.apps/studio-api created\n');
    expect(reapplied).toBe('deployment.apps/studio-api configured\n');
  });

  it('a container removed from the manifest is removed (kubectl merges lists by their keys)', async () => {
    // Prepare: the v3 documents offer no strategic merge patch (the schema has no patch
    // strategies), so kubectl computes the patch from its own types, merge keys included.
    const twoContainers = deployment(NS, 'sidecar-api', { replicas: 1 });
    const template = (twoContainers.spec as { template: { spec: { containers: object[] } } }).template;
    template.spec.containers.push({ name: 'sidecar', image: 'busybox:1.36' });
    await k.ok(['apply', '-f', '-'], yamlOf(twoContainers));

    // Act
    await k.ok(['apply', '-f', '-'], yamlOf(deployment(NS, 'sidecar-api', { replicas: 1 })));

    // Assess
    const names = await k.ok([
      'get',
      'deployment',
      'sidecar-api',
      '-n',
      NS,
      '-o',
      'jsonpath={.spec.template.spec.containers[*].name}',
    ]);
    expect(names).toBe('app');
  });

  it('refuses an unknown field with the server strict decoding error', async () => {
    // Prepare
    const manifest = deployment(NS, 'typo', { replicas: 1 });
    (manifest.spec as Record<string, unknown>).replica = 3;

    // Act
    const result = await k.run(['apply', '-f', '-'], yamlOf(manifest));

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'Error from server (BadRequest): error when creating "STDIN": Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.replica"',
    );
    expect(k.sandbox.store.list(types['deployments.apps'], NS).map((d) => d.metadata.name)).not.toContain(
      'typo',
    );
  });

  it('a List is validated by kubectl itself against /openapi/v2: unknown fields and wrong types refused', async () => {
    // Prepare: kubectl validates what no v3 PATCH operation covers (kind: List) client-side
    const listed = deployment(NS, 'listed', { replicas: 1 });
    (listed.spec as Record<string, unknown>).replicas = 'two';
    const list = {
      apiVersion: 'v1',
      kind: 'List',
      items: [{ ...configMap(NS, 'listed', { a: '1' }), extra: true }, listed],
    };

    // Act
    const refused = await k.run(['apply', '-f', '-'], toYaml(list));
    const applied = await k.run(
      ['apply', '-f', '-'],
      toYaml({ ...list, items: [configMap(NS, 'listed', { a: '1' })] }),
    );

    // Assess
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'ValidationError(ConfigMap): unknown field "extra" in io.k8s.api.core.v1.ConfigMap',
    );
    expect(refused.stderr).toContain(
      'ValidationError(Deployment.spec.replicas): invalid type for io.k8s.api.apps.v1.DeploymentSpec.replicas: got "string", expected "integer"',
    );
    expect(applied.stdout).toBe('configmap/listed created\n');
  });

  it('explain reads the v2 document too (--output plaintext-openapiv2)', async () => {
    // Act
    const out = await k.ok(['explain', 'deployment.spec.replicas', '--output', 'plaintext-openapiv2']);

    // Assess
    expect(out).toContain('FIELD:    replicas <integer>');
    expect(out).toContain('Number of desired pods.');
  });

  it('--validate=warn drops the unknown field with a warning', async () => {
    // Prepare
    const manifest = configMap(NS, 'warned', { a: '1' });
    (manifest.metadata as Record<string, unknown>).lables = { app: 'x' };

    // Act
    const result = await k.run(['apply', '--validate=warn', '-f', '-'], yamlOf(manifest));

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('configmap/warned created\n');
    expect(result.stderr).toContain('Warning: unknown field "metadata.lables"');
  });
});

describe('field selectors on defaulted fields', () => {
  it('matches nodes that never set spec.unschedulable with spec.unschedulable=false', async () => {
    // Act
    const out = await k.ok(['get', 'nodes', '--field-selector', 'spec.unschedulable=false', '-o', 'name']);

    // Assess
    expect(out.trim().split('\n')).toHaveLength(3);
  });

  it('matches a Job with no succeeded pods yet by status.successful=0', async () => {
    // Prepare
    const stuck = job(NS, 'stuck-migration');
    (stuck.spec as Record<string, unknown>).suspend = true;
    await k.ok(['create', '-f', '-'], yamlOf(stuck));

    // Act
    const zero = await k.ok([
      'get',
      'jobs',
      '-n',
      NS,
      '--field-selector',
      'status.successful=0',
      '-o',
      'name',
    ]);
    const one = await k.run(['get', 'jobs', '-n', NS, '--field-selector', 'status.successful=1']);
    const unsupported = await k.run(['get', 'jobs', '-n', NS, '--field-selector', 'spec.suspend=true']);

    // Assess
    expect(zero).toBe('job.batch/stuck-migration\n');
    expect(one.stderr).toBe(`No resources found in ${NS} namespace.\n`);
    expect(unsupported.stderr).toContain('field label not supported: spec.suspend');
  });
});

describe('kubelet failures through describe and logs', () => {
  it('describe pod shows CreateContainerConfigError and the kubelet events', async () => {
    // Prepare
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'needs-config', namespace: NS },
      spec: {
        containers: [
          {
            name: 'app',
            image: 'registry.example.com/studio-api:1.0.0',
            envFrom: [{ configMapRef: { name: 'studio-api-config' } }],
          },
        ],
      },
    };
    await k.ok(['apply', '-f', '-'], toYaml(pod));

    // Act
    const described = await eventually('CreateContainerConfigError in describe', async () => {
      const out = await k.ok(['describe', 'pod', 'needs-config', '-n', NS]);
      return out.includes('Error: configmap "studio-api-config" not found') ? out : undefined;
    });
    const table = parseTable(await k.ok(['get', 'pod', 'needs-config', '-n', NS]));

    // Assess
    expect(described).toMatch(/State:\s+Waiting\n\s+Reason:\s+CreateContainerConfigError/);
    expect(described).toMatch(
      /Warning\s+Failed\s+\S+( \(x\d+ over \S+\))?\s+kubelet\s+Error: configmap "studio-api-config" not found/,
    );
    expect(described).toMatch(/Normal\s+Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned/);
    expect(table[0].STATUS).toBe('CreateContainerConfigError');
  });

  it('logs --previous shows what a liveness-killed container printed', async () => {
    // Prepare
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'hangs',
        namespace: NS,
        annotations: {
          'sandbox.eks-incident.dev/behavior': JSON.stringify({
            app: {
              mode: 'liveness-failure',
              runSeconds: 20,
              logs: ['INFO:     Uvicorn running on http://0.0.0.0:8080 (Press CTRL+C to quit)'],
            },
          }),
        },
      },
      spec: {
        containers: [
          {
            name: 'app',
            image: 'registry.example.com/studio-api:1.0.0',
            livenessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 5 },
          },
        ],
      },
    };
    await k.ok(['apply', '-f', '-'], toYaml(pod));

    // Act
    const previous = await eventually('a restart after the liveness kill', async () => {
      const result = await k.run(['logs', 'hangs', '-n', NS, '--previous']);
      return result.code === 0 ? result.stdout : undefined;
    });
    const events = await k.ok(['events', '-n', NS, '--for', 'pod/hangs']);

    // Assess
    expect(previous).toBe('INFO:     Uvicorn running on http://0.0.0.0:8080 (Press CTRL+C to quit)\n');
    expect(events).toContain('Liveness probe failed: HTTP probe failed with statuscode: 500');
    expect(events).toContain('Container app failed liveness probe, will be restarted');
  });
});
