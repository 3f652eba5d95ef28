import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { ApprovalStore } from '../shared/approval/approval-store';
import { secretValue } from '../shared/approval/secret-value';
import type { ApprovalRequested, Incident, Notified, StepEvent } from '../shared/contracts';
import { notifyEnv, parseEnv } from '../shared/env';
import { notifierFromEnv } from '../shared/notify-wiring';
import { perContainer } from '../shared/per-container';
import { notify, type NotifyDeps } from './notify';
import { SfnIncidentsInFlight } from './storm-quiet';
import { functionLogger, observedHandler } from '../shared/observability/observed-handler';

const dependencies = perContainer<NotifyDeps>(async () => {
  const env = parseEnv(notifyEnv);
  const log = functionLogger();
  const { notifier, region } = await notifierFromEnv(env, log);
  const bucket = env.EVIDENCE_BUCKET;
  const links =
    env.APPROVAL_BASE_URL && env.APPROVAL_LINK_SECRET_ARN
      ? {
          baseUrl: env.APPROVAL_BASE_URL,
          secret: await secretValue(new SecretsManagerClient({}), env.APPROVAL_LINK_SECRET_ARN),
        }
      : undefined;
  return {
    notifier,
    bucket,
    region,
    now: () => new Date(),
    approvals: { store: new ApprovalStore(new S3Client({}), bucket), links },
    stormQuiet: env.STORM_QUIET_ABOVE
      ? { inFlight: new SfnIncidentsInFlight(new SFNClient({})), clusterBudget: env.STORM_QUIET_ABOVE }
      : undefined,
  };
});

export const handler = observedHandler(
  'notify',
  (event: StepEvent<unknown>): Promise<Incident | Notified | ApprovalRequested> =>
    notify(event, dependencies),
);
