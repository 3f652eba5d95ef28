import { ConfigurationError } from '../../lambdas/shared/errors';
import type { BackupStep } from '../../lib/constructs/backup-verification';
import type { SynthesizedDefinitions } from '../../lib/synth';
import { localBackupHandlers, type LocalBackupEnvironment } from './backup-steps';
import {
  executeDefinition,
  type EventLog,
  type LocalExecution,
  type LocalFunction,
} from './execute-definition';

export interface RunBackupVerificationOptions {
  /** What `synthesizeDefinitions` returned for a context with `backupSources`. */
  synthesized: SynthesizedDefinitions;
  /** The execution input, as the schedule (`{"source":"schedule"}`) or a console user sends it. @default { source: 'manual' } */
  input?: unknown;
  environment: LocalBackupEnvironment;
  /** Seconds of workflow time per wall second (Waits between restore-test checks, retries). @default 1 */
  timeScale?: number;
  /** @default local-<uuid> */
  executionName?: string;
  onEvent?: (event: EventLog) => void;
}

export type BackupVerificationRun = LocalExecution;

/**
 * Runs the synthesized BackupVerification definition locally: each Task runs its step's
 * deployed logic in-process with the configuration from `environment.config` (the same
 * document the stack puts in the functions' environments).
 */
export async function runBackupVerification(
  options: RunBackupVerificationOptions,
): Promise<BackupVerificationRun> {
  const { synthesized, environment } = options;
  const definition = synthesized.backupVerification;
  const arns = synthesized.placeholders.backupFunctions;
  if (!definition || !arns) {
    throw new ConfigurationError(
      'no BackupVerification definition: synthesize with the backupSources context',
    );
  }
  const steps = localBackupHandlers(environment);
  const functions = new Map<string, LocalFunction>(
    Object.entries(arns).map(([step, arn]) => [arn, steps[step as BackupStep]]),
  );
  return executeDefinition({
    definition,
    stateMachineName: 'BackupVerification',
    region: synthesized.placeholders.region,
    account: synthesized.placeholders.account,
    functions,
    sns: { client: environment.aws.sns, topicArn: environment.aws.topicArn },
    input: options.input ?? { source: 'manual' },
    waitSeconds: environment.config.restorePollSeconds,
    timeScale: options.timeScale,
    executionName: options.executionName,
    onEvent: options.onEvent,
  });
}
