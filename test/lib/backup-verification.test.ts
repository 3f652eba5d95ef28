import * as path from 'node:path';
import { Validations } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { StateMachine } from 'aws-local-stepfunctions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { ConfigurationError, TRANSIENT_ERRORS } from '../../lambdas/shared/errors';
import { BACKUP_STEPS } from '../../lib/constructs/backup-verification';
import { LAMBDA_SERVICE_ERRORS } from '../../lib/constructs/step-task';
import { synthesizeDefinitions, type AslDefinition } from '../../lib/synth';
import { MINIMAL_CONTEXT, buildStack, type BuiltStack } from '../support/stack';

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
type State = Record<string, unknown>;

const EXAMPLE_FILE = path.resolve(__dirname, '../../examples/backup-sources.json');
const CONTEXT = { ...MINIMAL_CONTEXT, backupSources: EXAMPLE_FILE };

/** Two buckets, one of them encrypted with a customer-managed key, and a custom schedule. */
const CUSTOM = {
  ...MINIMAL_CONTEXT,
  region: 'eu-west-1',
  backupSchedule: 'cron(30 7 ? * MON-FRI *)',
  backupScheduleTimeZone: 'Europe/Berlin',
  backupSuccessDigest: 'true',
  backupSources: JSON.stringify({
    s3: [
      { name: 'mysql', bucket: 'one-data-backups', prefix: 'mysql/', maxAgeHours: 26, format: 'gzip' },
      {
        name: 'vault',
        bucket: 'vault-snapshots',
        prefix: 'raft/',
        maxAgeHours: 2,
        kmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
      },
    ],
  }),
};

/** The Tasks, Choices and other states of a definition and its Parallel branches, flattened. */
function statesOf(definition: { States: Record<string, State> }): Record<string, State> {
  return Object.fromEntries(
    Object.entries(definition.States).flatMap(([name, state]) => [
      [name, state],
      ...((state.Branches ?? []) as AslDefinition[]).flatMap((b) => Object.entries(statesOf(b))),
    ]),
  );
}

function statementsOfRole(built: BuiltStack, roleConstruct: IConstruct): Statement[] {
  const roleId = built.stack.getLogicalId(roleConstruct.node.defaultChild as never);
  return Object.values(built.template.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(`"${roleId}"`))
    .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

function actions(statements: Statement[]): string[] {
  return statements.flatMap((s) => [s.Action].flat());
}

describe('BackupVerification in the stack', () => {
  let built: BuiltStack;
  let definition: AslDefinition;
  let states: Record<string, State>;

  beforeAll(() => {
    built = buildStack(CONTEXT);
    definition = synthesizeDefinitions(CONTEXT).backupVerification!;
    states = statesOf(definition);
  });

  it('adds a second state machine and nothing of it without backupSources', () => {
    // Act
    const without = buildStack(MINIMAL_CONTEXT);

    // Assess
    built.template.resourceCountIs('AWS::StepFunctions::StateMachine', 2);
    built.template.resourceCountIs('AWS::Scheduler::Schedule', 1);
    without.template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    without.template.resourceCountIs('AWS::Scheduler::Schedule', 0);
    expect(without.stack.backupVerification).toBeUndefined();
    expect(synthesizeDefinitions(MINIMAL_CONTEXT).backupVerification).toBeUndefined();
  });

  it('has every state and transition of the documented flow', () => {
    // Assess
    expect(definition.StartAt).toBe('Open Run');
    expect(Object.keys(definition.States).sort()).toEqual(
      [
        'Open Run',
        'Invalid Input',
        'Verify Backups',
        'Report',
        'Last-Resort Notify',
        'Failed',
        'Outcome?',
        'Backups Not Verified',
        'Done',
      ].sort(),
    );
    expect(states['Open Run']).toMatchObject({ Next: 'Verify Backups', ResultPath: '$.run' });
    expect(states['Verify Backups']).toMatchObject({
      Type: 'Parallel',
      Next: 'Report',
      ResultPath: '$.checks',
      ResultSelector: { 's3.$': '$[0]', 'cronJobs.$': '$[1]', 'restoreTests.$': '$[2]' },
    });
    const branches = (states['Verify Backups'].Branches as AslDefinition[]).map((b) => [
      b.StartAt,
      Object.keys(b.States).sort(),
    ]);
    expect(branches).toEqual([
      ['Check S3 Backups', ['Check S3 Backups', 'S3 Check Failed']],
      ['Check CronJobs', ['Check CronJobs', 'CronJob Check Failed']],
      [
        'Start Restore Tests',
        [
          'Check Restore Tests',
          'Finish Restore Tests',
          'Restore Test Failed',
          'Restore Tests Running?',
          'Start Restore Tests',
          'Wait for Restore Tests',
        ],
      ],
    ]);
    // The S3 and CronJob branches end with their check's result alone (no ResultPath: the result replaces the state).
    expect(states['Check S3 Backups']).not.toHaveProperty('ResultPath');
    expect(states['Check CronJobs']).not.toHaveProperty('ResultPath');
    expect(states['Start Restore Tests']).toMatchObject({
      Next: 'Restore Tests Running?',
      ResultPath: '$.restore',
    });
    expect(states['Restore Tests Running?']).toMatchObject({
      Choices: [{ Variable: '$.restore.pending', BooleanEquals: true, Next: 'Wait for Restore Tests' }],
      Default: 'Finish Restore Tests',
    });
    expect(states['Wait for Restore Tests']).toMatchObject({
      SecondsPath: '$.restore.pollSeconds',
      Next: 'Check Restore Tests',
    });
    expect(states['Check Restore Tests']).toMatchObject({ Next: 'Restore Tests Running?' });
    expect(states['Finish Restore Tests']).toMatchObject({
      End: true,
      ResultPath: '$.restore',
      OutputPath: '$.restore',
    });
    for (const failed of ['S3 Check Failed', 'CronJob Check Failed', 'Restore Test Failed']) {
      expect(states[failed]).toEqual({
        Type: 'Pass',
        Parameters: { results: [], 'error.$': '$.error' },
        End: true,
      });
    }
    expect(states.Report).toMatchObject({ Next: 'Outcome?', ResultPath: '$.report' });
    expect(states['Outcome?']).toMatchObject({
      Choices: [{ Variable: '$.report.outcome', StringEquals: 'failed', Next: 'Backups Not Verified' }],
      Default: 'Done',
    });
    expect(states['Backups Not Verified']).toMatchObject({ Type: 'Fail', Error: 'BackupVerificationFailed' });
    expect(states['Invalid Input']).toMatchObject({
      Type: 'Fail',
      Error: 'InvalidInputError',
      CausePath: '$.error.Cause',
    });
    expect(() => new StateMachine(definition as never)).not.toThrow();
  });

  it('gives every Lambda Task TimeoutSeconds, the retries and a Catch; the step and its parameters', () => {
    // Prepare
    const arn = (step: string) => `arn:aws:lambda:us-east-1:000000000000:function:${step}`;
    const expected: Record<string, [string, Record<string, string>, string[]]> = {
      'Open Run': [arn('backup-report'), { action: 'open' }, ['Invalid Input', 'Report']],
      'Check S3 Backups': [arn('backup-check-s3'), {}, ['S3 Check Failed']],
      'Check CronJobs': [arn('backup-check-cronjobs'), {}, ['CronJob Check Failed']],
      'Start Restore Tests': [arn('backup-restore-test'), { action: 'start' }, ['Finish Restore Tests']],
      'Check Restore Tests': [arn('backup-restore-test'), { action: 'check' }, ['Finish Restore Tests']],
      'Finish Restore Tests': [arn('backup-restore-test'), { action: 'finish' }, ['Restore Test Failed']],
      Report: [arn('backup-report'), { action: 'report' }, ['Last-Resort Notify']],
    };

    // Assess
    const tasks = Object.entries(states).filter(
      ([, s]) => s.Type === 'Task' && String(s.Resource).includes(':lambda:'),
    );
    expect(tasks.map(([name]) => name).sort()).toEqual(Object.keys(expected).sort());
    for (const [name, state] of tasks) {
      const [resource, params, catchTargets] = expected[name];
      expect({
        name,
        resource: state.Resource,
        params: (state.Parameters as { params: unknown }).params,
      }).toEqual({
        name,
        resource,
        params,
      });
      expect(state.TimeoutSeconds).toBeGreaterThan(0);
      expect(state.Retry).toEqual([
        expect.objectContaining({ ErrorEquals: TRANSIENT_ERRORS, MaxAttempts: 4, JitterStrategy: 'FULL' }),
        expect.objectContaining({ ErrorEquals: LAMBDA_SERVICE_ERRORS, MaxAttempts: 4 }),
      ]);
      expect((state.Catch as Array<{ Next: string }>).map((c) => c.Next)).toEqual(catchTargets);
      expect((state.Catch as Array<{ ErrorEquals: string[] }>).at(-1)!.ErrorEquals).toEqual(['States.ALL']);
    }
    expect(states['Open Run'].Catch).toEqual([
      { ErrorEquals: ['InvalidInputError'], ResultPath: '$.error', Next: 'Invalid Input' },
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Report' },
    ]);
    expect(states['Verify Backups'].Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Report' },
    ]);
    expect(states['Last-Resort Notify']).toMatchObject({
      Resource: 'arn:aws:states:::sns:publish',
      TimeoutSeconds: 30,
      Next: 'Failed',
      Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Failed' }],
    });
  });

  it('is started daily after the backup window, in UTC by default, by a schedule whose role may only start it', () => {
    // Prepare
    const stateMachineId = built.stack.getLogicalId(
      built.stack.backupVerification!.workflow.stateMachine.node.defaultChild as never,
    );
    const roleId = built.stack.getLogicalId(
      built.stack.backupVerification!.workflow.scheduleRole.node.defaultChild as never,
    );

    // Assess
    built.template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 6 * * ? *)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      Target: {
        Arn: { Ref: stateMachineId },
        RoleArn: { 'Fn::GetAtt': [roleId, 'Arn'] },
        Input: '{"source":"schedule"}',
        RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 5 },
      },
    });
    built.template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { Service: 'scheduler.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          },
        ],
      },
    });
    expect(statementsOfRole(built, built.stack.backupVerification!.workflow.scheduleRole)).toEqual([
      { Action: 'states:StartExecution', Effect: 'Allow', Resource: { Ref: stateMachineId } },
    ]);
  });

  it('takes the schedule, its time zone and the success digest from the configuration', () => {
    // Act
    const custom = buildStack(CUSTOM);

    // Assess
    custom.template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(30 7 ? * MON-FRI *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
    });
    custom.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ BACKUP_SUCCESS_DIGEST: 'true' }) },
    });
  });

  it('lets backup-check-s3 only list and read the configured prefixes (and decrypt through S3)', () => {
    // Act
    const custom = buildStack(CUSTOM);
    const statements = statementsOfRole(
      custom,
      custom.stack.backupVerification!.functions['backup-check-s3'].role,
    );

    // Assess: one grant per (action, resource), as CDK may merge statements.
    const grants = statements.flatMap((s) =>
      [s.Action]
        .flat()
        .flatMap((action) =>
          [s.Resource]
            .flat()
            .map((resource) => ({ action, resource: JSON.stringify(resource), condition: s.Condition })),
        ),
    );
    const arn = (resource: string) =>
      JSON.stringify({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:::${resource}`]] });
    expect(grants.filter((g) => g.action.startsWith('s3:'))).toEqual(
      expect.arrayContaining([
        {
          action: 's3:ListBucket',
          resource: arn('one-data-backups'),
          condition: { StringLike: { 's3:prefix': ['mysql/*'] } },
        },
        {
          action: 's3:ListBucket',
          resource: arn('vault-snapshots'),
          condition: { StringLike: { 's3:prefix': ['raft/*'] } },
        },
        { action: 's3:GetObject', resource: arn('one-data-backups/mysql/*'), condition: undefined },
        { action: 's3:GetObject', resource: arn('vault-snapshots/raft/*'), condition: undefined },
      ]),
    );
    expect(grants.filter((g) => g.action.startsWith('s3:'))).toHaveLength(4);
    expect(statements).toContainEqual({
      Action: 'kms:Decrypt',
      Effect: 'Allow',
      Resource: 'arn:aws:kms:eu-west-1:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
      Condition: {
        StringLike: { 'kms:ViaService': { 'Fn::Join': ['', ['s3.*.', { Ref: 'AWS::URLSuffix' }]] } },
      },
    });
    expect(actions(statements).filter((a) => a.startsWith('kms:'))).toEqual(['kms:Decrypt']);
    expect(actions(statements)).not.toContain('eks:DescribeCluster');
  });

  it('lets backup-report write only under backup-verification/ and publish; the others touch no bucket', () => {
    // Prepare
    const backup = built.stack.backupVerification!;
    const bucketId = built.stack.getLogicalId(built.stack.evidence.bucket.node.defaultChild as never);

    // Act
    const report = statementsOfRole(built, backup.functions['backup-report'].role);

    // Assess
    expect(report).toContainEqual({
      Action: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
      Effect: 'Allow',
      Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/backup-verification/*']] },
    });
    expect(actions(report)).toContain('sns:Publish');
    expect(JSON.stringify(report)).not.toContain('/incidents/*');
    for (const step of ['backup-check-cronjobs', 'backup-restore-test'] as const) {
      const statements = statementsOfRole(built, backup.functions[step].role);
      expect(actions(statements).filter((a) => /^(s3|sns):/.test(a))).toEqual([]);
      expect(actions(statements)).toContain('eks:DescribeCluster');
    }
  });

  it('gives only the Kubernetes steps access entries, and names the scratch namespace in the RBAC command', () => {
    // Prepare
    const backup = built.stack.backupVerification!;
    const roleIds = BACKUP_STEPS.map((step) =>
      built.stack.getLogicalId(backup.functions[step].role.node.defaultChild as never),
    );

    // Act
    const entries = Object.values(built.template.findResources('AWS::EKS::AccessEntry')).map((e) =>
      JSON.stringify(e.Properties.PrincipalArn),
    );

    // Assess
    expect(roleIds.map((id) => entries.some((e) => e.includes(`"${id}"`)))).toEqual([
      false,
      true,
      true,
      false,
    ]);
    built.template.hasResourceProperties('AWS::EKS::AccessEntry', {
      PrincipalArn: { 'Fn::GetAtt': [roleIds[1], 'Arn'] },
      KubernetesGroups: ['eks-incident-response:backup-check-cronjobs'],
      Type: 'STANDARD',
    });
    built.template.hasResourceProperties('AWS::EKS::AccessEntry', {
      PrincipalArn: { 'Fn::GetAtt': [roleIds[2], 'Arn'] },
      KubernetesGroups: ['eks-incident-response:backup-restore-test'],
      Type: 'STANDARD',
    });
    built.template.hasOutput('RbacCommand', {
      Value: Match.stringLikeRegexp('--namespaces apps,data --scratch-namespaces backup-restore-test \\|'),
    });
  });

  it('passes each function only its part of the configuration', () => {
    // Prepare
    const env = (step: (typeof BACKUP_STEPS)[number]) => {
      const id = built.stack.getLogicalId(
        built.stack.backupVerification!.functions[step].function.node.defaultChild as never,
      );
      return (
        built.template.toJSON().Resources[id].Properties.Environment as { Variables: Record<string, unknown> }
      ).Variables;
    };

    // Assess
    expect(Object.keys(env('backup-check-s3'))).toEqual([
      'BACKUP_S3_SOURCES',
      'POWERTOOLS_SERVICE_NAME',
      'POWERTOOLS_METRICS_NAMESPACE',
      'POWERTOOLS_LOG_LEVEL',
    ]);
    expect(
      JSON.parse(env('backup-check-s3').BACKUP_S3_SOURCES as string).map((s: { name: string }) => s.name),
    ).toEqual(['mysql', 'milvus']);
    expect(env('backup-check-cronjobs')).toMatchObject({
      CLUSTER_NAME: 'demo',
      BACKUP_CRONJOBS: expect.any(String),
    });
    expect(env('backup-restore-test')).toMatchObject({
      BACKUP_RESTORE_TESTS: expect.stringContaining('"namespace":"backup-restore-test"'),
      BACKUP_RESTORE_POLL_SECONDS: '30',
    });
    expect(env('backup-report')).toMatchObject({ BACKUP_SUCCESS_DIGEST: 'false' });
  });

  it('has no unacknowledged cdk-nag finding, and explains every acknowledgement of its own', () => {
    // Act
    const report = new AwsSolutionsChecks().validateScope(buildStack(CUSTOM).app);
    const acks = built.stack
      .backupVerification!.node.findAll()
      .flatMap((c) =>
        c.node.metadata
          .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
          .flatMap((m) => Object.values(m.data as Record<string, string>)),
      );

    // Assess
    expect(report.violations.map((v) => `${v.ruleName} at ${v.violatingResources[0].constructPath}`)).toEqual(
      [],
    );
    expect(acks.length).toBeGreaterThan(0);
    expect(acks.filter((reason) => reason.split(/\s+/).length < 12)).toEqual([]);
  });

  it.each([
    [
      { backupSources: '{"s3": [{"name": "db", "bucket": "b-1", "prefix": "db/"}]}' },
      'backupSources: s3[0].maxAgeHours:',
    ],
    [
      { backupSources: 'no/such/file.json' },
      'backupSources: must be the backup configuration as JSON or the path of a JSON file',
    ],
    [{ backupSchedule: 'daily' }, 'backupSchedule: must be an EventBridge Scheduler'],
    [{ backupScheduleTimeZone: 'Mars/Olympus' }, 'backupScheduleTimeZone: must be an IANA time zone'],
  ])('fails synth on %j, naming the setting', (context, message) => {
    // Act + Assess
    expect(() => buildStack({ ...CONTEXT, ...context })).toThrow(ConfigurationError);
    expect(() => buildStack({ ...CONTEXT, ...context })).toThrow(message);
  });

  it('fails synth when a restore-test Job template would not fit in a Lambda environment', () => {
    // Prepare
    const big = {
      restoreTests: [
        {
          name: 'huge',
          namespace: 'backup-restore-test',
          timeoutSeconds: 600,
          jobTemplate: {
            template: {
              spec: {
                containers: [{ name: 'r', image: 'mysql:8', command: ['sh', '-c', 'echo x; '.repeat(500)] }],
              },
            },
          },
        },
      ],
    };

    // Act + Assess
    expect(() => buildStack({ ...MINIMAL_CONTEXT, backupSources: JSON.stringify(big) })).toThrow(
      /backupSources: the backup-restore-test function's environment would be \d+ bytes; Lambda allows 4096/,
    );
  });
});
