import * as path from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { FALLBACK_STATUSES } from '../../lib/constructs/fallback-alarm';
import { MINIMAL_CONTEXT, buildStack, type BuiltStack } from '../support/stack';

/*
 * Issue 10, classes 5 and 8 on AWS: the independent fallback page, and what keeps a redeploy
 * from being blocked by what a failed or deleted stack left behind.
 */

type Resource = {
  Type: string;
  Properties: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
};

/** The example backup sources: the stack then has the BackupVerification state machine too. */
const BACKUPS = path.join(__dirname, '..', '..', 'examples', 'backup-sources.json');

function resources(built: BuiltStack, type: string): Record<string, Resource> {
  return built.template.findResources(type) as Record<string, Resource>;
}

function idOf(built: BuiltStack, construct: { node: { defaultChild?: unknown } }): string {
  return built.stack.getLogicalId(construct.node.defaultChild as never);
}

describe.each([
  ['its own topic', MINIMAL_CONTEXT, undefined],
  [
    'its own topic, an e-mail subscribed, backups verified',
    { ...MINIMAL_CONTEXT, fallbackAlarmEmail: 'oncall@example.com', backupSources: BACKUPS },
    'oncall@example.com',
  ],
  [
    'an existing on-call topic',
    { ...MINIMAL_CONTEXT, fallbackAlarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:oncall-pager' },
    undefined,
  ],
])('the fallback alarm (%s)', (_name, context, email) => {
  let built: BuiltStack;

  beforeAll(() => {
    built = buildStack(context);
  });

  it('pages on failed, timed-out and aborted executions of every state machine of the stack', () => {
    // Prepare
    const machines = [
      built.stack.workflow.stateMachine,
      ...(built.stack.backupVerification ? [built.stack.backupVerification.workflow.stateMachine] : []),
    ].map((sm) => ({ Ref: idOf(built, sm) }));

    // Assess
    built.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: { status: FALLBACK_STATUSES, stateMachineArn: machines },
      },
      State: 'ENABLED',
    });
    expect(FALLBACK_STATUSES).toEqual(['FAILED', 'TIMED_OUT', 'ABORTED']);
  });

  it('sends to a topic that is not the workflow`s own, retrying for a day', () => {
    // Prepare
    const [rule] = Object.values(resources(built, 'AWS::Events::Rule')).filter((r) =>
      JSON.stringify(r.Properties.EventPattern).includes('aws.states'),
    );
    const [target] = rule.Properties.Targets as Array<Record<string, unknown>>;
    const incidentTopic = { Ref: idOf(built, built.stack.notifications.topic) };

    // Assess
    expect(target.Arn).not.toEqual(incidentTopic);
    expect(target.RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 });
    expect(JSON.stringify(target.InputTransformer)).toContain('<detail-executionArn>');
    if ('fallbackAlarmTopicArn' in context) {
      expect(target.Arn).toBe(context.fallbackAlarmTopicArn);
      built.template.resourceCountIs('AWS::SNS::Topic', 1);
    } else {
      expect(target.Arn).toEqual({ Ref: idOf(built, built.stack.fallbackAlarm.topic as never) });
      built.template.hasResourceProperties('AWS::SNS::Topic', {
        DisplayName: 'EKS incident response: workflow failures',
        KmsMasterKeyId: Match.anyValue(),
      });
      built.template.hasResourceProperties('AWS::KMS::Key', {
        EnableKeyRotation: true,
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Principal: { Service: 'events.amazonaws.com' },
              Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            }),
          ]),
        },
      });
      built.template.hasOutput('FallbackAlarmTopicArn', {});
    }
    const subscriptions = Object.values(resources(built, 'AWS::SNS::Subscription'));
    expect(subscriptions.map((s) => s.Properties.Endpoint)).toEqual(email ? [email] : []);
  });

  it('lets Guard describe (only) the IncidentResponse executions, to take over a dead holder`s lock', () => {
    // Prepare
    const guardRole = idOf(built, built.stack.functions.guard.role);
    const policies = Object.values(resources(built, 'AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p.Properties.Roles).includes(`"${guardRole}"`),
    );
    const statements = policies.flatMap(
      (p) =>
        (p.Properties.PolicyDocument as { Statement: Array<{ Action: unknown; Resource: unknown }> })
          .Statement,
    );
    const describe = statements.filter((s) => JSON.stringify(s.Action).includes('states:'));

    // Assess
    expect(describe).toHaveLength(1);
    expect(describe[0].Action).toBe('states:DescribeExecution');
    const resource = JSON.stringify(describe[0].Resource);
    expect(resource).toContain(':execution:');
    expect(resource).toContain(idOf(built, built.stack.workflow.stateMachine));
  });
});

describe('log groups a failed first deploy or a deleted stack leaves behind', () => {
  let built: BuiltStack;

  beforeAll(() => {
    built = buildStack({ ...MINIMAL_CONTEXT, backupSources: BACKUPS });
  });

  it('are kept on delete and update, but removed with a first deploy that failed', () => {
    // Prepare
    const groups = Object.values(resources(built, 'AWS::Logs::LogGroup'));

    // Assess
    expect(groups.length).toBeGreaterThanOrEqual(12);
    for (const group of groups) {
      expect({ deletion: group.DeletionPolicy, replace: group.UpdateReplacePolicy }).toEqual({
        deletion: 'RetainExceptOnCreate',
        replace: 'Retain',
      });
    }
  });

  it('carry no fixed name: a generated one, or the state machines` vended-logs name made unique by the stack id', () => {
    // Prepare
    const names = Object.values(resources(built, 'AWS::Logs::LogGroup')).map(
      (g) => g.Properties.LogGroupName,
    );

    // Assess
    for (const name of names.filter((n) => n !== undefined)) {
      expect(typeof name).not.toBe('string');
      expect(JSON.stringify(name)).toContain('/aws/vendedlogs/states/');
      expect(JSON.stringify(name)).toContain('AWS::StackId');
    }
    expect(names.filter((n) => n !== undefined)).toHaveLength(2);
  });
});
