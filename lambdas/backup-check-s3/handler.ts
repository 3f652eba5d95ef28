import { S3Client } from '@aws-sdk/client-s3';
import type { BackupStepEvent, S3Checks } from '../shared/backup-contracts';
import { backupCheckS3Env, parseEnv } from '../shared/env';
import {
  awsClientConfig,
  handlerObservability,
  type FunctionEnvironment,
  type HandlerSeams,
} from '../shared/handler-environment';
import { perContainer } from '../shared/per-container';
import { backupCheckS3, type BackupCheckS3Deps } from './backup-check-s3';
import { S3BackupObjects } from './backup-objects';
import { observedHandler } from '../shared/observability/observed-handler';

export function createHandler(environment: FunctionEnvironment, seams: HandlerSeams = {}) {
  const dependencies = perContainer<BackupCheckS3Deps>(async () => {
    const env = parseEnv(backupCheckS3Env, environment);
    const objects =
      seams.backups ??
      // Backup buckets may live in another region than the function.
      new S3BackupObjects(
        new S3Client({ ...awsClientConfig(environment, 'S3'), followRegionRedirects: true }),
      );
    return { objects, sources: env.BACKUP_S3_SOURCES, now: seams.now ?? (() => new Date()) };
  });
  return observedHandler(
    'backup-check-s3',
    async (event: BackupStepEvent): Promise<S3Checks> => backupCheckS3(event, await dependencies()),
    handlerObservability(environment, seams).log,
  );
}

export const handler = createHandler(process.env);
