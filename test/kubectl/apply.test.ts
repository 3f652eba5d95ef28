import { stringify as toYaml } from 'yaml';
import { KubectlSandbox } from '../support/kubectl';
import { configMap, namespace } from '../support/manifests';

// Which ways of writing objects kubectl can use against the sandbox. Controllers are off:
// only the API matters here.
const NS = 'one-data-studio';
let k: KubectlSandbox;

beforeAll(async () => {
  k = await KubectlSandbox.start({ controllers: false, clock: { mode: 'manual' } });
  await k.create([namespace(NS)]);
});

afterAll(async () => {
  await k?.stop();
});

describe('kubectl apply (client-side)', () => {
  it('creates, then patches with the last-applied configuration', async () => {
    // Prepare ('on' would not do: kubectl reads YAML 1.1, where it is a boolean, and the server
    // refuses a boolean in a ConfigMap's data)
    const v1 = toYaml(configMap(NS, 'studio-config', { LOG_LEVEL: 'info', FEATURE_X: 'enabled' }));
    const v2 = toYaml(configMap(NS, 'studio-config', { LOG_LEVEL: 'debug' }));

    // Act
    const created = await k.ok(['apply', '--validate=false', '-f', '-'], v1);
    const configured = await k.ok(['apply', '--validate=false', '-f', '-'], v2);
    const unchanged = await k.ok(['apply', '--validate=false', '-f', '-'], v2);

    // Assess
    expect(created).toBe('configmap/studio-config created\n');
    expect(configured).toBe('configmap/studio-config configured\n');
    expect(unchanged).toBe('configmap/studio-config unchanged\n');
    const live = JSON.parse(await k.ok(['get', 'configmap', 'studio-config', '-n', NS, '-o', 'json']));
    // FEATURE_X was in the last applied configuration and not in the new one: apply removes it.
    expect(live.data).toEqual({ LOG_LEVEL: 'debug' });
    expect(
      JSON.parse(live.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']),
    ).toMatchObject({
      data: { LOG_LEVEL: 'debug' },
    });
  });
});

describe('what the sandbox refuses, with a message saying what to do instead', () => {
  it('server-side apply', async () => {
    // Prepare
    const manifest = toYaml(configMap(NS, 'ssa', { a: '1' }));
    await k.ok(['create', '--validate=false', '-f', '-'], manifest);

    // Act
    const result = await k.run(['apply', '--server-side', '--validate=false', '-f', '-'], manifest);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'server-side apply (application/apply-patch+yaml) is not implemented by the sandbox',
    );
  });

  it('generator commands, which send protobuf', async () => {
    // Act
    const result = await k.run(['create', 'configmap', 'generated', '-n', NS, '--from-literal=a=b']);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('the sandbox accepts JSON request bodies only');
  });
});
