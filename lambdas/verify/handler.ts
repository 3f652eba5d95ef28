import type { DependencyWait, HealthCheck, StepEvent, Verification } from '../shared/contracts';
import { parseEnv, verifyEnv } from '../shared/env';
import { kubernetesFromEnv } from '../shared/kubernetes-wiring';
import { perContainer } from '../shared/per-container';
import { verifyStep } from './checks';
import type { VerifyDeps } from './verify';
import { observedHandler } from '../shared/observability/observed-handler';

const dependencies = perContainer<VerifyDeps>(async () => {
  const env = parseEnv(verifyEnv);
  return { kube: await kubernetesFromEnv(env), now: () => new Date() };
});

export const handler = observedHandler(
  'verify',
  async (event: StepEvent): Promise<Verification | HealthCheck | DependencyWait> =>
    verifyStep(event, await dependencies()),
);
