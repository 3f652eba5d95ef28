import { Aws, CfnOutput, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { z } from 'zod';
import type { BackupConfig, S3Source } from '../../lambdas/shared/backup-config';
import {
  backupCheckCronJobsEnv,
  backupCheckS3Env,
  backupReportEnv,
  backupRestoreTestEnv,
  type EnvOf,
  type kubeEnv,
} from '../../lambdas/shared/env';
import { ConfigurationError } from '../../lambdas/shared/errors';
import { BackupWorkflow } from './backup-workflow';
import { ClusterAccess } from './cluster-access';
import type { EvidenceBucket } from './evidence-bucket';
import { IncidentFunction, type FunctionVpcPlacement } from './function-defaults';
import type { Notifications } from './notifications';

/** The steps of the backup verification, by their directory under `lambdas/`. */
export const BACKUP_STEPS = [
  'backup-check-s3',
  'backup-check-cronjobs',
  'backup-restore-test',
  'backup-report',
] as const;
export type BackupStep = (typeof BACKUP_STEPS)[number];

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

interface StepSpec {
  readonly id: string;
  readonly description: string;
  readonly timeoutSeconds: number;
  readonly memorySize: number;
}

/**
 * Sizing: the S3 check streams every newest backup through gunzip (a few GiB take minutes, and
 * network and CPU scale with memory); the others make a handful of requests.
 */
const STEPS: Record<BackupStep, StepSpec> = {
  'backup-check-s3': {
    id: 'BackupCheckS3',
    description: 'Newest backup under each S3 prefix: fresh, not shrunk, decompresses, matches its .sha256',
    timeoutSeconds: 900,
    memorySize: 1769,
  },
  'backup-check-cronjobs': {
    id: 'BackupCheckCronJobs',
    description: 'Backup CronJobs: recent lastSuccessfulTime, last Job not failed',
    timeoutSeconds: 120,
    memorySize: 256,
  },
  'backup-restore-test': {
    id: 'BackupRestoreTest',
    description: 'Restore-test Jobs in the scratch namespace: start, check, collect logs and delete',
    timeoutSeconds: 120,
    memorySize: 512,
  },
  'backup-report': {
    id: 'BackupReport',
    description: 'Opens the verification run; writes its report and notifies',
    timeoutSeconds: 120,
    memorySize: 512,
  },
};

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
    const fn = <S extends z.ZodObject>(
      step: BackupStep,
      envSchema: S,
      environment: EnvOf<S>,
      kube: boolean,
    ) => {
      const spec = STEPS[step];
      checkEnvironmentSize(step, environment as Record<string, string | undefined>);
      return new IncidentFunction(this, spec.id, {
        step,
        envSchema,
        environment,
        description: spec.description,
        timeout: Duration.seconds(spec.timeoutSeconds),
        memorySize: spec.memorySize,
        vpcPlacement: kube ? props.vpcPlacement : undefined,
      });
    };
    this.functions = {
      'backup-check-s3': fn(
        'backup-check-s3',
        backupCheckS3Env,
        { BACKUP_S3_SOURCES: JSON.stringify(config.s3) },
        false,
      ),
      'backup-check-cronjobs': fn(
        'backup-check-cronjobs',
        backupCheckCronJobsEnv,
        { ...props.kube, BACKUP_CRONJOBS: JSON.stringify(config.cronJobs) },
        true,
      ),
      'backup-restore-test': fn(
        'backup-restore-test',
        backupRestoreTestEnv,
        {
          ...props.kube,
          BACKUP_RESTORE_TESTS: JSON.stringify(config.restoreTests),
          BACKUP_RESTORE_POLL_SECONDS: String(config.restorePollSeconds),
        },
        true,
      ),
      'backup-report': fn(
        'backup-report',
        backupReportEnv,
        {
          EVIDENCE_BUCKET: props.evidence.bucket.bucketName,
          TOPIC_ARN: props.notifications.topic.topicArn,
          SLACK_SECRET_ARN: props.notifications.slackSecret?.secretArn,
          BACKUP_SUCCESS_DIGEST: props.successDigest ? 'true' : 'false',
        },
        false,
      ),
    };
    const f = this.functions;

    grantBackupReads(f['backup-check-s3'], config.s3);
    props.evidence.grantBackupReports(f['backup-report'].role);
    props.notifications.grantNotify(f['backup-report'].role);
    this.clusterAccess = new ClusterAccess(this, 'ClusterAccess', {
      clusterName: props.kube.CLUSTER_NAME,
      roles: {
        [STEPS['backup-check-cronjobs'].id]: {
          step: 'backup-check-cronjobs',
          role: f['backup-check-cronjobs'].role,
        },
        [STEPS['backup-restore-test'].id]: {
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
