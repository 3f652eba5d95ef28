import type { DependencyWait, HealthCheck, StepEvent, Verification } from '../shared/contracts';
import { parseEnv, verifyEnv } from '../shared/env';
import {
  handlerObservability,
  type FunctionEnvironment,
  type HandlerSeams,
} from '../shared/handler-environment';
import { stepKubernetesFromEnv } from '../shared/kubernetes-wiring';
import { perContainer } from '../shared/per-container';
import { checkStepState } from '../shared/state-slices';
import { verifyStep } from './checks';
import type { VerifyDeps } from './verify';
import { observedHandler } from '../shared/observability/observed-handler';

export function createHandler(environment: FunctionEnvironment, seams: HandlerSeams = {}) {
  const dependencies = perContainer<VerifyDeps>(async () => {
    const env = parseEnv(verifyEnv, environment);
    return {
      kube: await stepKubernetesFromEnv('verify', env, environment, seams),
      now: seams.now ?? (() => new Date()),
    };
  });
  return observedHandler(
    'verify',
    async (event: StepEvent): Promise<Verification | HealthCheck | DependencyWait> =>
      verifyStep(checkStepState('verify', event), await dependencies()),
    handlerObservability(environment, seams).log,
  );
}

export const handler = createHandler(process.env);
