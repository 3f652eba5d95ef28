import type { Escalation, StepEvent } from '../shared/contracts';
import { escalateEnv, parseEnv } from '../shared/env';
import {
  awsClientConfig,
  handlerObservability,
  type FunctionEnvironment,
  type HandlerSeams,
} from '../shared/handler-environment';
import { notifierFromEnv } from '../shared/notify-wiring';
import { perContainer } from '../shared/per-container';
import { checkStepState } from '../shared/state-slices';
import { escalate, type EscalateDeps } from './escalate';
import { functionLogger, observedHandler } from '../shared/observability/observed-handler';

export function createHandler(environment: FunctionEnvironment, seams: HandlerSeams = {}) {
  const { log } = handlerObservability(environment, seams);
  const dependencies = perContainer<EscalateDeps>(async () => {
    const env = parseEnv(escalateEnv, environment);
    const { notifier, region } = await notifierFromEnv(env, log ?? functionLogger(), {
      sns: awsClientConfig(environment, 'SNS'),
      secretsManager: awsClientConfig(environment, 'SECRETS_MANAGER'),
    });
    return { notifier, bucket: env.EVIDENCE_BUCKET, region, now: seams.now ?? (() => new Date()) };
  });
  return observedHandler(
    'escalate',
    async (event: StepEvent): Promise<Escalation> =>
      escalate(checkStepState('escalate', event), await dependencies()),
    log,
  );
}

export const handler = createHandler(process.env);
