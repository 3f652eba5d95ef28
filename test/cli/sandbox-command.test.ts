import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { kubectlBinary } from '../kubectl/kubectl';

// The CLI as a user runs it: a real process, a real kubeconfig file, the real kubectl, and a
// signal to stop. tsx is started from node_modules/.bin (what `npx tsx` resolves to), since
// `npm exec` itself does not forward SIGINT/SIGTERM to the command it runs.
const ROOT = resolve(__dirname, '../..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');
const CLI = join(ROOT, 'bin/eks-incident.ts');
const run = promisify(execFile);

interface Cli {
  child: ChildProcessWithoutNullStreams;
  output(): { stdout: string; stderr: string };
  exited: Promise<number | null>;
}

function startCli(args: string[], cwd = ROOT): Cli {
  // Its own process group, so cleanup can kill tsx and the node process it started together.
  const child = spawn(TSX, [CLI, ...args], { cwd, stdio: 'pipe', detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolveExit) => child.on('exit', (code) => resolveExit(code)));
  return { child, output: () => ({ stdout, stderr }), exited };
}

/** Resolves once the CLI says it serves; fails with its output if it exits first. */
async function serving(cli: Cli, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void cli.exited.then((code) => (exitCode = code));
  while (!cli.output().stdout.includes('Press Ctrl+C to stop.')) {
    if (exitCode !== undefined || Date.now() > deadline) {
      throw new Error(`the CLI did not start serving (exit ${exitCode}):\n${JSON.stringify(cli.output())}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

let dir: string;
const running: Cli[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eks-incident-cli-'));
});

afterEach(async () => {
  for (const cli of running.splice(0)) {
    if (cli.child.exitCode === null) {
      process.kill(-cli.child.pid!, 'SIGKILL');
      await cli.exited;
    }
  }
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
    running.push(cli);
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
    running.push(cli);
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
    running.push(cli);
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
      running.push(cli);
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
    running.push(cli);
    const code = await cli.exited;

    // Assess
    expect(code).toBe(1);
    expect(cli.output().stderr).toContain(
      'eks-incident: unknown scenario "nope"; known scenarios: empty, demo, scale\n',
    );
  });
});

describe('eks-incident demo (npm start)', () => {
  it('serves the demo scenario with its kubeconfig in .data/kubeconfig', async () => {
    // Prepare
    const cli = startCli(['demo'], dir);
    running.push(cli);
    await serving(cli);
    const kubeconfig = join(dir, '.data', 'kubeconfig');

    // Act
    const { stdout: pods } = await run(
      kubectlBinary(),
      ['--kubeconfig', kubeconfig, 'get', 'cronjobs', '-n', 'one-data-infra', '-o', 'name'],
      { env: { ...process.env, KUBECACHEDIR: join(dir, 'cache') } },
    );
    cli.child.kill('SIGINT');
    const code = await cli.exited;

    // Assess
    expect(pods.trim().split('\n')).toEqual([
      'cronjob.batch/milvus-backup',
      'cronjob.batch/minio-mirror',
      'cronjob.batch/mysql-backup',
    ]);
    expect(cli.output().stdout).toContain(`export KUBECONFIG=${kubeconfig}`);
    expect(code).toBe(0);
  });
});
