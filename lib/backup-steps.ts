import type * as z from 'zod';
import type { BackupConfig } from '../lambdas/shared/backup-config';
import {
  backupCheckCronJobsEnv,
  backupCheckS3Env,
  backupReportEnv,
  backupRestoreTestEnv,
  type EnvOf,
  type kubeEnv,
} from '../lambdas/shared/env';

/**
 * The BackupVerification functions' registry, as lib/incident-steps.ts is the IncidentResponse
 * one: the states each serves, its environment, its sizing. The BackupVerification construct
 * builds its functions from it and the local engine its handlers. Imports no aws-cdk-lib.
 */

/** The steps of the backup verification, by their directory under `lambdas/`. */
export const BACKUP_STEPS = [
  'backup-check-s3',
  'backup-check-cronjobs',
  'backup-restore-test',
  'backup-report',
] as const;
export type BackupStep = (typeof BACKUP_STEPS)[number];

/** What the construct (CDK references) or the local engine fills into the environments. */
export interface BackupStepResources {
  /** What to verify (the validated `backupSources`). */
  config: BackupConfig;
  /** How the Kubernetes steps reach the cluster (the incident steps' values). */
  kube: EnvOf<typeof kubeEnv>;
  bucket: string;
  topicArn: string;
  slackSecretArn?: string;
  /** Notify a passing run too. */
  successDigest: boolean;
}

export interface BackupStepDefinition<S extends z.ZodObject = z.ZodObject> {
  readonly id: string;
  /** The Task states of the BackupVerification definition that invoke it (in branches too). */
  readonly states: readonly string[];
  readonly description: string;
  readonly timeoutSeconds: number;
  readonly memorySize: number;
  /** Talks to the Kubernetes API: gets an access entry and, when configured, runs in the VPC. */
  readonly kubernetes: boolean;
  readonly envSchema: S;
  environment(resources: BackupStepResources): EnvOf<S>;
}

const step = <S extends z.ZodObject>(definition: BackupStepDefinition<S>): BackupStepDefinition<S> =>
  definition;

/**
 * Sizing: the S3 check streams every newest backup through gunzip (a few GiB take minutes, and
 * network and CPU scale with memory); the others make a handful of requests.
 */
export const BACKUP_STEP_REGISTRY = {
  'backup-check-s3': step({
    id: 'BackupCheckS3',
    states: ['Check S3 Backups'],
    description: 'Newest backup under each S3 prefix: fresh, not shrunk, decompresses, matches its .sha256',
    timeoutSeconds: 900,
    memorySize: 1769,
    kubernetes: false,
    envSchema: backupCheckS3Env,
    environment: ({ config }) => ({ BACKUP_S3_SOURCES: JSON.stringify(config.s3) }),
  }),
  'backup-check-cronjobs': step({
    id: 'BackupCheckCronJobs',
    states: ['Check CronJobs'],
    description: 'Backup CronJobs: recent lastSuccessfulTime, last Job not failed',
    timeoutSeconds: 120,
    memorySize: 256,
    kubernetes: true,
    envSchema: backupCheckCronJobsEnv,
    environment: ({ config, kube }) => ({ ...kube, BACKUP_CRONJOBS: JSON.stringify(config.cronJobs) }),
  }),
  'backup-restore-test': step({
    id: 'BackupRestoreTest',
    states: ['Start Restore Tests', 'Check Restore Tests', 'Finish Restore Tests'],
    description: 'Restore-test Jobs in the scratch namespace: start, check, collect logs and delete',
    timeoutSeconds: 120,
    memorySize: 512,
    kubernetes: true,
    envSchema: backupRestoreTestEnv,
    environment: ({ config, kube }) => ({
      ...kube,
      BACKUP_RESTORE_TESTS: JSON.stringify(config.restoreTests),
      BACKUP_RESTORE_POLL_SECONDS: String(config.restorePollSeconds),
    }),
  }),
  'backup-report': step({
    id: 'BackupReport',
    states: ['Open Run', 'Report'],
    description: 'Opens the verification run; writes its report and notifies',
    timeoutSeconds: 120,
    memorySize: 512,
    kubernetes: false,
    envSchema: backupReportEnv,
    environment: (resources) => ({
      EVIDENCE_BUCKET: resources.bucket,
      TOPIC_ARN: resources.topicArn,
      SLACK_SECRET_ARN: resources.slackSecretArn,
      BACKUP_SUCCESS_DIGEST: resources.successDigest ? ('true' as const) : ('false' as const),
    }),
  }),
} satisfies Record<BackupStep, BackupStepDefinition<z.ZodObject>>;

/** The registry entry of a backup step, with its environment typed loosely (for loops over all steps). */
export function backupStepDefinition(name: BackupStep): BackupStepDefinition {
  return BACKUP_STEP_REGISTRY[name] as unknown as BackupStepDefinition;
}
