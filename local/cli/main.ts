import { Command } from 'commander';
import { registerDemoCommand } from './demo-command';
import { CliError, registerSandboxCommand, type Output } from './sandbox-command';

/** The `eks-incident` program and its commands. */
export function buildProgram(out: Output = process.stdout): Command {
  const program = new Command('eks-incident')
    .description('EKS incident runbooks as a Step Functions workflow, runnable on one machine')
    .showHelpAfterError();
  registerDemoCommand(program, out);
  registerSandboxCommand(program, out);
  return program;
}

/** Runs the CLI; resolves with the exit code (failures are reported as one line on stderr). */
export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (error) {
    const message =
      error instanceof CliError
        ? error.message
        : error instanceof Error
          ? (error.stack ?? error.message)
          : String(error);
    process.stderr.write(`eks-incident: ${message}\n`);
    return 1;
  }
}
