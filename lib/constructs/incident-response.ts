import {
  ArnFormat,
  CfnOutput,
  type CfnElement,
  Duration,
  Fn,
  Lazy,
  Stack,
  Token,
  Validations,
} from 'aws-cdk-lib';
import type { Dashboard } from 'aws-cdk-lib/aws-cloudwatch';
import { SecurityGroup, Subnet, Vpc } from 'aws-cdk-lib/aws-ec2';
import { Policy, PolicyStatement, type IRole, type Role } from 'aws-cdk-lib/aws-iam';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { z } from 'zod';
import type { EnvOf, verifyEnv } from '../../lambdas/shared/env';
import { scratchNamespaces } from '../../lambdas/shared/backup-config';
import type { StackConfig } from '../config';
import {
  INCIDENT_STEPS,
  stepDefinition,
  type IncidentStep,
  type StepGrant,
  type StepResources,
} from '../incident-steps';
import { ApprovalRoutes, approvalLinkSecret } from './approval-routes';
import { BackupVerification } from './backup-verification';
import { ClusterAccess } from './cluster-access';
import type { KubernetesStep } from '../../lambdas/shared/kubernetes/step-access';
import { EvidenceBucket } from './evidence-bucket';
import { FallbackAlarm } from './fallback-alarm';
import { IncidentDashboard } from './incident-dashboard';
import { IncidentFunction, setFunctionLogLevel, type FunctionVpcPlacement } from './function-defaults';
import { IncidentWorkflow } from './incident-workflow';
import { Notifications } from './notifications';
import { Webhook } from './webhook';

export interface IncidentResponseProps {
  /** The validated configuration (lib/config.ts). */
  readonly config: StackConfig;
}

/** Where Lambda unpacks the function's asset, and the name the user's rules file has there. */
const LAMBDA_TASK_ROOT = '/var/task';
const RULES_FILE_NAME = 'rules.yaml';

export { INCIDENT_STEPS, type IncidentStep } from '../incident-steps';

/**
 * The incident-response workflow: evidence bucket, notifications, one function per step, their
 * access to the cluster and the IncidentResponse state machine. It owns the step registry
 * (lib/incident-steps.ts): each function, its environment, sizing and grants are made from it.
 *
 * Each function has its own role and is granted only what its step does: S3 object access
 * under `incidents/` for the steps that write evidence (read too for those that rewrite the
 * manifest), SNS publish and the Slack secret for the steps that notify, an EKS access entry and
 * eks:DescribeCluster for the steps that talk to Kubernetes.
 */
export class IncidentResponse extends Construct {
  readonly functions: Record<IncidentStep, IncidentFunction<z.ZodObject>>;
  readonly workflow: IncidentWorkflow;
  readonly evidence: EvidenceBucket;
  readonly notifications: Notifications;
  readonly clusterAccess: ClusterAccess;
  /** The Alertmanager webhook (API Gateway HTTP API → intake λ → StartExecution). */
  readonly webhook: Webhook;
  /** The approval routes on the webhook's HTTP API (signed links, Slack's buttons). */
  readonly approvals: ApprovalRoutes;
  /** The scheduled backup verification, when `backupSources` is configured. */
  readonly backupVerification?: BackupVerification;
  /** Pages apart from the workflow when one of its executions fails, times out or is aborted. */
  readonly fallbackAlarm: FallbackAlarm;
  /** The CloudWatch dashboard of the incidents (lib/constructs/incident-dashboard.ts). */
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: IncidentResponseProps) {
    super(scope, id);
    const { config } = props;
    const stack = Stack.of(this);

    this.evidence = new EvidenceBucket(this, 'Evidence', { retentionDays: config.evidenceRetentionDays });
    this.notifications = new Notifications(this, 'Notifications', {
      slackSecretName: config.slackSecretName,
    });
    const vpcPlacement = this.vpcPlacement(config);
    const bucket = this.evidence.bucket.bucketName;
    const kube: EnvOf<typeof verifyEnv> = {
      CLUSTER_NAME: config.clusterName,
      CLUSTER_ENDPOINT: config.clusterEndpoint,
      CLUSTER_CA_DATA: config.clusterCaData,
      KUBE_REQUEST_TIMEOUT_MS: String(config.kubeRequestTimeoutMs),
    };
    const linkSecret = approvalLinkSecret(this, 'ApprovalLinkSecret');
    const alertmanagerAuth = config.alertmanagerAuthSecretName
      ? Secret.fromSecretNameV2(this, 'AlertmanagerAuthSecret', config.alertmanagerAuthSecretName)
      : undefined;

    const resources: StepResources = {
      bucket,
      topicArn: this.notifications.topic.topicArn,
      slackSecretArn: this.notifications.slackSecret?.secretArn,
      // The links point at the routes below, on the HTTP API created after the workflow.
      approvalBaseUrl: config.approvalBaseUrl ?? Lazy.string({ produce: () => this.webhook.api.apiEndpoint }),
      approvalLinkSecretArn: linkSecret.secretArn,
      alertmanagerAuthSecretArn: alertmanagerAuth?.secretArn,
      rulesFile: `${LAMBDA_TASK_ROOT}/${RULES_FILE_NAME}`,
    };
    this.functions = Object.fromEntries(
      INCIDENT_STEPS.map((step) => {
        const spec = stepDefinition(step);
        const fn = new IncidentFunction(this, spec.id, {
          step,
          envSchema: spec.envSchema,
          environment: spec.environment(config, resources),
          description: spec.description,
          timeout: Duration.seconds(spec.timeoutSeconds),
          memorySize: spec.memorySize,
          // Only the Kubernetes steps need the cluster's private endpoint; the others reach AWS APIs only.
          vpcPlacement: spec.kubernetes ? vpcPlacement : undefined,
          files:
            step === 'diagnose' && config.rulesFile
              ? { [RULES_FILE_NAME]: config.rulesFile.text }
              : undefined,
        });
        return [step, fn];
      }),
    ) as Record<IncidentStep, IncidentFunction<z.ZodObject>>;

    const f = this.functions;
    for (const step of INCIDENT_STEPS) {
      this.grantResources(f[step].role, stepDefinition(step).grants, { linkSecret, alertmanagerAuth });
    }

    this.clusterAccess = new ClusterAccess(this, 'ClusterAccess', {
      clusterName: config.clusterName,
      roles: Object.fromEntries(
        INCIDENT_STEPS.filter((step) => stepDefinition(step).kubernetes).map((step) => [
          stepDefinition(step).id,
          { step: step as KubernetesStep, role: f[step].role },
        ]),
      ),
      kubernetesGroup: config.rbacGroup,
      describeCluster: !config.clusterEndpoint,
    });

    this.workflow = new IncidentWorkflow(this, 'IncidentResponse', {
      functions: {
        notify: f.notify.function,
        diagnose: f.diagnose.function,
        collectEvents: f['collect-events'].function,
        guard: f.guard.function,
        restart: f.restart.function,
        verify: f.verify.function,
        rollback: f.rollback.function,
        escalate: f.escalate.function,
        clusterDump: f['cluster-dump'].function,
        report: f.report.function,
      },
      topic: this.notifications.topic,
      approvalTimeout: Duration.seconds(config.remediationPolicy.timeoutSeconds),
    });

    this.webhook = new Webhook(this, 'Webhook', {
      stateMachine: this.workflow.stateMachine,
      evidence: this.evidence,
      clusterAccess: this.clusterAccess,
      kube: {
        CLUSTER_NAME: kube.CLUSTER_NAME,
        CLUSTER_ENDPOINT: kube.CLUSTER_ENDPOINT,
        CLUSTER_CA_DATA: kube.CLUSTER_CA_DATA,
      },
      vpcPlacement,
      tokenSecretName: config.webhookTokenSecretName,
      alertTargets: config.alertTargets,
      defaultNamespace: config.webhookDefaultNamespace,
      dryRun: config.webhookDryRun,
    });

    this.approvals = new ApprovalRoutes(this, 'Approvals', {
      api: this.webhook.api,
      stateMachine: this.workflow.stateMachine,
      evidence: this.evidence,
      linkSecret,
      slackSigningSecretName: config.slackSigningSecretName,
    });

    if (config.backupSources) {
      this.backupVerification = new BackupVerification(this, 'BackupVerification', {
        config: config.backupSources,
        scheduleExpression: config.backupSchedule,
        scheduleTimeZone: config.backupScheduleTimeZone,
        successDigest: config.backupSuccessDigest,
        evidence: this.evidence,
        notifications: this.notifications,
        kube,
        kubernetesGroup: this.clusterAccess.kubernetesGroup,
        vpcPlacement,
      });
    }
    this.fallbackAlarm = new FallbackAlarm(this, 'FallbackAlarm', {
      stateMachines: [
        this.workflow.stateMachine,
        ...(this.backupVerification ? [this.backupVerification.workflow.stateMachine] : []),
      ],
      topicArn: config.fallbackAlarmTopicArn,
      email: config.fallbackAlarmEmail,
    });
    this.dashboard = new IncidentDashboard(this, 'Dashboard', {
      stateMachine: this.workflow.stateMachine,
      serviceName: stack.stackName,
    }).dashboard;
    setFunctionLogLevel(this, config.logLevel);
    for (const step of INCIDENT_STEPS) {
      const { id, grants } = stepDefinition(step);
      // Guard takes over the lock of an execution that has ended: it asks Step Functions.
      if (grants.includes('describe-executions')) this.grantDescribeExecutions(id, f[step].role);
      // Open Incident counts the incidents in flight, to open quietly in a storm.
      if (grants.includes('list-executions')) {
        new Policy(this, `${id}ListExecutions`, {
          statements: [
            new PolicyStatement({
              actions: ['states:ListExecutions'],
              resources: [this.workflow.stateMachine.stateMachineArn],
            }),
          ],
        }).attachToRole(f[step].role);
      }
    }
    const scratch = config.backupSources ? scratchNamespaces(config.backupSources) : [];

    new CfnOutput(this, 'StateMachineArn', {
      description:
        'Start an incident: aws stepfunctions start-execution --state-machine-arn <this> --input file://incident.json',
      value: this.workflow.stateMachine.stateMachineArn,
    });
    new CfnOutput(this, 'EvidenceBucketName', {
      description: 'Incident evidence: incidents/YYYY/MM/DD/<incident-id>/',
      value: this.evidence.bucket.bucketName,
    });
    new CfnOutput(this, 'NotificationTopicArn', {
      description: 'Subscribe e-mail, chat or paging here',
      value: this.notifications.topic.topicArn,
    });
    new CfnOutput(this, 'FallbackAlarmTopicArn', {
      description: 'Pages when an execution fails, times out or is aborted: subscribe the on-call here',
      value: this.fallbackAlarm.topic.topicArn,
    });
    new CfnOutput(this, 'RbacCommand', {
      description: "Grant each function's Kubernetes group its permissions (run once with cluster-admin)",
      value: `npx eks-incident rbac --group ${this.clusterAccess.kubernetesGroup} --namespaces ${config.allowedNamespaces.join(',')}${scratch.length ? ` --scratch-namespaces ${scratch.join(',')}` : ''} | kubectl apply -f -`,
    });
  }

  /**
   * states:DescribeExecution on the IncidentResponse executions, as a policy of its own: the
   * function must not depend on it, since the state machine depends on the function.
   */
  private grantDescribeExecutions(id: string, role: IRole): void {
    const arn = this.workflow.stateMachine.stateMachineArn;
    const name = Fn.select(6, Fn.split(':', arn));
    const stack = Stack.of(this);
    const executions = stack.formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${name}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const policy = new Policy(this, `${id}DescribeExecutions`, {
      statements: [new PolicyStatement({ actions: ['states:DescribeExecution'], resources: [executions] })],
    });
    policy.attachToRole(role);
    const stateMachineId = stack.getLogicalId(this.workflow.stateMachine.node.defaultChild as CfnElement);
    // cdk-nag names the resource as rendered: pseudo parameters where the stack has no environment.
    const shown = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<AWS::${pseudo}>` : value);
    Validations.of(policy).acknowledge({
      id:
        `AwsSolutions-IAM5[Resource::arn:${shown(stack.partition, 'Partition')}:states:` +
        `${shown(stack.region, 'Region')}:${shown(stack.account, 'AccountId')}:execution:` +
        `{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${stateMachineId}"}]}]}:*]`,
      reason:
        'Guard looks up the execution holding a lock by its ARN (states:DescribeExecution), which can be any ' +
        'execution of the IncidentResponse state machine: the wildcard is the execution name, under this one state machine.',
    });
  }

  /**
   * A step's grants on the bucket, the topic and the secrets (incident-steps.ts `StepGrant`);
   * the grants on the state machine follow it, which depends on the functions.
   */
  private grantResources(
    role: Role,
    grants: readonly StepGrant[],
    secrets: { linkSecret: ISecret; alertmanagerAuth?: ISecret },
  ): void {
    for (const grant of grants) {
      if (grant === 'evidence:write') this.evidence.grantIncidentEvidence(role, 'write');
      else if (grant === 'evidence:read-write') this.evidence.grantIncidentEvidence(role, 'read-write');
      else if (grant === 'notify') this.notifications.grantNotify(role);
      else if (grant === 'approvals') {
        this.evidence.grantApprovals(role);
        secrets.linkSecret.grantRead(role);
      }
      // Guard creates the incident's silence and, releasing the lock, expires it.
      else if (grant === 'alertmanager-auth') secrets.alertmanagerAuth?.grantRead(role);
    }
  }

  /** The functions' VPC, from ids only (never a lookup: synth stays offline). */
  private vpcPlacement(config: StackConfig): FunctionVpcPlacement | undefined {
    if (!config.vpcId || !config.subnetIds) return undefined;
    return {
      // The functions get their subnets explicitly, so the VPC's own subnet lists stay empty and
      // its zones are only there to satisfy fromVpcAttributes.
      vpc: Vpc.fromVpcAttributes(this, 'Vpc', {
        vpcId: config.vpcId,
        availabilityZones: Stack.of(this).availabilityZones,
      }),
      subnets: config.subnetIds.map((id, i) => {
        const subnet = Subnet.fromSubnetId(this, `Subnet${i}`, id);
        Validations.of(subnet).acknowledge({
          id: 'Annotation::@aws-cdk/aws-ec2:noSubnetRouteTableId',
          reason:
            'The subnet is imported by id only to place the functions network interfaces in it; nothing in the ' +
            'stack reads or changes its route table.',
        });
        return subnet;
      }),
      securityGroups: config.securityGroupIds?.map((id, i) =>
        SecurityGroup.fromSecurityGroupId(this, `SecurityGroup${i}`, id, { mutable: false }),
      ),
    };
  }
}
