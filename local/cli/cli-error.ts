/**
 * A failure the CLI reports as one line on stderr (`eks-incident: <message>`), exiting
 * non-zero. The message says what went wrong and how to fix it.
 */
export class CliError extends Error {
  constructor(
    message: string,
    /** The process exit code. @default 1 */
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export class PortInUseError extends CliError {
  constructor(readonly port: number) {
    super(`port ${port} is already in use; choose another with --port (0 picks a free one)`);
    this.name = 'PortInUseError';
  }
}
