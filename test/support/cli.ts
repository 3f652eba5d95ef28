import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { Streams } from '../../local/cli/output';

// The CLI as a test runs it: in process with recording streams, or as a user runs it, a real
// process started from node_modules/.bin/tsx (what `npx tsx` resolves to; `npm exec` itself does
// not forward SIGINT/SIGTERM to the command it runs).

export const ROOT = resolve(__dirname, '../..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');
const CLI = join(ROOT, 'bin/eks-incident.ts');

export interface CliProcess {
  child: ChildProcessWithoutNullStreams;
  output(): { stdout: string; stderr: string };
  exited: Promise<number | null>;
}

export interface CliOptions {
  cwd?: string;
  /** Added to (or, with `undefined` values, removed from) the test's environment. */
  env?: Record<string, string | undefined>;
  /** Written to the process's stdin, which is then closed. */
  stdin?: string;
}

const running: CliProcess[] = [];

export function startCli(args: string[], options: CliOptions = {}): CliProcess {
  const env = { ...process.env, ...options.env };
  for (const [name, value] of Object.entries(options.env ?? {})) if (value === undefined) delete env[name];
  // Its own process group, so cleanup can kill tsx and the node process it started together.
  const child = spawn(TSX, [CLI, ...args], { cwd: options.cwd ?? ROOT, env, stdio: 'pipe', detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(options.stdin ?? '');
  const exited = new Promise<number | null>((resolveExit) => child.on('exit', (code) => resolveExit(code)));
  const cli = { child, output: () => ({ stdout, stderr }), exited };
  running.push(cli);
  return cli;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to its end. */
export async function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const cli = startCli(args, options);
  const code = await cli.exited;
  return { code, ...cli.output() };
}

/** Resolves once stdout contains `text`; fails with the output if the CLI exits first. */
export async function waitForStdout(cli: CliProcess, text: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void cli.exited.then((code) => (exitCode = code));
  while (!cli.output().stdout.includes(text)) {
    if (exitCode !== undefined || Date.now() > deadline) {
      throw new Error(`the CLI did not print "${text}" (exit ${exitCode}):\n${JSON.stringify(cli.output())}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Kills every CLI process still running (its whole process group). */
export async function stopAllClis(): Promise<void> {
  for (const cli of running.splice(0)) {
    if (cli.child.exitCode === null && cli.child.signalCode === null) {
      process.kill(-cli.child.pid!, 'SIGKILL');
      await cli.exited;
    }
  }
}

/** stdout and stderr of an in-process CLI run, as text; not a terminal. */
export function recordingStreams(): Streams & { stdout(): string; stderr(): string } {
  let out = '';
  let err = '';
  return {
    out: { write: (text: string) => void (out += text) },
    err: { write: (text: string) => void (err += text) },
    stdout: () => out,
    stderr: () => err,
  };
}
