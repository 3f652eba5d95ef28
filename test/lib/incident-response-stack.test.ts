import { Validations, type CfnElement } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { INCIDENT_STEPS, stepDefinition } from '../../lib/incident-steps';
import { MINIMAL_CONTEXT, buildStack, type BuiltStack } from '../support/stack';

type Resource = { Type: string; Properties: Record<string, unknown> };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

/** Every configurable part switched on: VPC, Slack, a known endpoint, a narrower allow-list. */
const FULL_CONTEXT = {
  clusterName: 'prod-1',
  region: 'eu-west-1',
  allowedNamespaces: 'one-data-alldata',
  allowedWorkloads: 'one-data-alldata/Deployment/alldata-api',
  evidenceRetentionDays: '30',
  slackSecretName: 'incident/slack-webhook',
  vpcId: 'vpc-0123456789abcdef0',
  subnetIds: 'subnet-0a1b2c3d,subnet-0e1f2a3b',
  securityGroupIds: 'sg-0c1d2e3f',
  clusterEndpoint: 'https://0123456789ABCDEF.gr7.eu-west-1.eks.amazonaws.com',
  clusterCaData: 'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t',
  rbacGroup: 'incident-bots',
  slackSigningSecretName: 'incident/slack-signing',
  approvalBaseUrl: 'https://incidents.example.com/api',
  alertmanagerUrl: 'https://alertmanager.monitoring.svc:9093',
  alertmanagerAuthSecretName: 'incident/alertmanager-auth',
  logLevel: 'debug',
};

/** What function-defaults.ts adds to every function's environment (Powertools). */
const DEFAULT_ENVIRONMENT = [
  'POWERTOOLS_SERVICE_NAME',
  'POWERTOOLS_METRICS_NAMESPACE',
  'POWERTOOLS_LOG_LEVEL',
];

const STEPS_WITH_KUBERNETES = [
  'Diagnose',
  'CollectEvents',
  'Guard',
  'Restart',
  'Verify',
  'Rollback',
  'ClusterDump',
];
const STEPS_WITHOUT_KUBERNETES = ['Notify', 'Escalate', 'Report'];
/** The step (its folder under lambdas/, its Kubernetes group's suffix) of each function. */
const STEP_OF: Record<string, string> = {
  Diagnose: 'diagnose',
  CollectEvents: 'collect-events',
  Guard: 'guard',
  Restart: 'restart',
  Verify: 'verify',
  Rollback: 'rollback',
  ClusterDump: 'cluster-dump',
};

function resourcesOf(template: Template, type: string): Record<string, Resource> {
  return template.findResources(type) as Record<string, Resource>;
}

function logicalIdOf(built: BuiltStack, construct: IConstruct): string {
  return built.stack.getLogicalId(construct.node.defaultChild as never);
}

/** The statements of the inline policy attached to a step's role. */
function statementsOf(built: BuiltStack, step: string): Statement[] {
  return statementsOfRole(built, built.stack.incidentResponse.node.findChild(step).node.findChild('Role'));
}

function statementsOfRole(built: BuiltStack, role: IConstruct): Statement[] {
  const roleId = logicalIdOf(built, role);
  const policies = Object.values(resourcesOf(built.template, 'AWS::IAM::Policy')).filter((policy) =>
    JSON.stringify(policy.Properties.Roles).includes(`"${roleId}"`),
  );
  return policies.flatMap(
    (policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement,
  );
}

function actionsOf(statements: Statement[]): string[] {
  return statements.flatMap((statement) => [statement.Action].flat());
}

/** Every acknowledgement recorded in the construct tree, with where it was made. */
function acknowledgements(root: IConstruct): Array<{ path: string; id: string; reason: string }> {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id,
          reason,
        })),
      ),
  );
}

describe.each([
  ['minimal configuration', MINIMAL_CONTEXT],
  ['full configuration', FULL_CONTEXT],
])('IncidentResponseStack (%s)', (_name, context) => {
  let built: BuiltStack;

  beforeAll(() => {
    built = buildStack(context);
  });

  it('builds everything in one IncidentResponse construct, one function per registry entry, under logical ids without it', () => {
    // Prepare
    const { stack, template } = built;
    const functions = template.findResources('AWS::Lambda::Function');

    // Act
    const owner = stack.incidentResponse;
    const ids = INCIDENT_STEPS.map((step) =>
      stack.getLogicalId(stack.functions[step].function.node.defaultChild as CfnElement),
    );

    // Assess: each step's function is the construct's, made from its registry entry, and its
    // logical id is the one the stack gave it before the construct existed (the construct's id
    // 'Default' is left out of logical ids), so a deployed stack updates in place.
    expect(owner.node.id).toBe('Default');
    for (const [i, step] of INCIDENT_STEPS.entries()) {
      expect(stack.functions[step].node.scope).toBe(owner);
      expect(ids[i]).toMatch(new RegExp(`^${stepDefinition(step).id}Function[0-9A-F]{8}$`));
      expect(functions[ids[i]]).toBeDefined();
    }
  });

  it('has no unacknowledged cdk-nag AwsSolutions finding, error or warning', () => {
    // Act
    const report = new AwsSolutionsChecks().validateScope(built.app);

    // Assess
    expect(
      report.violations.map((v) => `${v.severity} ${v.ruleName} at ${v.violatingResources[0].constructPath}`),
    ).toEqual([]);
  });

  it('gives every acknowledged finding (cdk-nag, CDK warning, CloudFormation check) a specific reason', () => {
    // Act
    const acks = acknowledgements(built.app);

    // Assess
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      const explained = ack.reason.split(/\s+/).length >= 12;
      expect({ ...ack, explained }).toEqual({ ...ack, explained: true });
    }
  });

  it('keeps the evidence encrypted, TLS-only, private, versioned and expiring', () => {
    // Prepare
    const bucketId = logicalIdOf(built, built.stack.evidence.bucket);
    const logsId = logicalIdOf(built, built.stack.evidence.accessLogs);
    const retention = 'evidenceRetentionDays' in context ? Number(context.evidenceRetentionDays) : 90;

    // Assess
    built.template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            { ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' }, BucketKeyEnabled: false },
          ],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        VersioningConfiguration: { Status: 'Enabled' },
        LoggingConfiguration: { DestinationBucketName: { Ref: logsId }, LogFilePrefix: 'evidence/' },
        LifecycleConfiguration: {
          Rules: [
            { Id: 'expire-incidents', Prefix: 'incidents/', ExpirationInDays: retention, Status: 'Enabled' },
            {
              Id: 'expire-backup-verification',
              Prefix: 'backup-verification/',
              ExpirationInDays: retention,
              Status: 'Enabled',
            },
            {
              Id: 'tidy-versions-and-uploads',
              NoncurrentVersionExpiration: { NoncurrentDays: 30 },
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
              ExpiredObjectDeleteMarker: true,
              Status: 'Enabled',
            },
          ],
        },
      },
    });
    built.template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: Match.objectLike({
        BlockPublicAcls: true,
        RestrictPublicBuckets: true,
      }),
    });
    for (const id of [bucketId, logsId]) {
      built.template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: id },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
            }),
          ]),
        },
      });
    }
  });

  it('never grants an S3 or SNS action on "*"', () => {
    // Prepare
    const statements = Object.values(resourcesOf(built.template, 'AWS::IAM::Policy')).flatMap(
      (policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement,
    );

    // Assess
    const storageOrMessaging = statements.filter((s) => actionsOf([s]).some((a) => /^(s3|sns):/.test(a)));
    expect(storageOrMessaging.length).toBeGreaterThan(0);
    for (const statement of storageOrMessaging) {
      expect([statement.Resource].flat()).not.toContain('*');
      expect(actionsOf([statement]).filter((a) => a.includes('*'))).toEqual([]);
    }
  });

  it('grants each step exactly the evidence, notification and cluster access it uses', () => {
    // Prepare
    const bucketArn = { 'Fn::GetAtt': [logicalIdOf(built, built.stack.evidence.bucket), 'Arn'] };
    const incidents = { 'Fn::Join': ['', [bucketArn, '/incidents/*']] };
    const topic = { Ref: logicalIdOf(built, built.stack.notifications.topic) };
    const s3 = (step: string) =>
      actionsOf(statementsOf(built, step).filter((s) => /s3:/.test(String(s.Action))));

    // Assess
    expect(s3('Diagnose').sort()).toEqual(['s3:AbortMultipartUpload', 's3:PutObject']);
    for (const step of ['CollectEvents', 'ClusterDump', 'Report']) {
      expect(s3(step).sort()).toEqual([
        's3:AbortMultipartUpload',
        's3:GetObject',
        's3:ListBucket',
        's3:PutObject',
      ]);
      expect(statementsOf(built, step)).toContainEqual({
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: bucketArn,
        Condition: { StringLike: { 's3:prefix': 'incidents/*' } },
      });
    }
    for (const step of ['Diagnose', 'CollectEvents', 'ClusterDump', 'Report']) {
      for (const statement of statementsOf(built, step).filter((s) =>
        /s3:(Put|Get)Object/.test(String(s.Action)),
      )) {
        expect(statement.Resource).toEqual(incidents);
      }
    }
    for (const step of ['Escalate', 'Guard', 'Restart', 'Verify', 'Rollback']) {
      expect({ step, s3: s3(step) }).toEqual({ step, s3: [] });
    }
    // Notify stores approval requests, and only there.
    expect(s3('Notify').sort()).toEqual([
      's3:AbortMultipartUpload',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
    ]);
    expect(statementsOf(built, 'Notify')).toContainEqual({
      Effect: 'Allow',
      Action: 's3:ListBucket',
      Resource: bucketArn,
      Condition: { StringLike: { 's3:prefix': 'approvals/*' } },
    });
    for (const statement of statementsOf(built, 'Notify').filter((s) =>
      /s3:(Put|Get)Object/.test(String(s.Action)),
    )) {
      expect(statement.Resource).toEqual({ 'Fn::Join': ['', [bucketArn, '/approvals/*']] });
    }
    for (const step of ['Notify', 'Escalate']) {
      expect(statementsOf(built, step)).toContainEqual({
        Effect: 'Allow',
        Action: 'sns:Publish',
        Resource: topic,
      });
    }
    for (const step of [...STEPS_WITH_KUBERNETES, 'Report']) {
      expect({ step, actions: actionsOf(statementsOf(built, step)) }).not.toEqual({
        step,
        actions: expect.arrayContaining(['sns:Publish']),
      });
    }
  });

  it('reads the Slack secret only where configured and only from the notifying steps', () => {
    // Prepare
    // The Slack webhook secret's statements (the approval-link secret has its own test below).
    const slackSecret = (statement: Statement) =>
      JSON.stringify(statement.Resource).includes(':secret:incident/slack-webhook-');
    const secretReaders = [...STEPS_WITH_KUBERNETES, ...STEPS_WITHOUT_KUBERNETES].filter((step) =>
      actionsOf(statementsOf(built, step).filter(slackSecret)).includes('secretsmanager:GetSecretValue'),
    );

    // Assess
    expect(secretReaders).toEqual('slackSecretName' in context ? ['Notify', 'Escalate'] : []);
    if ('slackSecretName' in context) {
      built.template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ SLACK_SECRET_ARN: Match.anyValue() }) },
      });
    }
  });

  it("gives every Kubernetes function an access entry in its own step's group, and eks:DescribeCluster on the cluster only when needed", () => {
    // Prepare
    const prefix = 'rbacGroup' in context ? context.rbacGroup : 'eks-incident-response';
    const entries = Object.values(resourcesOf(built.template, 'AWS::EKS::AccessEntry'));
    const expected = [
      ...STEPS_WITH_KUBERNETES.map((id) => ({
        role: built.stack.incidentResponse.node.findChild(id).node.findChild('Role'),
        group: `${prefix}:${STEP_OF[id]}`,
      })),
      // The webhook intake reads pods and their owners to find an alert's workload.
      { role: built.stack.webhook.intake.role, group: `${prefix}:intake` },
    ];

    // Assess
    expect(
      entries
        .map((entry) => ({
          principal: JSON.stringify(entry.Properties.PrincipalArn),
          groups: entry.Properties.KubernetesGroups,
        }))
        .sort((a, b) => a.principal.localeCompare(b.principal)),
    ).toEqual(
      expected
        .map(({ role, group }) => ({
          principal: JSON.stringify({ 'Fn::GetAtt': [logicalIdOf(built, role), 'Arn'] }),
          groups: [group],
        }))
        .sort((a, b) => a.principal.localeCompare(b.principal)),
    );
    for (const entry of entries) {
      expect(entry.Properties).toMatchObject({ ClusterName: context.clusterName, Type: 'STANDARD' });
    }
    expect(new Set(entries.map((entry) => JSON.stringify(entry.Properties.KubernetesGroups))).size).toBe(
      entries.length,
    );
    for (const step of STEPS_WITH_KUBERNETES) {
      const describe = statementsOf(built, step).filter((s) => s.Action === 'eks:DescribeCluster');
      expect(describe).toEqual(
        'clusterEndpoint' in context ? [] : [expect.objectContaining({ Resource: expect.anything() })],
      );
      for (const statement of describe) {
        expect(JSON.stringify(statement.Resource)).toContain(`:cluster/${context.clusterName}`);
        expect(statement.Resource).not.toEqual('*');
      }
    }
    for (const step of STEPS_WITHOUT_KUBERNETES) {
      expect(actionsOf(statementsOf(built, step))).not.toContain('eks:DescribeCluster');
    }
  });

  it('builds every function the one way function-defaults.ts says', () => {
    // Prepare
    const functions = Object.values(resourcesOf(built.template, 'AWS::Lambda::Function'));
    const logGroups = resourcesOf(built.template, 'AWS::Logs::LogGroup');

    // Assess
    // Ten steps, the webhook intake and the approval routes.
    expect(functions).toHaveLength(12);
    for (const fn of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        TracingConfig: { Mode: 'Active' },
        Environment: {
          Variables: expect.objectContaining({
            POWERTOOLS_SERVICE_NAME: built.stack.stackName,
            POWERTOOLS_METRICS_NAMESPACE: 'EksIncidentResponse',
            POWERTOOLS_LOG_LEVEL: 'logLevel' in context ? 'DEBUG' : 'INFO',
          }),
        },
        LoggingConfig: { LogGroup: { Ref: expect.any(String) } },
      });
      // Source maps are applied by the package's loader (lib/bundling), not by --enable-source-maps.
      expect((fn.Properties.Environment as { Variables: object }).Variables).not.toHaveProperty(
        'NODE_OPTIONS',
      );
      const logGroupId = (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      expect(logGroups[logGroupId].Properties.RetentionInDays).toBe(90);
    }
    expect(Object.values(logGroups).map((group) => group.Properties.RetentionInDays)).toEqual(
      Object.values(logGroups).map(() => 90),
    );
  });

  it('passes each function exactly the environment its schema reads', () => {
    // Prepare
    const environmentOf = (step: string) =>
      (
        resourcesOf(built.template, 'AWS::Lambda::Function')[
          logicalIdOf(built, built.stack.incidentResponse.node.findChild(step).node.findChild('Function'))
        ].Properties.Environment as { Variables: Record<string, unknown> }
      ).Variables;
    const kube = ['CLUSTER_NAME', 'KUBE_REQUEST_TIMEOUT_MS', ...DEFAULT_ENVIRONMENT].concat(
      'clusterEndpoint' in context ? ['CLUSTER_ENDPOINT', 'CLUSTER_CA_DATA'] : [],
    );
    const notify = ['EVIDENCE_BUCKET', 'TOPIC_ARN', ...DEFAULT_ENVIRONMENT].concat(
      'slackSecretName' in context ? ['SLACK_SECRET_ARN'] : [],
    );

    // Assess
    expect(Object.keys(environmentOf('Notify')).sort()).toEqual(
      [...notify, 'APPROVAL_BASE_URL', 'APPROVAL_LINK_SECRET_ARN', 'STORM_QUIET_ABOVE'].sort(),
    );
    expect(Object.keys(environmentOf('Escalate')).sort()).toEqual(notify.sort());
    expect(Object.keys(environmentOf('Report')).sort()).toEqual(
      ['EVIDENCE_BUCKET', ...DEFAULT_ENVIRONMENT].sort(),
    );
    expect(Object.keys(environmentOf('Verify')).sort()).toEqual([...kube].sort());
    expect(Object.keys(environmentOf('Restart')).sort()).toEqual([...kube, 'ALLOWED_NAMESPACES'].sort());
    expect(environmentOf('Guard')).toMatchObject({
      CLUSTER_NAME: context.clusterName,
      ALLOWED_NAMESPACES: context.allowedNamespaces,
      COOLDOWN_SECONDS: '900',
      LOCK_TTL_SECONDS: '3600',
      ...('allowedWorkloads' in context ? { ALLOWED_WORKLOADS: context.allowedWorkloads } : {}),
    });
    expect(Object.keys(environmentOf('Diagnose')).sort()).toEqual(
      [...kube, 'EVIDENCE_BUCKET', 'LOG_TAIL_LINES', 'LOG_LIMIT_BYTES'].sort(),
    );
    expect(Object.keys(environmentOf('ClusterDump')).sort()).toEqual(
      [
        ...kube,
        'EVIDENCE_BUCKET',
        'DUMP_MAX_BYTES',
        'DUMP_CONCURRENCY',
        'LOG_LIMIT_BYTES',
        'DUMP_LOGS',
      ].sort(),
    );
  });

  it('draws a dashboard of outcomes, executions, time to recover, actions and top causes for this stack only', () => {
    // Prepare: the body is a Fn::Join of text and references (region, state machine).
    const dashboards = Object.values(resourcesOf(built.template, 'AWS::CloudWatch::Dashboard'));
    const parts = (dashboards[0].Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] })[
      'Fn::Join'
    ][1];
    const body = JSON.parse(parts.map((part) => (typeof part === 'string' ? part : 'REF')).join('')) as {
      widgets: Array<{ properties: { title?: string; metrics?: unknown[][] } }>;
    };
    const metricsOf = (title: string) =>
      JSON.stringify(body.widgets.find((w) => w.properties.title?.startsWith(title))?.properties.metrics);
    const service = built.stack.stackName;
    const search = (metric: string, dimension: string) =>
      JSON.stringify(
        `SEARCH('{EksIncidentResponse,service,${dimension}} MetricName="${metric}" service="${service}"', 'Sum', 86400)`,
      );

    // Assess
    expect(dashboards).toHaveLength(1);
    expect(dashboards[0].Properties.DashboardName).toBe(service);
    expect(metricsOf('Incidents by outcome')).toContain(search('Incidents', 'Outcome'));
    expect(metricsOf('Actions taken')).toContain(search('RemediationActions', 'Action'));
    expect(metricsOf('Top causes')).toContain(search('TopCause', 'Rule'));
    expect(metricsOf('Diagnosis rule hits')).toContain(search('DiagnosisRuleHits', 'Rule'));
    expect(metricsOf('Time to recover')).toContain(
      JSON.stringify(['EksIncidentResponse', 'TimeToRecover', 'service', service]).slice(1, -1),
    );
    for (const metric of [
      'ExecutionsStarted',
      'ExecutionsSucceeded',
      'ExecutionsFailed',
      'ExecutionsTimedOut',
    ]) {
      expect(metricsOf('Executions')).toContain(
        JSON.stringify(['AWS/States', metric, 'StateMachineArn', 'REF']).slice(1, -1),
      );
    }
  });

  it('runs only the Kubernetes steps in the VPC, when one is configured', () => {
    // Prepare
    const functions = resourcesOf(built.template, 'AWS::Lambda::Function');
    const vpcConfigOf = (step: string) =>
      functions[
        logicalIdOf(built, built.stack.incidentResponse.node.findChild(step).node.findChild('Function'))
      ].Properties.VpcConfig;

    // Assess
    for (const step of STEPS_WITH_KUBERNETES) {
      expect(vpcConfigOf(step)).toEqual(
        'vpcId' in context
          ? { SubnetIds: ['subnet-0a1b2c3d', 'subnet-0e1f2a3b'], SecurityGroupIds: ['sg-0c1d2e3f'] }
          : undefined,
      );
    }
    for (const step of STEPS_WITHOUT_KUBERNETES) {
      expect(vpcConfigOf(step)).toBeUndefined();
    }
  });

  it('encrypts the topic with a rotated key and accepts only TLS', () => {
    // Prepare
    const keyId = logicalIdOf(built, built.stack.notifications.key);

    // Assess
    built.template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    built.template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
    });
    built.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sns:Publish',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('runs a Standard, JSONPath, traced and logged state machine', () => {
    // Prepare
    const logGroupId = logicalIdOf(built, built.stack.workflow.logGroup);

    // Assess
    built.template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: false,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [logGroupId, 'Arn'] } } }],
      },
    });
    built.template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: {
        'Fn::Join': ['', ['/aws/vendedlogs/states/EksIncidentResponse-IncidentResponse-', Match.anyValue()]],
      },
      RetentionInDays: 90,
    });
  });

  it('outputs what an operator needs next', () => {
    // Assess
    built.template.hasOutput('StateMachineArn', { Value: { Ref: Match.anyValue() } });
    built.template.hasOutput('EvidenceBucketName', {
      Value: { Ref: logicalIdOf(built, built.stack.evidence.bucket) },
    });
    built.template.hasOutput('NotificationTopicArn', {
      Value: { Ref: logicalIdOf(built, built.stack.notifications.topic) },
    });
    built.template.hasOutput('RbacCommand', {
      Value: `npx eks-incident rbac --group ${'rbacGroup' in context ? context.rbacGroup : 'eks-incident-response'} --namespaces ${context.allowedNamespaces} | kubectl apply -f -`,
    });
  });

  it('serves the approval routes from one function on the webhook API, answering only this state machine', () => {
    // Prepare
    const { approvals, webhook, workflow } = built.stack;
    const fnId = logicalIdOf(built, approvals.handler.function);
    const integrations = resourcesOf(built.template, 'AWS::ApiGatewayV2::Integration');
    const routes = Object.values(resourcesOf(built.template, 'AWS::ApiGatewayV2::Route'));
    const routedTo = (route: Resource) => {
      const target = JSON.stringify(route.Properties.Target);
      const id = Object.keys(integrations).find((i) => target.includes(i))!;
      return integrations[id].Properties;
    };
    const approvalRoutes = routes.filter(
      (route) =>
        JSON.stringify(routedTo(route).IntegrationUri) === JSON.stringify({ 'Fn::GetAtt': [fnId, 'Arn'] }),
    );
    const environment = (
      resourcesOf(built.template, 'AWS::Lambda::Function')[fnId].Properties.Environment as {
        Variables: Record<string, unknown>;
      }
    ).Variables;
    const statements = statementsOfRole(built, approvals.handler.role);
    const linkSecretId = logicalIdOf(
      built,
      built.stack.incidentResponse.node.findChild('ApprovalLinkSecret') as IConstruct,
    );

    // Assess
    expect(approvalRoutes.map((r) => r.Properties.RouteKey).sort()).toEqual([
      'GET /approvals/{incident}/{action}',
      'POST /approvals/{incident}/{action}',
      'POST /slack/interactions',
    ]);
    for (const route of approvalRoutes) {
      expect(route.Properties.ApiId).toEqual({ Ref: logicalIdOf(built, webhook.api) });
      expect(routedTo(route)).toMatchObject({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
    }
    expect(environment).toEqual({
      EVIDENCE_BUCKET: { Ref: logicalIdOf(built, built.stack.evidence.bucket) },
      APPROVAL_LINK_SECRET_ARN: { Ref: linkSecretId },
      POWERTOOLS_SERVICE_NAME: built.stack.stackName,
      POWERTOOLS_METRICS_NAMESPACE: 'EksIncidentResponse',
      POWERTOOLS_LOG_LEVEL: 'logLevel' in context ? 'DEBUG' : 'INFO',
      ...('slackSigningSecretName' in context ? { SLACK_SIGNING_SECRET_ARN: expect.anything() } : {}),
    });
    // SendTaskSuccess on this state machine, from this function only; nothing else of Step Functions.
    expect(statements.filter((st) => actionsOf([st]).some((a) => a.startsWith('states:')))).toEqual([
      {
        Effect: 'Allow',
        Action: 'states:SendTaskSuccess',
        Resource: { Ref: logicalIdOf(built, workflow.stateMachine) },
      },
    ]);
    const taskAnswerers = Object.values(resourcesOf(built.template, 'AWS::IAM::Policy')).filter((policy) =>
      JSON.stringify(policy.Properties.PolicyDocument).match(/states:SendTask/),
    );
    expect(taskAnswerers.map((p) => p.Properties.Roles)).toEqual([
      [{ Ref: logicalIdOf(built, approvals.handler.role) }],
    ]);
    // The approval requests, and nothing else of the bucket.
    for (const statement of statements.filter((st) => /s3:(Put|Get)Object/.test(String(st.Action)))) {
      expect(JSON.stringify(statement.Resource)).toMatch(/\/approvals\/\*"\]\]\}$/);
    }
    expect(actionsOf(statements).filter((a) => !/^(logs|xray|states|secretsmanager|s3):/.test(a))).toEqual(
      [],
    );
    const secretsRead = statements
      .filter((st) => actionsOf([st]).includes('secretsmanager:GetSecretValue'))
      .flatMap((st) => [st.Resource].flat().map((r) => JSON.stringify(r)));
    expect(secretsRead).toHaveLength('slackSigningSecretName' in context ? 2 : 1);
    expect(secretsRead).toContain(JSON.stringify({ Ref: linkSecretId }));
    if ('slackSigningSecretName' in context) {
      expect(secretsRead).toContainEqual(expect.stringContaining(':secret:incident/slack-signing-??????'));
    }
    built.template.hasOutput('SlackInteractivityUrl', {
      Value: {
        'Fn::Join': [
          '',
          [{ 'Fn::GetAtt': [logicalIdOf(built, webhook.api), 'ApiEndpoint'] }, '/slack/interactions'],
        ],
      },
    });
  });

  it('generates the approval-link secret, read by the signer (notify) and the verifier (approval routes) only', () => {
    // Prepare
    const linkSecretId = logicalIdOf(
      built,
      built.stack.incidentResponse.node.findChild('ApprovalLinkSecret') as IConstruct,
    );
    const readers = Object.values(resourcesOf(built.template, 'AWS::IAM::Policy')).filter((policy) =>
      (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement.some((st) =>
        [st.Resource].flat().some((r) => JSON.stringify(r) === JSON.stringify({ Ref: linkSecretId })),
      ),
    );
    const notifyEnv = (
      resourcesOf(built.template, 'AWS::Lambda::Function')[
        logicalIdOf(built, built.stack.functions.notify.function)
      ].Properties.Environment as { Variables: Record<string, unknown> }
    ).Variables;

    // Assess
    built.template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true },
    });
    expect(readers.flatMap((p) => p.Properties.Roles as unknown[]).sort()).toEqual(
      [built.stack.functions.notify.role, built.stack.approvals.handler.role]
        .map((role) => ({ Ref: logicalIdOf(built, role) }))
        .sort(),
    );
    expect(notifyEnv.APPROVAL_LINK_SECRET_ARN).toEqual({ Ref: linkSecretId });
    // Unset, the links point at the stack's own HTTP API.
    expect(notifyEnv.APPROVAL_BASE_URL).toEqual(
      'approvalBaseUrl' in context
        ? context.approvalBaseUrl
        : { 'Fn::GetAtt': [logicalIdOf(built, built.stack.webhook.api), 'ApiEndpoint'] },
    );
  });

  it('lets Open Incident count the running executions of this state machine (storm-quiet openings), and nothing more', () => {
    // Prepare
    const listers = Object.values(resourcesOf(built.template, 'AWS::IAM::Policy')).filter((policy) =>
      JSON.stringify(policy.Properties.PolicyDocument).includes('states:ListExecutions'),
    );
    const notifyEnv = (
      resourcesOf(built.template, 'AWS::Lambda::Function')[
        logicalIdOf(built, built.stack.functions.notify.function)
      ].Properties.Environment as { Variables: Record<string, unknown> }
    ).Variables;

    // Assess
    expect(listers.map((p) => p.Properties.Roles)).toEqual([
      [{ Ref: logicalIdOf(built, built.stack.functions.notify.role) }],
    ]);
    expect((listers[0].Properties.PolicyDocument as { Statement: Statement[] }).Statement).toEqual([
      {
        Effect: 'Allow',
        Action: 'states:ListExecutions',
        Resource: { Ref: logicalIdOf(built, built.stack.workflow.stateMachine) },
      },
    ]);
    expect(notifyEnv.STORM_QUIET_ABOVE).toBe('10');
  });

  it('gives the guard the Alertmanager URL and its auth secret, and only the guard reads that secret', () => {
    // Prepare
    const guardEnv = (
      resourcesOf(built.template, 'AWS::Lambda::Function')[
        logicalIdOf(built, built.stack.functions.guard.function)
      ].Properties.Environment as { Variables: Record<string, unknown> }
    ).Variables;
    const authReaders = Object.values(resourcesOf(built.template, 'AWS::IAM::Policy')).filter((policy) =>
      JSON.stringify(policy.Properties.PolicyDocument).includes(':secret:incident/alertmanager-auth-??????'),
    );

    // Assess
    if ('alertmanagerAuthSecretName' in context) {
      expect(guardEnv).toMatchObject({
        ALERTMANAGER_URL: FULL_CONTEXT.alertmanagerUrl,
        ALERTMANAGER_AUTH_SECRET_ARN: expect.anything(),
      });
      expect(authReaders.map((p) => p.Properties.Roles)).toEqual([
        [{ Ref: logicalIdOf(built, built.stack.functions.guard.role) }],
      ]);
    } else {
      expect(guardEnv.ALERTMANAGER_AUTH_SECRET_ARN).toBeUndefined();
      expect(authReaders).toEqual([]);
    }
  });
});
