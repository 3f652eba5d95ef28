import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { stringify as toYaml } from 'yaml';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../local/kube-sandbox/sandbox';
import type { KubeObject } from '../../local/kube-sandbox/store';

export class KubectlMissingError extends Error {
  constructor() {
    super(
      'kubectl is not on PATH. These tests run the real kubectl (1.32) against the sandbox; `.ci/run` installs it in CI. Install kubectl 1.32 locally (https://kubernetes.io/docs/tasks/tools/) and run the tests again.',
    );
    this.name = 'KubectlMissingError';
  }
}

export class KubectlFailedError extends Error {
  constructor(args: string[], result: KubectlResult) {
    super(
      `kubectl ${args.join(' ')} exited ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`,
    );
    this.name = 'KubectlFailedError';
  }
}

/** The kubectl binary on PATH; throws KubectlMissingError (failing the test) when there is none. */
export function kubectlBinary(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'kubectl');
    if (dir && existsSync(candidate)) return candidate;
  }
  throw new KubectlMissingError();
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Wall-clock limit of one kubectl run, so a hung command fails its test instead of the suite. */
const RUN_TIMEOUT_MS = 30_000;

/**
 * A sandbox with a kubeconfig in a temp dir, and a way to run the installed kubectl against
 * it. kubectl's discovery cache goes to the same temp dir, so nothing leaks into ~/.kube.
 */
export class KubectlSandbox {
  private constructor(
    readonly sandbox: Sandbox,
    readonly dir: string,
    readonly kubeconfig: string,
    private readonly binary: string,
  ) {}

  static async start(options: SandboxOptions = {}): Promise<KubectlSandbox> {
    const binary = kubectlBinary();
    const dir = await mkdtemp(join(tmpdir(), 'kubectl-sandbox-'));
    const sandbox = await startSandbox({ port: 0, ...options });
    const kubeconfig = join(dir, 'kubeconfig');
    await sandbox.writeKubeconfig(kubeconfig);
    return new KubectlSandbox(sandbox, dir, kubeconfig, binary);
  }

  /** Runs kubectl with `--kubeconfig`; never rejects for a non-zero exit (tests assert on it). */
  run(args: string[], input?: string): Promise<KubectlResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.binary, ['--kubeconfig', this.kubeconfig, ...args], {
        env: { ...process.env, KUBECONFIG: this.kubeconfig, KUBECACHEDIR: join(this.dir, 'cache') },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
      const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({
          code: code ?? (signal ? 128 : 1),
          stdout: Buffer.concat(stdout).toString('utf8'),
          stderr: Buffer.concat(stderr).toString('utf8'),
        });
      });
      child.stdin.end(input ?? '');
    });
  }

  /** Runs kubectl and returns its stdout; throws KubectlFailedError on a non-zero exit. */
  async ok(args: string[], input?: string): Promise<string> {
    const result = await this.run(args, input);
    if (result.code !== 0) throw new KubectlFailedError(args, result);
    return result.stdout;
  }

  /** `kubectl create -f -` with the objects as a YAML stream (validated as kubectl validates by default). */
  create(objects: KubeObject[]): Promise<string> {
    return this.ok(['create', '-f', '-'], objects.map((o) => toYaml(o)).join('---\n'));
  }

  async stop(): Promise<void> {
    await this.sandbox.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * Parses kubectl's human-readable table: columns start where their header starts (kubectl
 * aligns cells with a tabwriter), so empty cells and cells with spaces survive.
 */
export function parseTable(text: string): Array<Record<string, string>> {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) return [];
  const header = lines[0];
  const columns: Array<{ name: string; start: number }> = [];
  const pattern = /\S+(?: \S+)*/g;
  for (let m = pattern.exec(header); m; m = pattern.exec(header))
    columns.push({ name: m[0], start: m.index });
  return lines
    .slice(1)
    .map((line) =>
      Object.fromEntries(
        columns.map((c, i) => [c.name, line.slice(c.start, columns[i + 1]?.start ?? line.length).trim()]),
      ),
    );
}

/** The header line of a kubectl table, with the padding collapsed to one space. */
export function headerOf(text: string): string {
  return text
    .split('\n')[0]
    .trim()
    .replace(/\s{2,}/g, ' ');
}

/** An age as kubectl prints it (duration.HumanDuration). */
export const AGE = /^(\d+(s|m|h|d|y))+$/;
