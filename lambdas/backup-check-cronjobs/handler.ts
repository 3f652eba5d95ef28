import type { BackupStepEvent, CronJobChecks } from '../shared/backup-contracts';
import { backupCheckCronJobsEnv, parseEnv } from '../shared/env';
import {
  handlerObservability,
  type FunctionEnvironment,
  type HandlerSeams,
} from '../shared/handler-environment';
import { stepKubernetesFromEnv } from '../shared/kubernetes-wiring';
import { perContainer } from '../shared/per-container';
import { backupCheckCronJobs, type BackupCheckCronJobsDeps } from './backup-check-cronjobs';
import { observedHandler } from '../shared/observability/observed-handler';

export function createHandler(environment: FunctionEnvironment, seams: HandlerSeams = {}) {
  const dependencies = perContainer<BackupCheckCronJobsDeps>(async () => {
    const env = parseEnv(backupCheckCronJobsEnv, environment);
    return {
      kube: await stepKubernetesFromEnv('backup-check-cronjobs', env, environment, seams),
      cronJobs: env.BACKUP_CRONJOBS,
      now: seams.now ?? (() => new Date()),
    };
  });
  return observedHandler(
    'backup-check-cronjobs',
    async (event: BackupStepEvent): Promise<CronJobChecks> =>
      backupCheckCronJobs(event, await dependencies()),
    handlerObservability(environment, seams).log,
  );
}

export const handler = createHandler(process.env);
