import { Aws, Duration, Fn, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { CfnFunction, Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  DefinitionBody,
  Errors,
  JitterType,
  JsonPath,
  LogLevel,
  QueryLanguage,
  StateMachine,
  StateMachineType,
  TaskInput,
  Timeout,
  type Fail,
  type IChainable,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke, SnsPublish } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { TRANSIENT_ERRORS } from '../../lambdas/shared/errors';
import { acknowledgeTopicKeyActions } from './notifications';

/**
 * How the workflows' state machines call a Lambda step, so IncidentResponse and
 * BackupVerification behave alike (docs/workflow.md, "Lambda event" and "Errors, retries,
 * catches").
 */

/** Lambda's own transient failures, retried like the Kubernetes ones (docs/workflow.md). */
export const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

/** 2 s, 4 s, 8 s with full jitter: four attempts in all. */
export const STEP_RETRY = {
  interval: Duration.seconds(2),
  backoffRate: 2,
  maxAttempts: 4,
  jitterStrategy: JitterType.FULL,
};

export interface LambdaStepTaskOptions {
  /** Must set a timeout: the Task's TimeoutSeconds is built from it. */
  readonly fn: LambdaFunction;
  /**
   * Where the result goes.
   * @default - it replaces the state (no ResultPath: aws-local-stepfunctions 3.0.0 reads an
   * explicit `"$"` as a field named "$")
   */
  readonly resultPath?: string;
  /** Static parameters of the step (`params` in the event). @default {} */
  readonly params?: Record<string, string>;
  /** Added to the function's timeout for the Task's TimeoutSeconds. */
  readonly timeoutMargin: Duration;
  /** @default - the whole state */
  readonly outputPath?: string;
}

/**
 * A Task that invokes the function with `{ state: $, execution: {id, name, startTime}, step, params }`
 * and stores its return value (no `{Payload}` envelope) at `resultPath`, with TimeoutSeconds
 * and the retries of transient Kubernetes and Lambda errors.
 */
export function lambdaStepTask(scope: Construct, name: string, options: LambdaStepTaskOptions): LambdaInvoke {
  const { fn } = options;
  if (!fn.timeout)
    throw new Error(`${name}: the function must set a timeout, TimeoutSeconds is built from it`);
  const task = new LambdaInvoke(scope, name, {
    lambdaFunction: fn,
    payloadResponseOnly: true,
    retryOnServiceExceptions: false,
    payload: TaskInput.fromObject({
      state: JsonPath.entirePayload,
      execution: {
        id: JsonPath.stringAt('$$.Execution.Id'),
        name: JsonPath.stringAt('$$.Execution.Name'),
        startTime: JsonPath.stringAt('$$.Execution.StartTime'),
      },
      // The state's name, static: the function's logs say which state they served (a function
      // serves several), and aws-local-stepfunctions has no `$$.State.Name` to read it from.
      step: name,
      params: options.params ?? {},
    }),
    resultPath: options.resultPath,
    outputPath: options.outputPath,
    taskTimeout: Timeout.duration(fn.timeout.plus(options.timeoutMargin)),
  });
  task.addRetry({ errors: TRANSIENT_ERRORS, ...STEP_RETRY });
  task.addRetry({ errors: LAMBDA_SERVICE_ERRORS, ...STEP_RETRY });
  return task;
}

export interface LastResortNotifyProps {
  /** The topic it publishes to. */
  readonly topic: ITopic;
  readonly subject: string;
  /** The message: `{}` where the execution's ID goes, then `{}` where the error goes. */
  readonly message: string;
  /** Where the workflow's Catches store the error the message carries. */
  readonly errorPath: string;
  /** Where the execution ends, whether the publish succeeded or not. */
  readonly failed: Fail;
}

/**
 * `Last-Resort Notify`: the SNS Task a workflow falls back on when it could not report, so a
 * failure someone must hear about is published straight from the state machine (retried, then
 * caught into `failed` like its success).
 */
export function lastResortNotify(scope: Construct, props: LastResortNotifyProps): SnsPublish {
  const lastResort = new SnsPublish(scope, 'Last-Resort Notify', {
    topic: props.topic,
    subject: props.subject,
    message: TaskInput.fromText(
      JsonPath.format(
        props.message,
        JsonPath.stringAt('$$.Execution.Id'),
        JsonPath.jsonToString(JsonPath.objectAt(props.errorPath)),
      ),
    ),
    resultPath: '$.lastResort',
    taskTimeout: Timeout.duration(Duration.seconds(30)),
  });
  lastResort.addRetry({ errors: [Errors.TASKS_FAILED, Errors.TIMEOUT], ...STEP_RETRY });
  lastResort.addCatch(props.failed, { errors: [Errors.ALL], resultPath: '$.lastResort' });
  lastResort.next(props.failed);
  return lastResort;
}

/** The cdk-nag findings every workflow's state machine role has, for reasons that hold for all of them. */
export function acknowledgeStateMachineRole(stateMachine: StateMachine, functions: LambdaFunction[]): void {
  Validations.of(stateMachine.role).acknowledge(
    {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing (xray:PutTraceSegments, PutTelemetryRecords, GetSamplingRules, GetSamplingTargets) ' +
        'and execution logging (logs:CreateLogDelivery and the other log-delivery actions) do not support ' +
        'resource-level permissions.',
    },
    ...functions.map((fn) => ({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(stateMachine).getLogicalId(fn.node.defaultChild as CfnFunction)}.Arn>:*]`,
      reason:
        'LambdaInvoke grants lambda:InvokeFunction on the function and its qualified ARNs (versions, ' +
        'aliases) of this one function; the definition invokes the unqualified ARN only.',
    })),
  );
}

/**
 * `/aws/vendedlogs/states/<stack>-<name>-<stack id>`: under the prefix AWS recommends for vended
 * logs (its resource policy stays small), and unique to this stack instance (the first group of
 * the stack's UUID). A fixed name would block the next deploy: a log group kept (Retain) by a
 * deleted stack, or by a first deploy that failed, already holds it.
 */
export function vendedLogGroupName(scope: Construct, name: string): string {
  const stack = Stack.of(scope);
  const stackUuid = Fn.select(2, Fn.split('/', Aws.STACK_ID));
  return Fn.join('', [
    `/aws/vendedlogs/states/${stack.stackName}-${name}-`,
    Fn.select(0, Fn.split('-', stackUuid)),
  ]);
}

export interface ObservedStateMachineProps {
  /** Names the log group: `/aws/vendedlogs/states/<stack>-<name>-<stack id>`. */
  name: string;
  comment: string;
  start: IChainable;
  /** The topic its SNS tasks publish to. */
  topic: ITopic;
  /** The functions its Tasks invoke (for the cdk-nag acknowledgements of its role). */
  functions: LambdaFunction[];
  /** @default RetentionDays.THREE_MONTHS */
  logRetention?: RetentionDays;
}

/**
 * A Standard, JSONPath state machine with tracing and its own log group (every event, no
 * execution data: the execution history already keeps the data), allowed to publish to the
 * topic. The one place both workflows get their observability settings from.
 */
export function observedStateMachine(
  scope: Construct,
  props: ObservedStateMachineProps,
): { stateMachine: StateMachine; logGroup: LogGroup } {
  const logGroup = new LogGroup(scope, 'Logs', {
    logGroupName: vendedLogGroupName(scope, props.name),
    retention: props.logRetention ?? RetentionDays.THREE_MONTHS,
    removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
  });
  const stateMachine = new StateMachine(scope, 'StateMachine', {
    comment: props.comment,
    definitionBody: DefinitionBody.fromChainable(props.start),
    stateMachineType: StateMachineType.STANDARD,
    queryLanguage: QueryLanguage.JSON_PATH,
    tracingEnabled: true,
    logs: { destination: logGroup, level: LogLevel.ALL, includeExecutionData: false },
  });
  // SNS publish tasks grant sns:Publish only; the topic's key must also let the state machine encrypt.
  props.topic.grantPublish(stateMachine);
  acknowledgeTopicKeyActions(stateMachine.role);
  acknowledgeStateMachineRole(stateMachine, props.functions);
  return { stateMachine, logGroup };
}
