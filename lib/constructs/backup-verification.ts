import { Aws, CfnOutput, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { z } from 'zod';
import type { BackupConfig, S3Source } from '../../lambdas/shared/backup-config';
import type { EnvOf, kubeEnv } from '../../lambdas/shared/env';
import { ConfigurationError } from '../../lambdas/shared/errors';
import { BACKUP_STEPS, backupStepDefinition, type BackupStep } from '../backup-steps';
import { BackupWorkflow } from './backup-workflow';
import { ClusterAccess } from './cluster-access';
import type { EvidenceBucket } from './evidence-bucket';
import { IncidentFunction, type FunctionVpcPlacement } from './function-defaults';
import type { Notifications } from './notifications';

export { BACKUP_STEPS, type BackupStep } from '../backup-steps';

export interface BackupVerificationProps {
  /** What to verify (the validated `backupSources`). */
  readonly config: BackupConfig;
  /** An EventBridge Scheduler expression. */
  readonly scheduleExpression: string;
  /** The IANA time zone of the schedule. */
  readonly scheduleTimeZone: string;
  /** Notify a passing run too. */
  readonly successDigest: boolean;
  /** Where reports go (`backup-verification/`). */
  readonly evidence: EvidenceBucket;
  /** Where notifications go. */
  readonly notifications: Notifications;
  /** How the Kubernetes steps reach the cluster (the incident steps' values). */
  readonly kube: EnvOf<typeof kubeEnv>;
  /** The Kubernetes group of the access entries (the RBAC manifest binds it). */
  readonly kubernetesGroup: string;
  /**
   * Run the Kubernetes steps in the cluster's VPC.
   * @default - no VPC
   */
  readonly vpcPlacement?: FunctionVpcPlacement;
}

/** Lambda refuses a function whose environment (names and values) exceeds 4 KB. */
const LAMBDA_ENVIRONMENT_LIMIT = 4096;

/**
 * The scheduled backup verification: its four functions, each with only the access its step
 * needs, and the BackupVerification workflow with its schedule.
 *
 * - backup-check-s3 may list and read the configured prefixes of the configured buckets (and
 *   decrypt with their keys, through S3 only); nothing else in S3.
 * - backup-check-cronjobs and backup-restore-test get EKS access entries, each in its own
 *   Kubernetes group; the RBAC (`rbacManifest(group, namespaces, scratchNamespaces)`) lets the
 *   first read CronJobs, Jobs, pods and logs, and the second read its Jobs, their pods and logs
 *   and create and delete Jobs only in the restore tests' scratch namespaces.
 * - backup-report writes under `backup-verification/` in the evidence bucket and notifies.
 */
export class BackupVerification extends Construct {
  readonly functions: Record<BackupStep, IncidentFunction<z.ZodObject>>;
  readonly workflow: BackupWorkflow;
  readonly clusterAccess: ClusterAccess;

  constructor(scope: Construct, id: string, props: BackupVerificationProps) {
    super(scope, id);
    const { config } = props;
    const resources = {
      config,
      kube: props.kube,
      bucket: props.evidence.bucket.bucketName,
      topicArn: props.notifications.topic.topicArn,
      slackSecretArn: props.notifications.slackSecret?.secretArn,
      successDigest: props.successDigest,
    };
    this.functions = Object.fromEntries(
      BACKUP_STEPS.map((step) => {
        const spec = backupStepDefinition(step);
        const environment = spec.environment(resources);
        checkEnvironmentSize(step, environment as Record<string, string | undefined>);
        const fn = new IncidentFunction(this, spec.id, {
          step,
          envSchema: spec.envSchema,
          environment,
          description: spec.description,
          timeout: Duration.seconds(spec.timeoutSeconds),
          memorySize: spec.memorySize,
          vpcPlacement: spec.kubernetes ? props.vpcPlacement : undefined,
        });
        return [step, fn];
      }),
    ) as Record<BackupStep, IncidentFunction<z.ZodObject>>;
    const f = this.functions;

    grantBackupReads(f['backup-check-s3'], config.s3);
    props.evidence.grantBackupReports(f['backup-report'].role);
    props.notifications.grantNotify(f['backup-report'].role);
    this.clusterAccess = new ClusterAccess(this, 'ClusterAccess', {
      clusterName: props.kube.CLUSTER_NAME,
      roles: {
        [backupStepDefinition('backup-check-cronjobs').id]: {
          step: 'backup-check-cronjobs',
          role: f['backup-check-cronjobs'].role,
        },
        [backupStepDefinition('backup-restore-test').id]: {
          step: 'backup-restore-test',
          role: f['backup-restore-test'].role,
        },
      },
      kubernetesGroup: props.kubernetesGroup,
      describeCluster: !props.kube.CLUSTER_ENDPOINT,
    });

    this.workflow = new BackupWorkflow(this, 'Workflow', {
      functions: {
        checkS3: f['backup-check-s3'].function,
        checkCronJobs: f['backup-check-cronjobs'].function,
        restoreTest: f['backup-restore-test'].function,
        report: f['backup-report'].function,
      },
      topic: props.notifications.topic,
      scheduleExpression: props.scheduleExpression,
      scheduleTimeZone: props.scheduleTimeZone,
    });

    new CfnOutput(this, 'StateMachineArn', {
      description: `Verify the backups now: aws stepfunctions start-execution --state-machine-arn <this> --input '{"source":"manual"}'`,
      value: this.workflow.stateMachine.stateMachineArn,
    });
  }
}

/** Fails synth, naming the setting, when a function's environment would be refused at deploy. */
function checkEnvironmentSize(step: BackupStep, environment: Record<string, string | undefined>): void {
  // Deploy-time references (the bucket name, ARNs) are counted at the length of their token: close enough.
  const size = Object.entries(environment).reduce(
    (sum, [name, value]) => sum + (value === undefined ? 0 : name.length + value.length),
    0,
  );
  if (size > LAMBDA_ENVIRONMENT_LIMIT) {
    throw new ConfigurationError(
      `backupSources: the ${step} function's environment would be ${size} bytes; Lambda allows ${LAMBDA_ENVIRONMENT_LIMIT}. ` +
        'Shorten the configuration (for restore tests: keep Job templates small, e.g. move the script into the image).',
    );
  }
}

/** Read-only access to exactly the configured backup prefixes. */
function grantBackupReads(fn: IncidentFunction<z.ZodObject>, sources: S3Source[]): void {
  const buckets = [...new Set(sources.map((s) => s.bucket))];
  for (const bucket of buckets) {
    const prefixes = [...new Set(sources.filter((s) => s.bucket === bucket).map((s) => s.prefix))];
    fn.role.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['s3:ListBucket'],
        resources: [`arn:${Aws.PARTITION}:s3:::${bucket}`],
        conditions: { StringLike: { 's3:prefix': prefixes.map((p) => `${p}*`) } },
      }),
    );
    const objects = prefixes.map((p) => `arn:${Aws.PARTITION}:s3:::${bucket}/${p}*`);
    fn.role.addToPrincipalPolicy(
      new PolicyStatement({ effect: Effect.ALLOW, actions: ['s3:GetObject'], resources: objects }),
    );
    Validations.of(fn.role).acknowledge(
      ...prefixes.map((p) => ({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${bucket}/${p}*]`,
        reason:
          'Backup object names carry their date and are only known when the check runs; the configured ' +
          'backup prefix is the narrowest static scope, and the access is read-only.',
      })),
    );
  }
  const keys = [...new Set(sources.flatMap((s) => (s.kmsKeyArn ? [s.kmsKeyArn] : [])))];
  if (keys.length) {
    fn.role.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['kms:Decrypt'],
        resources: keys,
        // Only to read S3 objects: the key cannot be used directly with this role.
        conditions: { StringLike: { 'kms:ViaService': `s3.*.${Stack.of(fn).urlSuffix}` } },
      }),
    );
  }
}
