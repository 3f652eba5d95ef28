import { Duration, Stack } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnSchedule } from 'aws-cdk-lib/aws-scheduler';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import {
  Choice,
  Condition,
  Errors,
  Fail,
  JsonPath,
  Parallel,
  Pass,
  StateMachine,
  Succeed,
  Wait,
  WaitTime,
} from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { lambdaStepTask, lastResortNotify, observedStateMachine } from './step-task';

/** The functions behind the BackupVerification Tasks (restore-test and report serve several states each). */
export interface BackupWorkflowFunctions {
  readonly checkS3: LambdaFunction;
  readonly checkCronJobs: LambdaFunction;
  readonly restoreTest: LambdaFunction;
  readonly report: LambdaFunction;
}

export interface BackupWorkflowProps {
  readonly functions: BackupWorkflowFunctions;
  /** Where `Last-Resort Notify` publishes when the report could not be written. */
  readonly topic: ITopic;
  /** An EventBridge Scheduler expression: `cron(0 6 * * ? *)`, `rate(12 hours)`. */
  readonly scheduleExpression: string;
  /** The IANA time zone of the expression. */
  readonly scheduleTimeZone: string;
  /**
   * Added to each function's timeout to make its Task's TimeoutSeconds.
   * @default Duration.seconds(30)
   */
  readonly taskTimeoutMargin?: Duration;
  /**
   * How long the state machine's execution log keeps events.
   * @default RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: RetentionDays;
}

/** What a Catch stores. */
const ERROR_PATH = '$.error';

/** The input the schedule starts each execution with. */
export const SCHEDULED_INPUT = { source: 'schedule' };

/**
 * The BackupVerification state machine (docs/backup-verification.md) and the EventBridge
 * schedule that starts it.
 *
 * Open Run validates the input; Verify Backups runs three branches at once: the S3 sources, the
 * backup CronJobs, and the restore tests (start their Jobs, wait and check until none runs,
 * then collect logs and delete them). A branch that fails ends in a Pass state that records its
 * error, so one broken check never hides the others' results. Report writes the report to S3 and
 * notifies; a run with failures ends in the `Backups Not Verified` Fail state, so the
 * execution's status is the verdict (and a CloudWatch alarm on failed executions pages).
 *
 * JSONPath only, every Lambda Task with TimeoutSeconds, the retries of transient Kubernetes and
 * Lambda errors, and a Catch, as in the IncidentResponse workflow.
 */
export class BackupWorkflow extends Construct {
  readonly stateMachine: StateMachine;
  readonly logGroup: LogGroup;
  readonly schedule: CfnSchedule;
  /** The role EventBridge Scheduler assumes: it may start this state machine and nothing else. */
  readonly scheduleRole: Role;

  constructor(scope: Construct, id: string, props: BackupWorkflowProps) {
    super(scope, id);
    const { functions } = props;
    const timeoutMargin = props.taskTimeoutMargin ?? Duration.seconds(30);
    const task = (
      name: string,
      fn: LambdaFunction,
      resultPath: string | undefined,
      params: Record<string, string> = {},
      outputPath?: string,
    ) => lambdaStepTask(this, name, { fn, resultPath, params, timeoutMargin, outputPath });
    const catchAll = { errors: [Errors.ALL], resultPath: ERROR_PATH };
    /** The end of a branch whose check failed: no results, the error. */
    const branchFailed = (name: string) =>
      new Pass(this, name, { parameters: { results: [], error: JsonPath.objectAt(ERROR_PATH) } });

    const openRun = task('Open Run', functions.report, '$.run', { action: 'open' });
    const invalidInput = new Fail(this, 'Invalid Input', {
      error: 'InvalidInputError',
      causePath: JsonPath.stringAt(`${ERROR_PATH}.Cause`),
    });

    // Each branch ends with its check's result alone: the Parallel's output is the three of them.
    const checkS3 = task('Check S3 Backups', functions.checkS3, undefined);
    checkS3.addCatch(branchFailed('S3 Check Failed'), catchAll);

    const checkCronJobs = task('Check CronJobs', functions.checkCronJobs, undefined);
    checkCronJobs.addCatch(branchFailed('CronJob Check Failed'), catchAll);

    const startRestore = task('Start Restore Tests', functions.restoreTest, '$.restore', { action: 'start' });
    const wait = new Wait(this, 'Wait for Restore Tests', {
      time: WaitTime.secondsPath('$.restore.pollSeconds'),
    });
    const checkRestore = task('Check Restore Tests', functions.restoreTest, '$.restore', { action: 'check' });
    const finishRestore = task(
      'Finish Restore Tests',
      functions.restoreTest,
      '$.restore',
      { action: 'finish' },
      '$.restore',
    );
    const running = new Choice(this, 'Restore Tests Running?')
      .when(Condition.booleanEquals('$.restore.pending', true), wait)
      .otherwise(finishRestore);
    // Whatever went wrong after Jobs may have been created, Finish still cleans them up.
    startRestore.addCatch(finishRestore, catchAll);
    checkRestore.addCatch(finishRestore, catchAll);
    finishRestore.addCatch(branchFailed('Restore Test Failed'), catchAll);
    startRestore.next(running);
    wait.next(checkRestore);
    checkRestore.next(running);

    const verify = new Parallel(this, 'Verify Backups', {
      resultSelector: {
        s3: JsonPath.objectAt('$[0]'),
        cronJobs: JsonPath.objectAt('$[1]'),
        restoreTests: JsonPath.objectAt('$[2]'),
      },
      resultPath: '$.checks',
    }).branch(checkS3, checkCronJobs, startRestore);

    const report = task('Report', functions.report, '$.report', { action: 'report' });
    const failed = new Fail(this, 'Failed', {
      error: 'BackupVerificationWorkflowFailed',
      cause: 'The verification could not write its report; the last-resort notification carries the error.',
    });
    const lastResort = lastResortNotify(this, {
      topic: props.topic,
      subject: 'Backup verification failed to report',
      message:
        'The backup-verification execution {} could not write or send its report, so the state of the ' +
        'backups is unknown. Error: {}',
      errorPath: ERROR_PATH,
      failed,
    });

    const outcome = new Choice(this, 'Outcome?')
      .when(
        Condition.stringEquals('$.report.outcome', 'failed'),
        new Fail(this, 'Backups Not Verified', {
          error: 'BackupVerificationFailed',
          cause: 'At least one backup check failed; the report and the notification say which and why.',
        }),
      )
      .otherwise(new Succeed(this, 'Done'));

    openRun.addCatch(invalidInput, { errors: ['InvalidInputError'], resultPath: ERROR_PATH });
    openRun.addCatch(report, catchAll);
    verify.addCatch(report, catchAll);
    report.addCatch(lastResort, catchAll);
    openRun.next(verify);
    verify.next(report);
    report.next(outcome);

    ({ stateMachine: this.stateMachine, logGroup: this.logGroup } = observedStateMachine(this, {
      name: 'BackupVerification',
      comment:
        'Backup verification: newest S3 backups fresh, complete and intact; backup CronJobs succeeding; restore tests',
      start: openRun,
      topic: props.topic,
      functions: Object.values(functions),
      logRetention: props.logRetention,
    }));

    const stack = Stack.of(this);
    this.scheduleRole = new Role(this, 'ScheduleRole', {
      description: 'EventBridge Scheduler: starts the backup verification',
      // Only schedules of this account may assume it (the confused-deputy guard AWS documents).
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    });
    this.scheduleRole.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['states:StartExecution'],
        resources: [this.stateMachine.stateMachineArn],
      }),
    );
    this.schedule = new CfnSchedule(this, 'Schedule', {
      description: 'Verifies the backups after the nightly backup window',
      scheduleExpression: props.scheduleExpression,
      scheduleExpressionTimezone: props.scheduleTimeZone,
      flexibleTimeWindow: { mode: 'OFF' },
      state: 'ENABLED',
      target: {
        arn: this.stateMachine.stateMachineArn,
        roleArn: this.scheduleRole.roleArn,
        input: JSON.stringify(SCHEDULED_INPUT),
        // A start that keeps failing for an hour is late enough to be worth nothing.
        retryPolicy: { maximumEventAgeInSeconds: 3600, maximumRetryAttempts: 5 },
      },
    });
  }
}
