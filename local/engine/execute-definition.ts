import { randomUUID } from 'node:crypto';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { StateMachine } from 'aws-local-stepfunctions';
import type { AslDefinition } from '../../lib/synth';

/**
 * Runs a synthesized state machine definition with aws-local-stepfunctions, the way Step
 * Functions would: Lambda Tasks call the step's code in-process (bound by the function ARN the
 * definition names), SNS publish Tasks publish to the local topic, Wait states and Retry
 * intervals are scaled, and every event of the execution is recorded. Shared by the
 * IncidentResponse and BackupVerification runners.
 */

/** One entry of an execution's event log (StateEntered, StateRetried, ExecutionFailed, ...). */
export type EventLog =
  ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

/** A step's code, called with the Task's Parameters (the Lambda event). */
export type LocalFunction = (event: never) => Promise<unknown>;

export interface ExecuteDefinitionOptions {
  definition: AslDefinition;
  /** The state machine's name in the execution ARN. */
  stateMachineName: string;
  region: string;
  account: string;
  /** The code behind each Lambda Task, by the function ARN in its `Resource`. */
  functions: ReadonlyMap<string, LocalFunction>;
  /** Where the SNS publish Tasks (the last-resort notifications) publish. */
  sns: { client: SNSClient; topicArn: string };
  input: unknown;
  /** What every Wait state waits, in workflow seconds. */
  waitSeconds: number;
  /** Seconds of workflow time per wall second: Waits and Retry intervals are divided by it. @default 1 */
  timeScale?: number;
  /** @default local-<uuid> */
  executionName?: string;
  /**
   * `$$.Execution.StartTime`, for a caller that must know it before the run begins (the webhook
   * intake locates an incident's evidence from it). @default now
   */
  startTime?: Date;
  onEvent?: (event: EventLog) => void;
  /**
   * The local counterpart of `lambda:invoke.waitForTaskToken` Tasks, which aws-local-stepfunctions
   * does not implement: called with the function the Task names, its Payload and the Task's
   * TimeoutSeconds scaled to wall time; it runs the function and resolves with what
   * SendTaskSuccess would send, or throws an error named `States.Timeout`. Unset: reaching such
   * a Task fails it.
   */
  waitForTaskToken?: (call: {
    state: string;
    fn: LocalFunction;
    payload: unknown;
    timeoutMs: number;
  }) => Promise<unknown>;
}

export interface LocalExecution {
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

type State = Record<string, unknown>;

/** The ARN Step Functions gives an execution of that name. */
export function executionArnFor(
  machine: Pick<ExecuteDefinitionOptions, 'region' | 'account' | 'stateMachineName'>,
  executionName: string,
): string {
  return `arn:aws:states:${machine.region}:${machine.account}:execution:${machine.stateMachineName}:${executionName}`;
}

/** Every state of the definition, those inside Parallel branches and Map iterators included. */
export function allStates(definition: { States: Record<string, State> }): Array<[string, State]> {
  return Object.entries(definition.States).flatMap(([name, state]) => {
    const nested = [
      ...((state.Branches ?? []) as AslDefinition[]),
      ...[state.Iterator, state.ItemProcessor].filter(Boolean).map((d) => d as AslDefinition),
    ];
    return [[name, state] as [string, State], ...nested.flatMap(allStates)];
  });
}

const WAIT_FOR_TASK_TOKEN = 'arn:aws:states:::lambda:invoke.waitForTaskToken';

/** What `$$.Task.Token` is locally: one per execution (a flow asks one approval at a time). */
export function localTaskToken(executionArn: string): string {
  return `local-task-token:${executionArn}`;
}

function isSnsPublish(state: State): boolean {
  return state.Type === 'Task' && String(state.Resource).startsWith('arn:aws:states:::sns:publish');
}

/**
 * aws-local-stepfunctions 3.0.0 sets `$$.Execution.StartTime` from its own clock whatever the
 * context says, so a fixed start reaches the steps by rewriting the Lambda event's
 * `execution.startTime` (docs/workflow.md "Lambda event"), which is where they read it.
 */
function withStartTime(fn: LocalFunction, startTime: string): LocalFunction {
  return (event: never) => {
    const { execution } = event as { execution?: Record<string, unknown> };
    if (!execution || typeof execution !== 'object') return fn(event);
    return fn({ ...(event as object), execution: { ...execution, startTime } } as never);
  };
}

/**
 * Validating a definition costs about 100 ms of CPU; it only needs doing once per definition,
 * and one StateMachine runs any number of executions (many at once, when a webhook storm or
 * the demo starts them together).
 */
const machines = new WeakMap<AslDefinition, StateMachine>();

function machineFor(definition: AslDefinition): StateMachine {
  let machine = machines.get(definition);
  if (!machine) {
    machine = new StateMachine(definition as never, {
      validationOptions: { checkPaths: true, checkArn: true },
    });
    machines.set(definition, machine);
  }
  return machine;
}

/**
 * Validates `definition` now instead of at its first execution: `serve` and `demo` call it before
 * they listen, so the first executions of a storm do not validate (about 250 ms of CPU with ajv
 * compiling its schemas) on the event loop that is answering the deliveries.
 */
export function prepareDefinition(definition: AslDefinition): void {
  machineFor(definition);
}

export async function executeDefinition(options: ExecuteDefinitionOptions): Promise<LocalExecution> {
  const { definition, input, sns } = options;
  const timeScale = options.timeScale ?? 1;
  if (!(timeScale > 0)) throw new RangeError(`timeScale must be > 0, got ${timeScale}`);
  const executionName = options.executionName ?? `local-${randomUUID()}`;
  const executionArn = executionArnFor(options, executionName);
  const states = allStates(definition);

  const handlers: Record<string, LocalFunction> = {};
  for (const [name, state] of states) {
    if (state.Type !== 'Task') continue;
    const fn = options.functions.get(String(state.Resource));
    const waitFor = options.waitForTaskToken;
    const invoked =
      state.Resource === WAIT_FOR_TASK_TOKEN
        ? options.functions.get(String((state.Parameters as { FunctionName?: string })?.FunctionName))
        : undefined;
    if (fn) handlers[name] = options.startTime ? withStartTime(fn, options.startTime.toISOString()) : fn;
    else if (invoked && !waitFor) {
      // A caller whose flows never ask for approval need not provide the waiter; reaching it fails.
      handlers[name] = () => {
        throw new Error(
          `Task state "${name}" waits for a task token and this run has no waitForTaskToken handler`,
        );
      };
    } else if (invoked && waitFor) {
      const target = options.startTime ? withStartTime(invoked, options.startTime.toISOString()) : invoked;
      const timeoutMs = (Number(state.TimeoutSeconds ?? 99999999) * 1000) / timeScale;
      handlers[name] = (parameters: { Payload: unknown }) =>
        waitFor({ state: name, fn: target, payload: parameters.Payload, timeoutMs });
    } else if (isSnsPublish(state)) {
      handlers[name] = async (parameters: { Subject?: string; Message: unknown }) => {
        const message =
          typeof parameters.Message === 'string' ? parameters.Message : JSON.stringify(parameters.Message);
        const published = await sns.client.send(
          new PublishCommand({ TopicArn: sns.topicArn, Subject: parameters.Subject, Message: message }),
        );
        return { MessageId: published.MessageId };
      };
    } else {
      throw new Error(
        `the local runner has no handler for Task state "${name}" (Resource ${String(state.Resource)})`,
      );
    }
  }

  const waitTimeOverrides: Record<string, number> = {};
  const retryIntervalOverrides: Record<string, number[]> = {};
  for (const [name, state] of states) {
    if (state.Type === 'Wait') waitTimeOverrides[name] = (options.waitSeconds * 1000) / timeScale;
    const retriers = (state.Retry ?? []) as Array<{ IntervalSeconds?: number }>;
    if (retriers.length) {
      retryIntervalOverrides[name] = retriers.map((r) => ((r.IntervalSeconds ?? 1) * 1000) / timeScale);
    }
  }

  const machine = machineFor(definition);
  const execution = machine.run(input as never, {
    overrides: { taskResourceLocalHandlers: handlers as never, waitTimeOverrides, retryIntervalOverrides },
    // aws-local-stepfunctions fills in only StartTime; the steps read the execution's id and name.
    context: {
      Execution: {
        Id: executionArn,
        Name: executionName,
        StartTime: (options.startTime ?? new Date()).toISOString(),
        Input: input,
      },
      Task: { Token: localTaskToken(executionArn) },
    } as never,
  });
  const events: EventLog[] = [];
  const logging = (async () => {
    for await (const event of execution.eventLogs) {
      events.push(event);
      options.onEvent?.(event);
    }
  })();
  let run: LocalExecution;
  try {
    const output = await execution.result;
    run = { executionName, executionArn, status: 'SUCCEEDED', output, events };
  } catch (error) {
    const failed = error as { name?: string; message?: string };
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
