import type { BackupObjects } from '../../lambdas/backup-check-s3/backup-objects';
import type { BackupConfig } from '../../lambdas/shared/backup-config';
import type { StepEvent } from '../../lambdas/shared/contracts';
import type { FunctionEnvironment, HandlerSeams } from '../../lambdas/shared/handler-environment';
import type { KubernetesPort } from '../../lambdas/shared/kubernetes/kubernetes-port';
import { BACKUP_STEPS, backupStepDefinition, type BackupStep } from '../../lib/backup-steps';
import { configSchema } from '../../lib/config';
import type { LocalAws } from '../aws/local-aws';
import { loadHandlerModule, localAwsEnvironment, withoutUnset } from './local-steps';

/** What the backup steps run against locally: the deployed handler modules, local endpoints. */
export interface LocalBackupEnvironment {
  kube: KubernetesPort;
  /** The evidence bucket and notification topic: the embedded emulator's, or real ones. */
  aws: Pick<LocalAws, 's3' | 'sns' | 'region' | 'bucket' | 'topicArn'>;
  /** Where the backups are: the local S3 in the demo and tests, or the user's own. */
  backups: BackupObjects;
  config: BackupConfig;
  /** Notify a passing run too. */
  successDigest: boolean;
  /** The clock the cluster runs on (the sandbox's, when time is scaled). */
  now: () => Date;
  /** Where the functions' log lines and metric documents go. @default - discarded */
  functionOutput?: (line: string) => void;
}

type BackupEvent = StepEvent<never, never>;

/**
 * One handler per backup step: the handler module Lambda runs (lambdas/<step>/handler.ts), built
 * from the environment the BackupVerification construct gives the function (lib/backup-steps.ts),
 * its endpoints this machine's, with the seams of handler-environment.ts. Fresh per call, as
 * local-steps.ts makes the incident steps'.
 */
export function localBackupHandlers(
  env: LocalBackupEnvironment,
): Record<BackupStep, (event: BackupEvent) => Promise<unknown>> {
  let environments: Promise<Record<BackupStep, FunctionEnvironment>> | undefined;
  return Object.fromEntries(
    BACKUP_STEPS.map((step) => {
      let handler: Promise<(event: BackupEvent) => Promise<unknown>> | undefined;
      const run = async (event: BackupEvent) => {
        handler ??= (async () => {
          environments ??= localBackupEnvironments(env);
          return loadHandlerModule(step).createHandler((await environments)[step], localSeams(step, env));
        })();
        return (await handler)(event);
      };
      return [step, run];
    }),
  ) as Record<BackupStep, (event: BackupEvent) => Promise<unknown>>;
}

function localSeams(step: BackupStep, env: LocalBackupEnvironment): HandlerSeams {
  return {
    now: env.now,
    kubernetes: backupStepDefinition(step).kubernetes ? env.kube : undefined,
    backups: step === 'backup-check-s3' ? env.backups : undefined,
    output: env.functionOutput ?? (() => undefined),
  };
}

/** The environment of each backup function as the construct gives it, with this machine's endpoints. */
async function localBackupEnvironments(
  env: LocalBackupEnvironment,
): Promise<Record<BackupStep, FunctionEnvironment>> {
  const common = await localAwsEnvironment(env.aws);
  const resources = {
    config: env.config,
    kube: {
      // Read only to reach EKS, which the `kubernetes` seam (a kubeconfig's client) replaces here.
      CLUSTER_NAME: 'local',
      KUBE_REQUEST_TIMEOUT_MS: String(configSchema.shape.kubeRequestTimeoutMs.parse(undefined)),
    },
    bucket: env.aws.bucket,
    topicArn: env.aws.topicArn,
    successDigest: env.successDigest,
  };
  return Object.fromEntries(
    BACKUP_STEPS.map((step) => [
      step,
      withoutUnset({ ...common, ...backupStepDefinition(step).environment(resources) }),
    ]),
  ) as Record<BackupStep, FunctionEnvironment>;
}
