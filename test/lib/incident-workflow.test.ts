import { StateMachine } from 'aws-local-stepfunctions';
import {
  InvalidInputError,
  KubernetesServerError,
  KubernetesThrottledError,
  TRANSIENT_ERRORS,
} from '../../lambdas/shared/errors';
import { LAMBDA_SERVICE_ERRORS } from '../../lib/constructs/incident-workflow';
import { synthesizeDefinitions, type AslDefinition } from '../../lib/synth';
import { allStates } from '../../local/engine/execute-definition';
import { MINIMAL_CONTEXT, buildStack } from '../support/stack';

type State = Record<string, unknown>;
type Handler = (input: never) => unknown;

/** The Lambda Tasks of docs/workflow.md: state name → [function step, result path, static params]. */
const LAMBDA_TASKS: Record<string, [string, string, Record<string, string>]> = {
  'Open Incident': ['notify', '$.incident', { stage: 'opened' }],
  'Quick Diagnostics': ['diagnose', '$.diagnostics', {}],
  'Collect Events': ['collect-events', '$.events', {}],
  Guard: ['guard', '$.guard', { action: 'acquire' }],
  'Health Before Restart': ['verify', '$.health', { check: 'health', before: 'restart' }],
  Restart: ['restart', '$.restart', {}],
  Verify: ['verify', '$.verification', {}],
  'Health Before Rollback': ['verify', '$.health', { check: 'health', before: 'rollback' }],
  Rollback: ['rollback', '$.rollback', {}],
  'Check Dependency': ['verify', '$.dependencyWait', { check: 'dependency' }],
  'Notify Recovered': ['notify', '$.notified', { stage: 'recovered' }],
  'Notify No Action': ['notify', '$.notified', { stage: 'no-action' }],
  'Storm Roster': ['guard', '$.storm', { action: 'storm' }],
  'Notify Storm': ['notify', '$.notified', { stage: 'storm' }],
  Escalate: ['escalate', '$.escalation', {}],
  'Cluster Dump': ['cluster-dump', '$.dump', {}],
  Report: ['report', '$.report', {}],
  'Release Lock': ['guard', '$.lockRelease', { action: 'release' }],
};

/** A manual execution input as design §4 documents it, with no wait so the runs are quick. */
const INPUT = {
  source: 'manual',
  target: { namespace: 'apps', kind: 'Deployment', name: 'alldata-api' },
  alert: {
    name: 'ServiceDown',
    severity: 'critical',
    summary: 'alldata-api is down',
    labels: { namespace: 'apps' },
    annotations: {},
    startsAt: '2026-01-01T00:00:00Z',
  },
  options: { dryRun: false, waitSeconds: 0, verifyTimeoutSeconds: 300, allowRollback: true },
};

const INCIDENT = {
  ...INPUT,
  id: '20260101-000000-apps-alldata-api-a1b2c3',
  openedAt: '2026-01-01T00:00:05Z',
  evidencePrefix: 'incidents/2026/01/01/20260101-000000-apps-alldata-api-a1b2c3/',
};

function verification(outcome: string, rollbackPossible = false) {
  return {
    outcome,
    phase: 'restart',
    message:
      outcome === 'healthy' ? 'deployment "alldata-api" successfully rolled out' : 'Waiting for rollout',
    deadline: '2026-01-01T00:06:00Z',
    checkedAt: '2026-01-01T00:01:00Z',
    history: [],
    rollbackPossible,
  };
}

function health(before: string, healthy: boolean) {
  return { healthy, before, detail: healthy ? 'healthy' : 'not healthy', checkedAt: '2026-01-01T00:00:20Z' };
}

function dependencyWait(outcome: string) {
  return {
    outcome,
    namespace: 'apps',
    service: 'mysql',
    readyEndpoints: outcome === 'ready' ? 1 : 0,
    message: `Service apps/mysql: ${outcome}`,
    deadline: '2026-01-01T00:05:20Z',
    checkedAt: '2026-01-01T00:00:20Z',
    checks: 1,
  };
}

/** Diagnostics whose remediation decision is `action`. */
function diagnosed(action: string, confident = true, dependency?: { namespace: string; service: string }) {
  return () => ({
    pods: [],
    remediation: {
      action,
      reason: `the rules call for ${action}`,
      confident,
      ...(dependency ? { dependency } : {}),
    },
    evidence: { diagnostics: `${INCIDENT.evidencePrefix}diagnostics.json` },
  });
}

/** Handlers for a run that recovers by restart; each test overrides the states it is about. */
function recoveringHandlers(): Record<string, Handler> {
  return {
    'Open Incident': () => INCIDENT,
    'Quick Diagnostics': () => ({
      pods: [],
      evidence: { diagnostics: `${INCIDENT.evidencePrefix}diagnostics.json` },
    }),
    'Collect Events': () => ({ count: 3, warnings: 1, evidence: {} }),
    Guard: () => ({
      allowed: true,
      detail: 'lock acquired',
      policy: { restart: 'auto', rollback: 'auto' },
    }),
    'Health Before Restart': () => health('restart', false),
    'Health Before Rollback': () => health('rollback', false),
    'Check Dependency': () => dependencyWait('ready'),
    Restart: () => ({ revisionBefore: 4, restartedAt: '2026-01-01T00:00:30Z', generation: 7 }),
    Verify: () => verification('healthy'),
    Rollback: () => ({
      fromRevision: 5,
      toRevision: 4,
      skipped: false,
      rolledBackAt: '2026-01-01T00:02:00Z',
    }),
    'Notify Recovered': () => ({ notified: ['sns'] }),
    'Notify No Action': () => ({ notified: ['sns'] }),
    Escalate: () => ({ escalatedAt: '2026-01-01T00:03:00Z', why: 'verify failed', notified: ['sns'] }),
    'Cluster Dump': () => ({
      prefix: `${INCIDENT.evidencePrefix}cluster-dump/`,
      objects: 10,
      bytes: 1000,
      truncated: false,
    }),
    Report: () => ({ outcome: 'recovered-by-restart', markdown: 'report.md', json: 'report.json' }),
    'Release Lock': () => ({ released: true, detail: 'lease released' }),
    'Last-Resort Notify': () => ({ MessageId: 'b0f3c5a2-0000-4000-8000-000000000000' }),
  };
}

/** An entry of the execution's event log (the library does not export its type). */
type EventLog = Awaited<ReturnType<ReturnType<StateMachine['run']>['eventLogs']['next']>>['value'];

interface Run {
  states: string[];
  events: Exclude<EventLog, void>[];
  inputs: Record<string, unknown[]>;
  output?: State;
  error?: { name: string; cause: unknown };
}

let definition: AslDefinition;
/** Every state by name, those inside the Parallel's branches included. */
let states: Record<string, State>;

beforeAll(() => {
  definition = synthesizeDefinitions(MINIMAL_CONTEXT).incidentResponse;
  states = Object.fromEntries(allStates(definition as never)) as Record<string, State>;
});

/** Runs the synthesized definition locally, Task handlers bound by state name like the local runner does. */
async function run(overrides: Record<string, Handler> = {}, input: unknown = INPUT): Promise<Run> {
  const handlers = { ...recoveringHandlers(), ...overrides };
  const inputs: Record<string, unknown[]> = {};
  const taskResourceLocalHandlers = Object.fromEntries(
    Object.entries(handlers).map(([name, handler]) => [
      name,
      async (event: unknown) => {
        (inputs[name] ??= []).push(event);
        return handler(event as never);
      },
    ]),
  ) as never;
  const execution = new StateMachine(definition as never).run(input as never, {
    overrides: {
      taskResourceLocalHandlers,
      retryIntervalOverrides: Object.fromEntries(Object.keys(handlers).map((name) => [name, 0])),
    },
    context: {
      Execution: {
        Id: 'arn:aws:states:us-east-1:000000000000:execution:IncidentResponse:run-1',
        Name: 'run-1',
      },
    } as never,
  });
  const result: Run = { states: [], events: [], inputs };
  try {
    result.output = (await execution.result) as State;
  } catch (error) {
    const cause = (error as Error).cause as { name: string; message: unknown };
    result.error = { name: cause.name, cause: cause.message };
  }
  for await (const event of execution.eventLogs) {
    result.events.push(event);
    if (event.type === 'StateEntered') result.states.push(event.state.name);
  }
  return result;
}

describe('IncidentResponse definition (synthesized)', () => {
  it('is a JSONPath state machine with exactly the states of docs/workflow.md', () => {
    // Assess
    expect(definition.QueryLanguage).toBe('JSONPath');
    expect(definition.StartAt).toBe('Open Incident');
    expect(Object.fromEntries(Object.entries(definition.States).map(([name, s]) => [name, s.Type]))).toEqual({
      'Open Incident': 'Task',
      'Workload Target?': 'Choice',
      Assess: 'Parallel',
      'Assessed?': 'Choice',
      'Diagnosis Calls For?': 'Choice',
      'Health Before Restart': 'Task',
      'Healthy Before Restart?': 'Choice',
      Guard: 'Task',
      'Remediation Allowed?': 'Choice',
      Restart: 'Task',
      Wait: 'Wait',
      Verify: 'Task',
      'Verify Outcome': 'Choice',
      'Health Before Rollback': 'Task',
      'Healthy Before Rollback?': 'Choice',
      Rollback: 'Task',
      'Check Dependency': 'Task',
      'Dependency Ready?': 'Choice',
      'Wait For Dependency': 'Wait',
      'Notify Recovered': 'Task',
      'Notify No Action': 'Task',
      'Request Approval': 'Task',
      'Approved?': 'Choice',
      'Approval Timed Out': 'Pass',
      'Storm Opener?': 'Choice',
      'Storm Gather': 'Wait',
      'Storm Roster': 'Task',
      'Notify Storm': 'Task',
      Escalate: 'Task',
      'Cluster Dump': 'Task',
      Report: 'Task',
      'Release Lock': 'Task',
      'Outcome?': 'Choice',
      Done: 'Succeed',
      Escalated: 'Fail',
      'Last-Resort Notify': 'Task',
      Failed: 'Fail',
      'Invalid Input': 'Fail',
    });
    const branches = (definition.States.Assess as { Branches: AslDefinition[] }).Branches;
    expect(
      branches.map((b) => ({
        StartAt: b.StartAt,
        States: Object.fromEntries(Object.entries(b.States).map(([name, s]) => [name, s.Type])),
      })),
    ).toEqual([
      { StartAt: 'Quick Diagnostics', States: { 'Quick Diagnostics': 'Task', 'Diagnostics Failed': 'Pass' } },
      { StartAt: 'Collect Events', States: { 'Collect Events': 'Task', 'Events Failed': 'Pass' } },
    ]);
  });

  it('runs Quick Diagnostics and Collect Events side by side and merges their results into the one state document', () => {
    // Assess
    expect(definition.States.Assess).toMatchObject({
      Type: 'Parallel',
      ResultSelector: { 'merged.$': 'States.JsonMerge($[0], $[1], false)' },
      OutputPath: '$.merged',
      Next: 'Assessed?',
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Escalate' }],
    });
    expect(definition.States['Assessed?']).toEqual({
      Type: 'Choice',
      Choices: [{ Variable: '$.error', IsPresent: true, Next: 'Escalate' }],
      Default: 'Diagnosis Calls For?',
    });
    expect(states['Quick Diagnostics']).toMatchObject({ End: true });
    expect(states['Collect Events']).toMatchObject({ End: true });
  });

  it('sends every Lambda Task the uniform event, stores its result at its result path and moves on as specified', () => {
    // Prepare
    const next: Record<string, string> = {
      'Open Incident': 'Workload Target?',
      Guard: 'Remediation Allowed?',
      'Health Before Restart': 'Healthy Before Restart?',
      Restart: 'Wait',
      Verify: 'Verify Outcome',
      'Health Before Rollback': 'Healthy Before Rollback?',
      Rollback: 'Wait',
      'Check Dependency': 'Dependency Ready?',
      'Notify Recovered': 'Report',
      'Notify No Action': 'Report',
      'Storm Roster': 'Notify Storm',
      'Notify Storm': 'Report',
      Escalate: 'Cluster Dump',
      'Cluster Dump': 'Report',
      Report: 'Release Lock',
      'Release Lock': 'Outcome?',
    };

    for (const [name, [step, resultPath, params]] of Object.entries(LAMBDA_TASKS)) {
      // Assess
      expect({ name, ...states[name] }).toMatchObject({
        name,
        Resource: `arn:aws:lambda:us-east-1:000000000000:function:${step}`,
        ResultPath: resultPath,
        // The Parallel's branch Tasks end their branch.
        ...(next[name] ? { Next: next[name] } : { End: true }),
        Parameters: {
          'state.$': '$',
          execution: {
            'id.$': '$$.Execution.Id',
            'name.$': '$$.Execution.Name',
            'startTime.$': '$$.Execution.StartTime',
          },
          params,
        },
      });
      expect(states[name]).not.toHaveProperty('ResultSelector');
    }
    expect(definition.States.Wait).toEqual({
      Type: 'Wait',
      SecondsPath: '$.incident.options.waitSeconds',
      Next: 'Verify',
    });
    expect(definition.States['Wait For Dependency']).toEqual({
      Type: 'Wait',
      SecondsPath: '$.incident.options.waitSeconds',
      Next: 'Check Dependency',
    });
  });

  it('retries the transient Kubernetes errors and the Lambda service errors on every Lambda Task', () => {
    for (const name of Object.keys(LAMBDA_TASKS)) {
      // Assess
      const retry = { IntervalSeconds: 2, BackoffRate: 2, MaxAttempts: 4, JitterStrategy: 'FULL' };
      expect({ name, Retry: states[name].Retry }).toEqual({
        name,
        Retry: [
          { ErrorEquals: TRANSIENT_ERRORS, ...retry },
          { ErrorEquals: LAMBDA_SERVICE_ERRORS, ...retry },
        ],
      });
    }
  });

  it('catches as docs/workflow.md says, so no path ends without a notification', () => {
    // Prepare
    const catchTo = (next: string) => [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: next }];

    // Assess
    expect(definition.States['Open Incident'].Catch).toEqual([
      { ErrorEquals: ['InvalidInputError'], ResultPath: '$.error', Next: 'Invalid Input' },
      ...catchTo('Escalate'),
    ]);
    // Inside the Parallel a failure ends its branch, recorded; Assessed? then escalates.
    expect(states['Quick Diagnostics'].Catch).toEqual(catchTo('Diagnostics Failed'));
    expect(states['Collect Events'].Catch).toEqual(catchTo('Events Failed'));
    expect(definition.States.Assess.Catch).toEqual(catchTo('Escalate'));
    for (const name of [
      'Guard',
      'Health Before Restart',
      'Restart',
      'Verify',
      'Health Before Rollback',
      'Rollback',
      'Check Dependency',
      'Notify Recovered',
      'Notify No Action',
    ]) {
      expect({ name, Catch: definition.States[name].Catch }).toEqual({ name, Catch: catchTo('Escalate') });
    }
    expect(definition.States.Escalate.Catch).toEqual(catchTo('Cluster Dump'));
    expect(definition.States['Cluster Dump'].Catch).toEqual(catchTo('Report'));
    expect(definition.States.Report.Catch).toEqual(catchTo('Release Lock'));
    expect(definition.States['Release Lock'].Catch).toEqual(catchTo('Last-Resort Notify'));
    expect(definition.States['Last-Resort Notify'].Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.lastResort', Next: 'Failed' },
    ]);
  });

  it("gives every Task a TimeoutSeconds of its function's timeout plus 30 s", () => {
    // Prepare
    const { stack } = buildStack(MINIMAL_CONTEXT);
    const functionTimeout = (step: string) =>
      stack.functions[step as keyof typeof stack.functions].function.timeout?.toSeconds();

    // Assess
    for (const [name, [step]] of Object.entries(LAMBDA_TASKS)) {
      expect({ name, TimeoutSeconds: states[name].TimeoutSeconds }).toEqual({
        name,
        TimeoutSeconds: (functionTimeout(step) ?? NaN) + 30,
      });
    }
    expect(definition.States['Last-Resort Notify']).toMatchObject({
      Resource: 'arn:aws:states:::sns:publish',
      TimeoutSeconds: 30,
      ResultPath: '$.lastResort',
      Next: 'Failed',
      Retry: [{ ErrorEquals: ['States.TaskFailed', 'States.Timeout'], IntervalSeconds: 2, MaxAttempts: 4 }],
      Parameters: {
        TopicArn: 'arn:aws:sns:us-east-1:000000000000:eks-incident-response-notifications',
        'Message.$': expect.stringContaining('States.JsonToString($.error)'),
      },
    });
  });

  it('routes the Choice states by the results', () => {
    // Assess
    expect(definition.States['Workload Target?']).toEqual({
      Type: 'Choice',
      Choices: [{ Variable: '$.incident.target.kind', StringEquals: 'Namespace', Next: 'Escalate' }],
      Default: 'Assess',
    });
    const action = (name: string) => ({ Variable: '$.diagnostics.remediation.action', StringEquals: name });
    expect(definition.States['Diagnosis Calls For?']).toEqual({
      Type: 'Choice',
      Choices: [
        { Not: { Variable: '$.diagnostics.remediation', IsPresent: true }, Next: 'Health Before Restart' },
        { Variable: '$.diagnostics.remediation.confident', BooleanEquals: false, Next: 'Escalate' },
        { ...action('none'), Next: 'Escalate' },
        {
          And: [action('rollback'), { Variable: '$.incident.options.allowRollback', BooleanEquals: true }],
          Next: 'Health Before Rollback',
        },
        { ...action('rollback'), Next: 'Escalate' },
        { ...action('wait-for-dependency'), Next: 'Check Dependency' },
      ],
      Default: 'Health Before Restart',
    });
    const healthy = { Variable: '$.health.healthy', BooleanEquals: true, Next: 'Notify No Action' };
    expect(definition.States['Healthy Before Restart?']).toEqual({
      Type: 'Choice',
      Choices: [healthy],
      Default: 'Guard',
    });
    expect(definition.States['Healthy Before Rollback?']).toEqual({
      Type: 'Choice',
      Choices: [
        healthy,
        {
          And: [
            { Variable: '$.restart', IsPresent: true },
            { Variable: '$.guard.policy.rollback', StringEquals: 'approve' },
          ],
          Next: 'Request Approval',
        },
        {
          And: [
            { Variable: '$.restart', IsPresent: true },
            { Variable: '$.guard.policy.rollback', StringEquals: 'never' },
          ],
          Next: 'Escalate',
        },
        { Variable: '$.restart', IsPresent: true, Next: 'Rollback' },
      ],
      Default: 'Guard',
    });
    const allowedFor = (action: string) => [
      { Variable: '$.guard.allowed', BooleanEquals: true },
      { Variable: '$.health.before', StringEquals: action },
    ];
    expect(definition.States['Remediation Allowed?']).toEqual({
      Type: 'Choice',
      Choices: [
        {
          And: [
            { And: allowedFor('rollback') },
            { Variable: '$.guard.policy.rollback', StringEquals: 'approve' },
          ],
          Next: 'Request Approval',
        },
        { And: allowedFor('rollback'), Next: 'Rollback' },
        {
          And: [
            { And: allowedFor('restart') },
            { Variable: '$.guard.policy.restart', StringEquals: 'approve' },
          ],
          Next: 'Request Approval',
        },
        { Variable: '$.guard.allowed', BooleanEquals: true, Next: 'Restart' },
        { Variable: '$.guard.reason', StringEquals: 'storm', Next: 'Storm Opener?' },
      ],
      Default: 'Escalate',
    });
    expect(definition.States['Approved?']).toEqual({
      Type: 'Choice',
      Choices: [
        {
          And: [
            { Variable: '$.approval.decision', StringEquals: 'approved' },
            { Variable: '$.approval.action', StringEquals: 'rollback' },
          ],
          Next: 'Rollback',
        },
        { Variable: '$.approval.decision', StringEquals: 'approved', Next: 'Restart' },
      ],
      Default: 'Escalate',
    });
    expect(definition.States['Request Approval']).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      TimeoutSeconds: 3600,
      ResultPath: '$.approval',
      Parameters: {
        FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:notify',
        Payload: { params: { stage: 'approval', 'taskToken.$': '$$.Task.Token', timeoutSeconds: '3600' } },
      },
      Catch: [
        { ErrorEquals: ['States.Timeout'], ResultPath: null, Next: 'Approval Timed Out' },
        { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Escalate' },
      ],
      Next: 'Approved?',
    });
    expect(definition.States['Storm Opener?']).toEqual({
      Type: 'Choice',
      Choices: [{ Variable: '$.guard.storm.opener', BooleanEquals: true, Next: 'Storm Gather' }],
      Default: 'Report',
    });
    expect(definition.States['Storm Gather']).toEqual({
      Type: 'Wait',
      SecondsPath: '$.incident.options.waitSeconds',
      Next: 'Storm Roster',
    });
    expect(definition.States['Dependency Ready?']).toEqual({
      Type: 'Choice',
      Choices: [
        { Variable: '$.dependencyWait.outcome', StringEquals: 'ready', Next: 'Health Before Restart' },
        { Variable: '$.dependencyWait.outcome', StringEquals: 'waiting', Next: 'Wait For Dependency' },
      ],
      Default: 'Escalate',
    });
    expect(definition.States['Verify Outcome']).toEqual({
      Type: 'Choice',
      Choices: [
        { Variable: '$.verification.outcome', StringEquals: 'healthy', Next: 'Notify Recovered' },
        { Variable: '$.verification.outcome', StringEquals: 'progressing', Next: 'Wait' },
        {
          And: [
            { Variable: '$.verification.outcome', StringEquals: 'failed' },
            { Variable: '$.verification.rollbackPossible', BooleanEquals: true },
          ],
          Next: 'Health Before Rollback',
        },
      ],
      Default: 'Escalate',
    });
    expect(definition.States['Outcome?']).toEqual({
      Type: 'Choice',
      Choices: [
        { Not: { Variable: '$.report', IsPresent: true }, Next: 'Last-Resort Notify' },
        { Variable: '$.report.outcome', StringEquals: 'escalated', Next: 'Escalated' },
      ],
      Default: 'Done',
    });
    expect(definition.States.Escalated).toMatchObject({ Type: 'Fail', Error: 'IncidentEscalated' });
    expect(definition.States.Failed).toMatchObject({ Type: 'Fail', Error: 'IncidentWorkflowFailed' });
    expect(definition.States['Invalid Input']).toEqual({
      Type: 'Fail',
      Error: 'InvalidInputError',
      CausePath: '$.error.Cause',
    });
  });
});

describe('IncidentResponse definition run by aws-local-stepfunctions', () => {
  it('recovers by restart, looping through Wait while the rollout progresses', async () => {
    // Prepare
    const outcomes = ['progressing', 'healthy'];

    // Act
    const result = await run({ Verify: () => verification(outcomes.shift() ?? 'healthy') });

    // Assess
    expect(result.error).toBeUndefined();
    expect(result.states).toEqual([
      'Open Incident',
      'Workload Target?',
      'Assess',
      'Quick Diagnostics',
      'Collect Events',
      'Assessed?',
      'Diagnosis Calls For?',
      'Health Before Restart',
      'Healthy Before Restart?',
      'Guard',
      'Remediation Allowed?',
      'Restart',
      'Wait',
      'Verify',
      'Verify Outcome',
      'Wait',
      'Verify',
      'Verify Outcome',
      'Notify Recovered',
      'Report',
      'Release Lock',
      'Outcome?',
      'Done',
    ]);
    expect(result.inputs['Open Incident'][0]).toEqual({
      state: INPUT,
      execution: {
        id: 'arn:aws:states:us-east-1:000000000000:execution:IncidentResponse:run-1',
        name: 'run-1',
        startTime: expect.any(String),
      },
      step: 'Open Incident',
      params: { stage: 'opened' },
    });
    expect(result.inputs['Release Lock'][0]).toMatchObject({
      state: { incident: INCIDENT, guard: { allowed: true }, report: { outcome: 'recovered-by-restart' } },
      params: { action: 'release' },
    });
    expect(result.output).toMatchObject({ incident: INCIDENT, lockRelease: { released: true } });
  });

  it('rolls back when the restart fails and a rollback is possible, then verifies again', async () => {
    // Prepare
    const outcomes = [verification('failed', true), { ...verification('healthy'), phase: 'rollback' }];

    // Act
    const result = await run({
      Verify: () => outcomes.shift(),
      Report: () => ({ outcome: 'recovered-by-rollback', markdown: 'report.md', json: 'report.json' }),
    });

    // Assess
    expect(result.error).toBeUndefined();
    expect(result.states.slice(11, 21)).toEqual([
      'Restart',
      'Wait',
      'Verify',
      'Verify Outcome',
      'Health Before Rollback',
      'Healthy Before Rollback?',
      'Rollback',
      'Wait',
      'Verify',
      'Verify Outcome',
    ]);
    expect(result.states.at(-1)).toBe('Done');
  });

  it('escalates, dumps the cluster and ends in Escalated when verification fails without a rollback', async () => {
    // Act
    const result = await run({
      Verify: () => verification('failed', false),
      Report: () => ({ outcome: 'escalated', markdown: 'report.md', json: 'report.json' }),
    });

    // Assess
    expect(result.states.slice(-7)).toEqual([
      'Verify Outcome',
      'Escalate',
      'Cluster Dump',
      'Report',
      'Release Lock',
      'Outcome?',
      'Escalated',
    ]);
    expect(result.error).toEqual({ name: 'IncidentEscalated', cause: expect.any(String) });
  });

  it('takes the dry-run path: no remediation, escalation with the evidence, and Done', async () => {
    // Act
    const result = await run({
      Guard: () => ({ allowed: false, reason: 'dry-run', detail: 'dry run: nothing was changed' }),
      Report: () => ({ outcome: 'dry-run', markdown: 'report.md', json: 'report.json' }),
    });

    // Assess
    expect(result.error).toBeUndefined();
    expect(result.states.slice(10)).toEqual([
      'Remediation Allowed?',
      'Escalate',
      'Cluster Dump',
      'Report',
      'Release Lock',
      'Outcome?',
      'Done',
    ]);
    expect(result.inputs.Restart).toBeUndefined();
  });

  it('takes a namespace-level incident from Open Incident straight to Escalate, the dump and the report', async () => {
    // Prepare
    const namespaceInput = { ...INPUT, target: { namespace: 'apps', kind: 'Namespace' } };
    const namespaceIncident = { ...INCIDENT, target: namespaceInput.target };

    // Act
    const result = await run(
      {
        'Open Incident': () => namespaceIncident,
        Report: () => ({ outcome: 'escalated', markdown: 'report.md', json: 'report.json' }),
        'Release Lock': () => ({ released: false, detail: 'A namespace-level incident takes no lock.' }),
      },
      namespaceInput,
    );

    // Assess
    expect(result.states).toEqual([
      'Open Incident',
      'Workload Target?',
      'Escalate',
      'Cluster Dump',
      'Report',
      'Release Lock',
      'Outcome?',
      'Escalated',
    ]);
    expect(result.inputs.Escalate[0]).toMatchObject({ state: { incident: namespaceIncident } });
  });

  it('fails at the first state under InvalidInputError, naming the field, without running another Task', async () => {
    // Prepare
    const badInput = { ...INPUT, target: { ...INPUT.target, namespace: 'Not_A_Namespace' } };

    // Act
    const result = await run(
      {
        'Open Incident': () => {
          throw new InvalidInputError(
            'target.namespace',
            'must be a Kubernetes namespace name (RFC 1123 label)',
          );
        },
      },
      badInput,
    );

    // Assess
    expect(result.states).toEqual(['Open Incident', 'Invalid Input']);
    expect(result.error).toEqual({
      name: 'InvalidInputError',
      cause:
        'invalid execution input: target.namespace: must be a Kubernetes namespace name (RFC 1123 label)',
    });
    expect(Object.keys(result.inputs)).toEqual(['Open Incident']);
  });

  it.each([
    ['Quick Diagnostics', 'Diagnostics Failed', 'events', 'diagnostics'],
    ['Collect Events', 'Events Failed', 'diagnostics', 'events'],
  ])(
    'escalates without a write when %s fails, keeping what the other branch found',
    async (failing, caught, kept, lost) => {
      // Act
      const result = await run({
        [failing]: () => {
          throw new KubernetesServerError('500 Internal Server Error', 500);
        },
        Report: () => ({ outcome: 'escalated', markdown: 'report.md', json: 'report.json' }),
      });

      // Assess
      expect(result.states).toContain(caught);
      expect(
        result.states.slice(result.states.indexOf('Assessed?'), result.states.indexOf('Assessed?') + 2),
      ).toEqual(['Assessed?', 'Escalate']);
      expect(result.states).not.toContain('Guard');
      const escalated = (result.inputs.Escalate[0] as { state: State }).state;
      expect(escalated[kept]).toEqual(
        recoveringHandlers()[kept === 'events' ? 'Collect Events' : 'Quick Diagnostics']({} as never),
      );
      expect(escalated).not.toHaveProperty(lost);
      expect(escalated.error).toMatchObject({ Error: 'KubernetesServerError' });
    },
  );

  it('retries a throttled Kubernetes call and escalates with the error when a step keeps failing', async () => {
    // Prepare
    let diagnoseCalls = 0;
    let restartCalls = 0;

    // Act
    const result = await run({
      'Quick Diagnostics': () => {
        diagnoseCalls += 1;
        if (diagnoseCalls === 1) throw new KubernetesThrottledError('429 Too Many Requests', 1);
        return { pods: [] };
      },
      Restart: () => {
        restartCalls += 1;
        throw new KubernetesServerError('500 Internal Server Error', 500);
      },
      Report: () => ({ outcome: 'escalated', markdown: 'report.md', json: 'report.json' }),
    });

    // Assess
    expect(diagnoseCalls).toBe(2);
    expect(restartCalls).toBe(5);
    expect(
      result.events.filter((e) => e.type === 'StateRetried').map((e) => 'state' in e && e.state.name),
    ).toEqual(['Quick Diagnostics', 'Restart', 'Restart', 'Restart', 'Restart']);
    expect(result.inputs.Escalate[0]).toMatchObject({
      state: { error: { Error: 'KubernetesServerError', Cause: '500 Internal Server Error' } },
    });
    expect(result.states.slice(-2)).toEqual(['Outcome?', 'Escalated']);
  });

  it('sends the last-resort notification and fails when the report cannot be written', async () => {
    // Act
    const result = await run({
      Report: () => {
        throw new TypeError("Cannot read properties of undefined (reading 'outcome')");
      },
    });

    // Assess
    expect(result.states.slice(-5)).toEqual([
      'Report',
      'Release Lock',
      'Outcome?',
      'Last-Resort Notify',
      'Failed',
    ]);
    expect(result.inputs['Release Lock'][0]).toMatchObject({ state: { error: { Error: 'TypeError' } } });
    expect(result.inputs['Last-Resort Notify'][0]).toEqual({
      TopicArn: 'arn:aws:sns:us-east-1:000000000000:eks-incident-response-notifications',
      Subject: 'EKS incident workflow failed',
      Message: expect.stringContaining(
        'arn:aws:states:us-east-1:000000000000:execution:IncidentResponse:run-1 failed',
      ),
    });
    expect(result.error?.name).toBe('IncidentWorkflowFailed');
  });

  it.each([
    ['a cause a restart cannot help', diagnosed('none')],
    ['an unsure diagnosis', diagnosed('restart', false)],
  ])('escalates at once, before Guard and any write, for %s', async (_, diagnostics) => {
    // Act
    const result = await run({
      'Quick Diagnostics': diagnostics,
      Report: () => ({ outcome: 'escalated', markdown: 'report.md', json: 'report.json' }),
    });

    // Assess
    expect(result.states.slice(4)).toEqual([
      'Collect Events',
      'Assessed?',
      'Diagnosis Calls For?',
      'Escalate',
      'Cluster Dump',
      'Report',
      'Release Lock',
      'Outcome?',
      'Escalated',
    ]);
    expect(result.inputs.Guard).toBeUndefined();
  });

  it('rolls back directly, without a restart, when the diagnosis calls for a rollback', async () => {
    // Act
    const result = await run({
      'Quick Diagnostics': diagnosed('rollback'),
      Verify: () => ({ ...verification('healthy'), phase: 'rollback' }),
      Report: () => ({ outcome: 'recovered-by-rollback', markdown: 'report.md', json: 'report.json' }),
    });

    // Assess
    expect(result.states.slice(6, 15)).toEqual([
      'Diagnosis Calls For?',
      'Health Before Rollback',
      'Healthy Before Rollback?',
      'Guard',
      'Remediation Allowed?',
      'Rollback',
      'Wait',
      'Verify',
      'Verify Outcome',
    ]);
    expect(result.inputs.Restart).toBeUndefined();
    expect(result.states.at(-1)).toBe('Done');
  });

  it('escalates without a write when the diagnosis calls for a rollback the input does not allow', async () => {
    // Prepare
    const options = { ...INPUT.options, allowRollback: false };

    // Act
    const result = await run(
      {
        'Open Incident': () => ({ ...INCIDENT, options }),
        'Quick Diagnostics': diagnosed('rollback'),
        Report: () => ({ outcome: 'escalated', markdown: 'report.md', json: 'report.json' }),
      },
      { ...INPUT, options },
    );

    // Assess
    expect(result.states.slice(6, 8)).toEqual(['Diagnosis Calls For?', 'Escalate']);
    expect(result.inputs.Rollback).toBeUndefined();
    expect(result.inputs.Restart).toBeUndefined();
  });

  it('waits for the named dependency, then restarts once it has ready endpoints', async () => {
    // Prepare
    const checks = [dependencyWait('waiting'), dependencyWait('waiting'), dependencyWait('ready')];

    // Act
    const result = await run({
      'Quick Diagnostics': diagnosed('wait-for-dependency', true, { namespace: 'apps', service: 'mysql' }),
      'Check Dependency': () => checks.shift(),
    });

    // Assess
    expect(result.states.slice(6, 19)).toEqual([
      'Diagnosis Calls For?',
      'Check Dependency',
      'Dependency Ready?',
      'Wait For Dependency',
      'Check Dependency',
      'Dependency Ready?',
      'Wait For Dependency',
      'Check Dependency',
      'Dependency Ready?',
      'Health Before Restart',
      'Healthy Before Restart?',
      'Guard',
      'Remediation Allowed?',
    ]);
    expect(result.inputs.Restart).toHaveLength(1);
    expect(result.states.at(-1)).toBe('Done');
  });

  it('escalates without restarting when the dependency never becomes ready', async () => {
    // Act
    const result = await run({
      'Quick Diagnostics': diagnosed('wait-for-dependency', true, { namespace: 'apps', service: 'mysql' }),
      'Check Dependency': () => dependencyWait('failed'),
      Report: () => ({ outcome: 'escalated', markdown: 'report.md', json: 'report.json' }),
    });

    // Assess
    expect(result.states.slice(7, 10)).toEqual(['Check Dependency', 'Dependency Ready?', 'Escalate']);
    expect(result.inputs.Restart).toBeUndefined();
    expect(result.inputs.Guard).toBeUndefined();
    expect(result.states.at(-1)).toBe('Escalated');
  });

  it.each([
    ['restart', 'Health Before Restart', 'Restart'],
    ['rollback', 'Health Before Rollback', 'Rollback'],
  ])('takes no %s when the workload is healthy right before it', async (action, check, write) => {
    // Act
    const result = await run({
      'Quick Diagnostics': diagnosed(action),
      [check]: () => health(action, true),
      Report: () => ({ outcome: 'healthy-no-action', markdown: 'report.md', json: 'report.json' }),
    });

    // Assess
    const at = result.states.indexOf(check);
    expect(result.states.slice(at + 1)).toEqual([
      `Healthy Before ${write}?`,
      'Notify No Action',
      'Report',
      'Release Lock',
      'Outcome?',
      'Done',
    ]);
    expect(result.inputs[write]).toBeUndefined();
    expect(result.inputs.Guard).toBeUndefined();
  });

  it('sends the last-resort notification when releasing the lock fails', async () => {
    // Act
    const result = await run({
      'Release Lock': () => {
        throw new KubernetesServerError('503 Service Unavailable', 503);
      },
    });

    // Assess
    expect(result.states.slice(-3)).toEqual(['Release Lock', 'Last-Resort Notify', 'Failed']);
    expect(String((result.inputs['Last-Resort Notify'][0] as { Message: string }).Message)).toContain(
      'KubernetesServerError',
    );
    expect(result.error?.name).toBe('IncidentWorkflowFailed');
  });
});
