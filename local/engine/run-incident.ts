import { parseExecutionInput, type ExecutionInput, type StepEvent } from '../../lambdas/shared/contracts';
import type { IncidentStep } from '../../lib/incident-response-stack';
import type { SynthesizedDefinitions } from '../../lib/synth';
import { randomUUID } from 'node:crypto';
import {
  executeDefinition,
  executionArnFor,
  type EventLog,
  type LocalExecution,
  type LocalFunction,
} from './execute-definition';
import { localApprovalWaiter } from './approval-waiter';
import { approvalStoreOf, localStepHandlers, type LocalStepEnvironment } from './local-steps';

export type { EventLog } from './execute-definition';

export interface RunIncidentOptions {
  /** What `synthesizeDefinitions` returned: the definition CDK synthesized, and its placeholders. */
  synthesized: SynthesizedDefinitions;
  /** The execution input, exactly as a console execution or the webhook intake would send it. */
  input: unknown;
  environment: LocalStepEnvironment;
  /**
   * Seconds of workflow time per wall second: Wait states and Retry intervals are divided
   * by it. Give the cluster the same scale (the sandbox's clock) so both agree. @default 1
   */
  timeScale?: number;
  /** The execution's name (unique per execution in Step Functions). @default local-<uuid> */
  executionName?: string;
  /** `$$.Execution.StartTime`, which dates the incident (its id and evidence prefix). @default now */
  startTime?: Date;
  /** Called with every event of the execution log as it happens (for live views). */
  onEvent?: (event: EventLog) => void;
}

export type IncidentRun = LocalExecution;

/**
 * Runs the synthesized IncidentResponse definition with aws-local-stepfunctions: every Lambda
 * Task calls the step's code in-process, the SNS Task publishes to the local topic, and Wait
 * and Retry intervals are scaled. Unknown Task resources fail loudly rather than being skipped.
 */
export async function runIncident(options: RunIncidentOptions): Promise<IncidentRun> {
  const { synthesized, input, environment } = options;
  const steps = localStepHandlers(environment);
  const functions = new Map<string, LocalFunction>(
    Object.entries(synthesized.placeholders.functions).map(([step, arn]) => [
      arn,
      (event: StepEvent) => steps[step as IncidentStep](event),
    ]),
  );
  const machine = {
    stateMachineName: 'IncidentResponse',
    region: synthesized.placeholders.region,
    account: synthesized.placeholders.account,
  };
  const executionName = options.executionName ?? `local-${randomUUID()}`;
  const registry = environment.executions;
  registry?.begin({
    name: executionName,
    executionArn: executionArnFor(machine, executionName),
    startTime: (options.startTime ?? new Date()).toISOString(),
    input: validInput(input),
  });
  let run: IncidentRun | undefined;
  try {
    run = await executeDefinition({
      definition: synthesized.incidentResponse,
      ...machine,
      functions,
      sns: { client: environment.aws.sns, topicArn: environment.aws.topicArn },
      input,
      waitSeconds: declaredWaitSeconds(input),
      timeScale: options.timeScale,
      executionName,
      startTime: options.startTime,
      onEvent: options.onEvent,
      waitForTaskToken: localApprovalWaiter(approvalStoreOf(environment), {
        autoApprove: environment.autoApprove,
      }),
    });
    return run;
  } finally {
    registry?.end(executionName, run?.status ?? 'ABORTED', new Date());
  }
}

/**
 * The wait the execution will use: the input's `options.waitSeconds` with the schema's default.
 * Bad input fails at the first state anyway, so its wait never matters.
 */
function declaredWaitSeconds(input: unknown): number {
  return validInput(input)?.options.waitSeconds ?? 0;
}

function validInput(input: unknown): ExecutionInput | undefined {
  try {
    return parseExecutionInput(input);
  } catch {
    return undefined;
  }
}
