import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { ApprovalStore } from '../shared/approval/approval-store';
import { secretValue } from '../shared/approval/secret-value';
import type { ApprovalRequested, Incident, Notified, StepEvent } from '../shared/contracts';
import { notifyEnv, parseEnv } from '../shared/env';
import {
  awsClientConfig,
  handlerObservability,
  type FunctionEnvironment,
  type HandlerSeams,
} from '../shared/handler-environment';
import { notifierFromEnv } from '../shared/notify-wiring';
import { perContainer } from '../shared/per-container';
import { checkStepState } from '../shared/state-slices';
import { notify, type NotifyDeps } from './notify';
import { SfnIncidentsInFlight } from './storm-quiet';
import { functionLogger, observedHandler } from '../shared/observability/observed-handler';

export function createHandler(environment: FunctionEnvironment, seams: HandlerSeams = {}) {
  const { log } = handlerObservability(environment, seams);
  const dependencies = perContainer<NotifyDeps>(async () => {
    const env = parseEnv(notifyEnv, environment);
    const secrets =
      seams.secrets ??
      ((arn: string) =>
        secretValue(new SecretsManagerClient(awsClientConfig(environment, 'SECRETS_MANAGER')), arn));
    const { notifier, region } = await notifierFromEnv(env, log ?? functionLogger(), {
      sns: awsClientConfig(environment, 'SNS'),
      secretsManager: awsClientConfig(environment, 'SECRETS_MANAGER'),
    });
    const bucket = env.EVIDENCE_BUCKET;
    const links =
      env.APPROVAL_BASE_URL && env.APPROVAL_LINK_SECRET_ARN
        ? { baseUrl: env.APPROVAL_BASE_URL, secret: await secrets(env.APPROVAL_LINK_SECRET_ARN) }
        : undefined;
    return {
      notifier,
      bucket,
      region,
      now: seams.now ?? (() => new Date()),
      approvals: {
        store: new ApprovalStore(new S3Client(awsClientConfig(environment, 'S3')), bucket),
        links,
      },
      stormQuiet: env.STORM_QUIET_ABOVE
        ? {
            inFlight:
              seams.executions ??
              new SfnIncidentsInFlight(new SFNClient(awsClientConfig(environment, 'SFN'))),
            clusterBudget: env.STORM_QUIET_ABOVE,
          }
        : undefined,
    };
  });
  return observedHandler(
    'notify',
    (event: StepEvent<unknown>): Promise<Incident | Notified | ApprovalRequested> =>
      notify(checkStepState('notify', event), dependencies),
    log,
  );
}

export const handler = createHandler(process.env);
