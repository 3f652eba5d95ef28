import type { CollectedEvents, StepEvent } from '../shared/contracts';
import { collectEventsEnv, parseEnv } from '../shared/env';
import {
  awsClientConfig,
  handlerObservability,
  type FunctionEnvironment,
  type HandlerSeams,
} from '../shared/handler-environment';
import { stepKubernetesFromEnv } from '../shared/kubernetes-wiring';
import { perContainer } from '../shared/per-container';
import { checkStepState } from '../shared/state-slices';
import { evidenceFromEnv } from '../shared/wiring';
import { collectEvents, type CollectEventsDeps } from './collect-events';
import { observedHandler } from '../shared/observability/observed-handler';

export function createHandler(environment: FunctionEnvironment, seams: HandlerSeams = {}) {
  const dependencies = perContainer<CollectEventsDeps>(async () => {
    const env = parseEnv(collectEventsEnv, environment);
    const now = seams.now ?? (() => new Date());
    return {
      kube: await stepKubernetesFromEnv('collect-events', env, environment, seams),
      evidence: (await evidenceFromEnv(env, { aws: awsClientConfig(environment, 'S3'), now })).store,
      now,
    };
  });
  return observedHandler(
    'collect-events',
    async (event: StepEvent): Promise<CollectedEvents> =>
      collectEvents(checkStepState('collect-events', event), await dependencies()),
    handlerObservability(environment, seams).log,
  );
}

export const handler = createHandler(process.env);
