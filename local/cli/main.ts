import { Command, CommanderError } from 'commander';
import { CliError } from './cli-error';
import type { Streams } from './output';

/** Errors whose message already says what is wrong with the user's input or configuration. */
const USER_ERRORS = new Set(['ConfigurationError', 'InvalidInputError']);

/* eslint-disable @typescript-eslint/no-require-imports -- each command's module is loaded when used */
/**
 * Each command's registration, in the order `--help` lists them. A module is loaded only when its
 * command is registered: a command that does not need the Kubernetes client, the local engine or
 * the emulator (`evidence`, `report`, `sandbox`...) starts without loading them.
 */
const COMMANDS: Record<string, (program: Command, streams: Streams) => void> = {
  demo: (program, streams) =>
    (require('./demo-command') as typeof import('./demo-command')).registerDemoCommand(program, streams),
  run: (program, streams) =>
    (require('./run-command') as typeof import('./run-command')).registerRunCommand(program, streams),
  serve: (program, streams) =>
    (require('./serve-command') as typeof import('./serve-command')).registerServeCommand(program, streams),
  approve: (program, streams) =>
    (require('./approve-command') as typeof import('./approve-command')).registerApproveCommand(
      program,
      streams,
    ),
  'verify-backups': (program, streams) =>
    (
      require('./verify-backups-command') as typeof import('./verify-backups-command')
    ).registerVerifyBackupsCommand(program, streams),
  asl: (program, streams) =>
    (require('./asl-command') as typeof import('./asl-command')).registerAslCommand(program, streams),
  report: (program, streams) =>
    (require('./report-command') as typeof import('./report-command')).registerReportCommand(
      program,
      streams,
    ),
  evidence: (program, streams) =>
    (require('./evidence-command') as typeof import('./evidence-command')).registerEvidenceCommand(
      program,
      streams,
    ),
  rbac: (program, streams) =>
    (require('./rbac-command') as typeof import('./rbac-command')).registerRbacCommand(program, streams),
  rules: (program, streams) =>
    (require('./rules-command') as typeof import('./rules-command')).registerRulesCommand(program, streams),
  sandbox: (program, streams) =>
    (require('./sandbox-command') as typeof import('./sandbox-command')).registerSandboxCommand(
      program,
      streams.out,
    ),
};
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * The `eks-incident` program and its commands; with `only`, the program with that one command
 * (what `main` builds when the arguments name a command: nothing else needs loading to run it).
 */
export function buildProgram(
  streams: Streams = { out: process.stdout, err: process.stderr },
  only?: string,
): Command {
  const program = new Command('eks-incident')
    .description('EKS incident runbooks as a Step Functions workflow, runnable on one machine')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => streams.out.write(text),
      writeErr: (text) => streams.err.write(text),
      // commander's "error: ..." becomes the CLI's one-line form, with where to look next.
      outputError: (text, write) =>
        write(`eks-incident: ${text.replace(/^error: /, '').trimEnd()} (add --help for usage)\n`),
    });
  for (const [name, register] of Object.entries(COMMANDS)) {
    if (only === undefined || name === only) register(program, streams);
  }
  return program;
}

/**
 * The command `argv` runs when its first argument names one (the program has no options of its
 * own). Anything else (`--help`, `--help demo`, `help`, an unknown name) gets the whole program,
 * which lists the commands or says which is unknown.
 */
function commandOf(argv: string[]): string | undefined {
  const first = argv[2];
  return first !== undefined && Object.hasOwn(COMMANDS, first) ? first : undefined;
}

/**
 * Runs the CLI; resolves with the exit code. Expected failures (CliError, bad configuration or
 * input, usage errors) are one line on stderr; anything else is a bug and keeps its stack.
 */
export async function main(argv: string[], streams?: Streams): Promise<number> {
  const err = streams?.err ?? process.stderr;
  try {
    await buildProgram(streams, commandOf(argv)).parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof CliError) {
      err.write(`eks-incident: ${error.message}\n`);
      return error.exitCode;
    }
    const e = error instanceof Error ? error : new Error(String(error));
    err.write(`eks-incident: ${USER_ERRORS.has(e.name) ? e.message : (e.stack ?? e.message)}\n`);
    return 1;
  }
}
