import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { kubectlBinary } from '../support/kubectl';
import { startCli, stopAllClis, waitForStdout, type CliProcess } from '../support/cli';

// The CLI as a user runs it: a real process, a real kubeconfig file, the real kubectl, and a
// signal to stop.
const run = promisify(execFile);

/** Resolves once the CLI says it serves. */
function serving(cli: CliProcess): Promise<void> {
  return waitForStdout(cli, 'Press Ctrl+C to stop.');
}

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eks-incident-cli-'));
});

afterEach(async () => {
  await stopAllClis();
  await rm(dir, { recursive: true, force: true });
});

describe('eks-incident sandbox', () => {
  it('writes a kubeconfig kubectl uses, serves the scenario, and stops cleanly on SIGINT', async () => {
    // Prepare
    const kubeconfig = join(dir, 'nested', 'kubeconfig');
    const cli = startCli([
      'sandbox',
      '--port',
      '0',
      '--kubeconfig-out',
      kubeconfig,
      '--scenario',
      'demo',
      '--time-scale',
      '50',
    ]);
    await serving(cli);

    // Act
    const { stdout: deployments } = await run(
      kubectlBinary(),
      ['--kubeconfig', kubeconfig, 'get', 'deployments', '-n', 'one-data-alldata', '-o', 'name'],
      { env: { ...process.env, KUBECACHEDIR: join(dir, 'cache') } },
    );
    const server: string = parseYaml(await readFile(kubeconfig, 'utf8')).clusters[0].cluster.server;
    cli.child.kill('SIGINT');
    const code = await cli.exited;

    // Assess
    expect(deployments.trim().split('\n')).toEqual([
      'deployment.apps/alldata-api',
      'deployment.apps/kettle-worker',
    ]);
    const { stdout } = cli.output();
    expect(stdout).toContain(
      `Kubernetes sandbox listening on ${server}, scenario "demo" (time runs 50x faster)`,
    );
    expect(stdout).toContain(`export KUBECONFIG=${kubeconfig}`);
    expect(stdout).toContain('kubectl get pods -A');
    expect(code).toBe(0);
    expect(stdout.trimEnd().split('\n').slice(-2)).toEqual([
      'SIGINT: stopping the sandbox',
      'Sandbox stopped.',
    ]);
    await expect(fetch(`${server}/version`)).rejects.toThrow();
  });

  it('with --token, requires the token, which the kubeconfig carries', async () => {
    // Prepare
    const kubeconfig = join(dir, 'kubeconfig');
    const cli = startCli([
      'sandbox',
      '--port',
      '0',
      '--kubeconfig-out',
      kubeconfig,
      '--scenario',
      'empty',
      '--token',
      's3cret-token',
    ]);
    await serving(cli);
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);

    // Act
    const namespaces = await kc.makeApiClient(CoreV1Api).listNamespace();
    const anonymous = await fetch(`${kc.getCurrentCluster()!.server}/api/v1/namespaces`);

    // Assess
    expect(namespaces.items.map((n) => n.metadata!.name)).toContain('kube-system');
    expect(anonymous.status).toBe(401);
    expect(kc.getCurrentUser()!.token).toBe('s3cret-token');
    expect(cli.output().stdout).toContain('kubectl sends no\ncredentials over plain http');
  });

  it('with --authorization rbac and --token-auth-file, authorizes token users and kubectl impersonation by RBAC', async () => {
    // Prepare
    const kubeconfig = join(dir, 'kubeconfig');
    const tokenFile = join(dir, 'tokens.csv');
    await writeFile(tokenFile, '# token,user,uid,groups\nalice-token,alice,1001,"dev,oncall"\n');
    const cli = startCli([
      'sandbox',
      '--port',
      '0',
      '--kubeconfig-out',
      kubeconfig,
      '--scenario',
      'empty',
      '--authorization',
      'rbac',
      '--token-auth-file',
      tokenFile,
    ]);
    await serving(cli);
    const server: string = parseYaml(await readFile(kubeconfig, 'utf8')).clusters[0].cluster.server;

    // Act
    const asAlice = await fetch(`${server}/api/v1/namespaces/default/pods`, {
      headers: { authorization: 'Bearer alice-token' },
    });
    const { stdout: canI } = await run(
      kubectlBinary(),
      [
        '--kubeconfig',
        kubeconfig,
        'auth',
        'can-i',
        'list',
        'nodes',
        '--as',
        'root',
        '--as-group',
        'system:masters',
      ],
      { env: { ...process.env, KUBECACHEDIR: join(dir, 'cache') } },
    );

    // Assess
    expect(asAlice.status).toBe(403);
    expect(((await asAlice.json()) as { message: string }).message).toBe(
      'pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "default"',
    );
    expect(canI.trim()).toBe('yes');
    expect(cli.output().stdout).toContain('Requests are authorized by RBAC.');
  });

  it('stops cleanly on SIGTERM', async () => {
    // Prepare
    const cli = startCli([
      'sandbox',
      '--port',
      '0',
      '--kubeconfig-out',
      join(dir, 'kc'),
      '--scenario',
      'empty',
    ]);
    await serving(cli);

    // Act
    cli.child.kill('SIGTERM');
    const code = await cli.exited;

    // Assess
    expect(code).toBe(0);
    expect(cli.output().stdout).toContain('Sandbox stopped.');
  });

  it('fails with one line when the port is in use', async () => {
    // Prepare
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as AddressInfo).port;

    try {
      // Act
      const cli = startCli(['sandbox', '--port', String(port), '--kubeconfig-out', join(dir, 'kc')]);
      const code = await cli.exited;

      // Assess
      expect(code).toBe(1);
      expect(cli.output().stderr).toContain(
        `eks-incident: port ${port} is already in use; choose another with --port (0 picks a free one)\n`,
      );
      expect(existsSync(join(dir, 'kc'))).toBe(false);
    } finally {
      blocker.close();
    }
  });

  it('fails with one line for an unknown scenario', async () => {
    // Act
    const cli = startCli([
      'sandbox',
      '--port',
      '0',
      '--kubeconfig-out',
      join(dir, 'kc'),
      '--scenario',
      'nope',
    ]);
    const code = await cli.exited;

    // Assess
    expect(code).toBe(1);
    expect(cli.output().stderr).toContain(
      'eks-incident: unknown scenario "nope"; known scenarios: empty, demo, scale\n',
    );
  });
});
