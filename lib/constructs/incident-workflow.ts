import { Duration } from 'aws-cdk-lib';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import {
  Choice,
  Condition,
  Errors,
  Fail,
  IntegrationPattern,
  JsonPath,
  Parallel,
  Pass,
  StateMachine,
  TaskInput,
  Timeout,
  Succeed,
  Wait,
  WaitTime,
  type TaskStateBase,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { lambdaStepTask, lastResortNotify, observedStateMachine } from './step-task';

/** The functions behind the workflow's Tasks, one per step (notify and guard serve two states each). */
export interface IncidentWorkflowFunctions {
  readonly notify: LambdaFunction;
  readonly diagnose: LambdaFunction;
  readonly collectEvents: LambdaFunction;
  readonly guard: LambdaFunction;
  readonly restart: LambdaFunction;
  readonly verify: LambdaFunction;
  readonly rollback: LambdaFunction;
  readonly escalate: LambdaFunction;
  readonly clusterDump: LambdaFunction;
  readonly report: LambdaFunction;
}

export interface IncidentWorkflowProps {
  readonly functions: IncidentWorkflowFunctions;
  /** Where `Last-Resort Notify` publishes when even releasing the lock failed. */
  readonly topic: ITopic;
  /**
   * Added to each function's timeout to make its Task's TimeoutSeconds, so Step Functions only
   * gives up on an invocation the function itself would not end (cold start, invoke overhead).
   * @default Duration.seconds(30)
   */
  readonly taskTimeoutMargin?: Duration;
  /**
   * How long the state machine's execution log keeps events.
   * @default RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: RetentionDays;
  /**
   * How long `Request Approval` waits for a human's answer (its TimeoutSeconds) before the flow
   * escalates.
   * @default Duration.hours(1)
   */
  readonly approvalTimeout?: Duration;
}

export { LAMBDA_SERVICE_ERRORS } from './step-task';

/** What a Catch stores: the failure's Error and Cause, for Escalate and Report to show. */
const ERROR_PATH = '$.error';

/**
 * The IncidentResponse state machine, exactly as docs/workflow.md specifies it: state names
 * (the local runner binds Tasks to handlers by name), result paths, Choice rules, retries and
 * catches. JSONPath only, because aws-local-stepfunctions, which runs this same definition
 * locally, supports neither JSONata nor variables.
 *
 * Lambda Tasks use the function ARN as their Resource (payload-response-only): the
 * Parameters are the event and the function's return value is the result stored at the
 * ResultPath, with no `{Payload}` envelope to unwrap.
 *
 * Execution logging is LogLevel ALL without execution data: the log records every state
 * transition and error name, while inputs and outputs (alert text, pod names, error causes)
 * stay in the execution history, which Standard workflows keep for 90 days behind
 * states:GetExecutionHistory, instead of being copied into a second store.
 */
export class IncidentWorkflow extends Construct {
  readonly stateMachine: StateMachine;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: IncidentWorkflowProps) {
    super(scope, id);
    const { functions } = props;
    const margin = props.taskTimeoutMargin ?? Duration.seconds(30);

    const lambdaTask = (
      name: string,
      fn: LambdaFunction,
      resultPath: string,
      params: Record<string, string> = {},
    ): LambdaInvoke => lambdaStepTask(this, name, { fn, resultPath, params, timeoutMargin: margin });
    const catchInto = (task: TaskStateBase | Parallel, next: Parameters<TaskStateBase['addCatch']>[0]) =>
      task.addCatch(next, { errors: [Errors.ALL], resultPath: ERROR_PATH });

    const openIncident = lambdaTask('Open Incident', functions.notify, '$.incident', { stage: 'opened' });
    const quickDiagnostics = lambdaTask('Quick Diagnostics', functions.diagnose, '$.diagnostics');
    const collectEvents = lambdaTask('Collect Events', functions.collectEvents, '$.events');
    const guard = lambdaTask('Guard', functions.guard, '$.guard', { action: 'acquire' });
    const restart = lambdaTask('Restart', functions.restart, '$.restart');
    const wait = new Wait(this, 'Wait', {
      time: WaitTime.secondsPath('$.incident.options.waitSeconds'),
    });
    const verify = lambdaTask('Verify', functions.verify, '$.verification');
    const rollback = lambdaTask('Rollback', functions.rollback, '$.rollback');
    // Read again right before each write: a workload healthy by then is left alone.
    const healthBeforeRestart = lambdaTask('Health Before Restart', functions.verify, '$.health', {
      check: 'health',
      before: 'restart',
    });
    const healthBeforeRollback = lambdaTask('Health Before Rollback', functions.verify, '$.health', {
      check: 'health',
      before: 'rollback',
    });
    const checkDependency = lambdaTask('Check Dependency', functions.verify, '$.dependencyWait', {
      check: 'dependency',
    });
    const waitForDependency = new Wait(this, 'Wait For Dependency', {
      time: WaitTime.secondsPath('$.incident.options.waitSeconds'),
    });
    const notifyNoAction = lambdaTask('Notify No Action', functions.notify, '$.notified', {
      stage: 'no-action',
    });
    // Storm mode: the opener of a storm batch gathers for one wait period, then sends one
    // notification listing every incident the budget refused meanwhile; the others only report.
    const stormGather = new Wait(this, 'Storm Gather', {
      time: WaitTime.secondsPath('$.incident.options.waitSeconds'),
    });
    const stormRoster = lambdaTask('Storm Roster', functions.guard, '$.storm', { action: 'storm' });
    const notifyStorm = lambdaTask('Notify Storm', functions.notify, '$.notified', { stage: 'storm' });
    // A human answers the remediation the policy holds for approval: the notify function posts
    // the request (Slack buttons, signed links, the CLI command) with this Task's token, and the
    // execution waits until an answer calls SendTaskSuccess with it, or the timeout escalates.
    const approvalTimeout = props.approvalTimeout ?? Duration.hours(1);
    const requestApproval = new LambdaInvoke(this, 'Request Approval', {
      lambdaFunction: functions.notify,
      integrationPattern: IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      retryOnServiceExceptions: false,
      payload: TaskInput.fromObject({
        state: JsonPath.entirePayload,
        execution: {
          id: JsonPath.stringAt('$$.Execution.Id'),
          name: JsonPath.stringAt('$$.Execution.Name'),
          startTime: JsonPath.stringAt('$$.Execution.StartTime'),
        },
        params: {
          stage: 'approval',
          taskToken: JsonPath.taskToken,
          timeoutSeconds: String(approvalTimeout.toSeconds()),
        },
      }),
      resultPath: '$.approval',
      taskTimeout: Timeout.duration(approvalTimeout),
    });
    const approvalTimedOut = new Pass(this, 'Approval Timed Out', {
      parameters: { decision: 'timeout', 'action.$': '$.health.before' },
      resultPath: '$.approval',
    });
    const notifyRecovered = lambdaTask('Notify Recovered', functions.notify, '$.notified', {
      stage: 'recovered',
    });
    const escalate = lambdaTask('Escalate', functions.escalate, '$.escalation');
    const clusterDump = lambdaTask('Cluster Dump', functions.clusterDump, '$.dump');
    const report = lambdaTask('Report', functions.report, '$.report');
    const releaseLock = lambdaTask('Release Lock', functions.guard, '$.lockRelease', { action: 'release' });
    const done = new Succeed(this, 'Done');
    const escalated = new Fail(this, 'Escalated', {
      error: 'IncidentEscalated',
      cause: 'Automatic remediation did not recover the workload; a human was paged with the evidence.',
    });
    const failed = new Fail(this, 'Failed', {
      error: 'IncidentWorkflowFailed',
      cause: 'The workflow itself failed; the last-resort notification carries the error.',
    });
    // Bad input fails the execution under the error the validation threw, naming the field.
    const invalidInput = new Fail(this, 'Invalid Input', {
      error: 'InvalidInputError',
      causePath: JsonPath.stringAt(`${ERROR_PATH}.Cause`),
    });

    const lastResort = lastResortNotify(this, {
      topic: props.topic,
      subject: 'EKS incident workflow failed',
      message:
        'The incident-response execution {} failed and could not finish cleanly; the per-workload lock ' +
        'may still be held until it expires. Error: {}',
      errorPath: ERROR_PATH,
      failed,
    });

    // Quick Diagnostics and Collect Events read the cluster independently (neither reads the
    // other's result), so they run side by side: one Lambda invocation fewer before the restart,
    // a cold start fewer on a cold stack. Each branch keeps its own failure (`$.error`) so the
    // other's evidence survives it; the branches' documents merge back into one, each having
    // added only its own field.
    const assess = new Parallel(this, 'Assess', {
      resultSelector: { merged: JsonPath.jsonMerge(JsonPath.objectAt('$[0]'), JsonPath.objectAt('$[1]')) },
      outputPath: '$.merged',
    });
    assess.branch(catchInto(quickDiagnostics, new Pass(this, 'Diagnostics Failed')));
    assess.branch(catchInto(collectEvents, new Pass(this, 'Events Failed')));
    // The Parallel itself fails only if Step Functions does (a branch's result too large, say).
    catchInto(assess, escalate);
    // An alert that names no workload still gets its incident: notified, the namespace dumped, escalated.
    const workloadTarget = new Choice(this, 'Workload Target?')
      .when(Condition.stringEquals('$.incident.target.kind', 'Namespace'), escalate)
      .otherwise(assess);
    // Choice rules are tried in order, so the later ones only read a remediation that exists
    // (a missing path fails a Choice at run time). A diagnosis without one restarts, as before.
    const REMEDIATION = '$.diagnostics.remediation';
    const action = (name: string) => Condition.stringEquals(`${REMEDIATION}.action`, name);
    const diagnosisCallsFor = new Choice(this, 'Diagnosis Calls For?')
      .when(Condition.not(Condition.isPresent(REMEDIATION)), healthBeforeRestart)
      .when(Condition.booleanEquals(`${REMEDIATION}.confident`, false), escalate)
      .when(action('none'), escalate)
      .when(
        Condition.and(action('rollback'), Condition.booleanEquals('$.incident.options.allowRollback', true)),
        healthBeforeRollback,
      )
      .when(action('rollback'), escalate)
      .when(action('wait-for-dependency'), checkDependency)
      .otherwise(healthBeforeRestart);
    // The health read comes before Guard, so a healthy workload costs not even a Lease write.
    const healthyBeforeRestart = new Choice(this, 'Healthy Before Restart?')
      .when(Condition.booleanEquals('$.health.healthy', true), notifyNoAction)
      .otherwise(guard);
    // After a failed restart this execution already holds the lock (and Guard's cooldown would
    // now refuse the very restart it allowed), so the rollback follows without a second Guard.
    // Guard stored the workload's policy; rules that read it come after those that prove it exists.
    const policyIs = (action: 'restart' | 'rollback', mode: string) =>
      Condition.stringEquals(`$.guard.policy.${action}`, mode);
    const healthyBeforeRollback = new Choice(this, 'Healthy Before Rollback?')
      .when(Condition.booleanEquals('$.health.healthy', true), notifyNoAction)
      .when(Condition.and(Condition.isPresent('$.restart'), policyIs('rollback', 'approve')), requestApproval)
      .when(Condition.and(Condition.isPresent('$.restart'), policyIs('rollback', 'never')), escalate)
      .when(Condition.isPresent('$.restart'), rollback)
      .otherwise(guard);
    const stormOpener = new Choice(this, 'Storm Opener?')
      .when(Condition.booleanEquals('$.guard.storm.opener', true), stormGather)
      .otherwise(report);
    const allowedFor = (action: 'restart' | 'rollback') =>
      Condition.and(
        Condition.booleanEquals('$.guard.allowed', true),
        Condition.stringEquals('$.health.before', action),
      );
    const remediationAllowed = new Choice(this, 'Remediation Allowed?')
      .when(Condition.and(allowedFor('rollback'), policyIs('rollback', 'approve')), requestApproval)
      .when(allowedFor('rollback'), rollback)
      .when(Condition.and(allowedFor('restart'), policyIs('restart', 'approve')), requestApproval)
      .when(Condition.booleanEquals('$.guard.allowed', true), restart)
      .when(Condition.stringEquals('$.guard.reason', 'storm'), stormOpener)
      .otherwise(escalate);
    const approved = new Choice(this, 'Approved?')
      .when(
        Condition.and(
          Condition.stringEquals('$.approval.decision', 'approved'),
          Condition.stringEquals('$.approval.action', 'rollback'),
        ),
        rollback,
      )
      .when(Condition.stringEquals('$.approval.decision', 'approved'), restart)
      .otherwise(escalate);
    const dependencyReady = new Choice(this, 'Dependency Ready?')
      .when(Condition.stringEquals('$.dependencyWait.outcome', 'ready'), healthBeforeRestart)
      .when(Condition.stringEquals('$.dependencyWait.outcome', 'waiting'), waitForDependency)
      .otherwise(escalate);
    const verifyOutcome = new Choice(this, 'Verify Outcome')
      .when(Condition.stringEquals('$.verification.outcome', 'healthy'), notifyRecovered)
      .when(Condition.stringEquals('$.verification.outcome', 'progressing'), wait)
      .when(
        Condition.and(
          Condition.stringEquals('$.verification.outcome', 'failed'),
          Condition.booleanEquals('$.verification.rollbackPossible', true),
        ),
        healthBeforeRollback,
      )
      .otherwise(escalate);
    // A report that could not be written is a workflow failure someone must hear about. Spelled
    // `Not IsPresent` because aws-local-stepfunctions 3.0.0 never matches `IsPresent: false`.
    const outcome = new Choice(this, 'Outcome?')
      .when(Condition.not(Condition.isPresent('$.report')), lastResort)
      .when(Condition.stringEquals('$.report.outcome', 'escalated'), escalated)
      .otherwise(done);

    // No answer is not a workflow error: the timeout is recorded as the approval's decision.
    requestApproval.addCatch(approvalTimedOut, { errors: [Errors.TIMEOUT], resultPath: JsonPath.DISCARD });
    catchInto(requestApproval, escalate);
    requestApproval.next(approved);
    approvalTimedOut.next(escalate);
    openIncident.addCatch(invalidInput, { errors: ['InvalidInputError'], resultPath: ERROR_PATH });
    catchInto(openIncident, escalate);
    for (const task of [
      guard,
      healthBeforeRestart,
      restart,
      verify,
      healthBeforeRollback,
      rollback,
      checkDependency,
      notifyRecovered,
      notifyNoAction,
      stormRoster,
      notifyStorm,
    ]) {
      catchInto(task, escalate);
    }
    catchInto(escalate, clusterDump);
    catchInto(clusterDump, report);
    catchInto(report, releaseLock);
    catchInto(releaseLock, lastResort);

    openIncident.next(workloadTarget);
    // A branch that failed escalates with what the other found; without a diagnosis the next
    // Choice would otherwise restart.
    assess.next(
      new Choice(this, 'Assessed?')
        .when(Condition.isPresent(ERROR_PATH), escalate)
        .otherwise(diagnosisCallsFor),
    );
    guard.next(remediationAllowed);
    healthBeforeRestart.next(healthyBeforeRestart);
    healthBeforeRollback.next(healthyBeforeRollback);
    checkDependency.next(dependencyReady);
    waitForDependency.next(checkDependency);
    notifyNoAction.next(report);
    stormGather.next(stormRoster);
    stormRoster.next(notifyStorm);
    notifyStorm.next(report);
    restart.next(wait);
    wait.next(verify);
    verify.next(verifyOutcome);
    rollback.next(wait);
    notifyRecovered.next(report);
    escalate.next(clusterDump);
    clusterDump.next(report);
    report.next(releaseLock);
    releaseLock.next(outcome);

    ({ stateMachine: this.stateMachine, logGroup: this.logGroup } = observedStateMachine(this, {
      name: 'IncidentResponse',
      comment:
        'EKS incident response: notify, diagnose, collect events, restart, verify, roll back or escalate',
      start: openIncident,
      topic: props.topic,
      functions: Object.values(functions),
      logRetention: props.logRetention,
    }));
  }
}
