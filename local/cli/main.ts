import { Command, CommanderError } from 'commander';
import { CliError } from './cli-error';
import { registerApproveCommand } from './approve-command';
import { registerAslCommand } from './asl-command';
import { registerDemoCommand } from './demo-command';
import { registerEvidenceCommand } from './evidence-command';
import type { Streams } from './output';
import { registerRbacCommand } from './rbac-command';
import { registerReportCommand } from './report-command';
import { registerRulesCommand } from './rules-command';
import { registerRunCommand } from './run-command';
import { registerSandboxCommand } from './sandbox-command';
import { registerServeCommand } from './serve-command';
import { registerVerifyBackupsCommand } from './verify-backups-command';

/** Errors whose message already says what is wrong with the user's input or configuration. */
const USER_ERRORS = new Set(['ConfigurationError', 'InvalidInputError']);

/** The `eks-incident` program and its commands. */
export function buildProgram(streams: Streams = { out: process.stdout, err: process.stderr }): Command {
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
  registerDemoCommand(program, streams);
  registerRunCommand(program, streams);
  registerServeCommand(program, streams);
  registerApproveCommand(program, streams);
  registerVerifyBackupsCommand(program, streams);
  registerAslCommand(program, streams);
  registerReportCommand(program, streams);
  registerEvidenceCommand(program, streams);
  registerRbacCommand(program, streams);
  registerRulesCommand(program, streams);
  registerSandboxCommand(program, streams.out);
  return program;
}

/**
 * Runs the CLI; resolves with the exit code. Expected failures (CliError, bad configuration or
 * input, usage errors) are one line on stderr; anything else is a bug and keeps its stack.
 */
export async function main(argv: string[], streams?: Streams): Promise<number> {
  const err = streams?.err ?? process.stderr;
  try {
    await buildProgram(streams).parseAsync(argv);
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
