import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { CDK_TEST_OUTDIR } from '../support/cdk-outdir';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigurationError } from '../../lambdas/shared/errors';
import { loadConfig } from '../../lib/config';
import { INTAKE_CONCURRENCY, INTAKE_MIN_DELIVERY_MS } from '../../lib/constructs/webhook';
import { MINIMAL_CONTEXT, buildStack, type BuiltStack } from '../support/stack';

type Resource = { Type: string; Properties: Record<string, unknown> };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

const RULES = [
  { match: { job: 'data-api' }, target: { kind: 'Deployment', name: 'alldata-api' } },
  { match: { service: 'search' }, target: { kind: 'Namespace', namespace: 'search' } },
];

/** The webhook with every setting given: an existing token secret, rules, dry run, a VPC. */
const CONFIGURED = {
  ...MINIMAL_CONTEXT,
  webhookTokenSecretName: 'incident/alertmanager-token',
  alertTargets: JSON.stringify(RULES),
  webhookDefaultNamespace: 'monitoring',
  webhookDryRun: 'true',
  vpcId: 'vpc-0123456789abcdef0',
  subnetIds: 'subnet-0a1b2c3d',
};

function resourcesOf(built: BuiltStack, type: string): Record<string, Resource> {
  return built.template.findResources(type) as Record<string, Resource>;
}

function idOf(built: BuiltStack, construct: { node: { defaultChild?: unknown } }): string {
  return built.stack.getLogicalId(construct.node.defaultChild as never);
}

/** Every statement of every policy in the stack, with the role(s) it is attached to. */
function statements(built: BuiltStack): Array<Statement & { roles: string }> {
  return Object.values(resourcesOf(built, 'AWS::IAM::Policy')).flatMap((policy) =>
    (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement.map((s) => ({
      ...s,
      roles: JSON.stringify(policy.Properties.Roles),
    })),
  );
}

function intakeStatements(built: BuiltStack): Statement[] {
  const roleId = idOf(built, built.stack.webhook.intake.role);
  return statements(built)
    .filter((s) => s.roles.includes(`"${roleId}"`))
    .map(({ roles: _roles, ...s }) => s);
}

const actions = (list: Statement[]) => list.flatMap((s) => [s.Action].flat());

describe.each([
  ['defaults', MINIMAL_CONTEXT],
  ['configured', CONFIGURED],
])('the Alertmanager webhook (%s)', (_name, context) => {
  let built: BuiltStack;

  beforeAll(() => {
    built = buildStack(context);
  });

  it('routes POST /alertmanager, and only that, to the intake function (payload format 2.0)', () => {
    // Prepare
    const routes = Object.values(resourcesOf(built, 'AWS::ApiGatewayV2::Route'));
    const integrations = resourcesOf(built, 'AWS::ApiGatewayV2::Integration');
    const intakeId = idOf(built, built.stack.webhook.intake.function);

    // Assess
    built.template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    built.template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
    // The approval routes share the API, with their own function (incident-response-stack.test.ts).
    const intakeRoutes = routes.filter((r) => r.Properties.RouteKey === 'POST /alertmanager');
    expect(routes.map((r) => r.Properties.RouteKey).sort()).toEqual([
      'GET /approvals/{incident}/{action}',
      'POST /alertmanager',
      'POST /approvals/{incident}/{action}',
      'POST /slack/interactions',
    ]);
    expect(intakeRoutes).toHaveLength(1);
    for (const other of routes.filter((r) => r !== intakeRoutes[0])) {
      expect(JSON.stringify(other.Properties.Target)).not.toEqual(
        JSON.stringify(intakeRoutes[0].Properties.Target),
      );
    }
    const target = JSON.stringify(intakeRoutes[0].Properties.Target);
    const [integrationId] = Object.keys(integrations).filter((id) => target.includes(id));
    expect(integrations[integrationId].Properties).toMatchObject({
      IntegrationType: 'AWS_PROXY',
      IntegrationUri: { 'Fn::GetAtt': [intakeId, 'Arn'] },
      PayloadFormatVersion: '2.0',
    });
    built.template.hasResourceProperties('AWS::Lambda::Permission', {
      FunctionName: { 'Fn::GetAtt': [intakeId, 'Arn'] },
      Principal: 'apigateway.amazonaws.com',
      SourceArn: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('/\\*/\\*/alertmanager$')])] },
    });
  });

  it('meets an overload with the intake`s reserved concurrency (500, retried), before the stage`s throttle (429, dropped)', () => {
    // Prepare
    const [stage] = Object.values(resourcesOf(built, 'AWS::ApiGatewayV2::Stage'));
    const intake = resourcesOf(built, 'AWS::Lambda::Function')[
      idOf(built, built.stack.webhook.intake.function)
    ];
    const concurrency = intake.Properties.ReservedConcurrentExecutions as number;
    const settings = stage.Properties.DefaultRouteSettings as Record<string, number>;

    // Assess: at one delivery per INTAKE_MIN_DELIVERY_MS, the reserved functions serve less than the stage admits.
    expect(concurrency).toBe(INTAKE_CONCURRENCY);
    expect(settings.ThrottlingRateLimit).toBeGreaterThanOrEqual(
      (concurrency * 1000) / INTAKE_MIN_DELIVERY_MS,
    );
    expect(settings.ThrottlingBurstLimit).toBeGreaterThanOrEqual(
      (concurrency * 1000) / INTAKE_MIN_DELIVERY_MS,
    );
  });

  it('throttles the stage and writes an access log without headers or bodies', () => {
    // Prepare
    const stage = Object.values(resourcesOf(built, 'AWS::ApiGatewayV2::Stage'));
    const logsId = idOf(built, built.stack.webhook.accessLogs);

    // Assess
    expect(stage).toHaveLength(1);
    expect(stage[0].Properties).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 2000, ThrottlingBurstLimit: 2000 },
      AccessLogSettings: { DestinationArn: { 'Fn::GetAtt': [logsId, 'Arn'] } },
    });
    const format = JSON.parse((stage[0].Properties.AccessLogSettings as { Format: string }).Format) as Record<
      string,
      string
    >;
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      status: '$context.status',
      integrationError: '$context.integrationErrorMessage',
    });
    expect(JSON.stringify(format)).not.toMatch(/header|authorization|body/i);
    built.template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  it('lets the intake start executions of the IncidentResponse state machine only, and nothing else in the stack', () => {
    // Prepare
    const stateMachine = { Ref: idOf(built, built.stack.workflow.stateMachine) };
    const intake = intakeStatements(built);
    const starters = statements(built).filter((s) => actions([s]).some((a) => a.startsWith('states:Start')));

    // Assess
    expect(intake.filter((s) => actions([s]).includes('states:StartExecution'))).toEqual([
      { Effect: 'Allow', Action: 'states:StartExecution', Resource: stateMachine },
    ]);
    expect(starters.map((s) => s.roles)).toEqual([
      JSON.stringify([{ Ref: idOf(built, built.stack.webhook.intake.role) }]),
    ]);
    expect(
      actions(intake)
        .filter((a) => a.startsWith('states:'))
        .sort(),
    ).toEqual(['states:DescribeExecution', 'states:StartExecution']);
    expect(intake).toContainEqual({
      Effect: 'Allow',
      Action: 'states:DescribeExecution',
      Resource: {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':states:',
            { Ref: 'AWS::Region' },
            ':',
            { Ref: 'AWS::AccountId' },
            ':execution:',
            { 'Fn::GetAtt': [stateMachine.Ref, 'Name'] },
            ':*',
          ],
        ],
      },
    });
  });

  it('reads the token secret, writes under incidents/ and gets an access entry, and no more', () => {
    // Prepare
    const intake = intakeStatements(built);
    const roleArn = { 'Fn::GetAtt': [idOf(built, built.stack.webhook.intake.role), 'Arn'] };
    const incidents = {
      'Fn::Join': ['', [{ 'Fn::GetAtt': [idOf(built, built.stack.evidence.bucket), 'Arn'] }, '/incidents/*']],
    };

    // Assess
    const secretReads = intake.filter((s) => actions([s]).includes('secretsmanager:GetSecretValue'));
    expect(secretReads).toHaveLength(1);
    if ('webhookTokenSecretName' in context) {
      expect(JSON.stringify(secretReads[0].Resource)).toContain(':secret:incident/alertmanager-token-??????');
      // The one secret the stack creates then is the approval-link secret, not a token.
      built.template.resourceCountIs('AWS::SecretsManager::Secret', 1);
      built.template.hasResourceProperties('AWS::SecretsManager::Secret', {
        GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true },
      });
    } else {
      expect(secretReads[0].Resource).toEqual({ Ref: idOf(built, built.stack.webhook.tokenSecret) });
      built.template.hasResourceProperties('AWS::SecretsManager::Secret', {
        GenerateSecretString: { PasswordLength: 48, ExcludePunctuation: true },
      });
    }
    for (const s of intake.filter((st) => actions([st]).some((a) => /^s3:(Put|Get)Object$/.test(a)))) {
      expect(s.Resource).toEqual(incidents);
    }
    expect(actions(intake).filter((a) => !/^(logs|xray|states|secretsmanager|s3|eks|ec2):/.test(a))).toEqual(
      [],
    );
    expect(actions(intake)).not.toContain('sns:Publish');
    built.template.hasResourceProperties('AWS::EKS::AccessEntry', {
      PrincipalArn: roleArn,
      KubernetesGroups: ['eks-incident-response:intake'],
      Type: 'STANDARD',
    });
  });

  it('passes the intake exactly the environment its schema reads, with a short Kubernetes timeout', () => {
    // Prepare
    const fn = resourcesOf(built, 'AWS::Lambda::Function')[idOf(built, built.stack.webhook.intake.function)];
    const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;

    // Assess
    expect(Object.keys(variables).sort()).toEqual(
      [
        'ALERT_TARGETS',
        'CLUSTER_NAME',
        'DEFAULT_NAMESPACE',
        'DRY_RUN',
        'EVIDENCE_BUCKET',
        'KUBE_REQUEST_TIMEOUT_MS',
        'POWERTOOLS_LOG_LEVEL',
        'POWERTOOLS_METRICS_NAMESPACE',
        'POWERTOOLS_SERVICE_NAME',
        'STATE_MACHINE_ARN',
        'WEBHOOK_TOKEN_SECRET_ARN',
      ].sort(),
    );
    expect(variables).toMatchObject({
      KUBE_REQUEST_TIMEOUT_MS: '2000',
      STATE_MACHINE_ARN: { Ref: idOf(built, built.stack.workflow.stateMachine) },
      DEFAULT_NAMESPACE: 'webhookDefaultNamespace' in context ? 'monitoring' : 'kube-system',
      DRY_RUN: 'webhookDryRun' in context ? 'true' : 'false',
    });
    expect(JSON.parse(String(variables.ALERT_TARGETS))).toEqual('alertTargets' in context ? RULES : []);
    expect(fn.Properties).toMatchObject({ Timeout: 10, Runtime: 'nodejs24.x', Handler: 'index.handler' });
    expect(Boolean(fn.Properties.VpcConfig)).toBe('vpcId' in context);
  });

  it('has no unacknowledged cdk-nag finding, and outputs the URL and the token secret', () => {
    // Act
    const report = new AwsSolutionsChecks().validateScope(built.app);

    // Assess
    expect(report.violations.map((v) => `${v.ruleName} at ${v.violatingResources[0].constructPath}`)).toEqual(
      [],
    );
    built.template.hasOutput('WebhookUrl', {
      Value: {
        'Fn::Join': [
          '',
          [{ 'Fn::GetAtt': [idOf(built, built.stack.webhook.api), 'ApiEndpoint'] }, '/alertmanager'],
        ],
      },
    });
    built.template.hasOutput('WebhookTokenSecretArn', { Value: Match.anyValue() });
  });
});

describe('the webhook configuration', () => {
  const load = (context: Record<string, unknown>) =>
    loadConfig(new App({ context, outdir: CDK_TEST_OUTDIR }).node);

  it('reads the alert target rules as JSON, from a file, or as cdk.json holds them', () => {
    // Prepare
    const dir = mkdtempSync(path.join(tmpdir(), 'alert-targets-'));
    const file = path.join(dir, 'alert-targets.json');
    writeFileSync(file, JSON.stringify(RULES));

    try {
      // Act
      const fromJson = load({ ...MINIMAL_CONTEXT, alertTargets: JSON.stringify(RULES) });
      const fromFile = load({ ...MINIMAL_CONTEXT, alertTargets: file });
      const fromCdkJson = load({ ...MINIMAL_CONTEXT, alertTargets: RULES });
      const unset = load(MINIMAL_CONTEXT);

      // Assess
      expect(fromJson.alertTargets).toEqual(RULES);
      expect(fromFile.alertTargets).toEqual(RULES);
      expect(fromCdkJson.alertTargets).toEqual(RULES);
      expect(unset).toMatchObject({
        alertTargets: [],
        webhookDefaultNamespace: 'kube-system',
        webhookDryRun: false,
      });
      expect(unset.webhookTokenSecretName).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the bad field of a bad rule', () => {
    // Prepare
    const bad = [{ match: { job: 'data-api' }, target: { kind: 'ReplicaSet', name: 'nightly' } }];

    // Act
    const act = () => load({ ...MINIMAL_CONTEXT, alertTargets: JSON.stringify(bad) });

    // Assess
    expect(act).toThrow(ConfigurationError);
    expect(act).toThrow(/alertTargets: \[?0\]?\.target\.kind: /);
  });

  it('refuses more rules than fit in the intake function environment', () => {
    // Prepare
    const many = Array.from({ length: 40 }, (_, i) => ({
      match: { job: `service-${i}` },
      target: { kind: 'Deployment', namespace: 'apps', name: `service-${i}-deployment` },
    }));

    // Act
    const act = () => buildStack({ ...MINIMAL_CONTEXT, alertTargets: JSON.stringify(many) });

    // Assess
    expect(act).toThrow(/alertTargets: \d+ bytes of rules do not fit/);
  });
});
