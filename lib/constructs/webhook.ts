import { ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { AlertTargetRule } from '../../lambdas/shared/alert-targets';
import { WEBHOOK_PATH } from '../../lambdas/intake/intake';
import { ConfigurationError } from '../../lambdas/shared/errors';
import { intakeEnv, type EnvOf, type kubeEnv } from '../../lambdas/shared/env';
import type { ClusterAccess } from './cluster-access';
import type { EvidenceBucket } from './evidence-bucket';
import { IncidentFunction, type FunctionVpcPlacement } from './function-defaults';

/**
 * Alertmanager gives a whole notification, retries included, max(group_interval, 10 s): the
 * intake answers well within it, and each Kubernetes lookup gets a fraction of that.
 */
const INTAKE_TIMEOUT = Duration.seconds(10);

/**
 * Less than any delivery takes: listing the alert index, StartExecution and the index writes are
 * three AWS calls of several milliseconds each. The stage lets through more requests per second
 * than the intake's reserved concurrency can serve at this pace, so an overload meets Lambda's
 * throttle first, which API Gateway answers with a 500 that Alertmanager retries, never the
 * stage's 429, which Alertmanager drops (its webhook notifier retries 5xx only).
 */
export const INTAKE_MIN_DELIVERY_MS = 5;

/** Deliveries handled at once; the rest of a storm is answered 500 and retried by Alertmanager. */
export const INTAKE_CONCURRENCY = 10;
const INTAKE_KUBE_REQUEST_TIMEOUT_MS = 2000;

/** Lambda caps a function's whole environment at 4 KB; the rules get at most this much of it. */
const ALERT_TARGETS_MAX_BYTES = 2048;

export interface WebhookProps {
  /** The IncidentResponse state machine the intake starts, and whose executions it looks up. */
  readonly stateMachine: StateMachine;
  /** Where resolved alerts are recorded: under their incident's evidence prefix. */
  readonly evidence: EvidenceBucket;
  /** Gives the intake an access entry: it reads pods and ReplicaSets to find an alert's workload. */
  readonly clusterAccess: ClusterAccess;
  /** How the intake finds the cluster (its request timeout is the intake's own, kept short). */
  readonly kube: Omit<EnvOf<typeof kubeEnv>, 'KUBE_REQUEST_TIMEOUT_MS'>;
  /**
   * Run the intake in the cluster's VPC (clusters with a private endpoint).
   * @default - no VPC
   */
  readonly vpcPlacement?: FunctionVpcPlacement;
  /**
   * Name of an existing Secrets Manager secret holding the bearer token.
   * @default - a secret with a random 48-character token is created
   */
  readonly tokenSecretName?: string;
  /**
   * Rules naming the target of service-level alerts (lambdas/shared/alert-targets.ts).
   * @default [] (alerts are resolved from their own labels)
   */
  readonly alertTargets?: AlertTargetRule[];
  /**
   * Namespace of the namespace-level incident an alert without a `namespace` label opens.
   * @default 'kube-system'
   */
  readonly defaultNamespace?: string;
  /**
   * Start every execution as a dry run.
   * @default false
   */
  readonly dryRun?: boolean;
  /**
   * Concurrent executions reserved for the intake: an alert storm cannot take the concurrency the
   * workflow's own functions need, and what it cannot take is answered 500 and retried.
   * @default INTAKE_CONCURRENCY (10)
   */
  readonly concurrency?: number;
  /**
   * Requests per second API Gateway lets through. It answers the excess with 429, which
   * Alertmanager does not retry: keep it above what the intake's concurrency can serve.
   * @default concurrency × 1000 / INTAKE_MIN_DELIVERY_MS per second, the same as burst
   */
  readonly throttle?: { rateLimit: number; burstLimit: number };
  /**
   * How long the access log keeps requests.
   * @default RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: RetentionDays;
}

/**
 * The Alertmanager webhook: an API Gateway HTTP API with one route, `POST /alertmanager`, to
 * the intake function (lambdas/intake), which checks Alertmanager's bearer token and starts
 * IncidentResponse executions. The intake may start and describe executions of this one state
 * machine, write resolved alerts under `incidents/`, read the token, and read pods and
 * ReplicaSets through its access entry; nothing else.
 */
export class Webhook extends Construct {
  readonly api: HttpApi;
  readonly intake: IncidentFunction<typeof intakeEnv>;
  readonly tokenSecret: ISecret;
  readonly accessLogs: LogGroup;
  /** `https://<api>.execute-api.<region>.amazonaws.com/alertmanager` */
  readonly url: string;

  constructor(scope: Construct, id: string, props: WebhookProps) {
    super(scope, id);
    const rules = JSON.stringify(props.alertTargets ?? []);
    if (Buffer.byteLength(rules) > ALERT_TARGETS_MAX_BYTES) {
      throw new ConfigurationError(
        `alertTargets: ${Buffer.byteLength(rules)} bytes of rules do not fit the intake's environment (at most ${ALERT_TARGETS_MAX_BYTES})`,
      );
    }

    if (props.tokenSecretName) {
      this.tokenSecret = Secret.fromSecretNameV2(this, 'Token', props.tokenSecretName);
    } else {
      const generated = new Secret(this, 'Token', {
        description: 'Bearer token Alertmanager sends to the incident-response webhook',
        generateSecretString: { passwordLength: 48, excludePunctuation: true },
      });
      Validations.of(generated).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'The token is also written in the Alertmanager configuration, which a rotation Lambda cannot update; ' +
          'it is rotated by putting a new value and updating Alertmanager (the intake rereads it every 5 minutes).',
      });
      this.tokenSecret = generated;
    }

    const concurrency = props.concurrency ?? INTAKE_CONCURRENCY;
    this.intake = new IncidentFunction(this, 'Intake', {
      step: 'intake',
      envSchema: intakeEnv,
      environment: {
        ...props.kube,
        KUBE_REQUEST_TIMEOUT_MS: String(INTAKE_KUBE_REQUEST_TIMEOUT_MS),
        EVIDENCE_BUCKET: props.evidence.bucket.bucketName,
        STATE_MACHINE_ARN: props.stateMachine.stateMachineArn,
        WEBHOOK_TOKEN_SECRET_ARN: this.tokenSecret.secretArn,
        ALERT_TARGETS: rules,
        DEFAULT_NAMESPACE: props.defaultNamespace ?? 'kube-system',
        DRY_RUN: String(props.dryRun ?? false) as 'true' | 'false',
      },
      description: 'Alertmanager webhook: starts one IncidentResponse execution per alerting workload',
      timeout: INTAKE_TIMEOUT,
      memorySize: 512,
      reservedConcurrentExecutions: concurrency,
      vpcPlacement: props.vpcPlacement,
    });
    const role = this.intake.role;
    props.stateMachine.grantStartExecution(role);
    const executions = Stack.of(this).formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${props.stateMachine.stateMachineName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['states:DescribeExecution'], resources: [executions] }),
    );
    this.tokenSecret.grantRead(role);
    props.evidence.grantIncidentEvidence(role, 'read-write');
    props.clusterAccess.addRole('Intake', 'intake', role);
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagResource(this, executions)}]`,
      reason:
        'Execution ARNs carry the execution name, derived from each alert at run time; the intake may ' +
        'describe (not stop or start) executions of this one state machine, to record resolved alerts in them.',
    });

    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention ?? RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    this.api = new HttpApi(this, 'Api', {
      apiName: `${Stack.of(this).stackName}-alertmanager-webhook`,
      description: 'Alertmanager webhook of the EKS incident-response workflow',
      createDefaultStage: false,
    });
    this.api.addRoutes({
      path: WEBHOOK_PATH,
      methods: [HttpMethod.POST],
      integration: new HttpLambdaIntegration('Intake', this.intake.function),
    });
    const servable = (concurrency * 1000) / INTAKE_MIN_DELIVERY_MS;
    const throttle = props.throttle ?? { rateLimit: servable, burstLimit: servable };
    new HttpStage(this, 'Stage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        // Who called, what answered and how long it took; never headers (the token) or bodies.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            requestTime: '$context.requestTime',
            sourceIp: '$context.identity.sourceIp',
            userAgent: '$context.identity.userAgent',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationStatus: '$context.integrationStatus',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'Alertmanager authenticates with a bearer token (http_config.authorization); the intake compares it in ' +
        'constant time with the Secrets Manager value and answers 401 before reading the body. An API Gateway ' +
        'authorizer would be a second function checking the same token.',
    });
    this.url = `${this.api.apiEndpoint}${WEBHOOK_PATH}`;

    // Plain output names, as `aws cloudformation describe-stacks` shows them to the operator.
    new CfnOutput(this, 'WebhookUrl', {
      description: "Alertmanager webhook_configs url (with http_config.authorization's bearer token)",
      value: this.url,
    }).overrideLogicalId('WebhookUrl');
    new CfnOutput(this, 'WebhookTokenSecretArn', {
      description: 'The bearer token: aws secretsmanager get-secret-value --secret-id <this>',
      value: this.tokenSecret.secretArn,
    }).overrideLogicalId('WebhookTokenSecretArn');
  }
}

/**
 * How cdk-nag spells a resource in its finding id: the resolved value, with `<Ref>` and
 * `<LogicalId.Attribute>` standing for references (the region is literal when configured).
 */
function nagResource(scope: Construct, value: string): string {
  const render = (part: unknown): string => {
    if (typeof part === 'string') return part;
    const intrinsic = part as Record<string, unknown>;
    if ('Ref' in intrinsic) return `<${String(intrinsic.Ref)}>`;
    if ('Fn::GetAtt' in intrinsic) return `<${(intrinsic['Fn::GetAtt'] as string[]).join('.')}>`;
    if ('Fn::Join' in intrinsic) {
      const [delimiter, parts] = intrinsic['Fn::Join'] as [string, unknown[]];
      return parts.map(render).join(delimiter);
    }
    throw new Error(`cannot spell ${JSON.stringify(part)} as cdk-nag does`);
  };
  return render(Stack.of(scope).resolve(value));
}
