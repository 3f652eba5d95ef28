import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { startSandbox, type Sandbox } from '../kube-sandbox/sandbox';
import { SCENARIOS } from '../kube-sandbox/scenarios';
import { CliError, PortInUseError } from './cli-error';
import type { Output } from './output';
import { readTokenAuthFile } from './token-auth-file';

export interface SandboxCommandOptions {
  port: number;
  /** Where to write the kubeconfig (parent directories are created). */
  kubeconfigOut: string;
  scenario: string;
  /** Sandbox seconds per wall second. */
  timeScale: number;
  /** Bearer token every request must carry; none when unset. */
  token?: string;
  /** `rbac` authorizes requests from the stored RBAC objects. */
  authorization?: 'rbac' | 'AlwaysAllow';
  /** A kube-apiserver static token file (`token,user,uid,"groups"`): more users for RBAC. */
  tokenAuthFile?: string;
}

/** Starts the sandbox and writes its kubeconfig; the caller decides how long it serves. */
export async function startSandboxCommand(options: SandboxCommandOptions, out: Output): Promise<Sandbox> {
  const scenario = SCENARIOS[options.scenario];
  if (!scenario) {
    throw new CliError(
      `unknown scenario "${options.scenario}"; known scenarios: ${Object.keys(SCENARIOS).join(', ')}`,
    );
  }
  const tokens = options.tokenAuthFile ? await readTokenAuthFile(options.tokenAuthFile) : undefined;
  let sandbox: Sandbox;
  try {
    sandbox = await startSandbox({
      port: options.port,
      scenario,
      clock: { timeScale: options.timeScale },
      token: options.token,
      tokens,
      ...(options.authorization === 'rbac' ? { authorization: 'rbac' as const } : {}),
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new PortInUseError(options.port);
    }
    throw error;
  }
  const kubeconfig = resolve(options.kubeconfigOut);
  await mkdir(dirname(kubeconfig), { recursive: true });
  await sandbox.writeKubeconfig(kubeconfig);
  out.write(usage(sandbox, options, kubeconfig));
  return sandbox;
}

function usage(sandbox: Sandbox, options: SandboxCommandOptions, kubeconfig: string): string {
  const scenario = SCENARIOS[options.scenario];
  const examples = scenario.examples ?? ['kubectl get nodes', 'kubectl get pods -A'];
  const speed = options.timeScale === 1 ? '' : ` (time runs ${options.timeScale}x faster)`;
  return [
    `Kubernetes sandbox listening on ${sandbox.url}, scenario "${scenario.name}"${speed}`,
    `  ${scenario.description}`,
    `Kubeconfig written to ${kubeconfig}`,
    '',
    'Point kubectl (or any Kubernetes client) at it:',
    `  export KUBECONFIG=${kubeconfig}`,
    ...examples.map((e) => `  ${e}`),
    '',
    'Create objects from manifests with `kubectl create -f FILE` or `kubectl apply -f FILE` (kubectl',
    "validates them against the sandbox's OpenAPI documents); generator commands such as `kubectl create",
    'configmap` send protobuf, which the sandbox does not decode.',
    '',
    ...(options.token
      ? [
          'Requests need `Authorization: Bearer <token>`. The kubeconfig carries the token, but kubectl sends no',
          'credentials over plain http (client-go uses a kubeconfig user only over TLS): with --token, use',
          '@kubernetes/client-node or curl; run without --token for kubectl.',
          '',
        ]
      : []),
    ...(options.authorization === 'rbac'
      ? [
          'Requests are authorized by RBAC. kubectl sends no credentials over plain http, so it is anonymous;',
          'act as a user with impersonation, e.g. `kubectl --as alice --as-group dev auth can-i list pods`',
          '(the sandbox:kubectl-impersonation ClusterRoleBinding lets anonymous impersonate).',
          '',
        ]
      : []),
    'Press Ctrl+C to stop.',
    '',
  ].join('\n');
}

/** Resolves on the first SIGINT or SIGTERM, after stopping the sandbox. */
export function serveUntilSignal(sandbox: Sandbox, out: Output): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      // A second Ctrl+C while stopping is ignored rather than killing the process mid-stop.
      process.on('SIGINT', ignore);
      process.on('SIGTERM', ignore);
      out.write(`\n${signal}: stopping the sandbox\n`);
      sandbox.stop().then(() => {
        out.write('Sandbox stopped.\n');
        resolvePromise();
      }, reject);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

function ignore(): void {}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError('must be an integer from 0 to 65535 (0 picks a free port)');
  }
  return port;
}

function parseAuthorization(value: string): 'rbac' | 'AlwaysAllow' {
  if (value !== 'rbac' && value !== 'AlwaysAllow')
    throw new InvalidArgumentError('must be rbac or AlwaysAllow');
  return value;
}

function parseTimeScale(value: string): number {
  const scale = Number(value);
  if (!(scale > 0) || !Number.isFinite(scale)) throw new InvalidArgumentError('must be a number > 0');
  return scale;
}

/** `eks-incident sandbox`: serve the Kubernetes sandbox on a port until interrupted. */
export function registerSandboxCommand(program: Command, out: Output): void {
  program
    .command('sandbox')
    .description(
      'Serve the built-in Kubernetes sandbox (a local API server with controllers) for kubectl and clients',
    )
    .option('--port <port>', 'TCP port on 127.0.0.1 (0 picks a free one)', parsePort, 8001)
    .requiredOption('--kubeconfig-out <file>', 'where to write a kubeconfig for the sandbox')
    .option(
      '--scenario <name>',
      `starting state: ${Object.values(SCENARIOS)
        .map((s) => s.name)
        .join(', ')}`,
      'demo',
    )
    .option('--time-scale <n>', 'sandbox seconds per wall-clock second', parseTimeScale, 1)
    .option('--token <token>', 'require this bearer token on every request')
    .option(
      '--authorization <mode>',
      'rbac: authorize requests from the stored RBAC objects',
      parseAuthorization,
    )
    .option(
      '--token-auth-file <file>',
      'bearer tokens and their users, as kube-apiserver reads them (token,user,uid,"groups")',
    )
    .action(async (options: SandboxCommandOptions) => {
      const sandbox = await startSandboxCommand(options, out);
      await serveUntilSignal(sandbox, out);
    });
}
