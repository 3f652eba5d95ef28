import { randomUUID } from 'node:crypto';
import { PublishCommand } from '@aws-sdk/client-sns';
import { StateMachine } from 'aws-local-stepfunctions';
import { parseExecutionInput, type StepEvent } from '../../lambdas/shared/contracts';
import type { IncidentStep } from '../../lib/incident-response-stack';
import type { AslDefinition, SynthesizedDefinitions } from '../../lib/synth';
import { localStepHandlers, type LocalStepEnvironment } from './local-steps';

/** One entry of an execution's event log (StateEntered, StateRetried, ExecutionFailed, ...). */
export type EventLog =
  ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

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
  /** Called with every event of the execution log as it happens (for live views). */
  onEvent?: (event: EventLog) => void;
}

export interface IncidentRun {
  executionName: string;
  executionArn: string;
  status: 'SUCCEEDED' | 'FAILED';
  /** The final state document, when the execution succeeded. */
  output?: unknown;
  /** Error and cause, when it failed. */
  error?: { Error: string; Cause: unknown };
  /** The execution's event log, in order: what tests and reports assert on. */
  events: EventLog[];
}

/** Names of the Task states that run a Lambda step, with the step each one runs. */
function lambdaTasks(synthesized: SynthesizedDefinitions): Map<string, IncidentStep> {
  const byArn = new Map(Object.entries(synthesized.placeholders.functions).map(([step, arn]) => [arn, step]));
  const tasks = new Map<string, IncidentStep>();
  for (const [name, state] of Object.entries(synthesized.incidentResponse.States)) {
    const step = byArn.get(String(state.Resource));
    if (state.Type === 'Task' && step) tasks.set(name, step as IncidentStep);
  }
  return tasks;
}

/** Task states that call SNS directly (the last-resort notification). */
function snsPublishTasks(definition: AslDefinition): string[] {
  return Object.entries(definition.States)
    .filter(
      ([, state]) =>
        state.Type === 'Task' && String(state.Resource).startsWith('arn:aws:states:::sns:publish'),
    )
    .map(([name]) => name);
}

/**
 * Runs the synthesized IncidentResponse definition with aws-local-stepfunctions: every Lambda
 * Task calls the step's code in-process, the SNS Task publishes to the local topic, and Wait
 * and Retry intervals are scaled. Unknown Task resources fail loudly rather than being skipped.
 */
export async function runIncident(options: RunIncidentOptions): Promise<IncidentRun> {
  const { synthesized, input, environment } = options;
  const definition = synthesized.incidentResponse;
  const timeScale = options.timeScale ?? 1;
  if (!(timeScale > 0)) throw new RangeError(`timeScale must be > 0, got ${timeScale}`);
  const executionName = options.executionName ?? `local-${randomUUID()}`;
  const region = synthesized.placeholders.region;
  const executionArn = `arn:aws:states:${region}:${synthesized.placeholders.account}:execution:IncidentResponse:${executionName}`;

  const steps = localStepHandlers(environment);
  const handlers: Record<string, (payload: never) => Promise<unknown>> = {};
  for (const [stateName, step] of lambdaTasks(synthesized)) {
    handlers[stateName] = (event: StepEvent) => steps[step](event);
  }
  for (const stateName of snsPublishTasks(definition)) {
    handlers[stateName] = async (parameters: { Subject?: string; Message: unknown }) => {
      const message =
        typeof parameters.Message === 'string' ? parameters.Message : JSON.stringify(parameters.Message);
      const published = await environment.aws.sns.send(
        new PublishCommand({
          TopicArn: environment.aws.topicArn,
          Subject: parameters.Subject,
          Message: message,
        }),
      );
      return { MessageId: published.MessageId };
    };
  }
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type === 'Task' && !handlers[name]) {
      throw new Error(
        `the local runner has no handler for Task state "${name}" (Resource ${String(state.Resource)})`,
      );
    }
  }

  const waitTimeOverrides: Record<string, number> = {};
  const waitSeconds = declaredWaitSeconds(input);
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type === 'Wait') waitTimeOverrides[name] = (waitSeconds * 1000) / timeScale;
  }
  const retryIntervalOverrides: Record<string, number[]> = {};
  for (const [name, state] of Object.entries(definition.States)) {
    const retriers = (state.Retry ?? []) as Array<{ IntervalSeconds?: number }>;
    if (retriers.length)
      retryIntervalOverrides[name] = retriers.map((r) => ((r.IntervalSeconds ?? 1) * 1000) / timeScale);
  }

  const machine = new StateMachine(definition as never, {
    validationOptions: { checkPaths: true, checkArn: true },
  });
  const execution = machine.run(input as never, {
    overrides: {
      taskResourceLocalHandlers: handlers as never,
      waitTimeOverrides,
      retryIntervalOverrides,
    },
    context: {
      Execution: { Id: executionArn, Name: executionName, StartTime: new Date().toISOString(), Input: input },
    } as never,
  });
  const events: EventLog[] = [];
  const logging = (async () => {
    for await (const event of execution.eventLogs) {
      events.push(event);
      options.onEvent?.(event);
    }
  })();
  let run: IncidentRun;
  try {
    const output = await execution.result;
    run = { executionName, executionArn, status: 'SUCCEEDED', output, events };
  } catch (error) {
    const failed = error as { name?: string; message?: string; cause?: unknown };
    run = {
      executionName,
      executionArn,
      status: 'FAILED',
      events,
      error: { Error: failed.name ?? 'Error', Cause: failed.message },
    };
  }
  await logging;
  const failure = events.find((e) => e.type === 'ExecutionFailed') as
    { Error: string; Cause: unknown } | undefined;
  if (failure) run.error = { Error: failure.Error, Cause: failure.Cause };
  return run;
}

/**
 * The wait the execution will use: the input's `options.waitSeconds` with the schema's default.
 * Bad input fails at the first state anyway, so its wait never matters.
 */
function declaredWaitSeconds(input: unknown): number {
  try {
    return parseExecutionInput(input).options.waitSeconds;
  } catch {
    return 0;
  }
}
