import * as path from 'node:path';
import { StateMachine } from 'aws-local-stepfunctions';
import { ConfigurationError } from '../../lambdas/shared/errors';
import { BACKUP_STEPS } from '../../lib/constructs/backup-verification';
import { INCIDENT_STEPS } from '../../lib/incident-response-stack';
import { resolveString, synthesizeDefinitions } from '../../lib/synth';
import { allStates } from '../../local/engine/execute-definition';

describe('synthesizeDefinitions', () => {
  it('returns the IncidentResponse definition with every reference replaced by a documented placeholder', () => {
    // Act
    const { incidentResponse, placeholders } = synthesizeDefinitions({
      clusterName: 'demo',
      allowedNamespaces: 'apps',
      region: 'eu-west-1',
    });

    // Assess
    expect(placeholders).toEqual({
      region: 'eu-west-1',
      account: '000000000000',
      functions: Object.fromEntries(
        INCIDENT_STEPS.map((step) => [step, `arn:aws:lambda:eu-west-1:000000000000:function:${step}`]),
      ),
      topicArn: 'arn:aws:sns:eu-west-1:000000000000:eks-incident-response-notifications',
    });
    // The Assess Parallel's branch Tasks included.
    const resources = allStates(incidentResponse as never)
      .map(([, state]) => state)
      .filter((state) => state.Type === 'Task')
      .map((state) => state.Resource);
    expect(new Set(resources)).toEqual(
      new Set([
        ...Object.values(placeholders.functions),
        'arn:aws:states:::sns:publish',
        // Request Approval names its function in Parameters.FunctionName (a placeholder too).
        'arn:aws:states:::lambda:invoke.waitForTaskToken',
      ]),
    );
    expect(JSON.stringify(incidentResponse)).not.toMatch(/Fn::|"Ref"|\$\{Token/);
    expect(() => new StateMachine(incidentResponse as never)).not.toThrow();
  });

  it('returns the BackupVerification definition too when backup sources are configured', () => {
    // Act
    const { backupVerification, placeholders } = synthesizeDefinitions({
      clusterName: 'demo',
      allowedNamespaces: 'apps',
      region: 'eu-west-1',
      backupSources: path.resolve(__dirname, '../../examples/backup-sources.json'),
    });

    // Assess
    expect(placeholders.backupFunctions).toEqual(
      Object.fromEntries(
        BACKUP_STEPS.map((step) => [step, `arn:aws:lambda:eu-west-1:000000000000:function:${step}`]),
      ),
    );
    const resources = allStates(backupVerification!)
      .filter(([, state]) => state.Type === 'Task')
      .map(([, state]) => state.Resource);
    expect(new Set(resources)).toEqual(
      new Set([...Object.values(placeholders.backupFunctions!), 'arn:aws:states:::sns:publish']),
    );
    expect(JSON.stringify(backupVerification)).not.toMatch(/Fn::|"Ref"|\$\{Token/);
    expect(() => new StateMachine(backupVerification as never)).not.toThrow();
  });

  it('uses us-east-1 in the placeholders of an environment-agnostic stack', () => {
    // Act
    const { placeholders } = synthesizeDefinitions({ clusterName: 'demo', allowedNamespaces: 'apps' });

    // Assess
    expect(placeholders.functions.notify).toBe('arn:aws:lambda:us-east-1:000000000000:function:notify');
  });

  it('fails with the configuration error naming the key', () => {
    // Act + Assess
    expect(() => synthesizeDefinitions({ clusterName: 'demo' })).toThrow(ConfigurationError);
    expect(() => synthesizeDefinitions({ clusterName: 'demo' })).toThrow(/allowedNamespaces: is required/);
  });
});

describe('resolveString', () => {
  const values = new Map([
    ['AWS::Partition', 'aws'],
    ['Topic1234', 'arn:aws:sns:us-east-1:000000000000:t'],
    ['NotifyFunction1234.Arn', 'arn:aws:lambda:us-east-1:000000000000:function:notify'],
  ]);

  it('joins literals, Refs and GetAtts it has placeholders for', () => {
    // Act
    const text = resolveString(
      {
        'Fn::Join': [
          '',
          ['{"a":"', { Ref: 'Topic1234' }, '","b":"', { 'Fn::GetAtt': ['NotifyFunction1234', 'Arn'] }, '"}'],
        ],
      },
      values,
    );

    // Assess
    expect(JSON.parse(text)).toEqual({
      a: 'arn:aws:sns:us-east-1:000000000000:t',
      b: 'arn:aws:lambda:us-east-1:000000000000:function:notify',
    });
  });

  it.each([
    [{ Ref: 'SomethingElse' }],
    [{ 'Fn::GetAtt': ['NotifyFunction1234', 'Version'] }],
    [{ 'Fn::Sub': 'arn:${AWS::Partition}:x' }],
    [{ 'Fn::Join': ['', ['a', { 'Fn::ImportValue': 'shared' }]] }],
  ])('fails loudly on %j', (intrinsic) => {
    // Act + Assess
    expect(() => resolveString(intrinsic, values)).toThrow(/cannot resolve .* no placeholder for it/);
  });
});
