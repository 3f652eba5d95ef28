import type { BackupStepEvent, RestoreProgress, RestoreTests } from '../shared/backup-contracts';
import { backupRestoreTestEnv, parseEnv } from '../shared/env';
import { kubernetesFromEnv } from '../shared/kubernetes-wiring';
import { perContainer } from '../shared/per-container';
import { backupRestoreTest, type BackupRestoreTestDeps, type RestoreTestAction } from './backup-restore-test';
import { observedHandler } from '../shared/observability/observed-handler';

const dependencies = perContainer<BackupRestoreTestDeps>(async () => {
  const env = parseEnv(backupRestoreTestEnv);
  return {
    kube: await kubernetesFromEnv(env),
    tests: env.BACKUP_RESTORE_TESTS,
    pollSeconds: env.BACKUP_RESTORE_POLL_SECONDS,
    now: () => new Date(),
  };
});

export const handler = observedHandler(
  'backup-restore-test',
  async (event: BackupStepEvent<{ action: RestoreTestAction }>): Promise<RestoreProgress | RestoreTests> =>
    backupRestoreTest(event, await dependencies()),
);
