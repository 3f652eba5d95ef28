import { DescribeExecutionCommand, StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { incidentTargetSchema, type ExecutionInput, type IncidentTarget } from '../shared/contracts';

/** What starting an execution by name did. */
export interface StartOutcome {
  executionArn: string;
  /** False when an execution of that name already existed: a duplicate delivery, not an error. */
  started: boolean;
}

/** An execution found by name: enough to locate its incident's evidence. */
export interface ExecutionRecord {
  executionArn: string;
  /** `$$.Execution.StartTime`, from which Open Incident dates the incident. */
  startTime: string;
  status: string;
  /** When it ended, if it has. */
  stopTime?: string;
  /** The target of its input. */
  target: IncidentTarget;
}

/**
 * Starts IncidentResponse executions under names the intake derives from the alert, so the
 * same problem delivered twice (repeats, retries, an HA pair of Alertmanagers) starts one
 * execution. Implementations: Step Functions (here) and the local engine (local/webhook).
 */
export interface ExecutionStarter {
  start(name: string, input: ExecutionInput): Promise<StartOutcome>;
  /** The execution of that name, if there is one. */
  find(name: string): Promise<ExecutionRecord | undefined>;
}

/** `arn:aws:states:r:a:stateMachine:M` → `arn:aws:states:r:a:execution:M:<name>`. */
export function executionArnOf(stateMachineArn: string, name: string): string {
  const parts = stateMachineArn.split(':');
  if (parts.length !== 7 || parts[5] !== 'stateMachine') {
    throw new Error(`not a state machine ARN: ${stateMachineArn}`);
  }
  return [...parts.slice(0, 5), 'execution', parts[6], name].join(':');
}

/** ExecutionStarter on Step Functions, through the client it is given. */
export class SfnExecutionStarter implements ExecutionStarter {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async start(name: string, input: ExecutionInput): Promise<StartOutcome> {
    const requestedAt = Date.now();
    try {
      const started = await this.client.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn,
          name,
          input: JSON.stringify(input),
        }),
      );
      // StartExecution is idempotent for a running execution with the same name and input: it
      // answers with the original execution, whose start predates this request.
      const replayed = (started.startDate?.getTime() ?? requestedAt) < requestedAt - 1000;
      return { executionArn: started.executionArn!, started: !replayed };
    } catch (error) {
      if ((error as { name?: string }).name === 'ExecutionAlreadyExists') {
        return { executionArn: executionArnOf(this.stateMachineArn, name), started: false };
      }
      throw error;
    }
  }

  async find(name: string): Promise<ExecutionRecord | undefined> {
    const executionArn = executionArnOf(this.stateMachineArn, name);
    try {
      const execution = await this.client.send(new DescribeExecutionCommand({ executionArn }));
      const target = incidentTargetSchema.safeParse(
        (JSON.parse(execution.input ?? '{}') as { target?: unknown }).target,
      );
      if (!target.success || !execution.startDate) return undefined;
      return {
        executionArn,
        startTime: execution.startDate.toISOString(),
        status: execution.status ?? 'UNKNOWN',
        ...(execution.stopDate ? { stopTime: execution.stopDate.toISOString() } : {}),
        target: target.data,
      };
    } catch (error) {
      if ((error as { name?: string }).name === 'ExecutionDoesNotExist') return undefined;
      throw error;
    }
  }
}
