import { stringify as toYaml } from 'yaml';
import type { KubeObject } from '../../local/kube-sandbox/store';
import { job, namespace } from '../helpers/manifests';
import { KubectlSandbox, eventually, parseTable } from './kubectl';

// Selectors on defaulted fields, and the kubelet failures a responder reads with describe
// and logs.
const NS = 'one-data-studio';
let k: KubectlSandbox;

beforeAll(async () => {
  k = await KubectlSandbox.start({ clock: { timeScale: 100 } });
  await k.ok(['create', '--validate=false', '-f', '-'], toYaml(namespace(NS)));
});

afterAll(async () => {
  await k?.stop();
});

const yamlOf = (obj: KubeObject): string => toYaml(obj);

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
    await k.ok(['create', '--validate=false', '-f', '-'], yamlOf(stuck));

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
    await k.ok(['apply', '--validate=false', '-f', '-'], toYaml(pod));

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
    await k.ok(['apply', '--validate=false', '-f', '-'], toYaml(pod));

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
