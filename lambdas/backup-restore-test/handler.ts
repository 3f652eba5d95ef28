import type { BackupStepEvent, RestoreProgress, RestoreTests } from '../shared/backup-contracts';
import { backupRestoreTestEnv, parseEnv } from '../shared/env';
import {
  handlerObservability,
  type FunctionEnvironment,
  type HandlerSeams,
} from '../shared/handler-environment';
import { stepKubernetesFromEnv } from '../shared/kubernetes-wiring';
import { perContainer } from '../shared/per-container';
import { backupRestoreTest, type BackupRestoreTestDeps, type RestoreTestAction } from './backup-restore-test';
import { observedHandler } from '../shared/observability/observed-handler';

export function createHandler(environment: FunctionEnvironment, seams: HandlerSeams = {}) {
  const dependencies = perContainer<BackupRestoreTestDeps>(async () => {
    const env = parseEnv(backupRestoreTestEnv, environment);
    return {
      kube: await stepKubernetesFromEnv('backup-restore-test', env, environment, seams),
      tests: env.BACKUP_RESTORE_TESTS,
      pollSeconds: env.BACKUP_RESTORE_POLL_SECONDS,
      now: seams.now ?? (() => new Date()),
    };
  });
  return observedHandler(
    'backup-restore-test',
    async (event: BackupStepEvent<{ action: RestoreTestAction }>): Promise<RestoreProgress | RestoreTests> =>
      backupRestoreTest(event, await dependencies()),
    handlerObservability(environment, seams).log,
  );
}

export const handler = createHandler(process.env);
