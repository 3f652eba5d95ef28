import type { BackupStepEvent, CronJobChecks } from '../shared/backup-contracts';
import { backupCheckCronJobsEnv, parseEnv } from '../shared/env';
import { kubernetesFromEnv } from '../shared/kubernetes-wiring';
import { perContainer } from '../shared/per-container';
import { backupCheckCronJobs, type BackupCheckCronJobsDeps } from './backup-check-cronjobs';
import { observedHandler } from '../shared/observability/observed-handler';

const dependencies = perContainer<BackupCheckCronJobsDeps>(async () => {
  const env = parseEnv(backupCheckCronJobsEnv);
  return { kube: await kubernetesFromEnv(env), cronJobs: env.BACKUP_CRONJOBS, now: () => new Date() };
});

export const handler = observedHandler(
  'backup-check-cronjobs',
  async (event: BackupStepEvent): Promise<CronJobChecks> => backupCheckCronJobs(event, await dependencies()),
);
